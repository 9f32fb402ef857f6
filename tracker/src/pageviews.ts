/**
 * Automatic page views: one on load, one per SPA navigation (history.pushState and
 * replaceState, back/forward via popstate, and hashchange in hash mode), none when a
 * navigation keeps the same path (query-only changes, repeated pushes), as in Plausible.
 */
import { currentPath, hashMode } from './config.js';
import type { Track } from './types.js';

export function autoPageviews(track: Track): void {
  let last: string | undefined;
  const page = (): void => {
    const path = currentPath();
    if (path !== last) {
      last = path;
      track('pageview');
    }
  };
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      page();
    };
  }
  addEventListener('popstate', page);
  if (hashMode) addEventListener('hashchange', page);
  // Back/forward cache: the page comes back without reloading, and that is a new view.
  addEventListener('pageshow', (e) => {
    if (e.persisted) {
      last = undefined;
      page();
    }
  });
  page();
}
