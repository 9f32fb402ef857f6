/**
 * Soak benchmark: does the server stay healthy under mixed load for a long time, across a
 * restart? Single browser events, batches and dashboard queries all at once against the
 * built server, with frequent flushes and compactions, a graceful restart at half time on
 * the same data directory, then the check that every acknowledged event is stored.
 *
 *   npm run build && node --import tsx bench/soak.ts     (or: npm run bench:soak)
 *
 * While running, one line every 10 s: elapsed time, the server's RSS, requests done per
 * kind (singles, batches with their events, queries), errors per kind and requests cut by
 * the planned restart (retried, not errors). At the end a summary: acknowledged events,
 * requests, errors and p50/p99 latency per kind, RSS min/max/last and its slope in MB per
 * minute for each server process, peak RSS (VmHWM), and stored = acknowledged (OK/FAILED),
 * through the API and, after the last stop, in the Parquet files themselves.
 * It exits 1 after printing everything if a request failed, the counts differ, the server
 * logged an error, crashed or did not stop cleanly. Latency and memory are reported, never
 * judged. See bench/README.md.
 *
 * Environment: BENCH_SOAK_SECONDS (600), BENCH_SOAK_SINGLE_LOOPS (4),
 * BENCH_SOAK_SINGLE_PAUSE_MS (20), BENCH_SOAK_BATCH_EVERY_MS (1000),
 * BENCH_SOAK_QUERY_EVERY_MS (300), BENCH_SOAK_SEED (1), BENCH_SOAK_DUCKDB_MEMORY (the server's
 * default), BENCH_TMPDIR (os.tmpdir()), BENCH_KEEP=1 (keep the data directories).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DuckDBInstance } from '@duckdb/node-api';
import { literal } from '../src/storage/duckdb/database.js';
import { BenchFailure, envInt, fmtInt, fmtMs, memory, mulberry32, TMP, table } from './lib.js';
import { type Child, createKey, signIn, startServer, stopServer, waitForDerived } from './server.js';
import { browserHeaders, pageview, pick, publicIp, USER_AGENTS } from './traffic.js';

// ---------------------------------------------------------------------------------------
// settings

const SECONDS = envInt('BENCH_SOAK_SECONDS', 600, 20, 7 * 86_400);
const SINGLE_LOOPS = envInt('BENCH_SOAK_SINGLE_LOOPS', 4, 1, 200);
const SINGLE_PAUSE_MS = envInt('BENCH_SOAK_SINGLE_PAUSE_MS', 20, 0, 60_000);
const BATCH_EVERY_MS = envInt('BENCH_SOAK_BATCH_EVERY_MS', 1000, 10, 3_600_000);
const QUERY_EVERY_MS = envInt('BENCH_SOAK_QUERY_EVERY_MS', 300, 10, 3_600_000);
const SEED = envInt('BENCH_SOAK_SEED', 1, 0, 2 ** 31 - 1);

/** Frequent flushes and compactions, so that hours of their work happen in minutes. */
const SERVER_ENV = {
  MALLARD_TRUSTED_PROXIES: '127.0.0.1',
  MALLARD_FLUSH_INTERVAL: '5',
  MALLARD_FLUSH_COUNT: '2000',
  MALLARD_COMPACT_MIN_FILES: '4',
  // Less memory for the engine makes its refusals (and their recovery paths) come sooner.
  ...(process.env.BENCH_SOAK_DUCKDB_MEMORY ? { MALLARD_DUCKDB_MEMORY_LIMIT: process.env.BENCH_SOAK_DUCKDB_MEMORY } : {}),
};
const SITE_SINGLE = 'single.soak.example';
const SITE_BATCH = 'batch.soak.example';
const BATCH_MIN = 1000;
const BATCH_MAX = 5000;
/** Batch timestamps go this far back: events land in days already flushed (and compacted). */
const BATCH_SPREAD_MS = 3 * 86_400_000;
/** A request still unanswered after this long is a hang, reported as an error. */
const REQUEST_TIMEOUT_MS = 120_000;
/** After the load, how long the rebuild of visits and rollups may take before it counts as stuck. */
const DERIVED_WAIT_MS = 300_000;
const SAMPLE_MS = 1000;
const PRINT_EVERY_SAMPLES = 10;
/** RSS slopes leave out each process's first minute (start-up, JIT, caches filling). */
const SLOPE_SKIP_SECONDS = 60;
const FILTERS = [
  [['is', 'visit:country', ['US']]],
  [['contains', 'event:page', ['/blog']]],
  [['is', 'visit:source', ['Google']]],
];
const QUERY_PATHS = ['main', 'timeseries', 'breakdown/pages', 'breakdown/sources'];

// ---------------------------------------------------------------------------------------
// state shared by the load loops

type Kind = 'single' | 'batch' | 'query';
const KINDS: readonly Kind[] = ['single', 'batch', 'query'];

interface KindStats {
  /** Requests answered as expected. */
  ok: number;
  errors: number;
  /** Requests cut by the planned restart (503 while closing, connection closed or refused), then retried. */
  cut: number;
  /** Why requests were cut, and how often. */
  cutKinds: Map<string, number>;
  latencies: number[];
  /** Distinct error descriptions and how often each occurred. */
  errorKinds: Map<string, number>;
}
const stats: Record<Kind, KindStats> = {
  single: { ok: 0, errors: 0, cut: 0, cutKinds: new Map(), latencies: [], errorKinds: new Map() },
  batch: { ok: 0, errors: 0, cut: 0, cutKinds: new Map(), latencies: [], errorKinds: new Map() },
  query: { ok: 0, errors: 0, cut: 0, cutKinds: new Map(), latencies: [], errorKinds: new Map() },
};
const acked = { singles: 0, batchEvents: 0 };

interface Server {
  child: Child;
  url: string;
  /** 1 before the restart, 2 after. */
  no: number;
  /** Seconds after the start of the load when it became healthy. */
  since: number;
}
let server: Server;
/** Every server process of the run, for their log lines at the end. */
const servers: Server[] = [];
let dataDir = '';
/** Bumped when the restart begins: a request started before it and failing after it was cut by it. */
let epoch = 0;
let restarting = false;
/** Resolved once the server after the restart is healthy: what a cut request waits for. */
let restarted: Promise<void> = Promise.resolve();
let crashed = false;
/** Set while the benchmark itself stops the server: that exit is no crash. */
let planned = false;
let t0 = 0;
let deadline = 0;
const elapsed = () => (performance.now() - t0) / 1000;
const over = () => crashed || performance.now() >= deadline;

/** Problems found along the way; the run goes on, then exits 1 and lists them. */
const problems: string[] = [];
function problem(message: string): void {
  problems.push(message);
  log(`  !! FAILURE: ${message}`);
}

// ---------------------------------------------------------------------------------------
// requests

function errorText(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000} s`;
  const cause = e.cause ? `: ${e.cause.code ?? e.cause.message}` : '';
  return `${e.message}${cause}`;
}

function recordError(kind: Kind, what: string): void {
  const s = stats[kind];
  s.errors++;
  const key = what.length > 200 ? `${what.slice(0, 200)}…` : what;
  s.errorKinds.set(key, (s.errorKinds.get(key) ?? 0) + 1);
  if (s.errorKinds.get(key) === 1) log(`  !! ${kind} error at ${elapsed().toFixed(1)} s: ${key}`);
}

/**
 * One request, answered `expect` (returns the body) or failed (null, counted). The load does
 * not pause for the restart: a request the restart cut off (503 while the old server closes,
 * connection closed or refused) stored nothing, and is sent again once the new server is
 * healthy, as a client behind a proxy would retry. Other failures are errors, never retried:
 * a retry could store a single event twice.
 */
async function send(kind: Kind, path: string, init: RequestInit, expect: number): Promise<string | null> {
  for (;;) {
    const started = epoch;
    const t = performance.now();
    let failure: string;
    let maybeCut = false;
    try {
      const res = await fetch(`${server.url}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const text = await res.text();
      if (res.status === expect) {
        stats[kind].ok++;
        stats[kind].latencies.push(performance.now() - t);
        return text;
      }
      failure = `HTTP ${res.status} ${path.split('?')[0]}: ${text.slice(0, 200)}`;
      maybeCut = res.status === 503;
    } catch (err) {
      failure = `${path.split('?')[0]}: ${errorText(err)}`;
      maybeCut = (err as Error).name !== 'TimeoutError';
    }
    if (maybeCut && (restarting || epoch !== started)) {
      const s = stats[kind];
      s.cut++;
      const why = failure.replace(/^HTTP (\d+) .*/, 'HTTP $1').replace(/^[^:]*: /, '');
      s.cutKinds.set(why, (s.cutKinds.get(why) ?? 0) + 1);
      await restarted;
      continue;
    }
    recordError(kind, failure);
    return null;
  }
}

// ---------------------------------------------------------------------------------------
// load

const IPS = (() => {
  const rand = mulberry32(SEED);
  return Array.from({ length: 5000 }, () => publicIp(rand));
})();

/** One browser after another: a tracker page view, a short pause, the next. */
async function singleLoop(loop: number): Promise<void> {
  const rand = mulberry32(SEED * 1009 + 1 + loop);
  while (!over()) {
    const headers = browserHeaders(rand, SITE_SINGLE, IPS);
    const body = JSON.stringify(pageview(rand, SITE_SINGLE));
    if ((await send('single', '/api/event', { method: 'POST', headers, body }, 202)) !== null) acked.singles++;
    if (SINGLE_PAUSE_MS > 0) await sleep(SINGLE_PAUSE_MS);
  }
}

function batchEvents(rand: () => number, size: number): Record<string, unknown>[] {
  const now = Date.now();
  return Array.from({ length: size }, () => {
    const e = pageview(rand, SITE_BATCH);
    if (rand() < 0.1) {
      e.n = pick(rand, ['Signup', 'Download', 'Outbound Link: Click']);
      e.p = { plan: pick(rand, ['free', 'pro', 'team']) };
    }
    return {
      ...e,
      timestamp: new Date(now - 1000 - Math.floor(rand() * BATCH_SPREAD_MS)).toISOString(),
      ip: pick(rand, IPS),
      user_agent: pick(rand, USER_AGENTS),
    };
  });
}

/** An importer: a batch of 1,000–5,000 events every BATCH_EVERY_MS, NDJSON or a JSON array. */
async function batchLoop(ingestKey: string): Promise<void> {
  const rand = mulberry32(SEED * 1009 + 500);
  while (!over()) {
    const t = performance.now();
    const events = batchEvents(rand, BATCH_MIN + Math.floor(rand() * (BATCH_MAX - BATCH_MIN + 1)));
    const ndjson = rand() < 0.5;
    const body = ndjson ? `${events.map((e) => JSON.stringify(e)).join('\n')}\n` : JSON.stringify(events);
    const contentType = ndjson ? 'application/x-ndjson' : 'application/json';
    const headers = { 'content-type': contentType, authorization: `Bearer ${ingestKey}` };
    const text = await send('batch', '/api/events', { method: 'POST', headers, body }, 200);
    if (text !== null) {
      const r = JSON.parse(text) as { accepted: number; rejected: number; errors: unknown[] };
      acked.batchEvents += r.accepted;
      // Every generated event is valid: a rejection is a server fault, and the request an
      // error rather than an answer as expected.
      if (r.rejected !== 0) {
        stats.batch.ok--;
        recordError('batch', `rejected ${r.rejected} events: ${JSON.stringify(r.errors.slice(0, 2))}`);
      }
    }
    await sleep(Math.max(0, BATCH_EVERY_MS - (performance.now() - t)));
  }
}

/** A dashboard: one of the overview's queries every QUERY_EVERY_MS, a third of them filtered. */
async function queryLoop(readKey: string): Promise<void> {
  const rand = mulberry32(SEED * 1009 + 900);
  while (!over()) {
    const t = performance.now();
    const params = new URLSearchParams({ site_id: pick(rand, [SITE_SINGLE, SITE_BATCH]), period: '7d' });
    if (rand() < 1 / 3) params.set('filters', JSON.stringify(pick(rand, FILTERS)));
    const path = `/api/stats/${pick(rand, QUERY_PATHS)}?${params}`;
    await send('query', path, { headers: { authorization: `Bearer ${readKey}` } }, 200);
    await sleep(Math.max(0, QUERY_EVERY_MS - (performance.now() - t)));
  }
}

// ---------------------------------------------------------------------------------------
// the server: start, watch, restart

/** A server on a fresh data directory, or on the one of `prev`, at its address. */
async function start(prev?: Server): Promise<Server> {
  const started = await startServer(null, log, {
    env: SERVER_ENV,
    dataDir: prev ? dataDir : undefined,
    port: prev ? Number(new URL(prev.url).port) : undefined,
  });
  const { child, url } = started;
  dataDir = started.dataDir;
  const no = prev ? prev.no + 1 : 1;
  child.exited.then((code) => {
    if (!planned) {
      crashed = true;
      problem(`server ${no} (pid ${child.pid}) exited unexpectedly at ${elapsed().toFixed(1)} s, code ${code}`);
    }
  });
  const s = { child, url, no, since: t0 === 0 ? 0 : elapsed() };
  servers.push(s);
  return s;
}

interface RestartInfo {
  at: number;
  shutdownMs: number;
  downSeconds: number;
}

/** Graceful stop (SIGTERM) under load, then a new server on the same directory and port. */
async function restart(): Promise<RestartInfo> {
  const at = elapsed();
  const old = server;
  finalFigures.set(old.no, `just before SIGTERM: ${await serverFigures(old)}`);
  let resume = () => {};
  restarted = new Promise((r) => {
    resume = r;
  });
  restarting = true;
  epoch++;
  planned = true;
  log(`  ${at.toFixed(1)} s: restart, SIGTERM to server ${old.no} (pid ${old.child.pid})`);
  const stopping = stopServer(old.child);
  if ((await Promise.race([stopping, sleep(5000, null)])) === null) {
    const port = Number(new URL(old.url).port);
    log(`  server ${old.no} still running 5 s after SIGTERM; ${openConnections(port)} TCP connection(s) to port ${port} open`);
  }
  const stop = await stopping;
  checkStopped(old.no, stop);
  planned = false;
  server = await start(old);
  restarting = false;
  resume();
  const info = { at, shutdownMs: stop.ms, downSeconds: elapsed() - at };
  log(
    `  ${elapsed().toFixed(1)} s: server 2 (pid ${server.child.pid}) healthy; shutdown took ${fmtInt(stop.ms)} ms, ` +
      `down ${info.downSeconds.toFixed(1)} s`,
  );
  return info;
}

function checkStopped(no: number, stop: Awaited<ReturnType<typeof stopServer>>): void {
  if (stop.killed) problem(`server ${no} did not exit within 30 s of SIGTERM: killed (SIGKILL)`);
  else if (stop.code !== 0) problem(`server ${no} exited with code ${stop.code} after SIGTERM`);
}

/** Established TCP connections whose local end is `port` (the server's side), from /proc/net. */
function openConnections(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  let n = 0;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      for (const line of readFileSync(file, 'utf8').split('\n').slice(1)) {
        const [, local, , state] = line.trim().split(/\s+/);
        if (local?.endsWith(`:${hex}`) && state === '01') n++;
      }
    } catch {
      // no IPv6
    }
  }
  return n;
}

interface Sample {
  t: number;
  no: number;
  rssMb: number;
}
const samples: Sample[] = [];
let ticks = 0;
let lastProgress = 0;
/** VmHWM of each server process, read at every sample (the process is gone at the end). */
const peakMb = new Map<number, number>();

function sample(): void {
  if (!restarting && !crashed) {
    try {
      const m = memory(server.child.pid);
      samples.push({ t: elapsed(), no: server.no, rssMb: m.rssMb });
      peakMb.set(server.no, Math.max(peakMb.get(server.no) ?? 0, m.peakMb));
    } catch {
      // the process is exiting
    }
  }
}

function tick(): void {
  sample();
  if (++ticks % PRINT_EVERY_SAMPLES === 0) progress();
}

function progress(): void {
  lastProgress = elapsed();
  const rss = restarting ? undefined : samples.at(-1)?.rssMb;
  const s = stats;
  log(
    `${elapsed().toFixed(0).padStart(6)} s  RSS ${rss === undefined ? '-' : rss.toFixed(0)} MB  ` +
      `single ${fmtInt(s.single.ok + s.single.errors)}  batch ${fmtInt(s.batch.ok + s.batch.errors)} ` +
      `(${fmtInt(acked.batchEvents)} events)  query ${fmtInt(s.query.ok + s.query.errors)}  ` +
      `errors ${s.single.errors}/${s.batch.errors}/${s.query.errors}  cut by restart ${s.single.cut + s.batch.cut + s.query.cut}`,
  );
}

// ---------------------------------------------------------------------------------------
// API helpers

/** The site's stored events (all time), or why they could not be read. */
async function storedEvents(readKey: string, site: string): Promise<number | string> {
  try {
    const res = await fetch(`${server.url}/api/stats/main?site_id=${site}&period=all`, {
      headers: { authorization: `Bearer ${readKey}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status !== 200) return `HTTP ${res.status}: ${text.slice(0, 300)}`;
    return (JSON.parse(text) as { events: number }).events;
  } catch (err) {
    return errorText(err);
  }
}

interface Check {
  label: string;
  site: string;
  stored: number;
  expected: number;
}
const checks: Check[] = [];

async function verify(label: string, readKey: string): Promise<void> {
  for (const [site, expected] of [
    [SITE_SINGLE, acked.singles],
    [SITE_BATCH, acked.batchEvents],
  ] as const) {
    const answer = await storedEvents(readKey, site);
    const stored = typeof answer === 'number' ? answer : Number.NaN;
    checks.push({ label, site, stored, expected });
    const line = `${label}, ${site}: stored ${typeof answer === 'number' ? fmtInt(stored) : `? (${answer})`}, acknowledged ${fmtInt(expected)}`;
    if (stored !== expected) problem(`stored ≠ acknowledged: ${line}`);
    else log(`  OK ${line}`);
  }
}

/**
 * The same check on the files, read here without the server: after a clean stop every
 * acknowledged event is in exactly one Parquet row (its sequence number appears once) and
 * the write-ahead log holds nothing.
 */
async function verifyOnDisk(): Promise<void> {
  const walRows = readdirSync(join(dataDir, 'wal'))
    .filter((n) => n.endsWith('.log'))
    .reduce(
      (n, f) =>
        n +
        readFileSync(join(dataDir, 'wal', f), 'utf8')
          .split('\n')
          .filter((l) => l.length > 0).length,
      0,
    );
  if (walRows > 0) problem(`the write-ahead log still holds ${fmtInt(walRows)} rows after a clean stop`);
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  try {
    for (const [site, expected] of [
      [SITE_SINGLE, acked.singles],
      [SITE_BATCH, acked.batchEvents],
    ] as const) {
      const glob = literal(join(dataDir, 'events', `site_id=${site}`, '*', '*.parquet'));
      const [row] = (
        await c.runAndReadAll(
          `SELECT count(*)::BIGINT AS n, count(DISTINCT seq)::BIGINT AS d FROM read_parquet(${glob}, union_by_name = true)`,
        )
      ).getRowObjectsJS() as { n: bigint; d: bigint }[];
      const n = Number(row?.n ?? 0);
      const d = Number(row?.d ?? 0);
      const label = 'in the Parquet files';
      checks.push({ label, site, stored: n, expected });
      const line = `${label}, ${site}: ${fmtInt(n)} rows (${fmtInt(n - d)} sequence numbers twice), acknowledged ${fmtInt(expected)}`;
      if (n !== expected || d !== n) problem(`stored ≠ acknowledged: ${line}`);
      else log(`  OK ${line}`);
    }
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

/** What /metrics says about ingestion and flushes, and the Parquet files on disk. */
async function serverFigures(s: Server): Promise<string> {
  let text: string;
  try {
    text = await (await fetch(`${s.url}/metrics`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).text();
  } catch (err) {
    return `/metrics unavailable (${errorText(err)}); ${parquetFiles()}`;
  }
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const drops = [...text.matchAll(/^mallard_events_dropped_total\{reason="([^"]+)"\} ([0-9.e+-]+)$/gm)]
    .filter((m) => Number(m[2]) > 0)
    .map((m) => `${m[1]}=${m[2]}`);
  const flushes = value('mallard_flush_duration_seconds_count');
  const meanMs = (value('mallard_flush_duration_seconds_sum') / flushes) * 1000;
  return (
    `ingested ${fmtInt(value('mallard_events_ingested_total'))}, ${fmtInt(flushes)} flushes (mean ${fmtInt(meanMs)} ms), ` +
    `dropped ${drops.length > 0 ? drops.join(' ') : 'none'}; ${parquetFiles()}`
  );
}

/** Parquet files per partition: compaction should keep each day's count small. */
function parquetFiles(): string {
  const counts: number[] = [];
  const events = join(dataDir, 'events');
  // A compaction or a retention run may remove a directory while it is read.
  const list = (p: string) => {
    try {
      return readdirSync(p, { withFileTypes: true });
    } catch {
      return [];
    }
  };
  for (const site of list(events).filter((d) => d.isDirectory()))
    for (const day of list(join(events, site.name)).filter((d) => d.isDirectory()))
      counts.push(list(join(events, site.name, day.name)).filter((f) => f.name.endsWith('.parquet')).length);
  const total = counts.reduce((a, b) => a + b, 0);
  return `${total} Parquet files in ${counts.length} partitions (at most ${Math.max(0, ...counts)} in one)`;
}
const finalFigures = new Map<number, string>();

// ---------------------------------------------------------------------------------------
// output

const log = (s: string) => process.stdout.write(`${s}\n`);
const fmtMb = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');

/** q-quantile (nearest rank). */
function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** Least-squares slope of RSS over time, in MB per minute. */
function slopeMbPerMinute(points: readonly Sample[]): number {
  if (points.length < 3) return Number.NaN;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.t, 0) / n;
  const my = points.reduce((a, p) => a + p.rssMb, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const p of points) {
    sxy += (p.t - mx) * (p.rssMb - my);
    sxx += (p.t - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : (sxy / sxx) * 60;
}

/** RSS figures of one server process; the slope skips its first minute (or first half when shorter). */
function rssRow(no: number, label: string, since: number): string[] {
  const points = samples.filter((s) => s.no === no);
  const rss = points.map((p) => p.rssMb);
  const lifetime = (points.at(-1)?.t ?? since) - since;
  const skip = Math.min(SLOPE_SKIP_SECONDS, lifetime / 2);
  const fitted = points.filter((p) => p.t - since >= skip);
  return [
    label,
    String(points.length),
    fmtMb(Math.min(...rss)),
    fmtMb(Math.max(...rss)),
    fmtMb(rss.at(-1) ?? Number.NaN),
    fmtMb(peakMb.get(no) ?? Number.NaN),
    Number.isFinite(slopeMbPerMinute(fitted)) ? slopeMbPerMinute(fitted).toFixed(2) : '-',
    fitted.length > 0 ? `${(fitted[0]?.t ?? 0).toFixed(0)}–${(fitted.at(-1)?.t ?? 0).toFixed(0)} s` : '-',
  ];
}

/** The servers' log lines (MALLARD_LOG_LEVEL=warn), grouped; error and fatal lines are failures. */
function printServerLog(): void {
  const lines = servers.flatMap((s) => s.child.output.map((line) => ({ no: s.no, line })));
  if (lines.length === 0) {
    log('server log (warn and above): none');
    return;
  }
  const groups = new Map<string, number>();
  for (const { no, line } of lines) {
    let key = `server ${no}: ${line}`;
    try {
      const j = JSON.parse(line.replace(/^std(out|err): /, '')) as { level?: number; msg?: string; err?: { message?: string } };
      key = `server ${no}: level ${j.level} "${j.msg}"${j.err?.message ? `: ${j.err.message}` : ''}`;
      if ((j.level ?? 0) >= 50 && !groups.has(key)) problem(`the server logged an error: ${key}`);
    } catch {
      // not JSON (a crash's stack trace): the line itself
    }
    groups.set(key, (groups.get(key) ?? 0) + 1);
  }
  log(`server log (warn and above): ${lines.length} line(s)`);
  for (const [key, n] of groups) log(`  ${n} × ${key.length > 300 ? `${key.slice(0, 300)}…` : key}`);
}

function printSummary(duration: number, restartInfo: RestartInfo | null, sinceSecond: number): void {
  log('\nsummary\n');
  const restartText = restartInfo
    ? `restart at ${restartInfo.at.toFixed(1)} s: shutdown ${fmtInt(restartInfo.shutdownMs)} ms, ` +
      `down ${restartInfo.downSeconds.toFixed(1)} s`
    : 'no restart (the server crashed first)';
  log(`duration              ${duration.toFixed(1)} s of load; ${restartText}`);
  log(
    `events acknowledged   ${fmtInt(acked.singles + acked.batchEvents)}: singles ${fmtInt(acked.singles)} (202), ` +
      `batch events ${fmtInt(acked.batchEvents)} (accepted)`,
  );
  log('');
  const kindLabel: Record<Kind, string> = {
    single: 'single POST /api/event',
    batch: `batch POST /api/events (${fmtInt(BATCH_MIN)}–${fmtInt(BATCH_MAX)})`,
    query: 'query GET /api/stats/*',
  };
  log(
    table(
      ['kind', 'requests', 'req/s', 'errors', 'cut+retried', 'p50 ms', 'p99 ms', 'max ms'],
      KINDS.map((k) => {
        const s = stats[k];
        return [
          kindLabel[k],
          fmtInt(s.ok + s.errors),
          ((s.ok + s.errors) / duration).toFixed(1),
          String(s.errors),
          String(s.cut),
          fmtMs(quantile(s.latencies, 0.5)),
          fmtMs(quantile(s.latencies, 0.99)),
          fmtMs(quantile(s.latencies, 1)),
        ];
      }),
    ),
  );
  for (const k of KINDS) {
    for (const [what, n] of stats[k].errorKinds) log(`  ${k} error ${n} ×: ${what}`);
    for (const [why, n] of stats[k].cutKinds) log(`  ${k} cut by the restart ${n} ×: ${why}`);
  }
  log('');
  const rows = [rssRow(1, 'server 1 (before restart)', 0)];
  if (restartInfo) rows.push(rssRow(2, 'server 2 (after restart)', sinceSecond));
  log(table(['RSS MB', 'samples', 'min', 'max', 'last', 'VmHWM', 'slope MB/min', 'fitted'], rows));
  for (const [no, figures] of finalFigures) log(`server ${no} at its end: ${figures}`);
  log('');
  for (const c of checks)
    log(
      `stored = acknowledged  ${c.label}, ${c.site}: ${fmtInt(c.stored)} vs ${fmtInt(c.expected)}  ` +
        `${c.stored === c.expected ? 'OK' : 'FAILED'}`,
    );
  if (checks.length === 0) log('stored = acknowledged  not checked  FAILED');
  log(
    `load average at the end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  log('');
  if (problems.length === 0) log('RESULT: OK (0 errors; stored = acknowledged)');
  else {
    log(`RESULT: FAILED, ${problems.length} problem(s):`);
    for (const p of problems) log(`  - ${p}`);
  }
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  log(
    `mallard soak benchmark: ${SECONDS} s, restart at ${SECONDS / 2} s; ${SINGLE_LOOPS} single-event loops ` +
      `(pause ${SINGLE_PAUSE_MS} ms), a batch of ${fmtInt(BATCH_MIN)}–${fmtInt(BATCH_MAX)} events every ${BATCH_EVERY_MS} ms, ` +
      `a query every ${QUERY_EVERY_MS} ms; seed ${SEED}; node ${process.version}, ${cpus().length} CPUs, load average ` +
      `${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}, data under ${TMP}`,
  );
  log(
    `server settings: ${Object.entries(SERVER_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')} MALLARD_LOG_LEVEL=warn`,
  );
  server = await start();
  const cookie = await signIn(server.url);
  const ingestKey = await createKey(server.url, cookie, 'ingest', 'soak ingest');
  const readKey = await createKey(server.url, cookie, 'read', 'soak read');

  log('\nload (errors: single/batch/query)');
  t0 = performance.now();
  deadline = t0 + SECONDS * 1000;
  const sampler = setInterval(tick, SAMPLE_MS);
  let restartInfo: RestartInfo | null = null;
  const restartAtHalf = async () => {
    await sleep(Math.max(0, t0 + (SECONDS * 1000) / 2 - performance.now()));
    if (!crashed) restartInfo = await restart();
  };
  await Promise.all([
    ...Array.from({ length: SINGLE_LOOPS }, (_, i) => singleLoop(i)),
    batchLoop(ingestKey),
    queryLoop(readKey),
    restartAtHalf(),
  ]);
  clearInterval(sampler);
  const duration = elapsed();
  if (duration - lastProgress > 2) progress();
  const secondSince = server.since;

  if (!crashed) {
    log('\ncheck: GET /api/stats/main?period=all → events, per site');
    await verify('right after the load', readKey);
    // Batches kept touching the same days, so their visits and rollups were rebuilt only
    // now and then; once built, the numbers must not change.
    const derived = await Promise.race([waitForDerived(server.url, log), sleep(DERIVED_WAIT_MS, null)]);
    if (derived === null) problem(`visits and rollups still pending after ${DERIVED_WAIT_MS / 1000} s`);
    else await verify('visits and rollups rebuilt', readKey);
    // After the load (not a sample: the slope is over the load), and the rebuild may set the peak.
    const m = memory(server.child.pid);
    peakMb.set(server.no, Math.max(peakMb.get(server.no) ?? 0, m.peakMb));
    finalFigures.set(server.no, `after the checks: RSS ${fmtMb(m.rssMb)} MB; ${await serverFigures(server)}`);
    planned = true;
    const stop = await stopServer(server.child);
    checkStopped(server.no, stop);
    log(`server ${server.no} stopped in ${fmtInt(stop.ms)} ms`);
    await verifyOnDisk();
  } else {
    problem('stored = acknowledged not checked: the server crashed');
  }
  for (const k of KINDS) if (stats[k].errors > 0) problem(`${stats[k].errors} ${k} request(s) failed`);
  log('');
  printServerLog();
  printSummary(duration, restartInfo, secondSince);
}

main().then(
  () => process.exit(problems.length === 0 ? 0 : 1),
  (err: unknown) => {
    process.stderr.write(
      `\nBENCH FAILED: ${err instanceof BenchFailure ? err.message : ((err as Error).stack ?? String(err))}\n`,
    );
    if (server) process.stderr.write(`\nserver output (last 20 lines):\n${server.child.output.slice(-20).join('\n')}\n`);
    process.exit(1);
  },
);
