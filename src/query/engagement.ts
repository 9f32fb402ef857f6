/**
 * Engagement per page (time on page, scroll depth; docs/METRICS.md, "Engagement"): one
 * statement over the site's engagement rows (`QueryRunner.engagementFor`), grouped by visitor
 * and page, then by page; metrics.ts turns the parts into the metrics.
 *
 * The request's filters apply to the engagement rows as they apply to a page's events where
 * the row carries the value: `event:page`, `event:hostname` and custom properties on the row
 * itself (the script sends an engagement event with its page view's properties, as Plausible's
 * does), and a visit attribute (source, UTM, browser, country, …) as the engagement row's own
 * value, which is that of the page view it reports on. Filters an engagement row cannot answer
 * (entry/exit page, goals, event names) make the metrics unknown: no parts, so null.
 */
import type { QueryRunner } from '../storage/storage.js';
import { type Dimension, PROPS_PREFIX } from './dimensions.js';
import { compileFilters, type Filter, filterDimensions } from './filters.js';
import type { EngagementParts } from './metrics.js';
import type { Period } from './period.js';
import { join, raw, render, sql } from './sql.js';

export interface EngagementScope {
  siteId: string;
  period: Period;
  filters: readonly Filter[];
}

const ON_THE_ROW = new Set(['event:page', 'filter:event:page', 'event:hostname']);

/** Whether a filter on this dimension can be evaluated on an engagement row (see the header). */
const answerable = (d: Dimension) =>
  ON_THE_ROW.has(d.name) || d.name.startsWith(PROPS_PREFIX) || (d.visitColumn !== undefined && 'firstRow' in d.visitColumn);

/** Whether the engagement metrics are defined under these filters. */
export function engagementFilterable(filters: readonly Filter[]): boolean {
  const goal = (f: Filter): boolean =>
    f.goal !== undefined || (f.kind === 'not' ? goal(f.child) : f.kind === 'match' ? false : f.children.some(goal));
  return !filters.some(goal) && filterDimensions(filters).every(answerable);
}

/** Pages named in the statement at most; more are grouped all and picked after. */
const MAX_LISTED_PAGES = 100;

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/**
 * The engagement parts per page (or, with `byPage` false, of all the filtered pages together
 * under the key ''), for the given pages only when `pages` is set. Empty when the filters are
 * not ones engagement rows can answer.
 */
export async function engagementParts(
  q: QueryRunner,
  s: EngagementScope,
  opts: { byPage: boolean; pages?: readonly string[] },
): Promise<Map<string, EngagementParts>> {
  const out = new Map<string, EngagementParts>();
  if (!engagementFilterable(s.filters) || opts.pages?.length === 0) return out;
  // A visit attribute a filter reads becomes a column of the row, under the name the filter compiles to.
  const visitColumns = [...new Map(filterDimensions(s.filters).map((d) => [d.name, d])).values()].flatMap((d) =>
    d.visitColumn && 'firstRow' in d.visitColumn ? [`${d.visitColumn.firstRow} AS v_${d.visitColumn.alias}`] : [],
  );
  const rows = `(SELECT *${visitColumns.map((c) => `, ${c}`).join('')} FROM ${q.engagementFor(s.siteId, s.period.from, s.period.to)} e)`;
  // A long list of pages is not sent as parameters (ClickHouse takes them in the URL, which
  // has a limit): then every page is grouped and the caller reads the ones it asked for.
  const pages =
    opts.pages && opts.pages.length <= MAX_LISTED_PAGES
      ? sql` AND pathname IN (${join(
          opts.pages.map((p) => sql`${p}`),
          ', ',
        )})`
      : sql``;
  const [page, groupBy] = opts.byPage ? [sql`pathname`, sql` GROUP BY pathname`] : [sql`''`, sql``];
  const { text, params } = render(
    sql`SELECT ${page} AS page, count(ms) AS time_visitors, coalesce(sum(ms), 0) AS time_ms,
          count(sd) AS scroll_visitors, coalesce(sum(sd), 0) AS scroll_sum
        FROM (SELECT pathname, visitor_id, sum(engaged_ms) AS ms, max(scroll_depth) AS sd
          FROM ${raw(rows)} r WHERE site_id = ${s.siteId} AND ${compileFilters(s.filters)}${pages}
          GROUP BY pathname, visitor_id) t${groupBy}`,
    q.dialect,
  );
  for (const r of await q.all<Record<string, unknown>>(text, params)) {
    out.set(String(r.page), {
      timeVisitors: num(r.time_visitors),
      timeMs: num(r.time_ms),
      scrollVisitors: num(r.scroll_visitors),
      scrollSum: num(r.scroll_sum),
    });
  }
  return out;
}
