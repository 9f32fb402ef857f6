/**
 * The one query builder. A stats query is data (site, period, metrics, dimensions,
 * filters, order, page); this turns it into one SQL statement over `events` (hot ∪ cold):
 *
 *   ev    the site's events in the period
 *   sess  one row per visit: event count, duration, start, and the visit attributes the
 *         query needs (source, entry page, …, from the visit's first event)
 *   base  events (joined to their visit's attributes if a dimension or filter reads one),
 *         filtered                                       → totals (percentage, conversion)
 *   rows  base, restricted for the dimensions (page views for event:page, custom events for goals)
 *   g     event metrics per group; vg: visit metrics per group, each visit once
 *
 * A visit counts for a group if it has an event in it (visit dimensions have one value
 * per visit); under a time dimension visit metrics go to the bucket where the visit starts.
 */
import { dialect } from './dialect.js';
import type { Dimension } from './dimensions.js';
import { compileFilters, type Filter, filterDimensions } from './filters.js';
import { type Period, tsParam } from './period.js';
import { fragment, join, raw, type Sql, sql } from './sql.js';

export const METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'events',
  'percentage',
  'conversion_rate',
] as const;
export type Metric = (typeof METRICS)[number];

const VISIT_METRICS: ReadonlySet<Metric> = new Set(['visits', 'bounce_rate', 'visit_duration', 'views_per_visit']);

export interface OrderBy {
  key: string; // a metric or a dimension name of the query
  dir: 'asc' | 'desc';
}

export interface StatsQuery {
  siteId: string;
  period: Period;
  metrics: readonly Metric[];
  dimensions: readonly Dimension[];
  filters: readonly Filter[];
  orderBy?: readonly OrderBy[];
  limit?: number;
  offset?: number;
  /** Count only custom events (not page views) — the goals breakdown. */
  customEventsOnly?: boolean;
  /** Filters of the visitor total behind percentage/conversion rate, when not `filters`. */
  totalFilters?: readonly Filter[];
}

/** The visitor total is another pass over the events: only when a share is asked for. */
const needsTotal = (q: StatsQuery) => q.metrics.includes('percentage') || q.metrics.includes('conversion_rate');
const NO_TOTAL = sql`total AS (SELECT NULL::BIGINT AS visitors)`;

/** The `ev` CTE: the site's events in the period, with `local_ts`, the site's wall-clock time (time buckets use it). */
const eventsInPeriod = (events: string, q: Pick<StatsQuery, 'siteId' | 'period'>): Sql =>
  sql`ev AS (SELECT *, ${dialect.localTime(q.period.timezone)} AS local_ts FROM ${raw(events)} e
        WHERE site_id = ${q.siteId} AND timestamp >= ${tsParam(q.period.from)}::TIMESTAMP AND timestamp < ${tsParam(q.period.to)}::TIMESTAMP)`;

/**
 * CTEs ending in `scoped`: the site's events in the period that pass the filters, with
 * every event column (a filter on a visit attribute keeps the whole visits that have it).
 * The behavioral analyses start from here, so they see exactly the rows the stats see.
 */
export function scopedEvents(events: string, q: Pick<StatsQuery, 'siteId' | 'period' | 'filters'>): Sql[] {
  const visitCols = new Map<string, string>();
  for (const d of filterDimensions(q.filters)) if (d.visitColumn) visitCols.set(d.visitColumn.alias, d.visitColumn.agg);
  if (visitCols.size === 0) {
    return [eventsInPeriod(events, q), sql`scoped AS (SELECT * FROM ev WHERE ${compileFilters(q.filters)})`];
  }
  const attrs = [...visitCols].map(([alias, agg]) => fragment(`, ${agg} AS v_${alias}`));
  return [
    eventsInPeriod(events, q),
    sql`sess AS (SELECT session_id${join(attrs, '')} FROM ev GROUP BY session_id)`,
    sql`scoped AS (SELECT ev.* FROM ev JOIN sess USING (session_id) WHERE ${compileFilters(q.filters)})`,
  ];
}

/** Column alias of the i-th dimension in the result. */
export const dimAlias = (i: number) => `d${i}`;

export function buildQuery(events: string, q: StatsQuery): Sql {
  const dims = q.dimensions;
  const needVisits = q.metrics.some((m) => VISIT_METRICS.has(m));
  const visitCols = new Map<string, string>();
  for (const d of [...dims, ...filterDimensions(q.filters), ...filterDimensions(q.totalFilters ?? [])]) {
    if (d.visitColumn) visitCols.set(d.visitColumn.alias, d.visitColumn.agg);
  }
  // Events need their visit's attributes only when a dimension or filter reads one.
  const joinVisits = visitCols.size > 0;
  const visitAttrs = [...visitCols].map(([alias, agg]) => fragment(`, ${agg} AS v_${alias}`));

  const restrictions: Sql[] = [];
  if (dims.some((d) => d.name === 'event:page')) restrictions.push(sql`event_name = 'pageview'`);
  if (q.customEventsOnly) restrictions.push(sql`event_name <> 'pageview'`);
  const unfiltered = q.filters.length === 0 && restrictions.length === 0;

  const aliases = dims.map((_, i) => dimAlias(i));
  const groupBy = dims.length > 0 ? fragment(` GROUP BY ${aliases.join(', ')}`) : fragment('');
  const dimSelect = join(
    dims.map((d, i) => sql`${d.expr} AS ${raw(aliases[i] ?? '')}`),
    ', ',
  );

  if (visitGrain(q, restrictions.length)) {
    return assemble(q, visitGrainParts(events, q, visitAttrs, dimSelect, groupBy, aliases), true);
  }

  const parts: Sql[] = [eventsInPeriod(events, q)];
  if (needVisits || joinVisits) {
    parts.push(sql`sess AS (SELECT session_id, count(*) AS s_events,
        ${fragment(dialect.spanSeconds())} AS s_duration, min(local_ts) AS s_start${join(visitAttrs, '')}
        FROM ev GROUP BY session_id)`);
  }
  parts.push(
    sql`base AS (SELECT * FROM ${joinVisits ? sql`ev JOIN sess USING (session_id)` : sql`ev`} WHERE ${compileFilters(q.filters)})`,
    sql`rows AS (SELECT * FROM base WHERE ${restrictions.length > 0 ? join(restrictions, ' AND ') : sql`TRUE`})`,
    !needsTotal(q)
      ? NO_TOTAL
      : q.totalFilters
        ? sql`total AS (SELECT count(DISTINCT visitor_id) AS visitors FROM ${joinVisits ? sql`ev JOIN sess USING (session_id)` : sql`ev`}
          WHERE ${compileFilters(q.totalFilters)})`
        : sql`total AS (SELECT count(DISTINCT visitor_id) AS visitors FROM base)`,
    sql`g AS (SELECT ${dims.length > 0 ? sql`${dimSelect}, ` : sql``}count(DISTINCT visitor_id) AS visitors,
        count(*) FILTER (WHERE event_name = 'pageview') AS pageviews, count(*) AS events FROM rows${groupBy})`,
  );
  if (needVisits) {
    const visitMetrics = sql`count(*) AS visits, avg((s_events = 1)::INTEGER) AS bounce_rate, avg(s_duration) AS visit_duration`;
    if (unfiltered && dims.every((d) => d.unit !== undefined)) {
      // Every visit counts, once, in the bucket it starts in: straight from the visit table.
      const starts = dims.map((d, i) => fragment(`${dialect.truncate(d.unit ?? 'day', 's_start')} AS ${aliases[i]}`));
      parts.push(
        sql`vg AS (SELECT ${dims.length > 0 ? sql`${join(starts, ', ')}, ` : sql``}${visitMetrics} FROM sess${groupBy})`,
      );
    } else {
      // Each visit once per group; under a time dimension a visit belongs to the bucket it starts in.
      const keyed = dims
        .map((d, i) => (d.unit ? null : sql`${d.expr} AS ${raw(aliases[i] ?? '')}`))
        .filter((x): x is Sql => x !== null);
      const outer = dims.map((d, i) =>
        d.unit ? fragment(`${dialect.truncate(d.unit, 's_start')} AS ${aliases[i]}`) : fragment(aliases[i] ?? ''),
      );
      parts.push(sql`vg AS (SELECT ${dims.length > 0 ? sql`${join(outer, ', ')}, ` : sql``}${visitMetrics}
        FROM (SELECT DISTINCT ${keyed.length > 0 ? sql`${join(keyed, ', ')}, ` : sql``}session_id FROM rows) JOIN sess USING (session_id)${groupBy})`);
    }
  }
  return assemble(q, parts, needVisits);
}

/** The final SELECT shared by both plans: `g` holds event metrics, `vg` visit metrics, per group. */
function assemble(q: StatsQuery, parts: readonly Sql[], withVisits: boolean): Sql {
  const aliases = q.dimensions.map((_, i) => dimAlias(i));
  const visitJoin = withVisits
    ? aliases.length > 0
      ? fragment(` LEFT JOIN vg USING (${aliases.join(', ')})`)
      : fragment(' CROSS JOIN vg')
    : fragment('');
  const visitSelect = withVisits ? sql`, vg.visits, vg.bounce_rate, vg.visit_duration` : sql``;
  const dimOut = aliases.length > 0 ? fragment(`${aliases.map((a) => `g.${a}`).join(', ')}, `) : sql``;
  return sql`WITH ${join(parts, ',\n')}
    SELECT ${dimOut}g.visitors, g.pageviews, g.events${visitSelect},
           g.visitors * 100.0 / nullif(total.visitors, 0) AS percentage
    FROM g${visitJoin} CROSS JOIN total
    ${orderClause(q)}
    ${q.limit !== undefined ? sql`LIMIT ${q.limit} OFFSET ${q.offset ?? 0}` : sql``}`;
}

/**
 * Whether the query can be answered from one row per visit: every dimension and filter is
 * a visit attribute (or there are none), so no event needs to be joined to its visit.
 */
function visitGrain(q: StatsQuery, restrictions: number): boolean {
  const visitLevel = (d: Dimension) => d.level === 'visit';
  return (
    restrictions === 0 &&
    q.dimensions.every(visitLevel) &&
    filterDimensions(q.filters).every(visitLevel) &&
    filterDimensions(q.totalFilters ?? []).every(visitLevel)
  );
}

/**
 * The visit-grain plan. Visitors are distinct visitor ids; a visit normally has one, and
 * only a signed-in user's visit (user_key) can span several (devices), so only those
 * keep the list of their ids.
 */
function visitGrainParts(
  events: string,
  q: StatsQuery,
  visitAttrs: readonly Sql[],
  dimSelect: Sql,
  groupBy: Sql,
  aliases: readonly string[],
): Sql[] {
  const lead = aliases.length > 0 ? sql`${dimSelect}, ` : sql``;
  const dims = aliases.length > 0 ? fragment(`${aliases.join(', ')}, `) : sql``;
  const visitors = (from: string, where: Sql) => sql`SELECT ${lead}visitor_id FROM (
        SELECT *, s_visitor AS visitor_id FROM ${fragment(from)} WHERE coalesce(len(s_visitors), 0) <= 1
        UNION ALL SELECT *, unnest(s_visitors) AS visitor_id FROM ${fragment(from)} WHERE len(s_visitors) > 1) WHERE ${where}`;
  return [
    eventsInPeriod(events, q),
    sql`sess AS (SELECT session_id, count(*) AS s_events, count(*) FILTER (WHERE event_name = 'pageview') AS s_pageviews,
        ${fragment(dialect.spanSeconds())} AS s_duration, min(visitor_id) AS s_visitor,
        list(DISTINCT visitor_id) FILTER (WHERE user_key IS NOT NULL) AS s_visitors${join(visitAttrs, '')}
        FROM ev GROUP BY session_id)`,
    sql`base AS (SELECT * FROM sess WHERE ${compileFilters(q.filters)})`,
    sql`ids AS (${visitors('base', sql`TRUE`)})`,
    !needsTotal(q)
      ? NO_TOTAL
      : q.totalFilters
        ? sql`total AS (SELECT count(DISTINCT visitor_id) AS visitors FROM (${visitors('sess', compileFilters(q.totalFilters))}))`
        : sql`total AS (SELECT count(DISTINCT visitor_id) AS visitors FROM ids)`,
    sql`vg AS (SELECT ${lead}count(*) AS visits, avg((s_events = 1)::INTEGER) AS bounce_rate, avg(s_duration) AS visit_duration,
        coalesce(sum(s_pageviews), 0) AS pageviews, coalesce(sum(s_events), 0) AS events FROM base${groupBy})`,
    sql`gv AS (SELECT ${dims}count(DISTINCT visitor_id) AS visitors FROM ids${groupBy})`,
    aliases.length > 0
      ? sql`g AS (SELECT ${dims}gv.visitors, vg.pageviews, vg.events FROM vg JOIN gv USING (${fragment(aliases.join(', '))}))`
      : sql`g AS (SELECT gv.visitors, vg.pageviews, vg.events FROM vg CROSS JOIN gv)`,
  ];
}

/** ORDER BY from allowlisted keys only; dimensions break ties so pages are stable. */
function orderClause(q: StatsQuery): Sql {
  const dimIndex = (name: string) => q.dimensions.findIndex((d) => d.name === name);
  const terms: string[] = [];
  const explicit = q.orderBy ?? [];
  for (const o of explicit) {
    const i = dimIndex(o.key);
    const dir = o.dir === 'asc' ? 'ASC' : 'DESC';
    if (i >= 0) terms.push(`g.${dimAlias(i)} ${dir}`);
    else terms.push(`${metricColumn(o.key as Metric)} ${dir} NULLS LAST`);
  }
  if (explicit.length === 0) {
    const timeFirst = q.dimensions.findIndex((d) => d.level === 'time');
    if (timeFirst >= 0) terms.push(`g.${dimAlias(timeFirst)} ASC`);
    else if (q.dimensions.length > 0) terms.push('g.visitors DESC');
  }
  for (let i = 0; i < q.dimensions.length; i++) terms.push(`g.${dimAlias(i)} ASC`);
  return terms.length > 0 ? fragment(`ORDER BY ${terms.join(', ')}`) : sql``;
}

/** The SQL column ordering a metric (derived ones by their inputs). */
function metricColumn(m: Metric): string {
  switch (m) {
    case 'visits':
    case 'bounce_rate':
    case 'visit_duration':
      return `vg.${m}`;
    case 'views_per_visit':
      return 'g.pageviews / nullif(vg.visits, 0)';
    case 'percentage':
    case 'conversion_rate':
      return 'g.visitors';
    default:
      return `g.${m}`;
  }
}
