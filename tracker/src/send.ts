/**
 * Delivery: a `text/plain` POST (a CORS "simple" request, so no preflight), with fetch
 * `keepalive` so it survives the page being left.
 */
import { api } from './config.js';
import type { TrackOptions } from './types.js';

export const send = (body: object, callback?: TrackOptions['callback']): unknown =>
  fetch(api, { method: 'POST', body: JSON.stringify(body), keepalive: true, credentials: 'omit' }).then(
    (res) => callback?.({ status: res.status }),
    (error: unknown) => callback?.({ error }),
  );
