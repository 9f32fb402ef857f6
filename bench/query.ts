/**
 * Query benchmark: how long do the dashboard's stats queries take on a large data set, and
 * how does that compare with the most direct SQL for the same question, run straight on
 * DuckDB over the same Parquet files? Also checks that both give the same numbers.
 *
 *   npm run build && node --import tsx bench/query.ts
 *
 * 1. A synthetic data set (bench/generate.ts) in the server's cold-tier layout, cached under
 *    the temp dir by its parameters (generated once, reused by later runs).
 * 2. The real server (`node dist/main.js serve`, see bench/server.ts) in a child process on a fresh data
 *    directory whose `events` is a symbolic link to the cached files; sign-in with the
 *    admin password.
 * 3. Every stats endpoint over the generated 30 days (start_date/end_date, since `30d` is
 *    relative to today), without and with filters (a country filter and a page filter;
 *    by default for a few endpoints, BENCH_FILTERS=all for every one).
 * 4. The same questions as plain SQL on a fresh in-process DuckDB instance (same thread
 *    count), same method; a table of both and their ratio, and an equality check.
 *
 * Per query: 1 warm-up, then up to 5 timed runs, median — but at most about
 * BENCH_QUERY_BUDGET seconds of timed runs per query, and a query whose warm-up alone takes
 * longer is timed by that one run (on 2 cores and 10M events a breakdown takes seconds;
 * 5 + 1 runs of everything would take over an hour). BENCH_QUERY_BUDGET=0 runs all.
 *
 * Environment: BENCH_EVENTS (10000000), BENCH_RUNS (5), BENCH_WARMUP (1),
 * BENCH_QUERY_BUDGET (2 seconds; 0 = no limit), BENCH_FILTERS (some | all | 0),
 * BENCH_TMPDIR (os.tmpdir(); where the data set is cached), BENCH_ONLY (a regular expression
 * on the endpoint labels, e.g. 'sessions|funnel|retention|sequences|flow'). See bench/README.md,
 * "Query benchmark".
 */
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { ClickHousePeer, overviewQuestions } from './clickhouse.js';
import { type Dataset, ensureDataset, MAIN_SITE, SMALL_SITE } from './generate.js';
import { BenchFailure, cpuSeconds, envInt, machineBusySeconds, memory, TMP } from './lib.js';
import { serverOutput, signIn, startServer, stopServer, waitForDerived } from './server.js';

// ---------------------------------------------------------------------------------------
// settings

const EVENTS = envInt('BENCH_EVENTS', 10_000_000, 1000, 1_000_000_000);
const RUNS = envInt('BENCH_RUNS', 5, 1, 1000);
const WARMUP = envInt('BENCH_WARMUP', 1, 0, 100);
const FILTERS = (process.env.BENCH_FILTERS || 'some') as 'some' | 'all' | '0';
if (!['some', 'all', '0'].includes(FILTERS)) throw new Error('BENCH_FILTERS must be some, all or 0');
const QUERY_BUDGET_MS = Number(process.env.BENCH_QUERY_BUDGET ?? 2) * 1000;
if (!Number.isFinite(QUERY_BUDGET_MS) || QUERY_BUDGET_MS < 0) throw new Error('BENCH_QUERY_BUDGET must be seconds >= 0');
/** Endpoints also timed with filters when BENCH_FILTERS=some. */
const FILTERED_SOME = new Set([
  'main',
  'timeseries day (30 d)',
  'timeseries hour (1 d)',
  'breakdown/pages',
  'breakdown/sources',
  'breakdown/countries',
]);
const DAYS = 30;
/** `0` skips the ClickHouse peer (bench/clickhouse.ts). */
const CLICKHOUSE = process.env.BENCH_CLICKHOUSE !== '0';
/** Only the endpoints whose label matches this regular expression (e.g. BENCH_ONLY='funnel|flow'). */
const ONLY = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : null;
const BEHAVIORAL_PATHS = new Set(['sessions', 'funnel', 'retention', 'sequences', 'flow'].map((e) => `/api/stats/${e}`));

const T0 = performance.now();

const log = (line: string) => console.log(`[${((performance.now() - T0) / 1000).toFixed(1).padStart(6)} s] ${line}`);

// ---------------------------------------------------------------------------------------
// what is measured

interface Filter {
  label: string;
  /** Plausible v2 filter JSON for the server. */
  json: unknown[];
  /** The same for the direct SQL: column = value, on the visit's first event (visit) or on each event (event). */
  column: string;
  value: string;
  level: 'visit' | 'event';
}

interface Range {
  from: string; // YYYY-MM-DD, inclusive
  to: string; // YYYY-MM-DD, inclusive
}

interface Endpoint {
  label: string;
  path: string;
  params: Record<string, string>;
  site: string;
  range: Range;
  /** The direct SQL for this question, with an optional row filter. */
  direct: (filter: Filter | null) => string;
  filterable: boolean;
}

const lit = (s: string) => `'${s.replaceAll("'", "''")}'`;
const notSet = (col: string) => `coalesce(nullif(${col}, ''), '(not set)')`;

/** Visit dimensions: a visit's value is that of its first event (as in Plausible). */
const VISIT_DIMS: Record<string, string> = {
  sources: "coalesce(nullif(referrer_source, ''), 'Direct / None')",
  referrers: "coalesce(nullif(referrer, ''), 'Direct / None')",
  channels: notSet('channel'),
  'utm-source': notSet('utm_source'),
  'utm-medium': notSet('utm_medium'),
  'utm-campaign': notSet('utm_campaign'),
  'utm-content': notSet('utm_content'),
  'utm-term': notSet('utm_term'),
  browsers: notSet('browser'),
  'browser-versions': `${notSet('browser')} || ' ' || ${notSet('browser_version')}`,
  os: notSet('os'),
  'os-versions': `${notSet('os')} || ' ' || ${notSet('os_version')}`,
  devices: notSet('device_type'),
  'screen-sizes': notSet('device_type'),
  countries: notSet('country_code'),
  regions: notSet('region'),
  cities: notSet('city'),
};
/** Event dimensions: counted over every event carrying the value (a page's custom events too). */
const EVENT_DIMS: Record<string, string> = {
  pages: 'pathname',
  hostnames: notSet('hostname'),
};
const BREAKDOWNS = [
  'pages',
  'entry-pages',
  'exit-pages',
  'hostnames',
  'sources',
  'referrers',
  'channels',
  'utm-source',
  'utm-medium',
  'utm-campaign',
  'utm-content',
  'utm-term',
  'browsers',
  'browser-versions',
  'os',
  'os-versions',
  'devices',
  'screen-sizes',
  'countries',
  'regions',
  'cities',
  'events',
  'props/plan',
];

function endpoints(ds: Dataset, glob: string): Endpoint[] {
  const all: Range = { from: ds.startDate, to: ds.endDate };
  const lastDay: Range = { from: ds.endDate, to: ds.endDate };
  const dayAfter = (d: string) => new Date(Date.parse(`${d}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  const dur = '(epoch_ms(max(timestamp)) - epoch_ms(min(timestamp))) / 1000.0';
  /** A visit's entry page: its first page view's path. */
  const ENTRY = "arg_min(pathname, timestamp) FILTER (WHERE event_name = 'pageview')";
  const pv = "count(*) FILTER (WHERE event_name = 'pageview')";
  /**
   * `ev`: the site's events in the range; with a visit-level filter, only the visits whose
   * first event matches (all their events). An event-level filter defines `fe`, the matching
   * events: event metrics count those, visit metrics count the visits that have one,
   * measured over all their events (`ev`). (In this data set a visit's country is that of
   * all its events, so a plain row condition would give the same numbers, cheaper; but not
   * in general: a visit of a signed-in user may change address, so the server cannot.)
   */
  const scope = (site: string, r: Range, f: Filter | null) => {
    const src = `read_parquet(${lit(glob)}, hive_partitioning = true)
      WHERE site_id = ${lit(site)} AND timestamp >= TIMESTAMP ${lit(r.from)} AND timestamp < TIMESTAMP ${lit(dayAfter(r.to))}`;
    const visits =
      f?.level === 'visit'
        ? `AND session_id IN (SELECT session_id FROM ${src} GROUP BY session_id HAVING arg_min(${f.column}, timestamp) = ${lit(f.value)})`
        : '';
    const ev = `ev AS (SELECT * FROM ${src} ${visits})`;
    if (f?.level !== 'event') return { ctes: ev, fe: 'ev', byEvent: false };
    return { ctes: `${ev}, fe AS (SELECT * FROM ev WHERE ${f.column} = ${lit(f.value)})`, fe: 'fe', byEvent: true };
  };
  /** Per visit with a matching event: its visitor and matching page views. */
  const fs = `fs AS (SELECT session_id, any_value(visitor_id) AS visitor_id, count(*) AS events, ${pv} AS pv FROM fe GROUP BY session_id)`;

  const main = (site: string) => (f: Filter | null) => {
    const sc = scope(site, all, f);
    if (!sc.byEvent)
      return `WITH ${sc.ctes},
     s AS (SELECT session_id, any_value(visitor_id) AS visitor_id, count(*) AS n, ${pv} AS pv, ${dur} AS dur FROM ev GROUP BY session_id)
     SELECT count(DISTINCT visitor_id) AS visitors, count(*) AS visits, sum(pv) AS pageviews, sum(n) AS events,
            avg((n = 1)::INTEGER) AS bounce_rate, avg(dur) AS duration FROM s`;
    // A page filter's bounce rate is over the visits that entered on the page (docs/METRICS.md).
    const bounced = f?.column === 'pathname' ? ` FILTER (WHERE entry = ${lit(f.value)})` : '';
    return `WITH ${sc.ctes}, ${fs},
     s AS (SELECT session_id, count(*) AS n, ${dur} AS dur, ${ENTRY} AS entry FROM ev GROUP BY session_id)
     SELECT count(DISTINCT visitor_id) AS visitors, count(*) AS visits, sum(pv) AS pageviews, sum(events) AS events,
            avg((n = 1)::INTEGER)${bounced} AS bounce_rate, avg(dur) AS duration FROM fs JOIN s USING (session_id)`;
  };

  // Visits never span a UTC day (visitor ids rotate daily), so per day one per-visit aggregate answers everything.
  const timeseriesDay = (f: Filter | null) => {
    const sc = scope(MAIN_SITE, all, f);
    const daily = `SELECT date_trunc('day', started) AS bucket, count(DISTINCT visitor_id) AS visitors, count(*) AS visits,
            sum(pv) AS pageviews, avg((n = 1)::INTEGER) AS bounce_rate, avg(dur) AS duration`;
    if (!sc.byEvent)
      return `WITH ${sc.ctes},
     s AS (SELECT session_id, any_value(visitor_id) AS visitor_id, min(timestamp) AS started, count(*) AS n, ${pv} AS pv, ${dur} AS dur
           FROM ev GROUP BY session_id)
     ${daily} FROM s GROUP BY 1 ORDER BY 1`;
    return `WITH ${sc.ctes}, ${fs},
     s AS (SELECT session_id, min(timestamp) AS started, count(*) AS n, ${dur} AS dur FROM ev GROUP BY session_id)
     ${daily} FROM fs JOIN s USING (session_id) GROUP BY 1 ORDER BY 1`;
  };
  // Per hour a visitor counts in every hour it has events in; a visit in the hour it starts.
  const timeseriesHour = (f: Filter | null) => {
    const sc = scope(MAIN_SITE, lastDay, f);
    return `WITH ${sc.ctes},
     pe AS (SELECT date_trunc('hour', timestamp) AS bucket, count(DISTINCT visitor_id) AS visitors, ${pv} AS pageviews FROM ${sc.fe} GROUP BY 1),
     pv AS (SELECT date_trunc('hour', started) AS bucket, count(*) AS visits, avg((n = 1)::INTEGER) AS bounce_rate, avg(dur) AS duration
            FROM (SELECT session_id, min(timestamp) AS started, count(*) AS n, ${dur} AS dur FROM ev GROUP BY session_id)
            ${sc.byEvent ? 'WHERE session_id IN (SELECT session_id FROM fe)' : ''} GROUP BY 1)
     SELECT * FROM pe FULL JOIN pv USING (bucket) ORDER BY bucket`;
  };

  const perValue = (from: string) =>
    `SELECT value, count(DISTINCT visitor_id) AS visitors, count(*) AS visits, sum(pv) AS pageviews, avg((n = 1)::INTEGER) AS bounce_rate,
            avg(dur) AS duration, count(DISTINCT visitor_id) * 100.0 / (SELECT count(DISTINCT visitor_id) FROM ${from}) AS percentage
     FROM ${from} WHERE value IS NOT NULL GROUP BY value ORDER BY visitors DESC, value LIMIT 100`;
  const visitBreakdown = (valueAgg: string) => (f: Filter | null) => {
    const sc = scope(MAIN_SITE, all, f);
    if (!sc.byEvent)
      return `WITH ${sc.ctes},
     s AS (SELECT session_id, any_value(visitor_id) AS visitor_id, ${valueAgg} AS value, count(*) AS n, ${pv} AS pv, ${dur} AS dur
           FROM ev GROUP BY session_id)
     ${perValue('s')}`;
    return `WITH ${sc.ctes}, ${fs},
     s AS (SELECT session_id, ${valueAgg} AS value, count(*) AS n, ${dur} AS dur FROM ev GROUP BY session_id),
     j AS (SELECT * FROM fs JOIN s USING (session_id))
     ${perValue('j')}`;
  };

  // (Distinct visitors per value and distinct (value, visit) pairs separately: faster in
  // DuckDB than one GROUP BY (value, visit) carrying the visitor, measured at 10M events.)
  const eventBreakdown = (expr: string) => (f: Filter | null) => {
    const sc = scope(MAIN_SITE, all, f);
    const rows = sc.fe;
    // A page row's bounce rate and duration are over the visits that entered on it, a page
    // filter then selecting entry pages (docs/METRICS.md, "Pages and entry pages").
    const byEntry = expr === 'pathname';
    const entered = f?.column === 'pathname' ? `WHERE entry = ${lit(f.value)}` : '';
    const eg = `eg AS (SELECT entry AS value, avg((n = 1)::INTEGER) AS bounce_rate, avg(dur) AS duration FROM s ${entered} GROUP BY 1)`;
    return `WITH ${sc.ctes},
     s AS (SELECT session_id, count(*) AS n, ${dur} AS dur${byEntry ? `, ${ENTRY} AS entry` : ''} FROM ev GROUP BY session_id),
     g AS (SELECT ${expr} AS value, count(DISTINCT visitor_id) AS visitors, ${pv} AS pageviews FROM ${rows} GROUP BY 1),
     vg AS (SELECT value, count(*) AS visits, avg((n = 1)::INTEGER) AS bounce_rate, avg(dur) AS duration
            FROM (SELECT DISTINCT ${expr} AS value, session_id FROM ${rows}) JOIN s USING (session_id) GROUP BY 1)${byEntry ? `,\n     ${eg}` : ''}
     SELECT value, visitors, visits, pageviews,
            ${byEntry ? 'coalesce(eg.bounce_rate, 0) AS bounce_rate, coalesce(eg.duration, 0) AS duration' : 'vg.bounce_rate, vg.duration'},
            visitors * 100.0 / (SELECT count(DISTINCT visitor_id) FROM ${sc.fe}) AS percentage
     FROM g JOIN vg USING (value)${byEntry ? ' LEFT JOIN eg USING (value)' : ''} ORDER BY visitors DESC, value LIMIT 100`;
  };

  const goalBreakdown = (expr: string, where: string) => (f: Filter | null) => {
    const sc = scope(MAIN_SITE, all, f);
    return `WITH ${sc.ctes}
     SELECT ${expr} AS value, count(DISTINCT visitor_id) AS visitors, count(*) AS events,
            count(DISTINCT visitor_id) * 100.0 / (SELECT count(DISTINCT visitor_id) FROM ${sc.fe}) AS conversion_rate
     FROM ${sc.fe} ${where} GROUP BY 1 ORDER BY visitors DESC, value LIMIT 100`;
  };

  const params = (r: Range, extra: Record<string, string> = {}) => ({ start_date: r.from, end_date: r.to, ...extra });
  const list: Endpoint[] = [
    {
      label: 'main',
      path: '/api/stats/main',
      params: params(all),
      site: MAIN_SITE,
      range: all,
      direct: main(MAIN_SITE),
      filterable: true,
    },
    {
      label: `main (${SMALL_SITE})`,
      path: '/api/stats/main',
      params: params(all),
      site: SMALL_SITE,
      range: all,
      direct: main(SMALL_SITE),
      filterable: false,
    },
    {
      label: 'timeseries day (30 d)',
      path: '/api/stats/timeseries',
      params: params(all, { interval: 'day' }),
      site: MAIN_SITE,
      range: all,
      direct: timeseriesDay,
      filterable: true,
    },
    {
      label: 'timeseries hour (1 d)',
      path: '/api/stats/timeseries',
      params: params(lastDay, { interval: 'hour' }),
      site: MAIN_SITE,
      range: lastDay,
      direct: timeseriesHour,
      filterable: true,
    },
  ];
  for (const dim of BREAKDOWNS) {
    let direct: (f: Filter | null) => string;
    const visitExpr = VISIT_DIMS[dim];
    const eventDim = EVENT_DIMS[dim];
    if (visitExpr) direct = visitBreakdown(`arg_min(${visitExpr}, timestamp)`);
    else if (eventDim) direct = eventBreakdown(eventDim);
    else if (dim === 'entry-pages')
      direct = visitBreakdown("arg_min(pathname, timestamp) FILTER (WHERE event_name = 'pageview')");
    else if (dim === 'exit-pages') direct = visitBreakdown("arg_max(pathname, timestamp) FILTER (WHERE event_name = 'pageview')");
    else if (dim === 'events') direct = goalBreakdown('event_name', "WHERE event_name <> 'pageview'");
    else if (dim.startsWith('props/'))
      direct = goalBreakdown(`coalesce(json_extract_string(props, ${lit(`$.${dim.slice(6)}`)}), '(none)')`, '');
    else throw new Error(`no direct SQL for ${dim}`);
    list.push({
      label: `breakdown/${dim}`,
      path: `/api/stats/breakdown/${dim}`,
      params: params(all),
      site: MAIN_SITE,
      range: all,
      direct,
      filterable: true,
    });
  }
  list.push(...behavioralEndpoints(scope, params(all), all));
  return list;
}

/** Steps of the behavioral benchmarks: page views of / and /pricing, then a custom event. */
const FUNNEL_STEPS = 'page:/,page:/pricing,event:Signup';
const FUNNEL_WINDOW = 3600;

/**
 * The behavioral endpoints and the most direct SQL for each: sessions and retention as the
 * textbook window queries; the default-mode funnel as a chain of joins (for each step-1
 * row the earliest qualifying row of each next step: the greedy chain reaches the longest
 * level, docs/BEHAVIORAL.md §3); `(?1).*(?2)` as "a cond-2 row after the first cond-1 row";
 * flow as lead() after each identity's first view of the page.
 */
function behavioralEndpoints(
  scope: (site: string, r: Range, f: Filter | null) => { ctes: string; fe: string },
  base: Record<string, string>,
  all: Range,
): Endpoint[] {
  // The rows in scope: with an event filter only the matching events (`fe`), as the server sees them.
  const rows = (f: Filter | null, extra = '') => {
    const sc = scope(MAIN_SITE, all, f);
    return `${sc.ctes},
     r AS (SELECT coalesce(user_key, visitor_id) AS ident, epoch_ms(timestamp) // 1000 AS t, seq, pathname, event_name ${extra} FROM ${sc.fe})`;
  };
  const behavioral = (label: string, path: string, params: Record<string, string>, direct: (f: Filter | null) => string) => ({
    label,
    path,
    params: { ...base, ...params },
    site: MAIN_SITE,
    range: all,
    direct,
    filterable: true,
  });
  return [
    behavioral(
      'sessions',
      '/api/stats/sessions',
      {},
      (f) => `WITH ${rows(f)},
       g AS (SELECT *, coalesce(t - lag(t) OVER (PARTITION BY ident ORDER BY t) > 1800, true)::INTEGER AS brk FROM r),
       n AS (SELECT *, sum(brk) OVER (PARTITION BY ident ORDER BY t ROWS UNBOUNDED PRECEDING) AS sn FROM g),
       s AS (SELECT max(t) - min(t) AS d, count(*) AS e, count(*) FILTER (WHERE event_name = 'pageview') AS p FROM n GROUP BY ident, sn)
       SELECT count(*) AS total_sessions, avg(d) AS duration, sum(p) AS pageviews, avg((e = 1)::INTEGER) AS bounce_rate FROM s`,
    ),
    behavioral(
      'funnel (3 steps, 1 h)',
      '/api/stats/funnel',
      { steps: FUNNEL_STEPS, window: String(FUNNEL_WINDOW) },
      (f) => `WITH ${rows(f)},
       s1 AS (SELECT ident, t AS t1 FROM r WHERE pathname = '/'),
       s2 AS (SELECT s1.ident, t1, min(r.t) AS t2 FROM s1 JOIN r ON r.ident = s1.ident AND r.pathname = '/pricing'
              AND r.t >= t1 AND r.t <= t1 + ${FUNNEL_WINDOW} GROUP BY ALL),
       s3 AS (SELECT s2.ident FROM s2 JOIN r ON r.ident = s2.ident AND r.event_name = 'Signup'
              AND r.t >= t2 AND r.t <= t1 + ${FUNNEL_WINDOW})
       SELECT (SELECT count(DISTINCT ident) FROM s1) AS step1, (SELECT count(DISTINCT ident) FROM s2) AS step2,
              (SELECT count(DISTINCT ident) FROM s3) AS step3`,
    ),
    behavioral(
      'retention (weekly)',
      '/api/stats/retention',
      { weeks: '4' },
      (f) => `WITH ${rows(f, ", date_trunc('week', timestamp) AS p")},
       v AS (SELECT ident, p, min(p) OVER (PARTITION BY ident) AS cohort FROM (SELECT DISTINCT ident, p FROM r))
       SELECT count(*) FILTER (WHERE p = cohort) AS size, count(*) FILTER (WHERE p > cohort) AS retained FROM v`,
    ),
    behavioral(
      'sequences (?1).*(?2)',
      '/api/stats/sequences',
      { steps: 'page:/pricing,event:Purchase' },
      (f) => `WITH ${rows(f)},
       o AS (SELECT *, row_number() OVER (PARTITION BY ident ORDER BY t, seq) AS pos FROM r
             WHERE pathname = '/pricing' OR event_name = 'Purchase'),
       v AS (SELECT min(pos) FILTER (WHERE pathname = '/pricing') < max(pos) FILTER (WHERE event_name = 'Purchase') AS hit FROM o GROUP BY ident)
       SELECT count(*) FILTER (WHERE hit) AS converting_visitors, (SELECT count(DISTINCT ident) FROM r) AS total_visitors FROM v`,
    ),
    behavioral(
      'flow / forward',
      '/api/stats/flow',
      { page: '/' },
      (f) => `WITH ${rows(f)},
       w AS (SELECT ident, pathname, lead(pathname) OVER o AS nxt, row_number() OVER o AS rn
             FROM r WHERE event_name = 'pageview' AND pathname IS NOT NULL WINDOW o AS (PARTITION BY ident ORDER BY t, pathname, seq)),
       first AS (SELECT arg_min(nxt, rn) AS value FROM w WHERE pathname = '/' GROUP BY ident)
       SELECT value, count(*) AS visitors FROM first WHERE value IS NOT NULL GROUP BY 1 ORDER BY visitors DESC, value LIMIT 10`,
    ),
  ];
}

/** Each behavioral answer against its direct SQL: the same numbers, exactly. */
function checkBehavioral(label: string, server: unknown, direct: Record<string, unknown>[]): Check[] {
  const d = direct[0] ?? {};
  const s = (server ?? {}) as Record<string, unknown>;
  if (label.startsWith('sessions')) {
    const sessions = num(d.total_sessions);
    return [
      compareFields(label, s, {
        total_sessions: sessions,
        avg_session_duration_secs: Math.round(num(d.duration)),
        avg_pages_per_session: sessions === 0 ? 0 : round(num(d.pageviews) / sessions, 2),
        bounce_rate: round(num(d.bounce_rate), 4),
      }),
    ];
  }
  if (label.startsWith('funnel')) {
    const steps = Array.isArray(server) ? (server as Record<string, unknown>[]) : [];
    return [
      compareFields(label, Object.fromEntries(steps.map((x, i) => [`step${i + 1}`, x.visitors])), {
        step1: num(d.step1),
        step2: num(d.step2),
        step3: num(d.step3),
      }),
    ];
  }
  if (label.startsWith('retention')) {
    const cohorts = (s.cohorts ?? []) as { size: number; retained: (number | null)[] }[];
    const retained = cohorts.reduce((a, c) => a + c.retained.slice(1).reduce<number>((x, y) => x + (y ?? 0), 0), 0);
    return [
      compareFields(
        label,
        { size: cohorts.reduce((a, c) => a + c.size, 0), retained },
        { size: num(d.size), retained: num(d.retained) },
      ),
    ];
  }
  if (label.startsWith('sequences')) {
    return [compareFields(label, s, { converting_visitors: num(d.converting_visitors), total_visitors: num(d.total_visitors) })];
  }
  const nodes = Array.isArray(server) ? (server as { next_page: string; visitors: number }[]) : [];
  if (nodes.length === 0 && direct.length === 0) return [{ what: label, ok: true, detail: 'no rows on either side' }];
  return checkTop3(
    label,
    nodes.map((n) => ({ value: n.next_page, visitors: n.visitors, visits: 0, pageviews: 0 })),
    direct.map((r) => ({ ...r, visits: 0, pageviews: 0 })),
  );
}

// ---------------------------------------------------------------------------------------
// timing

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] ?? Number.NaN) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
};

interface Timing {
  ms: number[];
  /** Runs done in all (warm-up included). */
  runs: number;
  /** True when the warm-up run alone exceeded the budget and is the one timing. */
  single: boolean;
}

/**
 * 1 warm-up run (BENCH_WARMUP), then timed runs until BENCH_RUNS are done or their total
 * passes BENCH_QUERY_BUDGET seconds (at least one). A query whose warm-up alone takes
 * longer than the budget is not repeated: the warm-up is its timing (marked *); the
 * files are in the page cache by then, from the queries before. Budget 0: always all runs.
 * `once` returns null when a run failed (then no more runs).
 */
async function measure(once: () => Promise<number | null>): Promise<Timing> {
  const ms: number[] = [];
  let runs = 0;
  for (let i = 0; i < WARMUP; i++) {
    const t = await once();
    runs++;
    if (t === null) return { ms, runs, single: false };
    if (QUERY_BUDGET_MS > 0 && t >= QUERY_BUDGET_MS) return { ms: [t], runs, single: true };
  }
  let total = 0;
  while (ms.length < RUNS && (QUERY_BUDGET_MS === 0 || ms.length === 0 || total < QUERY_BUDGET_MS)) {
    const t = await once();
    runs++;
    if (t === null) break;
    ms.push(t);
    total += t;
  }
  return { ms, runs, single: false };
}

async function timeServer(url: string, cookie: string): Promise<Timing & { status: number; text: string; body: unknown }> {
  let status = 0;
  let text = '';
  const timing = await measure(async () => {
    const t = performance.now();
    const res = await fetch(url, { headers: { cookie } });
    text = await res.text();
    status = res.status;
    return res.status === 200 ? performance.now() - t : null;
  });
  return { ...timing, status, text, body: status === 200 ? JSON.parse(text) : null };
}

async function timeDirect(c: DuckDBConnection, text: string): Promise<Timing & { rows: Record<string, unknown>[] }> {
  let rows: Record<string, unknown>[] = [];
  const timing = await measure(async () => {
    const t = performance.now();
    rows = (await c.runAndReadAll(text)).getRowObjectsJS() as Record<string, unknown>[];
    return performance.now() - t;
  });
  return { ...timing, rows };
}

/** CPU seconds of the whole machine, the server, and this process, to see what else ran meanwhile. */
function cpuSnapshot(serverPid: number): { wall: number; machine: number; server: number; self: number } {
  const machine = machineBusySeconds();
  const server = cpuSeconds(serverPid);
  const u = process.cpuUsage();
  return { wall: performance.now() / 1000, machine, server, self: (u.user + u.system) / 1e6 };
}

/** CPU used by other processes between two snapshots, in cores (1 = one core busy). */
function otherCores(a: ReturnType<typeof cpuSnapshot>, b: ReturnType<typeof cpuSnapshot>): number {
  const wall = b.wall - a.wall;
  if (wall <= 0) return 0;
  return Math.max(0, (b.machine - a.machine - (b.server - a.server) - (b.self - a.self)) / wall);
}

// ---------------------------------------------------------------------------------------
// checks

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));
const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

interface Check {
  what: string;
  ok: boolean;
  detail: string;
}

function compareFields(what: string, server: Record<string, unknown>, direct: Record<string, number>): Check {
  const diffs: string[] = [];
  for (const [k, want] of Object.entries(direct)) {
    const got = num(server[k]);
    if (got !== want) diffs.push(`${k}: server ${got}, direct ${want}`);
  }
  return {
    what,
    ok: diffs.length === 0,
    detail:
      diffs.length === 0
        ? Object.entries(direct)
            .map(([k, v]) => `${k} ${v}`)
            .join(', ')
        : diffs.join('; '),
  };
}

function checkMain(what: string, server: unknown, direct: Record<string, unknown>[]): Check {
  const d = direct[0] ?? {};
  return compareFields(what, (server ?? {}) as Record<string, unknown>, {
    unique_visitors: num(d.visitors),
    visits: num(d.visits),
    total_pageviews: num(d.pageviews),
    events: num(d.events),
    bounce_rate: round(num(d.bounce_rate), 4),
    avg_visit_duration_secs: Math.round(num(d.duration)),
  });
}

function checkTop3(what: string, server: unknown, direct: Record<string, unknown>[]): Check[] {
  const rows = Array.isArray(server) ? (server as Record<string, unknown>[]) : [];
  const out: Check[] = [];
  for (let i = 0; i < 3; i++) {
    const s = rows[i];
    const d = direct[i];
    if (!s || !d) {
      out.push({ what: `${what} row ${i + 1}`, ok: false, detail: `server has ${rows.length} rows, direct ${direct.length}` });
      continue;
    }
    const c = compareFields(`${what} row ${i + 1}`, s, {
      visitors: num(d.visitors),
      visits: num(d.visits),
      pageviews: num(d.pageviews),
    });
    if (String(s.value) !== String(d.value)) {
      c.ok = false;
      c.detail = `value: server "${String(s.value)}", direct "${String(d.value)}"; ${c.detail}`;
    } else c.detail = `"${String(d.value)}": ${c.detail}`;
    out.push(c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// main

interface Result {
  endpoint: string;
  filter: string;
  server: Timing | null;
  direct: Timing;
  /** CPU used by other processes meanwhile, in cores. */
  other: number;
  note: string;
}

const fmtMs = (ms: number | null) => (ms === null ? '–' : ms >= 100 ? ms.toFixed(0) : ms.toFixed(1));
const med = (t: Timing | null) => (t && t.ms.length > 0 ? median(t.ms) : null);
const fmtRuns = (t: Timing | null) => (t ? `${t.ms.length}${t.single ? '*' : ''}` : '–');

function printTable(results: Result[]): void {
  const header = ['endpoint', 'filter', 'server ms', 'n', 'direct ms', 'n', 'ratio', 'other CPU', 'note'];
  const body = results.map((r) => {
    const sm = med(r.server);
    const dm = med(r.direct);
    return [
      r.endpoint,
      r.filter,
      fmtMs(sm),
      fmtRuns(r.server),
      fmtMs(dm),
      fmtRuns(r.direct),
      sm !== null && dm ? `${(sm / dm).toFixed(2)}×` : '–',
      `${(r.other * 100).toFixed(0)}%${r.other > OTHER_WARN ? ' !' : ''}`,
      r.note,
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? '').length)));
  const right = new Set([2, 3, 4, 5, 6, 7]);
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (right.has(i) ? `${'-'.repeat(w + 1)}:` : '-'.repeat(w + 2))).join('|')}|`);
  for (const row of body) console.log(line(row));
}

/** Above this many cores of other work during a row, its figures are flagged (!). */
const OTHER_WARN = 0.25;

async function main(): Promise<void> {
  log(
    `query benchmark: ${EVENTS.toLocaleString('en-US')} events over ${DAYS} days; per query ${WARMUP} warm-up + up to ${RUNS} timed runs ` +
      `(budget ${QUERY_BUDGET_MS / 1000} s), median; filters: ${FILTERS}`,
  );
  const ds = await ensureDataset({ events: EVENTS, days: DAYS, baseDir: TMP, log });
  log(
    `data set: ${ds.startDate} … ${ds.endDate}, ${ds.events.toLocaleString('en-US')} events ` +
      `(${Object.entries(ds.eventsBySite)
        .map(([s, n]) => `${s} ${n.toLocaleString('en-US')}`)
        .join(', ')}), ` +
      `${ds.visitorDays.toLocaleString('en-US')} visitor-days, ${ds.visits.toLocaleString('en-US')} visits, ` +
      `${ds.files} files, ${(ds.bytes / 1048576).toFixed(1)} MiB on disk` +
      (ds.generatedMs === null ? ' (cached)' : `, generated in ${(ds.generatedMs / 1000).toFixed(1)} s`),
  );
  // Both sides read the same files: put them in the page cache once, before any timing.
  let cached = 0;
  for (const name of readdirSync(ds.eventsDir, { recursive: true }) as string[])
    if (name.endsWith('.parquet')) cached += readFileSync(join(ds.eventsDir, name)).length;
  log(`page cache: read ${(cached / 1048576).toFixed(1)} MiB of Parquet once`);

  const glob = join(ds.eventsDir, '*', '*', '*.parquet');
  const duck = await DuckDBInstance.create(':memory:', { threads: String(availableParallelism()) });
  const conn = await duck.connect();
  const threads = (await conn.runAndReadAll("SELECT current_setting('threads') AS t")).getRowObjectsJS()[0]?.t;
  log(`direct SQL: in-process DuckDB, threads = ${String(threads)} (the server's DuckDB uses its default: one per core)`);

  const { child, url } = await startServer(ds.eventsDir, log);
  const derivedSecs = await waitForDerived(url, log);
  const cookie = await signIn(url);
  const afterStart = memory(child.pid);
  log(
    `server: signed in; RSS ${afterStart.rssMb.toFixed(0)} MB before the first query, peak so far ${afterStart.peakMb.toFixed(0)} MB`,
  );

  const filters: Filter[] = [
    { label: 'country', json: [['is', 'visit:country', ['US']]], column: 'country_code', value: 'US', level: 'visit' },
    { label: 'page', json: [['is', 'event:page', [ds.popularPage]]], column: 'pathname', value: ds.popularPage, level: 'event' },
  ];
  const list = endpoints(ds, glob).filter((e) => !ONLY || ONLY.test(e.label));
  const results: Result[] = [];
  const checks: Check[] = [];
  const notAvailable: string[] = [];
  let filterMode: 'applied' | 'rejected' | 'ignored' | 'skipped' = FILTERS === '0' ? 'skipped' : 'applied';
  let filterNote = FILTERS === '0' ? 'BENCH_FILTERS=0' : '';
  const unfilteredBodies = new Map<string, string>();
  const runStart = cpuSnapshot(child.pid);

  const requestUrl = (e: Endpoint, f: Filter | null) => {
    const qs = new URLSearchParams({ site_id: e.site, ...e.params });
    if (f) qs.set('filters', JSON.stringify(f.json));
    return `${url}${e.path}?${qs}`;
  };

  for (const e of list) {
    const withFilters = e.filterable && filterMode === 'applied' && (FILTERS === 'all' || FILTERED_SOME.has(e.label));
    for (const f of [null, ...(withFilters ? filters : [])]) {
      if (f && filterMode !== 'applied') break;
      const before = cpuSnapshot(child.pid);
      const s = await timeServer(requestUrl(e, f), cookie);
      if (s.status === 404 && !f) {
        notAvailable.push(e.label);
        log(`${e.label}: 404, not available`);
        break;
      }
      if (f && s.status === 400 && e.label === 'main') {
        filterMode = 'rejected';
        filterNote = `400 ${s.text.slice(0, 120)}`;
        log(`filters: the server answers 400 (${s.text.slice(0, 120)}): filters not supported yet, timing without`);
        break;
      }
      if (f && s.status === 200 && e.label === 'main' && s.text === unfilteredBodies.get(e.label)) {
        filterMode = 'ignored';
        filterNote = 'answer equals the unfiltered one';
        log('filters: the server answers 200 with the unfiltered numbers: filters are ignored, timing without');
        break;
      }
      const d = await timeDirect(conn, e.direct(f));
      const other = otherCores(before, cpuSnapshot(child.pid));
      const ok = s.status === 200;
      const note = ok ? '' : `HTTP ${s.status}: ${s.text.slice(0, 80)}`;
      results.push({ endpoint: e.label, filter: f?.label ?? '–', server: ok ? s : null, direct: d, other, note });
      log(
        `${e.label}${f ? ` [${f.label}]` : ''}: server ${ok ? `${fmtMs(med(s))} ms (${fmtRuns(s)})` : `HTTP ${s.status}`}` +
          `, direct ${fmtMs(med(d))} ms (${fmtRuns(d)}); other CPU ${(other * 100).toFixed(0)}%; server peak ${memory(child.pid).peakMb.toFixed(0)} MB`,
      );
      if (!ok) continue;
      // Filtered main must agree too: the direct SQL follows the semantics of the server's
      // query builder (event metrics over matching events, visit metrics over whole visits).
      if (f && e.label === 'main') checks.push(checkMain(`${e.label} [${f.label}]`, s.body, d.rows));
      if (f && BEHAVIORAL_PATHS.has(e.path)) checks.push(...checkBehavioral(`${e.label} [${f.label}]`, s.body, d.rows));
      if (f) continue;
      unfilteredBodies.set(e.label, s.text);
      if (e.path === '/api/stats/main') checks.push(checkMain(e.label, s.body, d.rows));
      if (e.label === 'breakdown/pages' || e.label === 'breakdown/sources') checks.push(...checkTop3(e.label, s.body, d.rows));
      if (BEHAVIORAL_PATHS.has(e.path)) checks.push(...checkBehavioral(e.label, s.body, d.rows));
    }
  }
  const after = memory(child.pid);
  const otherAll = otherCores(runStart, cpuSnapshot(child.pid));
  const peerRows: string[][] = [];
  if (CLICKHOUSE) {
    // The peer runs after the server's queries, in this process: nothing else competes with it.
    const peer = await ClickHousePeer.open(ds, log);
    // The unfiltered overview, then each filter over the questions the server was timed with it.
    for (const f of [null, ...(filterMode === 'applied' ? filters : [])]) {
      const label = f?.label ?? '–';
      let sumServer = 0;
      let sumPeer = 0;
      let asked = 0;
      for (const question of overviewQuestions(ds, MAIN_SITE, f ?? undefined)) {
        const server = med(results.find((r) => r.endpoint === question.label && r.filter === label)?.server ?? null);
        if (server === null) continue;
        const peerMs = median(peer.time(question.sql, WARMUP, RUNS));
        sumServer += server;
        sumPeer += peerMs;
        asked++;
        peerRows.push([question.label, label, fmtMs(server), fmtMs(peerMs), `${(peerMs / server).toFixed(1)}×`]);
        log(`clickhouse ${question.label}${f ? ` [${label}]` : ''}: ${fmtMs(peerMs)} ms`);
      }
      if (asked > 0) {
        const what = f ? `the ${asked} questions with the ${label} filter, summed` : 'the overview, summed';
        peerRows.push([what, label, fmtMs(sumServer), fmtMs(sumPeer), `${(sumPeer / sumServer).toFixed(1)}×`]);
      }
    }
    peer.close();
  }

  console.log('');
  console.log(
    `Results: ${EVENTS.toLocaleString('en-US')} events, ${ds.startDate} … ${ds.endDate} (start_date/end_date); ` +
      `median ms of n timed runs after ${WARMUP} warm-up (* = one run: the warm-up alone exceeded the ${QUERY_BUDGET_MS / 1000} s budget); ` +
      'ratio = server / direct SQL; other CPU = other processes meanwhile (100% = one core)',
  );
  printTable(results);
  console.log('');
  console.log(`not available (404): ${notAvailable.length === 0 ? 'none' : notAvailable.join(', ')}`);
  console.log(
    `filters: ${
      filterMode === 'applied'
        ? `timed for ${FILTERS === 'all' ? 'every endpoint' : [...FILTERED_SOME].join(', ')} (${filters
            .map((f) => `${f.label} = ${JSON.stringify(f.json)}`)
            .join('; ')})`
        : filterMode === 'rejected'
          ? `filters not supported yet (${filterNote})`
          : filterMode === 'ignored'
            ? `ignored by the server (${filterNote}); not timed`
            : `not timed (${filterNote})`
    }`,
  );
  if (peerRows.length > 0) {
    console.log('');
    console.log(
      'The overview vs ClickHouse (chdb, events + visits MergeTree tables, 2 threads, warm; median ms; ' +
        'ClickHouse ÷ server: above 1 = the server is faster):',
    );
    console.log('| question | filter | server ms | ClickHouse ms | ClickHouse ÷ server |');
    console.log('|---|---|--:|--:|--:|');
    for (const r of peerRows) console.log(`| ${r.join(' | ')} |`);
  }
  console.log(`derived tables (visits, rollups) built at start-up in ${derivedSecs.toFixed(1)} s`);
  console.log('');
  console.log('Server vs direct SQL:');
  for (const c of checks) console.log(`  ${c.ok ? 'OK      ' : 'MISMATCH'} ${c.what}: ${c.detail}`);
  const slowest = [...results]
    .filter((r) => r.server !== null)
    .sort((a, b) => (med(b.server) ?? 0) - (med(a.server) ?? 0))
    .slice(0, 5);
  console.log('');
  console.log(
    `slowest: ${slowest.map((r) => `${r.endpoint}${r.filter === '–' ? '' : ` [${r.filter}]`} ${fmtMs(med(r.server))} ms`).join(', ')}`,
  );
  const both = results.filter((r) => r.server !== null);
  const sumS = both.reduce((a, r) => a + (med(r.server) ?? 0), 0);
  const sumD = both.reduce((a, r) => a + (med(r.direct) ?? 0), 0);
  console.log(`sum of medians: server ${fmtMs(sumS)} ms, direct ${fmtMs(sumD)} ms (${(sumS / sumD).toFixed(2)}×)`);
  console.log(
    `server memory: VmRSS ${after.rssMb.toFixed(0)} MB after the queries (${afterStart.rssMb.toFixed(0)} MB before), ` +
      `VmHWM (peak) ${after.peakMb.toFixed(0)} MB`,
  );
  console.log(
    `other processes used ${(otherAll * 100).toFixed(0)}% of a core on average during the queries` +
      (otherAll > OTHER_WARN ? ' — WARNING: the machine was busy; compare ratios, not absolute times' : ''),
  );
  await stopServer(child);
  conn.closeSync();
  duck.closeSync();
  const mismatches = checks.filter((c) => !c.ok).length;
  console.log(`total run time: ${((performance.now() - T0) / 1000).toFixed(1)} s`);
  console.log(mismatches === 0 ? 'RESULT: all checks OK' : `RESULT: ${mismatches} MISMATCH(ES)`);
  const warnings = child.output.filter((l) => /"level":(40|50|60)/.test(l) || l.startsWith('stderr'));
  if (warnings.length > 0) {
    console.log(`server log (${warnings.length} warning/error lines, last 10):`);
    for (const l of warnings.slice(-10)) console.log(`  ${l.slice(0, 300)}`);
  }
  process.exitCode = mismatches === 0 ? 0 : 1;
}

main().catch((err) => {
  console.error(err instanceof BenchFailure ? `bench: ${err.message}` : err);
  for (const l of serverOutput().slice(-20)) console.error(`  ${l}`);
  process.exit(1);
});
