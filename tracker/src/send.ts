/**
 * Delivery: a `text/plain` POST (a CORS "simple" request, so no preflight), with fetch
 * `keepalive` so it survives the page being left; sendBeacon where fetch is missing.
 */
import { api } from './config.js';
import type { TrackOptions } from './types.js';

export function send(body: object, callback: TrackOptions['callback']): void {
  const data = JSON.stringify(body);
  // Typed as always present, yet missing in old browsers.
  if ((window as Partial<Window>).fetch) {
    fetch(api, { method: 'POST', body: data, keepalive: true, credentials: 'omit' }).then(
      (res) => callback?.({ status: res.status }),
      (error: unknown) => callback?.({ error }),
    );
  } else {
    navigator.sendBeacon(api, data);
    callback?.();
  }
}
