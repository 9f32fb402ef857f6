/**
 * Automatic page views: one on load, one per SPA navigation (history.pushState and
 * replaceState, back/forward via popstate, and hashchange in hash mode), none when a
 * navigation keeps the same path (query-only changes, repeated pushes), as in Plausible.
 */
import { currentPath } from './config.js';
import type { Track } from './types.js';

export function autoPageviews(track: Track): void {
  let last: string | undefined;
  // Counted when the path differs from the last one, which it then becomes.
  // biome-ignore lint/suspicious/noAssignInExpressions: 7 of the default script's 1,024 gzipped bytes
  const page = (): unknown => last !== (last = currentPath()) && track('pageview');
  for (const method of ['pushState', 'replaceState'] as const) {
    const original = history[method];
    history[method] = function (this: History, ...args: Parameters<History['pushState']>) {
      original.apply(this, args);
      page();
    };
  }
  addEventListener('popstate', page);
  // Outside hash mode a fragment is not part of the path, so a hashchange alone counts nothing.
  addEventListener('hashchange', page);
  // Back/forward cache: the page comes back without reloading, and that is a new view (of the
  // path last counted, so `page()` would skip it).
  addEventListener('pageshow', (e) => e.persisted && track('pageview'));
  page();
}
