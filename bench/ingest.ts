/**
 * Ingest benchmark: how close does `POST /api/event` get to a bare `node:http` server that
 * does nothing, what does fdatasync cost, how fast do `/api/events` batches go, and are
 * all acknowledged events really there afterwards?
 *
 *   npm run build && node --import tsx bench/ingest.ts     (or: npm run bench:ingest)
 *
 * Every server runs in its own child process (its own event loop, its own CPU); the
 * load generator (autocannon) runs here. The real server runs with the default settings
 * plus MALLARD_TRUSTED_PROXIES=127.0.0.1, so the X-Forwarded-For of each request is its
 * client address (varied visitors and geo lookups, as behind a reverse proxy).
 * See bench/README.md for what the figures mean.
 *
 * Environment: BENCH_SECONDS (10), BENCH_WARMUP_SECONDS (2), BENCH_CONNECTIONS (50),
 * BENCH_BATCHES (20), BENCH_BATCH_SIZE (10000), BENCH_IMPORT_EVENTS (1000000: the
 * `import` command's file), BENCH_TMPDIR (os.tmpdir()),
 * BENCH_KEEP_DATA=1 keeps the servers' data directories, BENCH_SERVER_NODE_ARGS adds options
 * to the servers' node (e.g. `--cpu-prof --cpu-prof-dir=prof`: a profile per server, written
 * when it exits; bench/profile-summary.ts reads one).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import autocannon from 'autocannon';
import {
  BenchFailure,
  cpuSeconds,
  envInt,
  fmtInt,
  fmtMs,
  freePort,
  MAIN_JS,
  type Mem,
  machineBusySeconds,
  memory,
  mulberry32,
  PASSWORD,
  TMP,
  table,
} from './lib.js';
import { serverEnv } from './server.js';
import { browserHeaders, pageview, pick, publicIp, USER_AGENTS } from './traffic.js';

// ---------------------------------------------------------------------------------------
// settings

const SECONDS = envInt('BENCH_SECONDS', 10, 1, 3600);
const WARMUP_SECONDS = envInt('BENCH_WARMUP_SECONDS', 2, 0, 600);
const CONNECTIONS = envInt('BENCH_CONNECTIONS', 50, 1, 10_000);
const BATCHES = envInt('BENCH_BATCHES', 20, 2, 10_000);
const BATCH_SIZE = envInt('BENCH_BATCH_SIZE', 10_000, 1, 10_000);
const IMPORT_EVENTS = envInt('BENCH_IMPORT_EVENTS', 1_000_000, 10_000, 100_000_000);
const KEEP_DATA = process.env.BENCH_KEEP_DATA === '1';
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter((a) => a.length > 0);

const SITE_SINGLE = 'single.bench.example';
const SITE_WARMUP = 'warmup.bench.example';
const SITE_BATCH = 'batch.bench.example';
const SITE_IMPORT = 'import.bench.example';
const OUTLIER_MS = 100; // responses at least this slow are listed by when they happened

// ---------------------------------------------------------------------------------------
// realistic traffic (seeded, so every run of the benchmark sends the same requests)

const rand = mulberry32(0x6d616c6c);
const IPS = Array.from({ length: 5000 }, () => publicIp(rand));

/**
 * Requests for `POST /api/event`, as browsers send them (sendBeacon: text/plain). The
 * client address comes from X-Forwarded-For (the server trusts 127.0.0.1 as a proxy), so
 * visitors, sessions and geo lookups are as varied as on a real site behind a proxy.
 */
function singleEventRequests(site: string, count = 512): autocannon.Request[] {
  return Array.from({ length: count }, () => ({
    method: 'POST' as const,
    path: '/api/event',
    headers: browserHeaders(rand, site, IPS),
    body: JSON.stringify(pageview(rand, site)),
  }));
}

type BatchFormat = 'json' | 'ndjson';

/** A batch as a JSON array, or as NDJSON (one event per line), as an importer streams it. */
function batchBody(site: string, size: number, format: BatchFormat): string {
  const now = Date.now();
  const events = Array.from({ length: size }, () => {
    const e = pageview(rand, site);
    if (rand() < 0.1) {
      e.n = pick(rand, ['Signup', 'Download', 'Outbound Link: Click']);
      e.p = { plan: pick(rand, ['free', 'pro', 'team']) };
    }
    return {
      ...e,
      timestamp: new Date(now - 60_000 - Math.floor(rand() * 30 * 86_400_000)).toISOString(),
      ip: pick(rand, IPS),
      user_agent: pick(rand, USER_AGENTS),
    };
  });
  return format === 'json' ? JSON.stringify(events) : events.map((e) => JSON.stringify(e)).join('\n');
}

/**
 * The `import` command: a gzip NDJSON file of IMPORT_EVENTS batch events (the batches'
 * generator), imported into a fresh data directory; then a server on that directory must
 * count every event the command said it stored.
 */
async function importPhase(): Promise<{ eventsPerSec: number; cpuUsPerEvent: number; peakMb: number }> {
  log(`\n[5] the import command: ${fmtInt(IMPORT_EVENTS)} events from a gzip NDJSON file, server stopped`);
  const dir = mkdtempSync(join(TMP, 'mallard-bench-import-'));
  tempDirs.push(dir);
  const file = join(dir, 'events.ndjson.gz');
  const parts: Buffer[] = [];
  for (let done = 0; done < IMPORT_EVENTS; done += BATCH_SIZE) {
    parts.push(gzipSync(`${batchBody(SITE_IMPORT, Math.min(BATCH_SIZE, IMPORT_EVENTS - done), 'ndjson')}\n`));
  }
  writeFileSync(file, Buffer.concat(parts)); // gzip members one after the other: one gzip stream to a reader
  const dataDir = join(dir, 'data');
  const env = serverEnv(dataDir, await freePort(), {});
  const t0 = performance.now();
  const child = startChild('import', [MAIN_JS, 'import', file, '--site', SITE_IMPORT], env, dir);
  let peakMb = 0;
  let cpu = 0;
  const sampler = setInterval(() => {
    try {
      // An exiting process has no VmHWM any more (NaN): the last figure stands.
      const m = memory(child.pid).peakMb;
      if (Number.isFinite(m)) peakMb = Math.max(peakMb, m);
      const c = cpuSeconds(child.pid);
      if (Number.isFinite(c)) cpu = c;
    } catch {
      // exited between two samples
    }
  }, 100);
  const code = await child.exited;
  clearInterval(sampler);
  const secs = (performance.now() - t0) / 1000;
  const summary = child.output.find((l) => l.startsWith('stdout: imported')) ?? '';
  if (code !== 0) throw new BenchFailure(`import exited with ${code}: ${child.output.slice(-5).join(' | ')}`);
  const stored = Number(/imported ([\d,]+) events/.exec(summary)?.[1]?.replaceAll(',', '') ?? Number.NaN);
  log(`  ${summary.slice('stdout: '.length)}`);
  log(
    `  wall ${secs.toFixed(1)} s including start and the final flush; peak RSS ${peakMb.toFixed(0)} MB; CPU ${cpu.toFixed(1)} s`,
  );
  const server = await startMallardOn('mallard (after import)', dataDir);
  await verify('import command', server.url, await signIn(server.url), SITE_IMPORT, stored);
  await stopChild(server.child);
  return { eventsPerSec: stored / secs, cpuUsPerEvent: (cpu * 1e6) / stored, peakMb };
}

// ---------------------------------------------------------------------------------------
// child processes

interface Child {
  label: string;
  proc: ChildProcess;
  pid: number;
  output: string[];
  exited: Promise<number | null>;
}

const children = new Set<Child>();
const everyChild: Child[] = [];
const tempDirs: string[] = [];

function cleanupSync(): void {
  for (const c of children) {
    if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
  }
  children.clear();
  if (!KEEP_DATA) for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.length = 0;
}
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping servers\n`);
    cleanupSync();
    process.exit(130);
  });
}

function startChild(label: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): Child {
  const proc = spawn(process.execPath, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new BenchFailure(`${label}: could not start ${args.join(' ')}`);
  const output: string[] = [];
  const collect = (stream: NodeJS.ReadableStream | null, name: string) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) output.push(`${name}: ${line}`);
    });
    stream?.on('end', () => {
      if (partial.length > 0) output.push(`${name}: ${partial}`);
    });
  };
  collect(proc.stdout, 'stdout');
  collect(proc.stderr, 'stderr');
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const child: Child = { label, proc, pid: proc.pid, output, exited };
  children.add(child);
  everyChild.push(child);
  exited.then(() => children.delete(child));
  return child;
}

/** SIGTERM, wait (the real server flushes to Parquet), SIGKILL after `graceMs`. */
async function stopChild(c: Child, graceMs = 30_000): Promise<{ ms: number; code: number | null; killed: boolean }> {
  const t0 = performance.now();
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return { ms: 0, code: c.proc.exitCode, killed: false };
  c.proc.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), graceMs);
  });
  const r = await Promise.race([c.exited, timedOut]);
  clearTimeout(timer);
  if (r === 'timeout') {
    c.proc.kill('SIGKILL');
    await c.exited;
    return { ms: performance.now() - t0, code: null, killed: true };
  }
  return { ms: performance.now() - t0, code: r, killed: false };
}

async function waitHealthy(c: Child, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (c.proc.exitCode !== null) break;
    try {
      const res = await fetch(`${url}/health`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new BenchFailure(`${c.label} did not become healthy (exit code ${c.proc.exitCode}):\n${c.output.slice(-20).join('\n')}`);
}

// ---------------------------------------------------------------------------------------
// servers

const BARE_SERVER = `
const http = require('node:http');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => { res.writeHead(202); res.end(); });
});
server.keepAliveTimeout = 65000;
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n'));
process.on('SIGTERM', () => process.exit(0));
`;

async function startBare(): Promise<{ child: Child; url: string }> {
  const child = startChild('bare node:http', ['-e', BARE_SERVER], { PATH: process.env.PATH ?? '' }, TMP);
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const line = child.output.find((l) => l.startsWith('stdout: {'));
    if (line) {
      const { port } = JSON.parse(line.slice('stdout: '.length)) as { port: number };
      return { child, url: `http://127.0.0.1:${port}` };
    }
    if (child.proc.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new BenchFailure(`bare server did not start:\n${child.output.join('\n')}`);
}

interface Mallard {
  child: Child;
  url: string;
  dataDir: string;
}

async function startMallard(label: string, extraEnv: Record<string, string>): Promise<Mallard> {
  const dataDir = mkdtempSync(join(TMP, 'mallard-bench-'));
  tempDirs.push(dataDir);
  return startMallardOn(label, dataDir, extraEnv);
}

async function startMallardOn(label: string, dataDir: string, extraEnv: Record<string, string> = {}): Promise<Mallard> {
  if (!existsSync(MAIN_JS)) throw new BenchFailure(`${MAIN_JS} not found: run \`npm run build\` first`);
  const port = await freePort();
  const env = serverEnv(dataDir, port, {
    MALLARD_TRUSTED_PROXIES: '127.0.0.1',
    // The unlimited path is what is measured (0 is also the default).
    MALLARD_IP_RATE_LIMIT: '0',
    ...extraEnv,
  });
  const child = startChild(label, [...SERVER_NODE_ARGS, MAIN_JS, 'serve'], env, dataDir);
  if (KEEP_DATA) log(`  data directory (kept): ${dataDir}`);
  const url = `http://127.0.0.1:${port}`;
  await waitHealthy(child, url);
  return { child, url, dataDir };
}

// ---------------------------------------------------------------------------------------
// load

interface LoadResult {
  label: string;
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  seconds: number;
  rps: number;
  /** Latency quantiles in ms (see `hammer`). */
  p50: number;
  p99: number;
  p999: number;
  max: number;
  /** Responses slower than OUTLIER_MS: seconds after the start, and latency. */
  outliers: { at: number; ms: number }[];
  /** Responses per second of the run, the last one partial. */
  perSecond: number[];
  /** The slowest whole second of the run (responses in it). */
  worstSecond: number;
  /** The fastest whole second. */
  peakSecond: number;
  serverCpu: number;
  benchCpu: number;
  /** CPU used by everything else on the machine during the run (other processes, kernel). */
  otherCpu: number;
}

/**
 * One autocannon run. With `amount` the run ends when every response has arrived, so the
 * server holds no request the client gave up on (exact count check); with `duration`
 * (warm-up) in-flight requests are cut at the end.
 */
async function hammer(
  label: string,
  url: string,
  serverPid: number,
  requests: autocannon.Request[],
  limit: { amount: number } | { duration: number },
): Promise<LoadResult> {
  let clientNo = 0;
  const perSecond: number[] = [];
  // Own latency record: autocannon times each connection's first request from the moment
  // the client object is built, so while the other 49 are being built (synchronously) it
  // reads up to ~0.5 s. Those first responses are left out here.
  const seen = new Set<unknown>();
  const latencies: number[] = [];
  const outliers: { at: number; ms: number }[] = [];
  // Clocks start at autocannon's 'start' event, after its (synchronous) client set-up.
  let cpu0 = process.cpuUsage();
  let server0 = cpuSeconds(serverPid);
  let machine0 = machineBusySeconds();
  let t0 = performance.now();
  let last = t0;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url,
        connections: CONNECTIONS,
        pipelining: 1,
        timeout: 30,
        ...limit,
        requests,
        // each connection walks the request list from a different offset
        setupClient: (client) => {
          const k = (clientNo++ * 37) % requests.length;
          client.setRequests([...requests.slice(k), ...requests.slice(0, k)]);
        },
      },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
    instance.on('start', () => {
      cpu0 = process.cpuUsage();
      server0 = cpuSeconds(serverPid);
      machine0 = machineBusySeconds();
      t0 = performance.now();
      last = t0;
    });
    instance.on('response', (client, _status, _bytes, ms) => {
      last = performance.now();
      const s = Math.floor((last - t0) / 1000);
      perSecond[s] = (perSecond[s] ?? 0) + 1;
      if (!seen.has(client)) {
        seen.add(client);
        return;
      }
      latencies.push(ms);
      if (ms >= OUTLIER_MS) outliers.push({ at: (last - t0) / 1000, ms });
    });
  });
  const seconds = (last - t0) / 1000;
  const server1 = cpuSeconds(serverPid);
  const machine1 = machineBusySeconds();
  const cpu = process.cpuUsage(cpu0);
  const benchCpu = (cpu.user + cpu.system) / 1e6;
  const responses = result['1xx'] + result['2xx'] + result['3xx'] + result['4xx'] + result['5xx'];
  const sorted = Float64Array.from(latencies).sort();
  const whole = Array.from({ length: Math.floor(seconds) }, (_, i) => perSecond[i] ?? 0);
  return {
    label,
    responses,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    statusCodes: Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, s]) => [code, s.count ?? 0])),
    seconds,
    rps: responses / seconds,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    p999: quantile(sorted, 0.999),
    max: quantile(sorted, 1),
    outliers,
    perSecond: Array.from({ length: Math.ceil(seconds) }, (_, i) => perSecond[i] ?? 0),
    worstSecond: whole.length > 0 ? Math.min(...whole) : Number.NaN,
    peakSecond: whole.length > 0 ? Math.max(...whole) : Number.NaN,
    serverCpu: (server1 - server0) / seconds,
    benchCpu: benchCpu / seconds,
    otherCpu: Math.max(0, machine1 - machine0 - (server1 - server0) - benchCpu) / seconds,
  };
}

/** q-quantile (nearest rank) of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN;
}

/** Problems found along the way; the run goes on, then exits 1 and lists them. */
const problems: string[] = [];
function problem(message: string): void {
  problems.push(message);
  log(`  !! FAILURE: ${message}`);
}

function checkClean(r: LoadResult, c: Child): void {
  if (r.non2xx > 0 || r.errors > 0 || r.timeouts > 0) {
    problem(
      `${r.label}: ${r.non2xx} non-2xx responses ${JSON.stringify(r.statusCodes)}, ${r.errors} errors, ${r.timeouts} timeouts` +
        ` (server output: ${c.output.length} lines, see below)`,
    );
  }
}

/** Warm-up (also measures the rate), then a run sized to last about BENCH_SECONDS. */
/** The measured run; `acked` counts the 2xx of every run sent to `site` (for the count check). */
async function measure(label: string, url: string, c: Child, site: string): Promise<LoadResult & { acked: number }> {
  let rate = 2000;
  if (WARMUP_SECONDS > 0) {
    const warm = await hammer(`${label} warm-up`, url, c.pid, singleEventRequests(SITE_WARMUP), { duration: WARMUP_SECONDS });
    checkClean(warm, c);
    // Size the run from the warm-up's last whole second: its average still has cold JIT and caches.
    const whole = warm.perSecond.slice(0, Math.floor(warm.seconds + 0.1)); // a timed run ends a few ms short
    rate = whole.at(-1) ?? warm.rps;
    log(`  warm-up: ${fmtInt(warm.rps)} req/s, per second ${warm.perSecond.map(fmtInt).join(', ')}`);
  }
  let amount = Math.max(CONNECTIONS * 10, Math.round(rate * SECONDS));
  let r = await hammer(label, url, c.pid, singleEventRequests(site), { amount });
  checkClean(r, c);
  let acked = r.ok;
  if (r.seconds < SECONDS * 0.75) {
    // Still warming up during the warm-up: size again from this run, which then counts as warm-up.
    log(
      `  sized for ${fmtInt(rate)} req/s, ran at ${fmtInt(r.rps)} req/s for ${r.seconds.toFixed(1)} s: once more, sized from that`,
    );
    amount = Math.max(CONNECTIONS * 10, Math.round(r.rps * SECONDS));
    r = await hammer(label, url, c.pid, singleEventRequests(site), { amount });
    checkClean(r, c);
    acked += r.ok;
  }
  if (r.responses !== amount) problem(`${label}: asked for ${amount} requests, got ${r.responses} responses`);
  log(
    `  ${label}: ${fmtInt(r.rps)} req/s, ${r.ok} × 2xx in ${r.seconds.toFixed(1)} s; latency p50 ${fmtMs(r.p50)} / p99 ${fmtMs(r.p99)} / ` +
      `p99.9 ${fmtMs(r.p999)} / max ${fmtMs(r.max)} ms; CPU server ${pct(r.serverCpu)}, load generator ${pct(r.benchCpu)}, ` +
      `other ${pct(r.otherCpu)}`,
  );
  if (r.otherCpu > 0.2) {
    log(
      `  !! other processes used ${pct(r.otherCpu)} CPU during this run: its figures are disturbed, run again on a quiet machine`,
    );
  }
  log(`  per second: ${r.perSecond.map(fmtInt).join(', ')} (the last one partial)`);
  log(`  ${describeOutliers(r.outliers)}`);
  return { ...r, acked };
}

/** Slow responses, grouped in 100 ms windows of the run, worst windows first. */
function describeOutliers(outliers: readonly { at: number; ms: number }[]): string {
  if (outliers.length === 0) return `no response took ${OUTLIER_MS} ms or more`;
  const windows = new Map<number, { n: number; max: number }>();
  for (const o of outliers) {
    const w = Math.floor(o.at * 10) / 10;
    const g = windows.get(w) ?? { n: 0, max: 0 };
    g.n++;
    g.max = Math.max(g.max, o.ms);
    windows.set(w, g);
  }
  const worst = [...windows.entries()].sort((a, b) => b[1].max - a[1].max).slice(0, 6);
  return (
    `${outliers.length} response(s) took ≥ ${OUTLIER_MS} ms, in ${windows.size} window(s) of 100 ms; worst: ` +
    worst.map(([w, g]) => `${g.n} at ${w.toFixed(1)} s (max ${fmtMs(g.max)} ms)`).join(', ')
  );
}

// ---------------------------------------------------------------------------------------
// API helpers

async function call(
  method: string,
  url: string,
  opts: { body?: string; headers?: Record<string, string>; expect: number },
): Promise<{ json: unknown; headers: Headers }> {
  const res = await fetch(url, { method, body: opts.body, headers: opts.headers });
  const text = await res.text();
  if (res.status !== opts.expect) {
    throw new BenchFailure(
      `${method} ${new URL(url).pathname}: expected ${opts.expect}, got ${res.status}: ${text.slice(0, 500)}`,
    );
  }
  return { json: text.length > 0 ? JSON.parse(text) : null, headers: res.headers };
}

async function signIn(url: string): Promise<string> {
  const { headers } = await call('POST', `${url}/api/auth/login`, {
    body: JSON.stringify({ password: PASSWORD }),
    headers: { 'content-type': 'application/json' },
    expect: 200,
  });
  const cookie = headers.get('set-cookie')?.split(';')[0];
  if (!cookie) throw new BenchFailure('login: no set-cookie header');
  return cookie;
}

async function ingestKey(url: string, cookie: string): Promise<string> {
  const { json } = await call('POST', `${url}/api/keys`, {
    body: JSON.stringify({ name: 'bench', scope: 'ingest' }),
    // A browser sends its own origin; the server refuses cookie-authenticated writes without it.
    headers: { 'content-type': 'application/json', cookie, origin: url },
    expect: 201,
  });
  const key = (json as { key?: unknown }).key;
  if (typeof key !== 'string') throw new BenchFailure(`POST /api/keys: no key in ${JSON.stringify(json)}`);
  return key;
}

interface MainStats {
  events: number;
  unique_visitors: number;
  visits: number;
  total_pageviews: number;
}
async function mainStats(url: string, cookie: string, site: string): Promise<MainStats> {
  const { json } = await call('GET', `${url}/api/stats/main?site_id=${site}&period=all`, { headers: { cookie }, expect: 200 });
  return json as MainStats;
}

async function verify(label: string, url: string, cookie: string, site: string, expected: number): Promise<MainStats> {
  const t0 = performance.now();
  const s = await mainStats(url, cookie, site);
  const ms = performance.now() - t0;
  const line = `events ${s.events} vs ${expected} acknowledged (visitors ${s.unique_visitors}, visits ${s.visits}; query ${ms.toFixed(0)} ms)`;
  if (s.events !== expected) problem(`verify ${label} (${site}): MISMATCH, ${line}`);
  else log(`  verify ${label} (${site}): OK, ${line}`);
  return s;
}

interface BatchResult {
  label: string;
  events: number;
  seconds: number;
  eventsPerSec: number;
  batchMs: number[];
  /** Requests that did not answer 200 (each retried). */
  failed: number;
  serverCpu: number;
  otherCpu: number;
}

async function sendBatches(
  label: string,
  url: string,
  key: string,
  pid: number,
  clients: number,
  format: BatchFormat = 'json',
): Promise<BatchResult> {
  const bodies = Array.from({ length: BATCHES }, () => batchBody(SITE_BATCH, BATCH_SIZE, format));
  const contentType = format === 'json' ? 'application/json' : 'application/x-ndjson';
  const batchMs: number[] = [];
  const failures: string[] = [];
  let events = 0;
  const send = async (body: string) => {
    // A failed batch is reported, then retried (as an importer would) so the run can go on.
    for (let attempt = 1; attempt <= 3; attempt++) {
      const t = performance.now();
      const res = await fetch(`${url}/api/events`, {
        method: 'POST',
        body,
        headers: { 'content-type': contentType, authorization: `Bearer ${key}` },
      });
      const text = await res.text();
      const ms = performance.now() - t;
      if (res.status !== 200) {
        failures.push(`HTTP ${res.status} after ${ms.toFixed(0)} ms: ${text.slice(0, 200)}`);
        continue;
      }
      batchMs.push(ms);
      const r = JSON.parse(text) as { accepted: number; rejected: number; errors: unknown[] };
      if (r.rejected !== 0 || r.accepted !== BATCH_SIZE) {
        problem(`${label}: accepted ${r.accepted}, rejected ${r.rejected}: ${JSON.stringify(r.errors.slice(0, 3))}`);
      }
      events += r.accepted;
      return;
    }
  };
  const cpu0 = cpuSeconds(pid);
  const machine0 = machineBusySeconds();
  const own0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, i) => {
      for (let b = i; b < bodies.length; b += clients) await send(bodies[b] ?? '');
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const server = cpuSeconds(pid) - cpu0;
  const own = process.cpuUsage(own0);
  const ownSeconds = (own.user + own.system) / 1e6;
  const result = {
    label,
    events,
    seconds,
    eventsPerSec: events / seconds,
    batchMs,
    failed: failures.length,
    serverCpu: server / seconds,
    otherCpu: Math.max(0, machineBusySeconds() - machine0 - server - ownSeconds) / seconds,
  };
  const sorted = [...batchMs].sort((a, b) => a - b);
  log(
    `  ${label}: ${fmtInt(result.eventsPerSec)} events/s (${events} events in ${seconds.toFixed(1)} s); per batch ` +
      `min ${fmtInt(sorted[0] ?? 0)} / median ${fmtInt(sorted[Math.floor(sorted.length / 2)] ?? 0)} / max ${fmtInt(sorted.at(-1) ?? 0)} ms; ` +
      `CPU server ${pct(result.serverCpu)}, other ${pct(result.otherCpu)}`,
  );
  if (result.otherCpu > 0.2) {
    log(
      `  !! other processes used ${pct(result.otherCpu)} CPU during this run: its figures are disturbed, run again on a quiet machine`,
    );
  }
  if (failures.length > 0) {
    const distinct = [...new Set(failures.map((f) => f.replace(/after \d+ ms/, 'after … ms')))];
    problem(
      `${label}: ${failures.length} of ${failures.length + batchMs.length} POST /api/events requests failed ` +
        `(${BATCHES - batchMs.length} batches lost after 3 attempts): ${distinct.join(' | ')}`,
    );
  }
  return result;
}

/** A few lines of /metrics worth showing: flushes, drops, ingested. */
async function serverMetrics(url: string): Promise<string> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  const drops = [...text.matchAll(/^mallard_events_dropped_total\{reason="([^"]+)"\} ([0-9.e+-]+)$/gm)]
    .filter((m) => Number(m[2]) > 0)
    .map((m) => `${m[1]}=${m[2]}`);
  const flushes = value('mallard_flush_duration_seconds_count');
  const flushSum = value('mallard_flush_duration_seconds_sum');
  const slowFlushes = flushes - value('mallard_flush_duration_seconds_bucket\\{le="0.5"\\}');
  return (
    `ingested ${value('mallard_events_ingested_total')}, flushes ${flushes} (mean ${fmtInt((flushSum / flushes) * 1000)} ms, ` +
    `${slowFlushes} over 0.5 s), dropped ${drops.length > 0 ? drops.join(' ') : 'none'}`
  );
}

// ---------------------------------------------------------------------------------------
// output

const log = (s: string) => process.stdout.write(`${s}\n`);
const pct = (x: number) => (Number.isFinite(x) ? `${Math.round(x * 100)}%` : '-');
const mb = (m: Mem | undefined) => (m ? `${m.rssMb.toFixed(0)} / ${m.peakMb.toFixed(0)}` : '-');

/** The server's log lines, grouped by message (pino JSON: level, msg, err.message). */
function printServerOutput(c: Child): void {
  if (c.output.length === 0) {
    log(`  ${c.label}: none`);
    return;
  }
  const groups = new Map<string, { count: number; first: string }>();
  for (const line of c.output) {
    let key = line;
    let when = '';
    try {
      const j = JSON.parse(line.replace(/^std(out|err): /, '')) as {
        level?: number;
        time?: number;
        msg?: string;
        route?: string;
        err?: { message?: string };
      };
      key = `level ${j.level} "${j.msg}"${j.route ? ` route ${j.route}` : ''}${j.err?.message ? `: ${j.err.message}` : ''}`;
      when = j.time ? new Date(j.time).toISOString() : '';
    } catch {
      // not JSON: the line itself
    }
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { count: 1, first: when });
  }
  log(`  ${c.label}: ${c.output.length} line(s)`);
  for (const [key, g] of groups)
    log(`    ${g.count} × ${key.length > 300 ? `${key.slice(0, 300)}…` : key}${g.first ? ` (first ${g.first})` : ''}`);
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const started = performance.now();
  log(
    `mallard ingest benchmark: ${CONNECTIONS} keep-alive connections, pipelining 1, ~${SECONDS} s per run ` +
      `(+${WARMUP_SECONDS} s warm-up), ${BATCHES} batches × ${BATCH_SIZE} events; node ${process.version}, ` +
      `${cpus().length} CPUs, load average ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}, data under ${TMP}`,
  );

  log('\n[1/4] baseline: bare node:http answering 202');
  const bare = await startBare();
  const bareRun = await measure('bare node:http', bare.url, bare.child, SITE_SINGLE);
  const bareMem = memory(bare.child.pid);
  await stopChild(bare.child, 5000);

  log('\n[2/4] mallard, default settings (WAL fdatasync on), POST /api/event');
  const fsyncServer = await startMallard('mallard (fsync on)', {});
  const fsyncRun = await measure('mallard fsync on', fsyncServer.url, fsyncServer.child, SITE_SINGLE);
  const fsyncMem = memory(fsyncServer.child.pid);
  log(`  server RSS ${fsyncMem.rssMb.toFixed(0)} MB (peak ${fsyncMem.peakMb.toFixed(0)} MB)`);

  log('\n[3/4] batches: POST /api/events with an ingest key, same server');
  const cookie = await signIn(fsyncServer.url);
  const key = await ingestKey(fsyncServer.url, cookie);
  const seq = await sendBatches('sequential', fsyncServer.url, key, fsyncServer.child.pid, 1);
  const conc = await sendBatches('2 concurrent clients', fsyncServer.url, key, fsyncServer.child.pid, 2);
  const ndjson = await sendBatches('NDJSON, 2 clients', fsyncServer.url, key, fsyncServer.child.pid, 2, 'ndjson');
  const batchMem = memory(fsyncServer.child.pid);
  log(`  server RSS ${batchMem.rssMb.toFixed(0)} MB (peak ${batchMem.peakMb.toFixed(0)} MB)`);

  log('\n[4/4] correctness: stats count = acknowledged events');
  await verify('fsync on, single events', fsyncServer.url, cookie, SITE_SINGLE, fsyncRun.acked);
  await verify('fsync on, batches', fsyncServer.url, cookie, SITE_BATCH, seq.events + conc.events + ndjson.events);
  const fsyncMetrics = await serverMetrics(fsyncServer.url);
  log(`  metrics: ${fsyncMetrics}`);
  const fsyncStop = await stopChild(fsyncServer.child);
  log(`  shutdown ${fsyncStop.ms.toFixed(0)} ms, exit ${fsyncStop.killed ? 'KILLED after timeout' : fsyncStop.code}`);

  log('\n[2b] mallard, MALLARD_WAL_FSYNC=false, POST /api/event');
  const noSyncServer = await startMallard('mallard (fsync off)', { MALLARD_WAL_FSYNC: 'false' });
  const noSyncRun = await measure('mallard fsync off', noSyncServer.url, noSyncServer.child, SITE_SINGLE);
  const noSyncMem = memory(noSyncServer.child.pid);
  log(`  server RSS ${noSyncMem.rssMb.toFixed(0)} MB (peak ${noSyncMem.peakMb.toFixed(0)} MB)`);
  const cookie2 = await signIn(noSyncServer.url);
  await verify('fsync off, single events', noSyncServer.url, cookie2, SITE_SINGLE, noSyncRun.acked);
  log(`  metrics: ${await serverMetrics(noSyncServer.url)}`);
  const noSyncStop = await stopChild(noSyncServer.child);
  log(`  shutdown ${noSyncStop.ms.toFixed(0)} ms, exit ${noSyncStop.killed ? 'KILLED after timeout' : noSyncStop.code}`);

  const imported = await importPhase();

  log('\nserver output (MALLARD_LOG_LEVEL=warn):');
  printServerOutput(fsyncServer.child);
  printServerOutput(noSyncServer.child);

  const single = (r: LoadResult, m: Mem) => [
    r.label,
    fmtInt(r.rps),
    fmtMs(r.p50),
    fmtMs(r.p99),
    fmtMs(r.p999),
    fmtMs(r.max),
    fmtInt(r.worstSecond),
    String(r.non2xx),
    pct(r.rps / bareRun.rps),
    pct(r.serverCpu),
    fmtInt((r.serverCpu * 1e6) / r.rps),
    pct(r.benchCpu),
    pct(r.otherCpu),
    mb(m),
  ];
  log(`\nresults (${CONNECTIONS} connections; latency in ms; RSS end / peak in MB; CPU 100% = one core)\n`);
  log(
    table(
      [
        'POST /api/event',
        'req/s',
        'p50',
        'p99',
        'p99.9',
        'max',
        'worst 1 s',
        'non-2xx',
        'vs bare',
        'srv CPU',
        'µs CPU/req',
        'gen CPU',
        'other',
        'RSS MB',
      ],
      [single(bareRun, bareMem), single(fsyncRun, fsyncMem), single(noSyncRun, noSyncMem)],
    ),
  );
  const batchRow = (b: BatchResult) => {
    const sorted = [...b.batchMs].sort((x, y) => x - y);
    return [
      `${b.label}`,
      fmtInt(b.eventsPerSec),
      fmtInt(sorted[Math.floor(sorted.length / 2)] ?? Number.NaN),
      fmtInt(sorted.at(-1) ?? Number.NaN),
      `${(b.eventsPerSec / fsyncRun.rps).toFixed(1)}x`,
      String(b.failed),
      pct(b.serverCpu),
      fmtInt((b.serverCpu * 1e6) / b.eventsPerSec),
      pct(b.otherCpu),
      mb(batchMem),
    ];
  };
  log('');
  log(
    table(
      [
        `POST /api/events (${BATCH_SIZE}/batch)`,
        'events/s',
        'batch p50 ms',
        'batch max ms',
        'vs single',
        'non-200',
        'srv CPU',
        'µs CPU/event',
        'other',
        'RSS MB',
      ],
      [batchRow(seq), batchRow(conc), batchRow(ndjson)],
    ),
  );
  log('');
  log(`mallard fsync on  / bare node:http : ${pct(fsyncRun.rps / bareRun.rps)}`);
  log(`mallard fsync off / bare node:http : ${pct(noSyncRun.rps / bareRun.rps)}`);
  log(`fsync on / fsync off               : ${pct(fsyncRun.rps / noSyncRun.rps)}`);
  log(`batch (2 clients) / batch (1 client): ${pct(conc.eventsPerSec / seq.eventsPerSec)}`);
  const bestBatch = Math.max(seq.eventsPerSec, conc.eventsPerSec, ndjson.eventsPerSec);
  log(`100M-event import at the best batch rate: ${(100e6 / bestBatch / 60).toFixed(0)} min (${fmtInt(bestBatch)} events/s)`);
  log(
    `100M-event import, import command      : ${(100e6 / imported.eventsPerSec / 60).toFixed(0)} min (${fmtInt(imported.eventsPerSec)} events/s, ` +
      `${imported.cpuUsPerEvent.toFixed(1)} µs CPU per event, peak RSS ${imported.peakMb.toFixed(0)} MB)`,
  );
  log(`total time                         : ${((performance.now() - started) / 1000).toFixed(0)} s`);
  log(
    `load average at the end            : ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  log('');
  if (problems.length === 0) {
    log('RESULT: OK (no non-2xx, no errors; stats events = acknowledged events for all 3 sites)');
  } else {
    log(`RESULT: FAILED, ${problems.length} problem(s):`);
    for (const p of problems) log(`  - ${p}`);
  }
}

main().then(
  () => {
    cleanupSync();
    process.exit(problems.length === 0 ? 0 : 1);
  },
  (err: unknown) => {
    process.stderr.write(
      `\nBENCH FAILED: ${err instanceof BenchFailure ? err.message : ((err as Error).stack ?? String(err))}\n`,
    );
    for (const c of everyChild) {
      if (c.output.length > 0) process.stderr.write(`\n${c.label} output (last 20 lines):\n${c.output.slice(-20).join('\n')}\n`);
    }
    cleanupSync();
    process.exit(1);
  },
);
