/**
 * The stats queries, built once from a query description (site, period, dimension,
 * paging) with every value bound. Visit-level metrics come from one per-session
 * aggregate (`sessions` CTE), so no query needs a window over all events.
 */
import type { QueryRunner } from '../storage/storage.js';
import type { Dimension } from './dimensions.js';
import { type Interval, type Period, tsParam } from './period.js';
import { raw, render, type Sql, sql } from './sql.js';

export interface StatsQuery {
  siteId: string;
  period: Period;
}

const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

async function run<T>(q: QueryRunner, query: Sql): Promise<T[]> {
  const { text, params } = render(query);
  return q.all<T>(text, params);
}

/** Rows of one site in the period, and the per-visit aggregate over them. */
function scope(q: QueryRunner, s: StatsQuery): Sql {
  return sql`ev AS (SELECT * FROM ${raw(q.events)} e
      WHERE site_id = ${s.siteId} AND timestamp >= ${tsParam(s.period.from)}::TIMESTAMP AND timestamp < ${tsParam(s.period.to)}::TIMESTAMP),
    sessions AS (SELECT session_id, count(*) AS n, (epoch_ms(max(timestamp)) - epoch_ms(min(timestamp))) / 1000.0 AS dur,
      min(timestamp) AS started FROM ev GROUP BY session_id)`;
}

export interface MainStats {
  unique_visitors: number;
  visits: number;
  total_pageviews: number;
  views_per_visit: number;
  bounce_rate: number;
  avg_visit_duration_secs: number;
  events: number;
}

export async function mainStats(q: QueryRunner, s: StatsQuery): Promise<MainStats> {
  const rows = await run<Record<string, unknown>>(
    q,
    sql`WITH ${scope(q, s)}
    SELECT (SELECT count(DISTINCT visitor_id) FROM ev) AS visitors,
           (SELECT count(*) FILTER (WHERE event_name = 'pageview') FROM ev) AS pageviews,
           (SELECT count(*) FROM ev) AS events,
           count(*) AS visits, avg((n = 1)::INTEGER) AS bounce_rate, avg(dur) AS duration
    FROM sessions`,
  );
  const r = rows[0] ?? {};
  const visits = num(r.visits);
  return {
    unique_visitors: num(r.visitors),
    visits,
    total_pageviews: num(r.pageviews),
    views_per_visit: visits === 0 ? 0 : round(num(r.pageviews) / visits, 2),
    bounce_rate: round(num(r.bounce_rate), 4),
    avg_visit_duration_secs: Math.round(num(r.duration)),
    events: num(r.events),
  };
}

export interface TimeBucket {
  date: string;
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
  visit_duration: number;
}

const STEP: Record<Exclude<Interval, 'minute'>, string> = {
  hour: 'INTERVAL 1 HOUR',
  day: 'INTERVAL 1 DAY',
  week: 'INTERVAL 7 DAY',
  month: 'INTERVAL 1 MONTH',
};

/** One row per bucket from the period's start, zero-filled; a visit counts in the bucket it starts in. */
export async function timeseries(q: QueryRunner, s: StatsQuery, interval: Exclude<Interval, 'minute'>): Promise<TimeBucket[]> {
  const unit = raw(`'${interval}'`);
  const rows = await run<Record<string, unknown>>(
    q,
    sql`WITH ${scope(q, s)},
    buckets AS (SELECT unnest(generate_series(date_trunc(${unit}, ${tsParam(s.period.from)}::TIMESTAMP),
                                              ${tsParam(s.period.to)}::TIMESTAMP - INTERVAL 1 MICROSECOND, ${raw(STEP[interval])})) AS bucket),
    per_event AS (SELECT date_trunc(${unit}, timestamp) AS bucket, count(DISTINCT visitor_id) AS visitors,
                         count(*) FILTER (WHERE event_name = 'pageview') AS pageviews FROM ev GROUP BY 1),
    per_visit AS (SELECT date_trunc(${unit}, started) AS bucket, count(*) AS visits, avg((n = 1)::INTEGER) AS bounce_rate,
                         avg(dur) AS duration FROM sessions GROUP BY 1)
    SELECT strftime(b.bucket, ${interval === 'hour' ? '%Y-%m-%d %H:00:00' : '%Y-%m-%d'}) AS date,
           e.visitors, v.visits, e.pageviews, v.bounce_rate, v.duration
    FROM buckets b LEFT JOIN per_event e USING (bucket) LEFT JOIN per_visit v USING (bucket) ORDER BY b.bucket`,
  );
  return rows.map((r) => ({
    date: String(r.date),
    visitors: num(r.visitors),
    visits: num(r.visits),
    pageviews: num(r.pageviews),
    bounce_rate: round(num(r.bounce_rate), 4),
    visit_duration: Math.round(num(r.duration)),
  }));
}

/** The first day with data, for `period=all`. */
export async function firstEventAt(q: QueryRunner, siteId: string): Promise<Date | null> {
  const rows = await run<{ first: Date | null }>(
    q,
    sql`SELECT min(timestamp) AS first FROM ${raw(q.events)} e WHERE site_id = ${siteId}`,
  );
  return rows[0]?.first ?? null;
}

export interface BreakdownRow {
  value: string;
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
  visit_duration: number;
  percentage: number;
}

export async function breakdown(
  q: QueryRunner,
  s: StatsQuery,
  dim: Dimension,
  limit: number,
  page: number,
): Promise<BreakdownRow[]> {
  const rows = await run<Record<string, unknown>>(
    q,
    sql`WITH ${scope(q, s)}, ${dim.level === 'visit' ? visitValues(dim) : eventValues(dim)},
    total AS (SELECT count(DISTINCT visitor_id) AS visitors FROM ev)
    SELECT p.value, p.visitors, p.visits, p.pageviews, p.bounce_rate, p.duration, p.visitors * 100.0 / nullif(t.visitors, 0) AS percentage
    FROM per_value p CROSS JOIN total t
    ORDER BY p.visitors DESC, p.value ASC LIMIT ${limit} OFFSET ${(page - 1) * limit}`,
  );
  return rows.map((r) => ({
    value: String(r.value),
    visitors: num(r.visitors),
    visits: num(r.visits),
    pageviews: num(r.pageviews),
    bounce_rate: round(num(r.bounce_rate), 4),
    visit_duration: Math.round(num(r.duration)),
    percentage: round(num(r.percentage), 1),
  }));
}

/** per_value for an event dimension: rows carrying the value; visit metrics over the visits that include it. */
function eventValues(dim: Dimension): Sql {
  const rowsFilter = dim.pageviewsOnly ? raw("WHERE event_name = 'pageview'") : raw('');
  return sql`tagged AS (SELECT ${raw(dim.expr)} AS value, visitor_id, session_id, event_name FROM ev ${rowsFilter}),
    per_event AS (SELECT value, count(DISTINCT visitor_id) AS visitors, count(DISTINCT session_id) AS visits,
                         count(*) FILTER (WHERE event_name = 'pageview') AS pageviews FROM tagged GROUP BY value),
    value_visits AS (SELECT DISTINCT value, session_id FROM tagged),
    per_visit AS (SELECT vv.value, avg((s.n = 1)::INTEGER) AS bounce_rate, avg(s.dur) AS duration
                  FROM value_visits vv JOIN sessions s USING (session_id) GROUP BY vv.value),
    per_value AS (SELECT * FROM per_event JOIN per_visit USING (value))`;
}

/** per_value for a visit dimension: each visit contributes once, under its first event's value. */
function visitValues(dim: Dimension): Sql {
  return sql`visit_values AS (SELECT session_id, first(${raw(dim.expr)} ORDER BY timestamp, seq) AS value, any_value(visitor_id) AS visitor_id,
                            count(*) FILTER (WHERE event_name = 'pageview') AS pageviews FROM ev GROUP BY session_id),
    per_value AS (SELECT v.value, count(DISTINCT v.visitor_id) AS visitors, count(*) AS visits, sum(v.pageviews) AS pageviews,
                         avg((s.n = 1)::INTEGER) AS bounce_rate, avg(s.dur) AS duration
                  FROM visit_values v JOIN sessions s USING (session_id) GROUP BY v.value)`;
}

export async function realtimeVisitors(q: QueryRunner, siteId: string, now = new Date()): Promise<number> {
  const rows = await run<{ visitors: bigint }>(
    q,
    sql`SELECT count(DISTINCT visitor_id) AS visitors FROM ${raw(q.events)} e
        WHERE site_id = ${siteId} AND timestamp >= ${tsParam(new Date(now.getTime() - 5 * 60_000))}::TIMESTAMP`,
  );
  return num(rows[0]?.visitors);
}
