/**
 * Runs the real server (built `dist/main.js`) as a child process on a free loopback port
 * with its own data directory, so tests can kill -9 it, restart it and read its files.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storageEnv } from './backends.js';

export const ADMIN_PASSWORD = 'test-password-123';

export interface RunningServer {
  url: string;
  dataDir: string;
  proc: ChildProcess;
  logs: () => string;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      s.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export const tempDataDir = () => mkdtempSync(join(tmpdir(), 'mallard-test-'));

/**
 * Starts the server and waits until /health answers; `args` follow `serve` (e.g. `--config`,
 * file); `entry`: another build's main.js (a production install's) instead of this checkout's;
 * `port`: the one a stopped server had (a browser tab keeps talking to the same address).
 */
export async function startServer(
  opts: { dataDir?: string; env?: Record<string, string>; args?: string[]; entry?: string; port?: number } = {},
): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? tempDataDir();
  const port = opts.port ?? (await freePort());
  const entry = opts.entry ?? join(import.meta.dirname, '../../dist/main.js');
  const proc = spawn(process.execPath, [entry, 'serve', ...(opts.args ?? [])], {
    env: {
      PATH: process.env.PATH ?? '',
      MALLARD_HOST: '127.0.0.1',
      MALLARD_PORT: String(port),
      MALLARD_DATA_DIR: dataDir,
      MALLARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
      MALLARD_SECRET: 'test-secret-0123456789abcdef',
      MALLARD_LOG_LEVEL: 'info',
      ...(await storageEnv(dataDir)),
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  proc.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`server exited during start-up:\n${output}`);
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`server did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    dataDir,
    proc,
    logs: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Signs in as admin and returns the cookie header value. */
export async function login(url: string, password = ADMIN_PASSWORD): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status}`);
  const cookie = res.headers.get('set-cookie') ?? '';
  return cookie.split(';')[0] ?? '';
}

/** Creates an API key with the given scope through the real API. */
export async function createKey(
  url: string,
  cookie: string,
  scope: 'read' | 'ingest' | 'admin',
  sites?: string[],
): Promise<string> {
  const res = await fetch(`${url}/api/keys`, {
    method: 'POST',
    // a signed-in browser sends its own origin; state-changing cookie requests need it (CSRF rule)
    headers: { 'content-type': 'application/json', cookie, origin: url },
    body: JSON.stringify({ name: `test-${scope}`, scope, sites }),
  });
  if (res.status !== 201) throw new Error(`key creation failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { key: string }).key;
}

/** GET a JSON endpoint with a key; returns status and parsed body. */
export async function getJson(url: string, key: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
