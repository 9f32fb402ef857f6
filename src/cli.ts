/**
 * The `backup` and `restore` commands (main.ts dispatches; storage/duckdb/backup.ts does
 * the work).
 *
 * `backup <dir>`: the metadata database can be open in one process only, so when a server
 * answers at the configured address (host, port), the command asks it
 * (`POST /api/admin/backup`) with an admin credential: `api_key` (MALLARD_API_KEY, an admin
 * key for every site) or else `admin_password` (MALLARD_ADMIN_PASSWORD, signing in and out).
 * When nothing listens there, it opens the data directory itself and does the same.
 *
 * `restore <dir>`: refuses while a server answers at the configured address or any process
 * holds the data directory's metadata database, and, without `--force`, when the data
 * directory already holds anything.
 *
 * Exit codes: 0 done, 1 refused or failed (one line on stderr), 2 wrong usage.
 */
import { existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join, resolve } from 'node:path';
import { SESSION_COOKIE } from './auth/sessions.js';
import { type Config, clickhouseConnection } from './config.js';
import { createLogger } from './log.js';
import { derivedTables } from './query/derived-tables.js';
import { ClickHouseEventStore } from './storage/clickhouse/event-store.js';
import { type BackupSummary, createBackup, METADATA_FILE, readBackup, restoreBackup } from './storage/duckdb/backup.js';
import { DuckDbEventStore } from './storage/duckdb/event-store.js';

export const USAGE = `usage: mallard-metrics <command> [--config file]
  serve [--new-metadata]   run the server (the default command); --new-metadata starts without
                           mallard.duckdb (sites, keys, settings) when it is missing but events exist
  backup <dir>             copy the events, visits and rollups, sites, keys and settings to <dir>
                           (absolute or relative to here; new or empty; not in the data directory)
                           while the server runs (it is asked over HTTP with MALLARD_API_KEY, an
                           admin key, or MALLARD_ADMIN_PASSWORD), or from the data directory when
                           no server runs
  restore <dir> [--force]  copy a backup into the data directory; the server must be stopped, and
                           --force replaces data already there (all of it, unflushed events too)
  import <file> --site <id>
                           store the events of <file> (.ndjson, .jsonl, either .gz; .csv; .parquet;
                           docs/IMPORT.md) for site <id>, with the server stopped; an interrupted
                           import goes on where it stopped when run again, and a finished one is
                           not imported twice
`;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

export const usageError = (m: string) => new CliError(`${m}\n${USAGE}`, 2);

/**
 * The command's arguments after its name: positional ones, `--force` where allowed, and the
 * value of each option in `valued` (e.g. `--site example.com`). `--config <file>` is read by
 * the configuration and skipped here.
 */
export function parseArgs(
  argv: readonly string[],
  allowForce: boolean,
  valued: readonly string[] = [],
): { positional: string[]; force: boolean; values: Map<string, string> } {
  const positional: string[] = [];
  const values = new Map<string, string>();
  let force = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--config') {
      if (argv[++i] === undefined) throw usageError('--config needs a file');
    } else if (a === '--force' && allowForce) {
      force = true;
    } else if (valued.includes(a)) {
      const v = argv[++i];
      if (v === undefined) throw usageError(`${a} needs a value`);
      values.set(a, v);
    } else if (a.startsWith('--')) {
      throw usageError(`unknown option ${a}`);
    } else {
      positional.push(a);
    }
  }
  return { positional, force, values };
}

/** Where the configured server would answer (a wildcard host is reached on loopback); null for port 0. */
export function serverUrl(config: Pick<Config, 'host' | 'port'>): string | null {
  if (config.port === 0) return null;
  const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host === '::' ? '::1' : config.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${config.port}`;
}

interface Reply {
  status: number;
  text: string;
  cookies: string[];
}

/** One HTTP request (node:http: no response timeout unless asked, a big backup takes its time). */
function call(
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
function errorOf(r: Reply): string {
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

export async function backupCommand(argv: readonly string[], config: Config): Promise<void> {
  const { positional } = parseArgs(argv, false);
  if (positional.length !== 1) throw usageError('backup needs one directory');
  const dir = resolve(positional[0] ?? '');
  const url = serverUrl(config);
  const server = url === null ? 'none' : await serverAt(url);
  if (server === 'other') throw new CliError(`${url} answers, but not as a Mallard Metrics server (GET /health)`);
  const summary =
    url !== null && server === 'mallard' ? await backupViaServer(url, config, dir) : await backupHere(config, dir, url);
  process.stdout.write(
    `backup written to ${summary.dir}: ${summary.events} events, ${summary.files} files, ${summary.bytes} bytes (as of ${summary.created_at})\n`,
  );
}

async function backupViaServer(url: string, config: Config, dir: string): Promise<BackupSummary> {
  let auth: Record<string, string>;
  let signedIn = false;
  if (config.api_key) {
    auth = { authorization: `Bearer ${config.api_key}` };
  } else if (config.admin_password) {
    const r = await call(`${url}/api/auth/login`, { method: 'POST', json: { password: config.admin_password } });
    if (r.status !== 200) throw new CliError(`signing in to ${url} failed: ${errorOf(r)}`);
    const cookie = r.cookies.map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    if (!cookie) throw new CliError(`signing in to ${url} failed: no session cookie in the answer`);
    // A request with the session cookie must come from the server's own origin (CSRF rule).
    auth = { cookie, origin: url };
    signedIn = true;
  } else {
    throw new CliError(
      `a server runs at ${url}: the backup needs an admin credential, MALLARD_API_KEY (an admin key) or MALLARD_ADMIN_PASSWORD`,
    );
  }
  try {
    const r = await call(`${url}/api/admin/backup`, { method: 'POST', headers: auth, json: { dir } });
    if (r.status !== 201) throw new CliError(`the server at ${url} did not make the backup: ${errorOf(r)}`);
    return JSON.parse(r.text) as BackupSummary;
  } finally {
    if (signedIn) await call(`${url}/api/auth/logout`, { method: 'POST', headers: auth }).catch(() => undefined);
  }
}

/** No server answers: the command opens the data directory itself (and fails if another process holds it). */
async function backupHere(config: Config, dir: string, url: string | null): Promise<BackupSummary> {
  if (!existsSync(join(config.data_dir, METADATA_FILE))) {
    throw new CliError(`nothing to back up: ${resolve(config.data_dir)} has no ${METADATA_FILE}`);
  }
  const store = await openDataDir(config, url, 'backup');
  try {
    return await createBackup(store, config.data_dir, dir);
  } finally {
    await store.close();
  }
}

/**
 * The data directory's store, opened by a command while no server runs (`url`: where one
 * was looked for); refused with what to do when another process holds it. It flushes by
 * count only with `flushCount` (a command that writes events).
 */
export async function openDataDir(
  config: Config,
  url: string | null,
  command: string,
  flushCount = 0,
): Promise<DuckDbEventStore> {
  if (config.storage !== 'duckdb') throw new CliError(`${command} works with storage = "duckdb" only`);
  return heldElsewhere(config, url, command, () =>
    DuckDbEventStore.open({
      dataDir: config.data_dir,
      walFsync: config.wal_fsync,
      sessionTimeoutSecs: config.session_timeout,
      compactMinFiles: config.compact_min_files,
      retentionDays: config.retention_days,
      flushCount,
      log: commandLog(config),
      derived: config.rollups ? derivedTables : undefined,
      deriveQuietMs: config.rollup_delay * 1000,
      limits: { memoryLimit: config.duckdb_memory_limit, threads: config.duckdb_threads },
    }),
  );
}

/**
 * As `openDataDir`, on either backend (a command that only appends events: import). On
 * ClickHouse the events go through this data directory's write-ahead log and are shipped as
 * the server ships them (every `flushCount` events and at close), with its node id.
 */
export async function openEventStore(
  config: Config,
  url: string | null,
  command: string,
  flushCount: number,
): Promise<DuckDbEventStore | ClickHouseEventStore> {
  if (config.storage === 'duckdb') return openDataDir(config, url, command, flushCount);
  return heldElsewhere(config, url, command, () =>
    ClickHouseEventStore.open({
      dataDir: config.data_dir,
      clickhouse: clickhouseConnection(config),
      walFsync: config.wal_fsync,
      sessionTimeoutSecs: config.session_timeout,
      flushCount,
      retentionDays: config.retention_days,
      log: commandLog(config),
      limits: { memoryLimit: config.duckdb_memory_limit, threads: config.duckdb_threads },
    }),
  );
}

/** A command's own log: warnings and errors only, on stderr (stdout carries its one result line). */
const commandLog = (config: Config) => createLogger(config.log_format, 'warn', 2);

/** Opens a store; the metadata database locked by another process becomes what to do about it. */
async function heldElsewhere<T>(config: Config, url: string | null, command: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    if (/Could not set lock on file|Conflicting lock/i.test((err as Error).message)) {
      throw new CliError(
        `the data directory ${resolve(config.data_dir)} is in use by another process, but no server answers at ${url ?? '(port 0)'}; ` +
          `run the ${command} with that server’s host and port (MALLARD_HOST, MALLARD_PORT)`,
      );
    }
    throw err;
  }
}

export async function restoreCommand(argv: readonly string[], config: Config): Promise<void> {
  const { positional, force } = parseArgs(argv, true);
  if (positional.length !== 1) throw usageError('restore needs one directory');
  const dir = resolve(positional[0] ?? '');
  readBackup(dir); // a damaged backup is refused before anything else is looked at
  const url = serverUrl(config);
  if (url !== null && (await serverAt(url).catch(() => 'none')) === 'mallard') {
    throw new CliError(`a server is running at ${url}; stop it before restoring`);
  }
  const summary = await restoreBackup(dir, config.data_dir, force);
  process.stdout.write(
    `restored ${summary.events} events (${summary.files} files, ${summary.bytes} bytes) into ${resolve(config.data_dir)}\n`,
  );
}
