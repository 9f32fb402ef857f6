/**
 * Test-only: ClickHouse's HTTP interface served from the ClickHouse engine in-process
 * (chdb), so the product talks to it through `@clickhouse/client` exactly as to a server.
 * Run as its own process (`node --import tsx clickhouse-http.ts <chdb dir> <data dir>`):
 * the engine's calls block, and it binds one data directory per process. Prints
 * `listening <port>` once ready, and stops when its parent does.
 *
 * What it speaks, as a server does: `GET /ping`; `POST /` with the statement in the body,
 * or an INSERT in the `query` parameter and its rows in the body; `database`;
 * `param_<name>` bound parameters in ClickHouse's escaped text form; any other parameter as
 * a setting for that statement. Errors answer 500 with ClickHouse's `Code: N. DB::Exception`
 * text and the `X-ClickHouse-Exception-Code` header, which is what the client parses.
 */

import { rmSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';

interface ChdbSession {
  queryBind(query: string, args: object, format?: string): string;
  queryBindAsync(query: string, args: object, opts?: { format?: string }): Promise<{ bytes(): Uint8Array }>;
  close(): void;
}

const [chdbDir, dataDir] = process.argv.slice(2);
if (!chdbDir || !dataDir) throw new Error('usage: clickhouse-http.ts <chdb install dir> <data dir>');
const { Session } = createRequire(join(chdbDir, 'package.json'))('chdb') as {
  Session: new (path: string) => ChdbSession;
};
const session = new Session(dataDir);

/** Parameters that are part of the protocol, not settings. */
const PROTOCOL = new Set(['query', 'database', 'query_id', 'default_format', 'session_id', 'role', 'user', 'password']);
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A `param_*` value in ClickHouse's escaped text form (as the client writes it) back to a value. */
function unescapeParam(text: string): string | null {
  if (text === '\\N') return null;
  return text.replace(/\\(.)/gs, (_, c: string) => ({ t: '\t', n: '\n', r: '\r', '0': '\0' })[c] ?? c);
}

/** A setting's value as a SQL literal for `SET`. */
const literal = (v: string) => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Runs one request's statement; the answer as bytes (Parquet is binary). */
async function run(url: URL, body: string): Promise<Uint8Array> {
  const params: Record<string, string | null> = {};
  const settings: [string, string][] = [];
  for (const [k, v] of url.searchParams) {
    if (k.startsWith('param_')) params[k.slice(6)] = unescapeParam(v);
    else if (!PROTOCOL.has(k)) settings.push([k, v]);
  }
  for (const [k] of settings)
    if (!IDENT.test(k)) throw new Error(`Code: 115. DB::Exception: Unknown setting ${k}. (UNKNOWN_SETTING)`);
  const inUrl = url.searchParams.get('query');
  const statement = inUrl ? (body ? `${inUrl}\n${body}` : inUrl) : body;
  const database = url.searchParams.get('database') ?? 'default';
  if (!IDENT.test(database)) throw new Error(`Code: 81. DB::Exception: Database ${database} does not exist. (UNKNOWN_DATABASE)`);
  // One engine serves every request in turn: each statement runs with exactly its request's
  // settings, the others at their defaults. Only what differs from the session's current
  // values is SET (the product sends the same few settings every time).
  const wanted = new Map(settings);
  for (const k of applied.keys()) if (!wanted.has(k)) wanted.set(k, defaultOf(k));
  for (const [k, v] of wanted) {
    if (applied.get(k) === v) continue;
    if (!applied.has(k)) defaultOf(k);
    session.queryBind(`SET ${k} = ${literal(v)}`, {}, 'TabSeparated');
    applied.set(k, v);
  }
  if (database !== currentDatabase) {
    session.queryBind(`USE ${database}`, {}, 'TabSeparated');
    currentDatabase = database;
  }
  const format = url.searchParams.get('default_format') ?? 'TabSeparated';
  try {
    return (await session.queryBindAsync(statement, params, { format })).bytes();
  } catch (err) {
    // A statement that fails while running (not while being analysed) leaves what it had
    // written (a header) in the engine's output buffer, and chdb hands it out ahead of the
    // next statement's result. A throwaway statement takes it.
    session.queryBind('SELECT 1', {}, 'TabSeparated');
    throw err;
  }
}

/** Settings the session holds now (set by an earlier request), and their defaults. */
const applied = new Map<string, string>();
const defaults = new Map<string, string>();
let currentDatabase = '';

function defaultOf(name: string): string {
  let v = defaults.get(name);
  if (v === undefined) {
    const row = session.queryBind('SELECT default FROM system.settings WHERE name = {n:String}', { n: name }, 'TabSeparatedRaw');
    v = row.replace(/\n$/, '');
    defaults.set(name, v);
  }
  return v;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

let queue: Promise<unknown> = Promise.resolve();

// A ClickHouse server takes a request line of up to http_max_uri_size (1 MiB by default) —
// query parameters travel in the URL — where Node's own default is 16 KiB: take what it takes.
const server = createServer({ maxHeaderSize: 1_048_576 }, async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/ping') {
    res.end('Ok.\n');
    return;
  }
  const body = await readBody(req);
  // One statement at a time: per-statement settings are set on the one session.
  const turn = queue.then(() => run(url, body));
  queue = turn.catch(() => undefined);
  try {
    const out = await turn;
    res.setHeader('X-ClickHouse-Summary', '{"read_rows":"0","written_rows":"0"}');
    res.end(out);
  } catch (err) {
    const text = String((err as Error).message ?? err).replace(/^Query failed: /, '');
    const code = /Code: (\d+)/.exec(text)?.[1] ?? '1';
    res.statusCode = 500;
    res.setHeader('X-ClickHouse-Exception-Code', code);
    res.end(`${text}\n`);
  }
});

// Ends with its parent (the IPC channel closes when the parent exits, however it exits),
// and takes its data directory with it.
const shutdown = () => {
  try {
    server.close();
    session.close(); // throws while a query still runs: the directory goes anyway
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  }
};
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.on('disconnect', shutdown);
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
