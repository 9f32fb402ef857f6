/**
 * Engagement, as Plausible's scripts report it: for each page view, an `engagement` event
 * with the deepest scroll reached (`sd`, the percent of the page's height above the lowest
 * point the viewport showed) and the time the page was visible (`e`, ms) since the last
 * report. Sent when the page is hidden (switching tabs, closing it, or leaving it: browsers
 * hide a page before unloading it) and, for the page being left, before the next page view
 * (an SPA navigation). Only time makes a report: hiding and showing the page again sends
 * nothing, and a deeper scroll is reported with the next visible time (`sd` is the
 * maximum since the page view, never only since the last report).
 */
import { send } from './send.js';

/** The body of the page view reported on; false when it was not sent (ignored). */
let page: object | false | undefined;
/** When the page last became visible; 0 while it is hidden (undefined: not yet known). */
let since: number | undefined;
/** The lowest point of the page the viewport reached (px). */
let bottom = 0;

const measure = (): void => {
  bottom = Math.max(bottom, scrollY + innerHeight);
};

/** Sends the time visible since the last report, and the clock runs on while the page is visible. */
const report = (): void => {
  const now = Date.now();
  const e = since && now - since;
  since = document.hidden ? 0 : now;
  if (page && e) {
    // innerHeight counts a horizontal scrollbar, which can take the bottom past the page's end.
    send({ ...page, n: 'engagement', sd: Math.min(100, ((bottom * 100) / document.documentElement.scrollHeight) | 0), e });
  }
};

/** Reports on the page being left, then follows the new page view (`body`; false when it was ignored). */
export const viewed = (body: object | false): void => {
  report();
  page = body;
  bottom = 0;
  measure();
};

addEventListener('scroll', measure);
addEventListener('visibilitychange', report);
