/**
 * `window.mallard(name, options)`: builds the request body Plausible's scripts send
 * (`n`, `u`, `d`, `r`, `w`, `p`, `revenue`, `h`) and hands it to `send`. A page view (sent
 * or not) first closes the engagement of the page before it (engagement.ts).
 */
import { attr, currentPath, domain, hashMode, scriptProps } from './config.js';
import { viewed } from './engagement.js';
import { matchesAny } from './glob.js';
import { ignored } from './ignore.js';
import { send } from './send.js';
import type { TrackOptions } from './types.js';

const include = attr('include');
const exclude = attr('exclude');

/** `data-include` / `data-exclude` apply to page views only, as in Plausible. */
const excluded = (path = currentPath()): boolean | undefined =>
  // Without data-include every path is included.
  !(matchesAny(include, path) ?? true) || matchesAny(exclude, path);

export function track(name: string, options: TrackOptions = {}): void {
  const skipped = ignored() || (name === 'pageview' && excluded());
  let props = options.props;
  // `mallard('404')` records which path was missing.
  if (name === '404') props = { path: location.pathname, ...props };
  if (FEATURE_PAGEVIEW_PROPS) props = { ...scriptProps(), ...props };
  const body = {
    n: name,
    u: options.u || location.href,
    d: domain,
    r: document.referrer || null,
    w: innerWidth,
    p: props,
    revenue: options.revenue,
    h: hashMode ? 1 : undefined,
  };
  // Engagement of the page being left goes before the next page view.
  if (name === 'pageview') viewed(!skipped && body);
  // Callers may wait for the callback (e.g. to navigate): tell them nothing was sent.
  if (skipped) options.callback?.();
  else send(body, options.callback);
}
