/**
 * The two storage backends side by side, in one run: the overview's stats queries, two
 * filtered ones and the behavioral endpoints on the query benchmark's data set, and ingest, on a server over embedded DuckDB (the baseline)
 * and a server over ClickHouse (the `chdb` engine behind ClickHouse's HTTP interface, the
 * test suite's helper, so the server talks to it as to a ClickHouse server).
 *
 *   npm run build && node --import tsx bench/backends.ts      # or: npm run bench:backends
 *
 * 1. The data set (bench/generate.ts, cached under BENCH_TMPDIR) is loaded into the
 *    ClickHouse backend's own `events` table (created by the server's migrations) straight
 *    from its Parquet files; the DuckDB server reads the same files (a linked `events`) and
 *    builds its visits and rollups first, as a running install has them.
 * 2. Each query through HTTP on both servers: BENCH_WARMUP warm-up runs, then
 *    BENCH_RUNS timed runs, median; the answers must be equal (the run fails otherwise).
 * 3. Ingest: BENCH_INGEST_EVENTS events in batches of 10,000 from 2 clients into an empty
 *    site on each server, timed until every event is readable (on ClickHouse: shipped).
 *
 * Environment: BENCH_EVENTS (10000000), BENCH_RUNS (3), BENCH_WARMUP (1),
 * BENCH_INGEST_EVENTS (200000), BENCH_TMPDIR, MALLARD_CHDB_DIR (see scripts/test-setup.sh).
 */

import { ClickHouseConnection } from '../src/storage/clickhouse/connection.js';
import { COLUMN_NAMES } from '../src/storage/columns.js';
import { startClickHouse } from '../test/helpers/clickhouse.js';
import { ensureDataset, MAIN_SITE } from './generate.js';
import { BenchFailure, envInt, fmtInt, fmtMs, mulberry32, TMP, table } from './lib.js';
import { createKey, signIn, startServer, stopServer, waitForDerived } from './server.js';

const EVENTS = envInt('BENCH_EVENTS', 10_000_000, 1000, 1_000_000_000);
const RUNS = envInt('BENCH_RUNS', 3, 1, 100);
const WARMUP = envInt('BENCH_WARMUP', 1, 0, 10);
const INGEST_EVENTS = envInt('BENCH_INGEST_EVENTS', 200_000, 10_000, 100_000_000);
const BATCH = 10_000;
const DATABASE = 'mallard_bench';

const log = (line: string) => process.stdout.write(`${line}\n`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

interface Server {
  url: string;
  cookie: string;
}

/**
 * A request unanswered this long fails the run. Each has this bound, and the run holds the
 * process open while it waits: twice a run ended mid-ingest with a request still pending and
 * nothing else keeping Node's event loop alive, as if it had finished.
 */
const REQUEST_TIMEOUT_MS = 600_000;

const filter = (f: unknown) => encodeURIComponent(JSON.stringify(f));

/** The overview's requests (what the dashboard asks on opening a site), two filtered ones and the behavioral tabs, over the data set's days. */
function overview(start: string, end: string): [label: string, path: string][] {
  const range = `site_id=${MAIN_SITE}&start_date=${start}&end_date=${end}`;
  return [
    ['main', `/api/stats/main?${range}`],
    ['timeseries day (30 d)', `/api/stats/timeseries?${range}&interval=day`],
    ['breakdown/pages', `/api/stats/breakdown/pages?${range}`],
    ['breakdown/sources', `/api/stats/breakdown/sources?${range}`],
    ['breakdown/countries', `/api/stats/breakdown/countries?${range}`],
    ['breakdown/browsers', `/api/stats/breakdown/browsers?${range}`],
    ['breakdown/devices', `/api/stats/breakdown/devices?${range}`],
    ['breakdown/events', `/api/stats/breakdown/events?${range}`],
    // A click on a country row: one value of one attribute, which rollups still answer.
    ['main, country US', `/api/stats/main?${range}&filters=${filter([['is', 'visit:country', ['US']]])}`],
    // Two values: no rollup answers it; both backends read their visit rows and the pages kept on them.
    [
      'breakdown/pages, country US or DE',
      `/api/stats/breakdown/pages?${range}&filters=${filter([['is', 'visit:country', ['US', 'DE']]])}`,
    ],
    // The behavioral tabs (bench/query.ts asks the same), over the whole 30 days.
    ['sessions', `/api/stats/sessions?${range}`],
    ['funnel /, /pricing, Signup (1 h)', `/api/stats/funnel?${range}&steps=page:/,page:/pricing,event:Signup&window=3600`],
    ['retention (4 weeks)', `/api/stats/retention?${range}&weeks=4`],
    ['sequences /pricing then Purchase', `/api/stats/sequences?${range}&steps=page:/pricing,event:Purchase`],
    ['flow from / (depth 3)', `/api/stats/flow?${range}&page=/&depth=3`],
  ];
}

async function ask(s: Server, path: string): Promise<{ ms: number; body: string }> {
  const t = performance.now();
  const res = await fetch(`${s.url}${path}`, { headers: { cookie: s.cookie }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const body = await res.text();
  if (res.status !== 200) throw new BenchFailure(`${path}: ${res.status} ${body.slice(0, 300)}`);
  return { ms: performance.now() - t, body };
}

async function timed(s: Server, path: string): Promise<{ ms: number; body: string }> {
  for (let i = 0; i < WARMUP; i++) await ask(s, path);
  const runs: number[] = [];
  let body = '';
  for (let i = 0; i < RUNS; i++) {
    const r = await ask(s, path);
    runs.push(r.ms);
    body = r.body;
  }
  return { ms: median(runs), body };
}

/** Events of an empty site, spread over the last 10 days, as POST /api/events takes them. */
function ingestBatches(site: string): object[][] {
  const rand = mulberry32(11);
  const now = Date.now();
  const batches: object[][] = [];
  for (let b = 0; b < INGEST_EVENTS / BATCH; b++) {
    const batch: object[] = [];
    for (let i = 0; i < BATCH; i++) {
      const visitor = Math.floor(rand() * 50_000);
      batch.push({
        d: site,
        n: rand() < 0.9 ? 'pageview' : 'signup',
        u: `https://${site}/p${Math.floor(rand() * 40)}`,
        timestamp: new Date(now - 10 * 86_400_000 + Math.floor(rand() * 9 * 86_400_000)).toISOString(),
        ip: `10.${(visitor >> 16) & 255}.${(visitor >> 8) & 255}.${visitor & 255}`,
        user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
      });
    }
    batches.push(batch);
  }
  return batches;
}

async function ingest(s: Server, key: string, site: string): Promise<number> {
  const batches = ingestBatches(site);
  const t = performance.now();
  let next = 0;
  const client = async () => {
    while (next < batches.length) {
      const batch = batches[next++];
      const res = await fetch(`${s.url}/api/events`, {
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch),
      });
      // Read to the end: an answer left unread holds its connection, and later requests wait for one.
      const text = await res.text();
      if (res.status !== 200) throw new BenchFailure(`ingest: ${res.status} ${text.slice(0, 200)}`);
    }
  };
  await Promise.all([client(), client()]);
  // Readable: on ClickHouse a read ships what waits in the log first.
  const main = JSON.parse((await ask(s, `/api/stats/main?site_id=${site}&period=30d`)).body) as { events: number };
  if (main.events !== INGEST_EVENTS) throw new BenchFailure(`ingest: ${main.events} events readable, ${INGEST_EVENTS} sent`);
  return performance.now() - t;
}

async function main(): Promise<void> {
  const held = setInterval(() => undefined, 60_000);
  try {
    await run();
  } finally {
    clearInterval(held);
  }
}

async function run(): Promise<void> {
  const ds = await ensureDataset({ events: EVENTS, days: 30, baseDir: TMP, log });
  const clickhouse = await startClickHouse();
  const duck = await startServer(ds.eventsDir, log, { env: { MALLARD_FLUSH_INTERVAL: '5' } });
  const chEnv = {
    MALLARD_STORAGE: 'clickhouse',
    MALLARD_CLICKHOUSE_URL: clickhouse.url,
    MALLARD_CLICKHOUSE_DATABASE: DATABASE,
    MALLARD_FLUSH_INTERVAL: '5',
  };
  // Started once to create the schema, and again after the load: at start-up it finds the
  // days it has no rollups of (events loaded behind its back) and builds them.
  let ch = await startServer(null, log, { env: chEnv });
  try {
    const conn = new ClickHouseConnection({ url: clickhouse.url, database: DATABASE, requestTimeoutMs: 3_600_000 });
    const t = performance.now();
    const columns = COLUMN_NAMES.filter((c) => c !== 'site_id');
    await conn.command(`INSERT INTO events (site_id, ${columns.join(', ')}, node_id)
        SELECT extract(_path, 'site_id=([^/]+)'), ${columns.join(', ')}, 'bench-load'
        FROM file('${ds.eventsDir}/*/*/*.parquet', Parquet) SETTINGS max_threads = 2`);
    const [loaded] = await conn.all<{ n: bigint }>('SELECT count() AS n FROM events');
    log(`clickhouse: loaded ${fmtInt(Number(loaded?.n))} events in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    await conn.close();
    await waitForDerived(duck.url, log);
    await stopServer(ch.child);
    ch = await startServer(null, log, { env: chEnv, dataDir: ch.dataDir });
    await waitForDerived(ch.url, log);

    const servers = {
      duckdb: { url: duck.url, cookie: await signIn(duck.url) },
      clickhouse: { url: ch.url, cookie: await signIn(ch.url) },
    };
    const rows: string[][] = [];
    for (const [label, path] of overview(ds.startDate, ds.endDate)) {
      const d = await timed(servers.duckdb, path);
      const c = await timed(servers.clickhouse, path);
      if (d.body !== c.body)
        throw new BenchFailure(`${label}: the backends answer differently:\n${d.body.slice(0, 300)}\n${c.body.slice(0, 300)}`);
      rows.push([label, fmtMs(d.ms), fmtMs(c.ms), (c.ms / d.ms).toFixed(1)]);
      log(`${label}: duckdb ${fmtMs(d.ms)} ms, clickhouse ${fmtMs(c.ms)} ms (same answer)`);
    }
    const ingestRows: string[][] = [];
    // Not into the DuckDB query server: its events directory is the cached data set (earlier
    // runs left their ingest sites in it, loaded into ClickHouse with the rest next time).
    const empty = await startServer(null, log, { env: { MALLARD_FLUSH_INTERVAL: '5' } });
    try {
      const targets = { duckdb: { url: empty.url, cookie: await signIn(empty.url) }, clickhouse: servers.clickhouse };
      for (const [name, s] of Object.entries(targets)) {
        const ms = await ingest(s, await createKey(s.url, s.cookie, 'ingest'), `ingest-${name}.bench`);
        ingestRows.push([name, fmtInt(INGEST_EVENTS), fmtMs(ms), fmtInt(INGEST_EVENTS / (ms / 1000))]);
      }
    } finally {
      await stopServer(empty.child);
    }
    log('');
    log(
      `Overview, filtered and behavioral queries, ${fmtInt(ds.events)} events over 30 days, median of ${RUNS} (after ${WARMUP} warm-up), ms:`,
    );
    log(table(['query', 'duckdb', 'clickhouse', 'clickhouse / duckdb'], rows));
    log('');
    log(`Ingest: ${fmtInt(INGEST_EVENTS)} events, batches of ${fmtInt(BATCH)}, 2 clients, until readable:`);
    log(table(['backend', 'events', 'ms', 'events/s'], ingestRows));
  } finally {
    await stopServer(duck.child);
    await stopServer(ch.child);
    await clickhouse.stop();
  }
}

// A request the client gave up on without answering would leave nothing to wait for: say so
// instead of ending as if the run were done.
let finished = false;
process.on('beforeExit', () => {
  if (finished) return;
  process.stderr.write('the benchmark ended without finishing (a request was dropped unanswered?)\n');
  process.exit(1);
});

main()
  .then(() => {
    finished = true;
  })
  .catch((err) => {
    process.stderr.write(`${err instanceof BenchFailure ? err.message : (err as Error).stack}\n`);
    process.exit(1);
  });
