/**
 * Which visits a group's visit ratios are over when pages are involved (docs/METRICS.md,
 * "Pages and entry pages"), as Plausible defines them:
 *
 * - a page row (an `event:page` dimension): bounce rate, visit duration and views per visit
 *   are those of the visits that **entered** on the page — a page's bounce rate is how often
 *   people who landed there left without a second event, not how often visits that passed
 *   through it were one-event visits (which only the entry page can be). `event:page`
 *   filters then select entry pages too;
 * - a top-level `event:page` filter without a page dimension: the bounce rate is over the
 *   matching visits that entered on a matching page; every other number is unchanged.
 *
 * Everything else a group counts (visitors, visits, page views, events) stays the page's
 * own. The entry-side counts come from a second query through the same planner — with the
 * page dimension and filters read as `visit:entry_page`, a query the visit rows and entry
 * rollups answer — and are joined to the groups by their dimension values here.
 */
import type { OrderBy, StatsQuery } from './builder.js';
import { dimension, NOT_SET } from './dimensions.js';
import type { Filter } from './filters.js';
import { type Counts, type Metric, type RatioScope, ratios } from './metrics.js';
import { byTerms, dimensionTerm } from './row-order.js';

/** A group's counts as a plan returns them. */
export interface CountedRow {
  dimensions: string[];
  counts: Counts;
  totalVisitors: number;
  /** The counts the visit ratios are over when not the group's own, and which ratios. */
  entered?: { counts: Counts; scope: RatioScope };
}

type Count = (query: StatsQuery) => Promise<CountedRow[]>;

const PAGE = 'event:page';
const ENTRY_PAGE = dimension('visit:entry_page');
const RATIO_METRICS: ReadonlySet<string> = new Set<Metric>(['bounce_rate', 'visit_duration', 'views_per_visit']);

/** A page filter the site owner wrote (a page goal's condition is the goal's, not a page filter). */
const isPageFilter = (f: Filter) => f.kind === 'match' && f.dim.name === PAGE && f.goal === undefined;

/** The same filter tree with every page condition read as a condition on the entry page. */
function onEntryPages(f: Filter): Filter {
  if (f.kind === 'match') return isPageFilter(f) && ENTRY_PAGE ? { ...f, dim: ENTRY_PAGE } : f;
  // Inside a behavioral filter a page condition is on the visit's events, not its entry page.
  if (f.kind === 'has_done' || f.kind === 'has_not_done') return f;
  if ('child' in f) return { ...f, child: onEntryPages(f.child) };
  return { ...f, children: f.children.map(onEntryPages) };
}

/**
 * The second query a query needs, and which ratios it answers; undefined when the group's own
 * visits are the ones (no visit ratio asked, or no page involved).
 */
function entryQuery(query: StatsQuery): { query: StatsQuery; scope: RatioScope } | undefined {
  if (!ENTRY_PAGE || !query.metrics.some((m) => RATIO_METRICS.has(m))) return undefined;
  const plain = { ...query, orderBy: undefined, limit: undefined, offset: undefined, totalFilters: undefined };
  const metrics: Metric[] = ['visits', 'pageviews', 'bounce_rate', 'visit_duration', 'views_per_visit'];
  if (query.dimensions.some((d) => d.name === PAGE)) {
    const dimensions = query.dimensions.map((d) => (d.name === PAGE ? ENTRY_PAGE : d));
    return { query: { ...plain, metrics, dimensions, filters: query.filters.map(onEntryPages) }, scope: 'all' };
  }
  // Plausible reads the first top-level page filter this way, and only for the bounce rate.
  // Its entry-page form replaces it: a visit whose first page view matches has an event that
  // matches (that page view), so the visits are the same and the query reads visit rows only.
  // A visit without page views entered on no page.
  const first = query.filters.find(isPageFilter);
  if (!first || !query.metrics.includes('bounce_rate') || !ENTRY_PAGE) return undefined;
  const filters = query.filters.map((f) => (f === first ? onEntryPages(f) : f));
  // Only a condition "(not set)" could match needs saying so; `is` of real pages cannot, and
  // a lone one-value filter is what the rollups answer.
  const cannotMatchNone = first.kind === 'match' && first.op === 'is' && !first.values.includes(NOT_SET);
  if (!cannotMatchNone) filters.push({ kind: 'match', op: 'is_not', dim: ENTRY_PAGE, values: [NOT_SET], caseSensitive: true });
  return { query: { ...plain, metrics, filters }, scope: 'bounce_rate' };
}

/** The groups of `query` with the visits their ratios are over (see the top of this file). */
export async function countWithEntries(query: StatsQuery, count: Count): Promise<CountedRow[]> {
  const entry = entryQuery(query);
  if (!entry) return count(query);
  const order = query.orderBy ?? [];
  // Ordered by a ratio, the order is known only once both sides are in: page here, not in SQL.
  const inMemory = order.some((o) => RATIO_METRICS.has(o.key));
  const rows = await count(inMemory ? { ...query, limit: undefined, offset: undefined } : query);
  if (rows.length === 0) return rows;
  // Every group's entries, not only the shown pages': a list of pages as a filter would take
  // the entry query off the rollups (which answer it whole) onto the visit rows.
  const entered = new Map((await count(entry.query)).map((r) => [key(r.dimensions), r.counts]));
  const joined = rows.map((r) => ({ ...r, entered: { counts: entered.get(key(r.dimensions)) ?? NONE, scope: entry.scope } }));
  if (!inMemory) return joined;
  const sorted = joined.sort(comparator(query, order));
  const from = query.offset ?? 0;
  return query.limit === undefined ? sorted.slice(from) : sorted.slice(from, from + query.limit);
}

const NONE: Counts = { visitors: 0, visits: 0, pageviews: 0, events: 0, bounces: 0, durationMs: 0 };

const key = (dims: readonly string[]) => dims.join('\u0000');

/** The builder's order over joined rows (row-order.ts): a ratio over no entering visits is missing, so last. */
function comparator(query: StatsQuery, order: readonly OrderBy[]): (a: CountedRow, b: CountedRow) => number {
  const value = (k: string) => (r: CountedRow) => {
    if (RATIO_METRICS.has(k)) {
      const basis = r.entered && (r.entered.scope === 'all' || k === 'bounce_rate') ? r.entered.counts : r.counts;
      return basis.visits === 0 ? null : ratios(r.counts, r.entered)[k as keyof ReturnType<typeof ratios>];
    }
    if (k === 'percentage' || k === 'conversion_rate') return r.counts.visitors;
    return r.counts[k as keyof Counts] ?? 0;
  };
  return byTerms(
    order.map((o) => {
      const i = query.dimensions.findIndex((d) => d.name === o.key);
      return i >= 0 ? dimensionTerm<CountedRow>(i, o.dir) : { value: value(o.key), dir: o.dir };
    }),
  );
}
