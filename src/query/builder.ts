/**
 * The one query builder. A stats query is data (site, period, metrics, dimensions,
 * filters, order, page); this turns it into one SQL statement over `events` (hot ∪ cold):
 *
 *   ev    the site's events in the period
 *   sess  one row per visit: event count, duration, start, and the visit attributes the
 *         query needs (source, entry page, …, from the visit's first event)
 *   base  events (joined to their visit's attributes if a dimension or filter reads one),
 *         filtered                                       → totals (percentage, conversion)
 *   rows  base, restricted to the events a goal count reads (custom events, or page views)
 *   g     event metrics per group; vg: visit metrics per group, each visit once
 *
 * A visit counts for a group if it has an event in it (visit dimensions have one value
 * per visit); under a time dimension visit metrics go to the bucket where the visit starts.
 * Every plan returns the additive counts of metrics.ts; ratios are computed from them.
 */
import type { Dialect, TimeUnit } from './dialect.js';
import { type Dimension, type VisitColumn, visitDimensions } from './dimensions.js';
import { compileFilters, type Filter, filterDimensions } from './filters.js';
import { METRICS, type Metric, orderExpr, VISIT_COUNTS_SQL, VISIT_METRICS, visitCountsSql } from './metrics.js';
import { type Period, timeParam } from './period.js';
import { fragment, join, raw, type Sql, spelled, sql } from './sql.js';

export { METRICS, type Metric };

export interface TimeRange {
  from: Date;
  to: Date;
}

/**
 * Where a query reads: the events relation — exactly the site's events in the query's period,
 * as `QueryRunner.eventsFor` gives them — and optionally a relation of precomputed visit
 * rows (`visitRowSelect` with every visit dimension). Without `visitsScan` those rows are
 * exactly the visits of the query's events; with it they cover the period except those
 * ranges, whose visits are grouped from the events (visits never cross a UTC midnight, so
 * the two parts never hold the same visit).
 */
export interface Sources {
  events: string;
  visits?: string;
  visitsScan?: readonly TimeRange[];
}

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
  /** Count only page views — page goals by page (goal-counts.ts); a page row otherwise counts every event. */
  pageviewsOnly?: boolean;
  /** Filters of the visitor total behind percentage/conversion rate, when not `filters`. */
  totalFilters?: readonly Filter[];
  /** Only the events in these UTC ranges (inside the period) — the parts the planner scans. */
  ranges?: readonly TimeRange[];
}

/** The visitor total is another pass over the events: only when a share is asked for. */
const needsTotal = (q: StatsQuery) => q.metrics.includes('percentage') || q.metrics.includes('conversion_rate');
const NO_TOTAL = sql`total AS (SELECT CAST(NULL AS BIGINT) AS visitors)`;

const inRange = (r: TimeRange) => sql`(timestamp >= ${timeParam(r.from)} AND timestamp < ${timeParam(r.to)})`;

/**
 * The `ev` CTE: the site's events in the period, with `local_ts`, the site's wall-clock time
 * (time buckets use it). `events` holds exactly the period's events (`Sources`); the site
 * condition stays all the same, so that no relation could ever answer for another site.
 */
const eventsInPeriod = (events: string, q: Pick<StatsQuery, 'siteId' | 'period' | 'ranges'>, use?: 'inline'): Sql => {
  const ranges = q.ranges ? (q.ranges.length > 0 ? sql` AND (${join(q.ranges.map(inRange), ' OR ')})` : sql` AND FALSE`) : sql``;
  return sql`${cteHead('ev', use)} (SELECT *, ${spelled((d) => d.localTime(q.period.timezone))} AS local_ts FROM ${raw(events)} e
        WHERE site_id = ${q.siteId}${ranges})`;
};

/**
 * One row per visit of `ev`: its counts, start, visitor id(s) and the given visit
 * attributes (`v_<alias>`). Visitors are distinct visitor ids; a visit normally has one,
 * and only a signed-in user's visit (user_key) can span several (devices), so only those
 * keep the list of their ids. The derived visits table is this over a partition.
 */
export function visitRowSelect(from: string, start: string, attrs: ReadonlyMap<string, VisitColumn>): Sql {
  const lead = Object.entries(visitCounts(start)).map(([name, expr]) =>
    expr === name ? fragment(name) : sql`${typeof expr === 'string' ? fragment(expr) : expr} AS ${raw(name)}`,
  );
  return visitAttrsSelect(from, join(lead, ', '), attrs);
}

/** A visit row's columns besides its attributes, each with its aggregate over the visit's events. */
const visitCounts = (start: string) => ({
  session_id: 'session_id',
  s_events: 'count(*)',
  s_pageviews: "count(*) FILTER (WHERE event_name = 'pageview')",
  s_duration_ms: spelled((d) => d.spanMs()),
  s_start: `min(${start})`,
  s_visitor: 'min(visitor_id)',
  // The visit's identity is its signed-in user, else its one cookieless visitor (sessionize.ts).
  s_user: 'min(user_key)',
  s_visitors: spelled((d) => d.distinctList('visitor_id', 'user_key IS NOT NULL')),
});

/**
 * `SELECT <lead>, v_<alias>… FROM from GROUP BY session_id`. The first event's attributes
 * are read as one struct with one ordering key per visit: an aggregate per attribute would
 * keep a key per attribute and visit (several times the memory of a day's visits).
 */
function visitAttrsSelect(from: string, lead: Sql, attrs: ReadonlyMap<string, VisitColumn>): Sql {
  const firsts = [...attrs.values()].flatMap((c) => ('firstRow' in c ? [c] : []));
  const aggs = [...attrs.values()].flatMap((c) => ('agg' in c ? [sql`, ${c.agg} AS ${raw(`v_${c.alias}`)}`] : []));
  const fields = firsts.map((c) => [c.alias, c.firstRow] as const);
  const packed = firsts.length > 0 ? sql`, ${spelled((d) => d.firstByTime(d.record(fields)))} AS _first` : sql``;
  const inner = sql`SELECT ${lead}${join(aggs, '')}${packed} FROM ${raw(from)} GROUP BY session_id`;
  if (firsts.length === 0) return inner;
  const unpacked = spelled(
    (d) =>
      `${d.allExcept(['_first'])}${fields.map(([alias], i) => `, ${d.recordField('_first', fields, i)} AS v_${alias}`).join('')}`,
  );
  return sql`SELECT ${unpacked} FROM (${inner})`;
}

/**
 * Visit rows (`visitRows`, a SELECT over `events`) with their pages: `s_pages`, one element
 * per page the visit had an event on (a page view or a custom event: a page row counts
 * both, docs/METRICS.md) — `p` the path, `pv` its page views, `ev` its events, and whose
 * they were: `v` the visitor id, or, when several (a signed-in user's visit across
 * devices), all of them in `vs`. A page breakdown of visits picked by their attributes then
 * reads visit rows alone, without joining the events to them.
 */
export function withVisitPages(visitRows: Sql, events: string): Sql {
  const pages = spelled(
    (d) => `SELECT session_id, ${d.listOf(d.record(PAGE_FIELDS))} AS s_pages FROM (
      SELECT session_id, pathname, (count(*) FILTER (WHERE event_name = 'pageview'))::BIGINT AS pv, count(*)::BIGINT AS ev,
        min(visitor_id) AS v, ${d.severalDistinct('visitor_id')} AS vs
      FROM ${events} GROUP BY session_id, pathname) GROUP BY session_id`,
  );
  return sql`SELECT r.*, pg.s_pages FROM (${visitRows}) r LEFT JOIN (${pages}) pg USING (session_id)`;
}

/** An element of `s_pages`: the page, its page views and events in the visit, its (first) visitor, and its visitors when several. */
const PAGE_FIELDS = [
  ['p', 'pathname'],
  ['pv', 'pv'],
  ['ev', 'ev'],
  ['v', 'v'],
  ['vs', 'vs'],
] as const;
const pageField = (d: Dialect, name: (typeof PAGE_FIELDS)[number][0]) =>
  d.recordField(
    'pg',
    PAGE_FIELDS,
    PAGE_FIELDS.findIndex(([n]) => n === name),
  );

/** Which columns of a visit row a plan reads besides its attributes (a stored row has them all). */
type VisitNeeds = readonly (keyof ReturnType<typeof visitCounts> | 's_pages')[];
/** The columns of a visit row that visit metrics read. */
const VISIT_ROW_COUNTS: VisitNeeds = ['s_events', 's_duration_ms'];
/** Visit rows joined to their events. */
const JOINED: VisitNeeds = ['session_id', ...VISIT_ROW_COUNTS];
/** Visit rows alone: their own counts and visitors. */
const ALONE: VisitNeeds = ['s_events', 's_pageviews', 's_duration_ms', 's_visitor', 's_visitors'];
/** The visit start too when a time dimension buckets visits by it. */
const withStart = (q: StatsQuery, needs: VisitNeeds): VisitNeeds =>
  q.dimensions.some((d) => d.unit !== undefined) ? [...needs, 's_start'] : needs;

/**
 * The `sess` CTE: precomputed visit rows when the sources have them, else grouped from `ev`
 * (then with every column; `s_pages` only with precomputed rows).
 */
function visitsCte(src: Sources, attrs: ReadonlyMap<string, VisitColumn>, needs: VisitNeeds = JOINED): Sql {
  // Grouped from the events, the visit rows are read by several parts of the statement.
  if (!src.visits) return sql`${cteHead('sess', 'shared')} (${visitRowSelect('ev', 'local_ts', attrs)})`;
  const columns = [...needs, ...[...attrs.keys()].map((a) => `v_${a}`)].join(', ');
  const stored = `SELECT ${columns} FROM ${src.visits}`;
  const pages = needs.includes('s_pages');
  // Page lists are large: each reader of `sess` reads the columns it needs instead of
  // every reader scanning a materialized copy with them.
  const name = cteHead('sess', pages ? 'inline' : undefined);
  if (!src.visitsScan || src.visitsScan.length === 0) return sql`${name} (${fragment(stored)})`;
  const scanned = visitRowSelect('scan_ev', 'local_ts', attrs);
  return sql`scan_ev AS (SELECT * FROM ev WHERE ${join(src.visitsScan.map(inRange), ' OR ')}),
    ${name} (${fragment(stored)} UNION ALL SELECT ${fragment(columns)} FROM (${pages ? withVisitPages(scanned, 'scan_ev') : scanned}))`;
}

/**
 * CTEs ending in `scoped`: the site's events in the period that pass the filters, with
 * every event column (a filter on a visit attribute keeps the whole visits that have it).
 * The behavioral analyses start from here, so they see exactly the rows the stats see.
 *
 * `carry`: dimensions the statement groups `scoped` by; a visit dimension's attribute is
 * joined to every event as its `v_<alias>` column (the dimension's expression).
 *
 * `reread`: a statement that reads `scoped` twice reads the files twice instead of the
 * engine keeping a copy of every row in scope, which at 10M events does not fit the memory
 * limit and goes to disk (flow's first statement: 2.7 → 1.5 s).
 */
export function scopedEvents(
  source: string | Sources,
  q: Pick<StatsQuery, 'siteId' | 'period' | 'filters' | 'ranges'>,
  opts: { reread?: boolean; carry?: readonly Dimension[] } = {},
): Sql[] {
  const src = typeof source === 'string' ? { events: source } : source;
  const use = opts.reread ? 'inline' : undefined;
  const visitCols = new Map<string, VisitColumn>();
  const carried = (opts.carry ?? []).flatMap((d) => (d.visitColumn ? [d.visitColumn] : []));
  for (const c of [...filterDimensions(q.filters).flatMap((d) => (d.visitColumn ? [d.visitColumn] : [])), ...carried]) {
    visitCols.set(c.alias, c);
  }
  if (visitCols.size === 0) {
    return [
      eventsInPeriod(src.events, q, use),
      sql`${cteHead('scoped', use)} (SELECT * FROM ev WHERE ${compileFilters(q.filters)})`,
    ];
  }
  // A carried visit dimension's column rides along on each event (`v_<alias>`), for grouping.
  const extra = [...new Set(carried.map((c) => `, sess.v_${c.alias}`))].join('');
  return [
    eventsInPeriod(src.events, q, use),
    src.visits
      ? visitsCte(src, visitCols, ['session_id'])
      : sql`sess AS (${visitAttrsSelect('ev', fragment('session_id'), visitCols)})`,
    sql`${cteHead('scoped', use)} (SELECT ev.*${raw(extra)} FROM ev JOIN sess USING (session_id) WHERE ${compileFilters(q.filters)})`,
  ];
}

/** `name AS` with the engine's hint for how the CTE is used (Dialect.cte); none: the engine's default. */
const cteHead = (name: string, use?: 'materialized' | 'inline' | 'shared') =>
  use ? spelled((d) => d.cte(name, use)) : fragment(`${name} AS`);

/** The start of `expr`'s bucket, in the engine's spelling. */
const truncated = (unit: TimeUnit, expr: string) => spelled((d) => d.truncate(unit, expr));

/** Column alias of the i-th dimension in the result. */
export const dimAlias = (i: number) => `d${i}`;

/** Every visit attribute, for the derived visits table. */
export const ALL_VISIT_ATTRS: ReadonlyMap<string, VisitColumn> = new Map(
  visitDimensions().flatMap((d) => (d.visitColumn ? [[d.visitColumn.alias, d.visitColumn] as const] : [])),
);

/** The aliases of the visit attributes a stored visit row has (`v_<alias>` columns), in column order. */
export const VISIT_ATTRIBUTE_ALIASES: readonly string[] = [...ALL_VISIT_ATTRS.keys()];

/** The final statement: counts, ratios' parts and percentage per group, ordered and paged. */
export function buildQuery(src: Sources, q: StatsQuery): Sql {
  return assemble(q, planParts(src, q), 'final');
}

/**
 * Only the counts per group (dimension aliases, visitors, pageviews, events, visits,
 * bounces, duration_ms): no total, order or paging. Counts of disjoint day ranges add up.
 */
export function buildCounts(src: Sources, q: StatsQuery): Sql {
  return assemble({ ...q, metrics: [...new Set<Metric>([...q.metrics, 'visits'])] }, planParts(src, q), 'counts');
}

function planParts(src: Sources, q: StatsQuery): { parts: Sql[]; withVisits: boolean } {
  const dims = q.dimensions;
  const needVisits = q.metrics.some((m) => VISIT_METRICS.has(m));
  const visitCols = new Map<string, VisitColumn>();
  for (const d of [...dims, ...filterDimensions(q.filters), ...filterDimensions(q.totalFilters ?? [])]) {
    if (d.visitColumn) visitCols.set(d.visitColumn.alias, d.visitColumn);
  }
  // Events need their visit's attributes only when a dimension or filter reads one.
  const joinVisits = visitCols.size > 0;

  const restrictions: Sql[] = [];
  if (q.customEventsOnly) restrictions.push(sql`event_name <> 'pageview'`);
  if (q.pageviewsOnly) restrictions.push(sql`event_name = 'pageview'`);
  const unfiltered = q.filters.length === 0 && restrictions.length === 0;

  const aliases = dims.map((_, i) => dimAlias(i));
  const groupBy = dims.length > 0 ? fragment(` GROUP BY ${aliases.join(', ')}`) : fragment('');
  const dimSelect = join(
    dims.map((d, i) => sql`${d.expr} AS ${raw(aliases[i] ?? '')}`),
    ', ',
  );

  // A time bucket of visit rows is that of the visit's start.
  const visitDims = () =>
    join(
      dims.map((d, i) =>
        d.unit ? sql`${truncated(d.unit, 's_start')} AS ${raw(aliases[i] ?? '')}` : sql`${d.expr} AS ${raw(aliases[i] ?? '')}`,
      ),
      ', ',
    );
  const grain = (): Grain => ({ src, q, visitCols, dimSelect: visitDims(), groupBy, aliases });
  if (visitGrain(q, restrictions.length)) return { parts: visitGrainParts(grain()), withVisits: true };
  if (src.visits && pageGrain(q)) return { parts: pageGrainParts(grain()), withVisits: true };

  // The visitor total: from visit rows when every filter reads visit attributes (the visits
  // that pass hold exactly the visitors of the events that pass), else from the events.
  const visitLevel = (d: Dimension) => d.level === 'visit';
  const totalFrom = !needsTotal(q)
    ? 'none'
    : src.visits && filterDimensions([...q.filters, ...(q.totalFilters ?? [])]).every(visitLevel)
      ? 'visits'
      : q.totalFilters
        ? 'events'
        : 'base';
  // Unless the total is counted from `base`, `base` holds only the rows the groups count.
  const restricted = totalFrom === 'base' ? [] : restrictions;

  const parts: Sql[] = [eventsInPeriod(src.events, q)];
  const needs = totalFrom === 'visits' ? ([...JOINED, 's_visitor', 's_visitors'] as const) : JOINED;
  if (needVisits || joinVisits || totalFrom === 'visits') parts.push(visitsCte(src, visitCols, withStart(q, needs)));
  // `base` keeps only what the groupings read, the dimensions already computed: joined to
  // visits it is materialized (read by several groupings), and every other column would
  // be held in memory for nothing.
  // Joined to visits anyway, `base` also carries what visit metrics read, so `vg` needs no
  // second join of the visit rows.
  const carried = joinVisits && needVisits ? fragment(`, ${withStart(q, VISIT_ROW_COUNTS).join(', ')}`) : sql``;
  const kept = sql`session_id, visitor_id, event_name${carried}${dims.length > 0 ? sql`, ${dimSelect}` : sql``}`;
  const where = join([compileFilters(q.filters), ...restricted], ' AND ');
  const unrestricted = restrictions.filter((r) => !restricted.includes(r));
  parts.push(
    joinVisits
      ? sql`${cteHead('base', 'materialized')} (SELECT ${kept} FROM ev JOIN sess USING (session_id) WHERE ${where})`
      : sql`base AS (SELECT ${kept} FROM ev WHERE ${where})`,
    sql`rows AS (SELECT * FROM base WHERE ${unrestricted.length > 0 ? join(unrestricted, ' AND ') : sql`TRUE`})`,
    totalFrom === 'none'
      ? NO_TOTAL
      : totalFrom === 'visits'
        ? visitTotal(q)
        : totalFrom === 'events'
          ? sql`total AS (SELECT count(DISTINCT visitor_id) AS visitors FROM ${joinVisits ? sql`ev JOIN sess USING (session_id)` : sql`ev`}
          WHERE ${compileFilters(q.totalFilters ?? [])})`
          : sql`total AS (SELECT count(DISTINCT visitor_id) AS visitors FROM base)`,
    sql`g AS (SELECT ${dims.length > 0 ? fragment(`${aliases.join(', ')}, `) : sql``}count(DISTINCT visitor_id) AS visitors,
        count(*) FILTER (WHERE event_name = 'pageview') AS pageviews, count(*) AS events FROM rows${groupBy})`,
  );
  if (needVisits) {
    const visitMetrics = fragment(VISIT_COUNTS_SQL);
    if (unfiltered && dims.every((d) => d.unit !== undefined)) {
      // Every visit counts, once, in the bucket it starts in: straight from the visit table.
      const starts = dims.map((d, i) => sql`${truncated(d.unit ?? 'day', 's_start')} AS ${raw(aliases[i] ?? '')}`);
      parts.push(
        sql`vg AS (SELECT ${dims.length > 0 ? sql`${join(starts, ', ')}, ` : sql``}${visitMetrics} FROM sess${groupBy})`,
      );
    } else {
      // Each visit once per group; under a time dimension a visit belongs to the bucket it starts in.
      const keyed = dims.flatMap((d, i) => (d.unit ? [] : [fragment(aliases[i] ?? '')]));
      const outer = dims.map((d, i) =>
        d.unit ? sql`${truncated(d.unit, 's_start')} AS ${raw(aliases[i] ?? '')}` : fragment(aliases[i] ?? ''),
      );
      const distinct = sql`SELECT DISTINCT ${keyed.length > 0 ? sql`${join(keyed, ', ')}, ` : sql``}session_id${carried} FROM rows`;
      const visitRows = joinVisits ? sql`(${distinct}) dv` : sql`(${distinct}) dv JOIN sess USING (session_id)`;
      parts.push(sql`vg AS (SELECT ${dims.length > 0 ? sql`${join(outer, ', ')}, ` : sql``}${visitMetrics}
        FROM ${visitRows}${groupBy})`);
    }
  }
  return { parts, withVisits: needVisits };
}

/** A group's event counts, named: a column read through a table name is not named after the column everywhere. */
const GROUP_COUNTS = fragment('g.visitors AS visitors, g.pageviews AS pageviews, g.events AS events');

/**
 * The SELECT after the CTEs, shared by every plan: `g` holds event counts, `vg` visit
 * counts, `total` the visitor total, per group. `counts` mode leaves out what does not add
 * up across day ranges (the total, order and paging).
 */
export function assemble(
  q: StatsQuery,
  { parts, withVisits }: { parts: readonly Sql[]; withVisits: boolean },
  mode: 'final' | 'counts',
): Sql {
  const aliases = q.dimensions.map((_, i) => dimAlias(i));
  const visitJoin = withVisits
    ? aliases.length > 0
      ? fragment(` LEFT JOIN vg USING (${aliases.join(', ')})`)
      : fragment(' CROSS JOIN vg')
    : fragment('');
  const visitSelect = withVisits
    ? sql`, coalesce(vg.visits, 0) AS visits, coalesce(vg.bounces, 0) AS bounces, coalesce(vg.duration_ms, 0) AS duration_ms`
    : sql``;
  const dimOut = aliases.length > 0 ? fragment(`${aliases.map((a) => `g.${a} AS ${a}`).join(', ')}, `) : sql``;
  if (mode === 'counts') {
    // Every count column, so that counts of several sources line up by position (rollup-query.ts).
    const noVisits = fragment(
      ', CAST(NULL AS BIGINT) AS visits, CAST(NULL AS BIGINT) AS bounces, CAST(NULL AS BIGINT) AS duration_ms',
    );
    return sql`WITH ${join(parts, ',\n')}
    SELECT ${dimOut}${GROUP_COUNTS}${withVisits ? visitSelect : noVisits} FROM g${visitJoin}`;
  }
  return sql`WITH ${join(parts, ',\n')}
    SELECT ${dimOut}${GROUP_COUNTS}${visitSelect}, total.visitors AS total_visitors
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
    q.dimensions.every((d) => visitLevel(d) || wholeVisitBucket(q, d)) &&
    filterDimensions(q.filters).every(visitLevel) &&
    filterDimensions(q.totalFilters ?? []).every(visitLevel)
  );
}

/**
 * A time bucket that holds every event of each visit starting in it: a UTC day, week or
 * month (visits never cross a UTC midnight). Grouping visit rows by their start is then
 * the same as grouping their events.
 */
const wholeVisitBucket = (q: StatsQuery, d: Dimension) =>
  (d.unit === 'day' || d.unit === 'week' || d.unit === 'month') && !q.period.timezone;

/**
 * The visitor ids of visit rows, one row per visit and visitor: `s_visitor`, or every id of
 * `s_visitors` for a visit with several (see `visitRowSelect`).
 */
const visitorIds = (select: Sql, from: string, where: Sql) =>
  spelled(
    (d) => sql`SELECT ${select}visitor_id FROM (
        SELECT *, s_visitor AS visitor_id FROM ${fragment(from)} WHERE ${fragment(d.listLength('s_visitors'))} <= 1
        UNION ALL SELECT *, ${fragment(d.unnest('s_visitors'))} AS visitor_id FROM ${fragment(from)}
          WHERE ${fragment(d.listLength('s_visitors'))} > 1) WHERE ${where}`,
  );

/**
 * The visitor total of the visit rows of `sess` that pass the total filters, or else the
 * filters (`ids`: their visitor ids, when the plan has them already).
 */
const visitTotal = (q: StatsQuery, ids?: Sql) =>
  !needsTotal(q)
    ? NO_TOTAL
    : sql`total AS (SELECT count(DISTINCT visitor_id) AS visitors FROM ${
        !q.totalFilters && ids ? ids : sql`(${visitorIds(sql``, 'sess', compileFilters(q.totalFilters ?? q.filters))})`
      })`;

/** `g` from visit counts per group (`vg`, with pageviews and events) and visitors per group (`gv`). */
const groupsOf = (aliases: readonly string[]) =>
  aliases.length > 0
    ? sql`g AS (SELECT ${fragment(aliases.join(', '))}, gv.visitors, vg.pageviews, vg.events FROM vg JOIN gv USING (${fragment(aliases.join(', '))}))`
    : sql`g AS (SELECT gv.visitors, vg.pageviews, vg.events FROM vg CROSS JOIN gv)`;

/** What a plan over visit rows is built from: the query, its visit attributes, dimensions and grouping. */
interface Grain {
  src: Sources;
  q: StatsQuery;
  visitCols: ReadonlyMap<string, VisitColumn>;
  /** The dimensions as select items (time buckets of the visit's start). */
  dimSelect: Sql;
  groupBy: Sql;
  aliases: readonly string[];
}

/** The visit-grain plan: groups of visit rows (see `visitRowSelect` for visitors). */
function visitGrainParts({ src, q, visitCols, dimSelect, groupBy, aliases }: Grain): Sql[] {
  const lead = aliases.length > 0 ? sql`${dimSelect}, ` : sql``;
  const dims = aliases.length > 0 ? fragment(`${aliases.join(', ')}, `) : sql``;
  return [
    eventsInPeriod(src.events, q),
    visitsCte(src, visitCols, withStart(q, ALONE)),
    sql`base AS (SELECT * FROM sess WHERE ${compileFilters(q.filters)})`,
    sql`ids AS (${visitorIds(lead, 'base', sql`TRUE`)})`,
    visitTotal(q, fragment('ids')),
    sql`vg AS (SELECT ${lead}${fragment(VISIT_COUNTS_SQL)},
        coalesce(sum(s_pageviews), 0) AS pageviews, coalesce(sum(s_events), 0) AS events FROM base${groupBy})`,
    sql`gv AS (SELECT ${dims}count(DISTINCT visitor_id) AS visitors FROM ids${groupBy})`,
    groupsOf(aliases),
  ];
}

/**
 * Whether a page breakdown can be answered from visit rows and their pages (`s_pages`):
 * one `event:page` dimension, every other dimension and every filter a visit attribute
 * (or a time bucket holding whole visits). Each (visit, page) pair is then one element.
 * With stored visit rows the builder then takes the page-grain plan (`X-Mallard-Plan: pages`).
 */
export function pageGrain(q: StatsQuery): boolean {
  const visitLevel = (d: Dimension) => d.level === 'visit';
  return (
    !q.customEventsOnly &&
    !q.pageviewsOnly &&
    q.dimensions.filter((d) => d.name === 'event:page').length === 1 &&
    q.dimensions.every((d) => d.name === 'event:page' || visitLevel(d) || wholeVisitBucket(q, d)) &&
    filterDimensions(q.filters).every(visitLevel) &&
    filterDimensions(q.totalFilters ?? []).every(visitLevel)
  );
}

/**
 * The page-grain plan: the visits that pass the filters, one row per page each had an event
 * on and per visitor (`pathname`, its page views and events, a visitor id of them), grouped
 * in one pass. The first visitor's row (`k = 1`) of a page is one visit in its group, with
 * the page's page views and events.
 */
function pageGrainParts({ src, q, visitCols, dimSelect, groupBy, aliases }: Grain): Sql[] {
  const dims = fragment(`${aliases.join(', ')}, `);
  const firstOf = (c: string) => `coalesce(sum(${c}) FILTER (WHERE k = 1), 0)::BIGINT`;
  return [
    eventsInPeriod(src.events, q),
    visitsCte(src, visitCols, withStart(q, [...ALONE, 's_pages'])),
    sql`pages AS (SELECT ${dimSelect}, s_events, s_duration_ms, pv, ev, ${spelled((d) => d.unnestNumbered('who', 'visitor_id', 'k'))}
        FROM (SELECT *, ${spelled((d) => `${pageField(d, 'p')} AS pathname, ${pageField(d, 'pv')} AS pv, ${pageField(d, 'ev')} AS ev, ${d.listOr(pageField(d, 'vs'), pageField(d, 'v'))} AS who`)}
          FROM (SELECT *, ${spelled((d) => d.unnest('s_pages'))} AS pg FROM sess WHERE ${compileFilters(q.filters)})))`,
    // The total is of every visitor of the visits, not only of the pages shown.
    visitTotal(q),
    sql`vg AS (SELECT ${dims}${fragment(visitCountsSql('k = 1'))}, ${fragment(firstOf('pv'))} AS pageviews,
        ${fragment(firstOf('ev'))} AS events, count(DISTINCT visitor_id) AS visitors FROM pages${groupBy})`,
    sql`g AS (SELECT ${dims}visitors, pageviews, events FROM vg)`,
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
    else terms.push(`${orderExpr(o.key as Metric)} ${dir} NULLS LAST`);
  }
  if (explicit.length === 0) {
    const timeFirst = q.dimensions.findIndex((d) => d.level === 'time');
    if (timeFirst >= 0) terms.push(`g.${dimAlias(timeFirst)} ASC`);
    else if (q.dimensions.length > 0) terms.push('g.visitors DESC');
  }
  for (let i = 0; i < q.dimensions.length; i++) terms.push(`g.${dimAlias(i)} ASC`);
  return terms.length > 0 ? fragment(`ORDER BY ${terms.join(', ')}`) : sql``;
}
