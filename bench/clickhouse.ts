/**
 * The peer in the query benchmark: ClickHouse, in-process through the `chdb` npm package
 * (ClickHouse 26), on the same data set. It is installed by this script into a cache
 * directory outside the project's dependencies (`$BENCH_CHDB_DIR`, default
 * `~/.cache/mallard-bench/chdb`), and the data set is loaded once into a Plausible-like pair
 * of MergeTree tables — events, and one row per visit with its entry attributes — kept
 * next to the data set (`<data set>/clickhouse/`) and reused by later runs.
 *
 * It answers the unfiltered overview's questions the way Plausible's schema does: visit
 * metrics and visit dimensions from the visits table, page views and pages from the
 * events table, exact distinct visitors (`uniqExact`, not Plausible's approximate `uniq`,
 * so the numbers are comparable with ours). Queries run with 2 threads, warm.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Dataset } from './generate.js';

const CHDB_VERSION = '3.4.0';
const DIR = process.env.BENCH_CHDB_DIR || join(homedir(), '.cache', 'mallard-bench', 'chdb');
const SCHEMA_VERSION = 1;

interface ChdbSession {
  query(sql: string, format?: string): string;
  cleanup(): void;
}

/** Installs chdb into the cache directory (once) and loads it from there. */
async function loadChdb(log: (line: string) => void): Promise<{ Session: new (path: string) => ChdbSession }> {
  const entry = join(DIR, 'node_modules', 'chdb', 'index.mjs');
  if (!existsSync(entry)) {
    log(`clickhouse: installing chdb@${CHDB_VERSION} into ${DIR} (once)`);
    mkdirSync(DIR, { recursive: true });
    if (!existsSync(join(DIR, 'package.json'))) writeFileSync(join(DIR, 'package.json'), '{"private":true}\n');
    execFileSync('npm', ['install', '--no-save', '--prefix', DIR, `chdb@${CHDB_VERSION}`], { stdio: 'inherit' });
  }
  return (await import(pathToFileURL(entry).href)) as { Session: new (path: string) => ChdbSession };
}

export interface OverviewQuestion {
  /** The query benchmark's endpoint label this answers. */
  label: string;
  sql: string;
}

/** One filter as the peer applies it: on the visit's entry attributes, or on each event. */
export interface PeerFilter {
  level: 'visit' | 'event';
  /** The events table's column (a visit filter reads the visits table's column of that attribute). */
  column: string;
  value: string;
}

/** The visits table's column of an event column the benchmarks filter visits by. */
const VISIT_COLUMN: Record<string, string> = { country_code: 'country', referrer_source: 'source', browser: 'browser' };

/**
 * The overview's questions over the data set's days, for one site, optionally filtered the
 * way Plausible filters: a visit filter picks visits by their entry attributes, and events
 * by `session_id IN` those visits; an event filter picks events, and visits by `session_id IN`
 * the visits of those events.
 */
export function overviewQuestions(ds: Dataset, site: string, filter?: PeerFilter): OverviewQuestion[] {
  const from = `toDateTime64('${ds.startDate} 00:00:00', 3)`;
  const to = `toDateTime64('${ds.endDate} 00:00:00', 3) + INTERVAL 1 DAY`;
  const evAll = `FROM events WHERE site_id = '${site}' AND timestamp >= ${from} AND timestamp < ${to}`;
  const vsAll = `FROM visits WHERE site_id = '${site}' AND start >= ${from} AND start < ${to}`;
  const value = `'${filter?.value.replaceAll("'", "''")}'`;
  let ev = evAll;
  let vs = vsAll;
  if (filter?.level === 'visit') {
    const column = VISIT_COLUMN[filter.column];
    if (!column) throw new Error(`the ClickHouse peer has no visit column for ${filter.column}`);
    vs = `${vsAll} AND ${column} = ${value}`;
    ev = `${evAll} AND session_id IN (SELECT session_id ${vs})`;
  } else if (filter) {
    ev = `${evAll} AND ${filter.column} = ${value}`;
    vs = `${vsAll} AND session_id IN (SELECT session_id ${ev})`;
  }
  const visitMetrics = 'count() AS visits, avg(is_bounce) AS bounce_rate, avg(duration_ms) / 1000 AS visit_duration';
  const byVisit = (label: string, col: string) => ({
    label,
    sql: `SELECT ${col} AS value, uniqExact(visitor_id) AS visitors, ${visitMetrics}, sum(pageviews) AS pageviews
          ${vs} GROUP BY value ORDER BY visitors DESC, value LIMIT 100`,
  });
  return [
    {
      label: 'main',
      sql: `SELECT * FROM (SELECT uniqExact(visitor_id) AS visitors, countIf(event_name = 'pageview') AS pageviews, count() AS events ${ev}) AS e
            CROSS JOIN (SELECT ${visitMetrics} ${vs}) AS v`,
    },
    {
      label: 'timeseries day (30 d)',
      sql: `SELECT * FROM (SELECT toDate(timestamp) AS day, uniqExact(visitor_id) AS visitors, countIf(event_name = 'pageview') AS pageviews ${ev} GROUP BY day) AS e
            LEFT JOIN (SELECT toDate(start) AS day, ${visitMetrics} ${vs} GROUP BY day) AS v USING day ORDER BY day`,
    },
    {
      label: 'breakdown/pages',
      sql: `SELECT pathname AS value, uniqExact(visitor_id) AS visitors, count() AS pageviews, uniqExact(session_id) AS visits
            ${ev} AND event_name = 'pageview' GROUP BY value ORDER BY visitors DESC, value LIMIT 100`,
    },
    byVisit('breakdown/sources', 'source'),
    byVisit('breakdown/countries', 'country'),
    byVisit('breakdown/browsers', 'browser'),
    byVisit('breakdown/devices', 'device'),
    {
      label: 'breakdown/events',
      sql: `SELECT event_name AS value, uniqExact(visitor_id) AS visitors, count() AS events
            ${ev} AND event_name != 'pageview' GROUP BY value ORDER BY visitors DESC, value LIMIT 100`,
    },
  ];
}

export class ClickHousePeer {
  private constructor(private readonly session: ChdbSession) {}

  /** Opens (and on first use loads) the data set's ClickHouse copy. */
  static async open(ds: Dataset, log: (line: string) => void): Promise<ClickHousePeer> {
    const { Session } = await loadChdb(log);
    const path = join(ds.dir, `clickhouse-v${SCHEMA_VERSION}`);
    const loaded = existsSync(join(path, 'loaded'));
    const session = new Session(path);
    const peer = new ClickHousePeer(session);
    const version = session.query('SELECT version()', 'TSV').trim();
    if (!loaded) {
      const t = performance.now();
      peer.load(ds);
      writeFileSync(join(path, 'loaded'), new Date().toISOString());
      log(`clickhouse: ${version}; loaded the data set into events + visits in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    } else log(`clickhouse: ${version}; data set already loaded (${path})`);
    return peer;
  }

  private load(ds: Dataset): void {
    const q = (sql: string) => this.session.query(sql, 'TSV');
    const lc = 'LowCardinality(String)';
    q('DROP TABLE IF EXISTS events');
    q('DROP TABLE IF EXISTS visits');
    q(`CREATE TABLE events (site_id ${lc}, timestamp DateTime64(3), visitor_id UInt64, session_id UInt64,
        event_name ${lc}, pathname String, hostname ${lc}, referrer String, referrer_source ${lc}, channel ${lc},
        utm_source ${lc}, utm_medium ${lc}, utm_campaign ${lc}, browser ${lc}, browser_version ${lc}, os ${lc},
        os_version ${lc}, device_type ${lc}, country_code ${lc}, region ${lc}, city ${lc}, props String)
      ENGINE = MergeTree ORDER BY (site_id, toDate(timestamp), visitor_id, timestamp)`);
    q(`INSERT INTO events SELECT extract(_path, 'site_id=([^/]+)'), timestamp, visitor_id, session_id, event_name,
        pathname, ifNull(hostname, ''), ifNull(referrer, ''), ifNull(referrer_source, ''), ifNull(channel, ''),
        ifNull(utm_source, ''), ifNull(utm_medium, ''), ifNull(utm_campaign, ''), ifNull(browser, ''),
        ifNull(browser_version, ''), ifNull(os, ''), ifNull(os_version, ''), ifNull(device_type, ''),
        ifNull(country_code, ''), ifNull(region, ''), ifNull(city, ''), ifNull(props, '')
      FROM file('${ds.eventsDir}/*/*/*.parquet', Parquet) SETTINGS max_threads = 2`);
    const first = (col: string, empty: string) => `if(argMin(${col}, timestamp) = '', '${empty}', argMin(${col}, timestamp))`;
    q(`CREATE TABLE visits (site_id ${lc}, session_id UInt64, visitor_id UInt64, start DateTime64(3), events UInt32,
        pageviews UInt32, duration_ms UInt64, is_bounce UInt8, entry_page String, exit_page String, source ${lc},
        referrer String, channel ${lc}, browser ${lc}, os ${lc}, device ${lc}, country ${lc}, region ${lc}, city ${lc})
      ENGINE = MergeTree ORDER BY (site_id, toDate(start), session_id)`);
    q(`INSERT INTO visits SELECT site_id, session_id, min(visitor_id), min(timestamp), count(),
        countIf(event_name = 'pageview'), toUInt64(dateDiff('millisecond', min(timestamp), max(timestamp))), count() = 1,
        argMinIf(pathname, timestamp, event_name = 'pageview'), argMaxIf(pathname, timestamp, event_name = 'pageview'),
        ${first('referrer_source', 'Direct / None')}, ${first('referrer', 'Direct / None')}, ${first('channel', '(not set)')},
        ${first('browser', '(not set)')}, ${first('os', '(not set)')}, ${first('device_type', '(not set)')},
        ${first('country_code', '(not set)')}, ${first('region', '(not set)')}, ${first('city', '(not set)')}
      FROM events GROUP BY site_id, session_id SETTINGS max_threads = 2`);
  }

  /** Runs a question `warmup` times, then `runs` times; returns every timed run in ms. */
  time(sql: string, warmup: number, runs: number): number[] {
    const text = `${sql} SETTINGS max_threads = 2`;
    for (let i = 0; i < warmup; i++) this.session.query(text, 'JSONCompact');
    const out: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      this.session.query(text, 'JSONCompact');
      out.push(performance.now() - t);
    }
    return out;
  }

  close(): void {
    this.session.cleanup();
  }
}
