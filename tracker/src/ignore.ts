/**
 * Whether this page view must not be counted at all: checked for every event, because a
 * visitor can set the opt-out flag at any time. Nothing here writes anywhere.
 */
import { attr } from './config.js';

export function ignored(): unknown {
  try {
    return (
      // file:, about:, extensions: not a page the server could record.
      !/^http/.test(location.protocol) ||
      // Development copies of a site would pollute its numbers; `data-allow-localhost` opts in.
      (/^(localhost|127\.[\d.]+|\[::1?\])$/.test(location.hostname) && attr('allow-localhost') === null) ||
      // Browsers driven by WebDriver, Playwright or Cypress; `data-allow-automation` opts in (e.g. for
      // tests). PhantomJS and Nightmare, which older scripts look for, cannot parse this script.
      ((navigator.webdriver || (window as { Cypress?: unknown }).Cypress) && attr('allow-automation') === null) ||
      // The visitor's own opt-out (set from the console).
      localStorage.mallard_ignore === 'true'
    );
  } catch {
    // Reading storage throws where it is blocked: no opt-out was read, the event counts.
  }
}
