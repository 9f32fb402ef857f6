/**
 * The built server as a benchmark subject: a child process on a fresh data directory, whose
 * `events` may be a symbolic link to a cached data set (bench/generate.ts), signed in with
 * the admin password; killed on exit or interrupt so no server outlives the benchmark.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { BenchFailure, freePort, MAIN_JS, PASSWORD, TMP } from './lib.js';

export interface Child {
  proc: ChildProcess;
  pid: number;
  output: string[];
  exited: Promise<number | null>;
}

let server: Child | null = null;

/** The running server's last output lines, for a failure report. */
export const serverOutput = (): string[] => server?.output ?? [];
const tempDirs: string[] = [];
/** BENCH_KEEP=1 keeps the data directories (and the server's log in them), to look into a failed run. */
const KEEP = process.env.BENCH_KEEP === '1';

function cleanupSync(): void {
  if (server && server.proc.exitCode === null && server.proc.signalCode === null) server.proc.kill('SIGKILL');
  if (KEEP) for (const d of tempDirs) process.stderr.write(`bench: kept ${d}\n`);
  else for (const d of tempDirs) rmSync(d, { recursive: true, force: true }); // `events` there is a link: the data set stays
  tempDirs.length = 0;
}
process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    process.stderr.write(`\nbench: ${signal}, stopping the server\n`);
    cleanupSync();
    process.exit(130);
  });
}

/**
 * The server's environment for a benchmark: no inherited MALLARD_* settings (and the caller
 * runs it with cwd = the data dir, so no mallard-metrics.toml is picked up).
 */
export function serverEnv(dataDir: string, port: number, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLARD_')));
  return Object.assign(env, {
    MALLARD_HOST: '127.0.0.1',
    MALLARD_PORT: String(port),
    MALLARD_DATA_DIR: dataDir,
    MALLARD_ADMIN_PASSWORD: PASSWORD,
    MALLARD_LOG_LEVEL: 'warn',
    ...extra,
  });
}

export interface StartOptions {
  /** Start on this data directory again (a restart: its events and derived tables are kept). */
  dataDir?: string;
  /** Listen on this port (a restart at the same address); default: a free one. */
  port?: number;
  /** More MALLARD_* settings (see serverEnv). */
  env?: Record<string, string>;
}

/**
 * Starts the server on a fresh data directory, its `events` linked to `eventsDir` when one
 * is given (null: the server starts empty), or on `opts.dataDir` again.
 */
export async function startServer(
  eventsDir: string | null,
  log: (line: string) => void,
  opts: StartOptions = {},
): Promise<{ child: Child; url: string; dataDir: string }> {
  if (!existsSync(MAIN_JS)) throw new BenchFailure(`${MAIN_JS} not found: run \`npm run build\` first`);
  const dataDir = opts.dataDir ?? mkdtempSync(join(TMP, eventsDir ? 'mallard-bench-query-server-' : 'mallard-bench-server-'));
  if (!opts.dataDir) {
    tempDirs.push(dataDir);
    if (eventsDir) symlinkSync(eventsDir, join(dataDir, 'events'), 'dir');
  }
  const port = opts.port ?? (await freePort());
  const env = serverEnv(dataDir, port, opts.env);
  // A fresh directory around a linked data set has events but no metadata yet: say that is meant.
  const args = [MAIN_JS, 'serve', ...(!opts.dataDir && eventsDir ? ['--new-metadata'] : [])];
  const proc = spawn(process.execPath, args, { env, cwd: dataDir, stdio: ['ignore', 'pipe', 'pipe'] });
  if (proc.pid === undefined) throw new BenchFailure('could not start the server');
  const output: string[] = [];
  for (const [stream, name] of [
    [proc.stdout, 'stdout'],
    [proc.stderr, 'stderr'],
  ] as const) {
    // A chunk may end inside a line (a JSON log line cut in two would not parse).
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.length > 0) output.push(`${name}: ${line}`);
      // A kept data directory keeps the server's log too, for looking into a failed run.
      if (KEEP && lines.length > 0) appendFileSync(join(dataDir, 'server.log'), lines.map((l) => `${l}\n`).join(''));
    });
    stream?.on('end', () => {
      if (partial.length > 0) output.push(`${name}: ${partial}`);
    });
  }
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const child: Child = { proc, pid: proc.pid, output, exited };
  server = child;
  const url = `http://127.0.0.1:${port}`;
  const t = performance.now();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && proc.exitCode === null) {
    try {
      if ((await fetch(`${url}/health`)).status === 200) {
        log(`server: pid ${child.pid}, ${url}, healthy after ${((performance.now() - t) / 1000).toFixed(1)} s`);
        return { child, url, dataDir };
      }
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new BenchFailure(`the server did not become healthy (exit code ${proc.exitCode}):\n${output.slice(-20).join('\n')}`);
}

/**
 * Waits until the server has built the visits and rollups of every day (on a fresh data
 * directory it builds them for the whole data set at start-up, in the background) and
 * returns how long that took from now, in seconds.
 */
export async function waitForDerived(url: string, log: (line: string) => void): Promise<number> {
  const t = performance.now();
  for (;;) {
    const res = await fetch(`${url}/health/detailed`);
    const pending = ((await res.json()) as { storage: { derived_pending?: number } }).storage.derived_pending ?? 0;
    if (pending === 0) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const secs = (performance.now() - t) / 1000;
  log(
    `server: visits and rollups of every day ready after ${secs.toFixed(1)} s ` +
      `(build process peak RSS ${(await derivedBuildPeakMb(url)).toFixed(0)} MB, beside the server's own)`,
  );
  return secs;
}

/** The highest peak RSS of the server's derived-build child processes so far, in MB. */
export async function derivedBuildPeakMb(url: string): Promise<number> {
  const res = await fetch(`${url}/health/detailed`);
  const body = (await res.json()) as { storage: { derived_build_peak_rss_bytes?: number } };
  return (body.storage.derived_build_peak_rss_bytes ?? 0) / 2 ** 20;
}

/** SIGTERM (the server flushes its events to Parquet), SIGKILL after 30 s. */
export async function stopServer(c: Child): Promise<{ ms: number; code: number | null; killed: boolean }> {
  if (c.proc.exitCode !== null || c.proc.signalCode !== null) return { ms: 0, code: c.proc.exitCode, killed: false };
  const t = performance.now();
  let killed = false;
  c.proc.kill('SIGTERM');
  const timer = setTimeout(() => {
    killed = true;
    c.proc.kill('SIGKILL');
  }, 30_000);
  const code = await c.exited;
  clearTimeout(timer);
  return { ms: performance.now() - t, code, killed };
}

export async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password: PASSWORD }),
  });
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith('mallard_session='));
  if (res.status !== 200 || !cookie) throw new BenchFailure(`sign-in failed: ${res.status} ${await res.text()}`);
  return cookie;
}

/** An API key of the scope, made as a signed-in browser makes one; `name` labels it. */
export async function createKey(url: string, cookie: string, scope: 'ingest' | 'read', name = `bench ${scope}`): Promise<string> {
  const res = await fetch(`${url}/api/keys`, {
    method: 'POST',
    // A browser sends its own origin; the server refuses cookie-authenticated writes without it.
    headers: { 'content-type': 'application/json', cookie, origin: url },
    body: JSON.stringify({ name, scope }),
  });
  const json = (await res.json()) as { key?: unknown };
  if (res.status !== 201 || typeof json.key !== 'string')
    throw new BenchFailure(`POST /api/keys (${scope}): ${res.status} ${JSON.stringify(json)}`);
  return json.key;
}
