/**
 * Engagement per group (time on page, scroll depth; docs/METRICS.md, "Engagement"): one
 * statement over the site's engagement rows (`QueryRunner.engagementFor`), grouped by the
 * request's dimensions, visitor and page, then by the dimensions; metrics.ts turns the parts
 * into the metrics. A group is any value an engagement row has: its page, hostname, custom
 * properties, visit attributes (as below), and its time bucket in the site's time zone.
 *
 * The request's filters apply to the engagement rows as they apply to a page's events where
 * the row carries the value: `event:page`, `event:hostname` and custom properties on the row
 * itself (the script sends an engagement event with its page view's properties, as Plausible's
 * does), and a visit attribute (source, UTM, browser, country, …) as the engagement row's own
 * value, which is that of the page view it reports on. Filters an engagement row cannot answer
 * (entry/exit page, goals, event names, has_done/has_not_done) make the metrics unknown: no
 * parts, so null.
 */
import type { QueryRunner } from '../storage/storage.js';
import { type Dimension, PROPS_PREFIX } from './dimensions.js';
import { childrenOf, compileFilters, type Filter, filterDimensions, hasBehavioral } from './filters.js';
import type { EngagementParts } from './metrics.js';
import type { Period } from './period.js';
import { dimensionText } from './run.js';
import { join, raw, render, spelled, sql } from './sql.js';

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
  const goal = (f: Filter): boolean => f.goal !== undefined || childrenOf(f).some(goal);
  // A behavioral filter asks about a visit's other events, which engagement rows do not carry.
  return !filters.some(goal) && !hasBehavioral(filters) && filterDimensions(filters).every(answerable);
}

/** Whether an engagement row has a value of this dimension to be grouped by (see the header). */
export const groupsEngagement = (d: Dimension) => d.level === 'time' || answerable(d);

/** Pages named in the statement at most; more are grouped all and picked after. */
const MAX_LISTED_PAGES = 100;

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

/** The key of a group's parts: its dimension values as the builder's rows spell them. */
export const engagementKey = (values: readonly string[]) => JSON.stringify(values);

/**
 * The engagement parts of each group of `dimensions` (all `groupsEngagement`), keyed by
 * `engagementKey` of its values: per (group, page, visitor) the visitor's engaged time summed
 * and scroll depth's maximum, then their sums over the group. Without dimensions, one group
 * of every filtered page. `pages`, with event:page among the dimensions: only those pages.
 * Empty when the filters are not ones engagement rows can answer.
 */
export async function engagementParts(
  q: QueryRunner,
  s: EngagementScope,
  dimensions: readonly Dimension[],
  pages?: readonly string[],
): Promise<Map<string, EngagementParts>> {
  const out = new Map<string, EngagementParts>();
  if (!engagementFilterable(s.filters) || pages?.length === 0) return out;
  // A visit attribute a filter or a group reads becomes a column of the row, under the name its
  // expression reads (once: a country's code and name read the same column).
  const visitColumns = [
    ...new Map(
      [...filterDimensions(s.filters), ...dimensions].flatMap((d) =>
        d.visitColumn && 'firstRow' in d.visitColumn ? [[d.visitColumn.alias, d.visitColumn.firstRow] as const] : [],
      ),
    ),
  ].map(([alias, firstRow]) => `, ${firstRow} AS v_${alias}`);
  const rows = sql`(SELECT *, ${spelled((d) => d.localTime(s.period.timezone))} AS local_ts${raw(visitColumns.join(''))}
    FROM ${raw(q.engagementFor(s.siteId, s.period.from, s.period.to))} e)`;
  // A long list of pages is not sent as parameters (ClickHouse takes them in the URL, which
  // has a limit): then every page is grouped and the caller reads the ones it asked for.
  const listed =
    pages && pages.length <= MAX_LISTED_PAGES && dimensions.some((d) => d.name === 'event:page')
      ? sql` AND pathname IN (${join(
          pages.map((p) => sql`${p}`),
          ', ',
        )})`
      : sql``;
  const groups = dimensions.map((_d, i) => `g${i}`);
  const items = (names: readonly string[]) => raw(names.map((n) => `${n}, `).join(''));
  const values = join(
    dimensions.map((d, i) => sql`${d.expr} AS ${raw(`g${i}`)}, `),
    '',
  );
  const groupBy = groups.length > 0 ? raw(` GROUP BY ${groups.join(', ')}`) : raw('');
  const { text, params } = render(
    sql`SELECT ${items(groups)}count(ms) AS time_visitors, coalesce(sum(ms), 0) AS time_ms,
          count(sd) AS scroll_visitors, coalesce(sum(sd), 0) AS scroll_sum
        FROM (SELECT ${items(groups)}pathname, visitor_id, sum(engaged_ms) AS ms, max(scroll_depth) AS sd
          FROM (SELECT ${values}pathname, visitor_id, engaged_ms, scroll_depth
            FROM ${rows} r WHERE site_id = ${s.siteId} AND ${compileFilters(s.filters)}${listed}) x
          GROUP BY ${items(groups)}pathname, visitor_id) t${groupBy}`,
    q.dialect,
  );
  for (const r of await q.all<Record<string, unknown>>(text, params)) {
    out.set(engagementKey(dimensions.map((d, i) => dimensionText(r[`g${i}`], d))), {
      timeVisitors: num(r.time_visitors),
      timeMs: num(r.time_ms),
      scrollVisitors: num(r.scroll_visitors),
      scrollSum: num(r.scroll_sum),
    });
  }
  return out;
}
