/**
 * A command talking to the server that runs at the configured address (the metadata database
 * can be open in one process only, so while a server runs, commands ask it): where it would
 * answer, whether it does, one HTTP request, and an admin credential for it.
 */
import { request as httpRequest } from 'node:http';
import { SESSION_COOKIE } from '../auth/sessions.js';
import type { Config } from '../config.js';
import { CliError } from './args.js';

/** Where the configured server would answer (a wildcard host is reached on loopback); null for port 0. */
export function serverUrl(config: Pick<Config, 'host' | 'port'>): string | null {
  if (config.port === 0) return null;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

export interface Reply {
  status: number;
  text: string;
  cookies: string[];
}

/** One HTTP request (node:http: no response timeout unless asked, a big backup takes its time). */
export function call(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; json?: unknown; timeoutMs?: number } = {},
): Promise<Reply> {
  const body = opts.json === undefined ? undefined : JSON.stringify(opts.json);
  const headers: Record<string, string> = { ...opts.headers };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(url, { method: opts.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () =>
        resolvePromise({
          status: res.statusCode ?? 0,
          text: Buffer.concat(chunks).toString('utf8'),
          cookies: res.headers['set-cookie'] ?? [],
        }),
      );
    });
    req.on('error', reject);
    if (opts.timeoutMs) {
      req.setTimeout(opts.timeoutMs, () => req.destroy(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' })));
    }
    req.end(body);
  });
}

/** The `error` of a JSON error answer, else the status. */
export function errorOf(r: Reply): string {
  try {
    const parsed = JSON.parse(r.text) as { error?: unknown };
    if (typeof parsed.error === 'string') return parsed.error;
  } catch {
    // not JSON
  }
  return `HTTP ${r.status}`;
}

/** Whether a Mallard Metrics server answers at `url`: 'none' when nothing listens there. */
export async function serverAt(url: string): Promise<'mallard' | 'none' | 'other'> {
  try {
    const r = await call(`${url}/health`, { timeoutMs: 5000 });
    return r.status === 200 && r.text === 'ok' ? 'mallard' : 'other';
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') return 'none';
    throw new CliError(`cannot tell whether a server runs at ${url}: ${(err as Error).message}`);
  }
}

/**
 * Runs `fn` with an admin credential for the server at `url`: `api_key` (MALLARD_API_KEY) as
 * a bearer key, or else a session signed in with `admin_password` (MALLARD_ADMIN_PASSWORD)
 * and signed out after. `command` names what needs it in the refusal when neither is set.
 */
export async function asAdmin<T>(
  url: string,
  config: Config,
  command: string,
  fn: (auth: Record<string, string>) => Promise<T>,
): Promise<T> {
  if (config.api_key) return fn({ authorization: `Bearer ${config.api_key}` });
  if (!config.admin_password) {
    throw new CliError(
      `a server runs at ${url}: the ${command} needs an admin credential, MALLARD_API_KEY (an admin key) or MALLARD_ADMIN_PASSWORD`,
    );
  }
  const r = await call(`${url}/api/auth/login`, { method: 'POST', json: { password: config.admin_password } });
  if (r.status !== 200) throw new CliError(`signing in to ${url} failed: ${errorOf(r)}`);
  const cookie = r.cookies.map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith(`${SESSION_COOKIE}=`));
  if (!cookie) throw new CliError(`signing in to ${url} failed: no session cookie in the answer`);
  // A request with the session cookie must come from the server's own origin (CSRF rule).
  const auth = { cookie, origin: url };
  try {
    return await fn(auth);
  } finally {
    await call(`${url}/api/auth/logout`, { method: 'POST', headers: auth }).catch(() => undefined);
  }
}

/** The running server's address, null when none answers there; refused when something else answers. */
export async function runningServer(config: Config): Promise<string | null> {
  const url = serverUrl(config);
  const server = url === null ? 'none' : await serverAt(url);
  if (server === 'other') throw new CliError(`${url} answers, but not as a Mallard Metrics server (GET /health)`);
  return server === 'mallard' ? url : null;
}

/** The running server's address, or what to do when none runs. */
export async function serverFor(config: Config, command: string): Promise<string> {
  const url = await runningServer(config);
  if (url === null) {
    throw new CliError(`no server answers at the configured address: start it (mallard-metrics serve); the ${command} asks it`);
  }
  return url;
}
