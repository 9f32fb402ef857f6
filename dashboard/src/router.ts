/**
 * Client-side routes and URL state. The path names the view (`/sites/<id>/behavior`,
 * `/share/<token>`), the query string holds what is being looked at (period, comparison,
 * interval, filters, saved segment), so any view can be bookmarked or shared and the back button undoes
 * a change. Navigation is history.pushState plus a notification; popstate re-reads.
 */
import { useEffect, useState } from 'preact/hooks';
import { type Filter, filtersParam, parseFilters, unreadable } from './filters.js';
import { DEFAULT_PERIOD, INTERVALS, type Interval, isDate, PERIODS, type PeriodChoice, type PeriodId } from './period.js';

export type Tab = 'overview' | 'behavior' | 'settings';

export type View =
  | { page: 'sites' }
  | { page: 'keys' }
  | { page: 'account' }
  | { page: 'users' }
  | { page: 'invitation'; token: string }
  | { page: 'site'; site: string; tab: Tab }
  | { page: 'share'; token: string; tab: Tab }
  | { page: 'missing' };

/** What the numbers are compared with (docs/API.md, "Comparison"); null: nothing. */
export const COMPARISONS = ['previous_period', 'year_over_year'] as const;
export type Comparison = (typeof COMPARISONS)[number];

export interface DashQuery extends PeriodChoice {
  compare: Comparison | null;
  interval?: Interval;
  filters: Filter[];
  /**
   * A `filters=` of the address that is no list of filters (a mangled paste), sent on as it is
   * so the server's 400 says what is wrong and the page offers to clear it, not dropped unseen.
   */
  unreadFilters?: string;
  /** A saved segment's id (`segment=<id>` of the API), and-ed with `filters`. */
  segment?: string;
}

export interface Location {
  view: View;
  query: DashQuery;
}

const TABS: readonly Tab[] = ['overview', 'behavior', 'settings'];
/** Segment ids are UUIDs; anything else in the URL is dropped rather than sent. */
const SEGMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function parseView(pathname: string): View {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const [first, id, tab = 'overview', extra] = parts;
  if (parts.length === 0 || (first === 'sites' && parts.length === 1)) return { page: 'sites' };
  if (first === 'keys' && parts.length === 1) return { page: 'keys' };
  if (first === 'account' && parts.length === 1) return { page: 'account' };
  if (first === 'users' && parts.length === 1) return { page: 'users' };
  if (first === 'invitations' && id && parts.length === 2) return { page: 'invitation', token: id };
  if ((first === 'sites' || first === 'share') && id && extra === undefined && TABS.includes(tab as Tab)) {
    if (first === 'share' && tab === 'settings') return { page: 'missing' };
    return first === 'sites' ? { page: 'site', site: id, tab: tab as Tab } : { page: 'share', token: id, tab: tab as Tab };
  }
  return { page: 'missing' };
}

export function parseQuery(search: string): DashQuery {
  const q = new URLSearchParams(search);
  const period = (q.get('period') ?? DEFAULT_PERIOD) as PeriodId;
  const interval = q.get('interval') as Interval | null;
  const from = q.get('from') ?? undefined;
  const to = q.get('to') ?? undefined;
  const custom = period === 'custom' && isDate(from) && isDate(to);
  const segment = q.get('segment') ?? '';
  const chosen = PERIODS.some((p) => p.id === period) && (period !== 'custom' || custom) ? period : DEFAULT_PERIOD;
  return {
    period: chosen,
    from: custom ? from : undefined,
    to: custom ? to : undefined,
    // Realtime has no comparison.
    compare:
      chosen !== 'realtime' && (COMPARISONS as readonly string[]).includes(q.get('compare') ?? '')
        ? (q.get('compare') as Comparison)
        : null,
    // Minutes are realtime's, and only its.
    interval:
      interval && INTERVALS.includes(interval) && (interval === 'minute') === (chosen === 'realtime') ? interval : undefined,
    filters: parseFilters(q.get('filters')),
    unreadFilters: unreadable(q.get('filters')),
    segment: SEGMENT_ID.test(segment) ? segment : undefined,
  };
}

export function viewPath(view: View): string {
  switch (view.page) {
    case 'keys':
      return '/keys';
    case 'account':
      return '/account';
    case 'users':
      return '/users';
    case 'invitation':
      return `/invitations/${encodeURIComponent(view.token)}`;
    case 'site':
      return `/sites/${encodeURIComponent(view.site)}${view.tab === 'overview' ? '' : `/${view.tab}`}`;
    case 'share':
      return `/share/${encodeURIComponent(view.token)}${view.tab === 'overview' ? '' : `/${view.tab}`}`;
    default:
      return '/';
  }
}

export function queryString(q: DashQuery): string {
  const s = new URLSearchParams();
  if (q.period !== DEFAULT_PERIOD) s.set('period', q.period);
  if (q.period === 'custom' && q.from && q.to) {
    s.set('from', q.from);
    s.set('to', q.to);
  }
  if (q.compare) s.set('compare', q.compare);
  if (q.interval) s.set('interval', q.interval);
  const filters = filtersParam(q);
  if (filters) s.set('filters', filters);
  if (q.segment) s.set('segment', q.segment);
  const text = s.toString();
  return text ? `?${text}` : '';
}

export const href = (view: View, query?: DashQuery) => viewPath(view) + (query ? queryString(query) : '');

const listeners = new Set<() => void>();
const notify = () => {
  for (const l of listeners) l();
};
let listening = false;

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (to === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  scrollTo({ top: opts.replace ? scrollY : 0 });
  notify();
}

/** Same view, new query (a period or filter change): a new history entry, scroll kept. */
export function setQuery(view: View, query: DashQuery): void {
  const to = href(view, query);
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  notify();
}

export function currentLocation(): Location {
  return { view: parseView(location.pathname), query: parseQuery(location.search) };
}

/** Re-renders the caller on every navigation and back/forward. */
export function useLocation(): Location {
  const [loc, setLoc] = useState(currentLocation);
  useEffect(() => {
    if (!listening) {
      addEventListener('popstate', notify);
      listening = true;
    }
    const update = () => setLoc(currentLocation());
    listeners.add(update);
    return () => {
      listeners.delete(update);
    };
  }, []);
  return loc;
}

/** Follows a same-origin link without reloading (plain clicks only). */
export function linkClick(e: MouseEvent): void {
  const a = (e.currentTarget ?? e.target) as HTMLAnchorElement;
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  e.preventDefault();
  navigate(a.getAttribute('href') ?? '/');
}
