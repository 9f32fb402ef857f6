/**
 * Whether this page view must not be counted at all: checked for every event, because a
 * visitor can set the opt-out flag at any time. Nothing here writes anywhere.
 */
import { attr } from './config.js';

const LOCAL_HOST = /^localhost$|^127(\.\d+){0,2}\.\d+$|^\[::1?\]$/;

export function ignored(): boolean {
  // file:, about:, extensions: not a page the server could record.
  if (!/^https?:$/.test(location.protocol)) return true;
  // Development copies of a site would pollute its numbers; `data-allow-localhost` opts in.
  if (LOCAL_HOST.test(location.hostname) && attr('allow-localhost') === null) return true;
  // Headless browsers and test runners; `data-allow-automation` opts in (e.g. for tests).
  const w = window as unknown as Record<string, unknown>;
  if ((navigator.webdriver || w._phantom || w.__nightmare || w.Cypress) && attr('allow-automation') === null) return true;
  try {
    // The visitor's own opt-out (set from the console). Reading can throw when storage is blocked.
    return localStorage.mallard_ignore === 'true';
  } catch {
    return false;
  }
}
