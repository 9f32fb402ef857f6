/**
 * Bad input through the real HTTP stack: every case answers the exact status with a JSON
 * body `{"error": "..."}` that names the offending field or parameter (never a 500, a
 * stack trace or SQL), and none of it leaves a trace in the stats: after the whole table
 * the server is healthy and one valid event counts exactly once.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { type Answer, main, removeScratchDirs, scratchDir, sendBatch, sendEvent, stats, statsUrl, UA } from './support.js';

const SITE = 'bad.test';
const VALID = { d: SITE, n: 'pageview', u: `https://${SITE}/` };
const BATCH_LIMIT_BYTES = 1_048_576;

interface Ctx {
  url: string;
  cookie: string;
  readKey: string;
  ingestKey: string;
  adminKey: string;
  otherSiteReadKey: string;
  otherSiteIngestKey: string;
  revokedKey: string;
}

let server: RunningServer;
const ctx = {} as Ctx;

beforeAll(async () => {
  server = await startServer({
    dataDir: scratchDir('bad-input'),
    env: { MALLARD_FLUSH_INTERVAL: '86400', MALLARD_MAX_BATCH_BYTES: String(BATCH_LIMIT_BYTES) },
  });
  ctx.url = server.url;
  ctx.cookie = await login(server.url);
  ctx.readKey = await createKey(server.url, ctx.cookie, 'read');
  ctx.ingestKey = await createKey(server.url, ctx.cookie, 'ingest');
  ctx.adminKey = await createKey(server.url, ctx.cookie, 'admin');
  ctx.otherSiteReadKey = await createKey(server.url, ctx.cookie, 'read', ['elsewhere.test']);
  ctx.otherSiteIngestKey = await createKey(server.url, ctx.cookie, 'ingest', ['elsewhere.test']);

  // A read key that worked once and was then revoked.
  const created = await post(
    `${server.url}/api/keys`,
    { name: 'to-revoke', scope: 'read' },
    { cookie: ctx.cookie, origin: ctx.url },
  );
  expect(created.status).toBe(201);
  const { id, key } = created.json as { id: string; key: string };
  ctx.revokedKey = key;
  expect(
    (await fetch(statsUrl(server.url, 'main', { site_id: SITE }), { headers: { authorization: `Bearer ${key}` } })).status,
  ).toBe(200);
  const del = await fetch(`${server.url}/api/keys/${id}`, { method: 'DELETE', headers: { cookie: ctx.cookie, origin: ctx.url } });
  expect(del.status).toBe(204);
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

/** The error body every failure must have: JSON, one `error` string naming `field`, nothing internal. */
function expectError(res: Answer, status: number, field: RegExp) {
  expect(res.status, res.text).toBe(status);
  expect(res.contentType).toMatch(/^application\/json/);
  expect(res.json).toBeTypeOf('object');
  expect(Object.keys(res.json as object)).toEqual(['error']);
  const message = (res.json as { error: unknown }).error;
  expect(message).toBeTypeOf('string');
  expect(message).toMatch(field);
  expect(message).not.toMatch(/\n\s+at /);
  expect(message).not.toMatch(/\bSELECT\b|\bFROM\b|DuckDB|duckdb|TypeError|RangeError/);
}

async function get(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') };
}

async function post(url: string, body: unknown, headers: Record<string, string>): Promise<Answer> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json, contentType: res.headers.get('content-type') };
}

const props = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, 'v']));
const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

// ---------------------------------------------------------------------------------------
// POST /api/event: [name, raw body or object, status, field]
type EventCase = [string, unknown, number, RegExp];
const EVENT_CASES: EventCase[] = [
  ['broken JSON', '{"d":"bad.test","n":', 400, /^body\b/],
  ['empty body', '', 400, /^body\b/],
  ['whitespace body', '  \n ', 400, /^body\b/],
  ['JSON null', 'null', 400, /^body\b/],
  ['JSON string', '"pageview"', 400, /^body\b/],
  ['JSON number', '42', 400, /^body\b/],
  ['array body', [VALID], 400, /^body\b/],
  ['missing d', { n: 'pageview', u: VALID.u }, 400, /^d\b/],
  ['missing n', { d: SITE, u: VALID.u }, 400, /^n\b/],
  ['missing u', { d: SITE, n: 'pageview' }, 400, /^u\b/],
  ['d: number', { ...VALID, d: 123 }, 400, /^d\b/],
  ['d: empty', { ...VALID, d: '' }, 400, /^d\b/],
  ['d: path traversal', { ...VALID, d: '../etc' }, 400, /^d\b/],
  ['d: slash', { ...VALID, d: 'bad.test/../../x' }, 400, /^d\b/],
  ['d: space', { ...VALID, d: 'bad site' }, 400, /^d\b/],
  ['d: 254 characters', { ...VALID, d: `${'a'.repeat(250)}.com` }, 400, /^d\b/],
  ['d: eleven sites', { ...VALID, d: 'a,b,c,d,e,f,g,h,i,j,k' }, 400, /^d\b/],
  ['n: number', { ...VALID, n: 42 }, 400, /^n\b/],
  ['n: empty', { ...VALID, n: '' }, 400, /^n\b/],
  ['n: null', { ...VALID, n: null }, 400, /^n\b/],
  ['n: 121 characters', { ...VALID, n: 'x'.repeat(121) }, 400, /^n\b/],
  ['u: boolean', { ...VALID, u: true }, 400, /^u\b/],
  ['u: object', { ...VALID, u: { href: VALID.u } }, 400, /^u\b/],
  ['u: ftp URL', { ...VALID, u: 'ftp://bad.test/file.txt' }, 400, /^u\b/],
  ['u: javascript URL', { ...VALID, u: 'javascript:alert(1)' }, 400, /^u\b/],
  ['u: not a URL', { ...VALID, u: 'not a url' }, 400, /^u\b/],
  ['u: no host', { ...VALID, u: 'https://' }, 400, /^u\b/],
  ['u: 2049 characters', { ...VALID, u: `https://bad.test/${'a'.repeat(2032)}` }, 400, /^u\b/],
  ['r: number', { ...VALID, r: 7 }, 400, /^r\b/],
  ['r: 2049 characters', { ...VALID, r: `https://ref.test/${'a'.repeat(2032)}` }, 400, /^r\b/],
  ['w: string', { ...VALID, w: 'wide' }, 400, /^w\b/],
  ['w: negative', { ...VALID, w: -1 }, 400, /^w\b/],
  ['w: fraction', { ...VALID, w: 1.5 }, 400, /^w\b/],
  ['w: absurd', { ...VALID, w: 100_001 }, 400, /^w\b/],
  ['p: number', { ...VALID, p: 5 }, 400, /^p\b/],
  ['p: array', { ...VALID, p: [1, 2] }, 400, /^p\b/],
  ['p: string that is not JSON', { ...VALID, p: 'plan=pro' }, 400, /^p\b/],
  ['p: JSON string of an array', { ...VALID, p: '[1]' }, 400, /^p\b/],
  ['p: 31 keys', { ...VALID, p: props(31) }, 400, /^p\b/],
  ['p: nested object', { ...VALID, p: { a: { b: 1 } } }, 400, /^p\b/],
  ['props: nested array', { ...VALID, props: { a: [1] } }, 400, /^props\b/],
  ['p: empty key', { ...VALID, p: { '': 'x' } }, 400, /^p\b/],
  ['p: 2001-character value', { ...VALID, p: { k: 'v'.repeat(2001) } }, 400, /^p\b/],
  ['revenue: string', { ...VALID, revenue: '10 USD' }, 400, /^revenue\b/],
  ['revenue: amount not a number', { ...VALID, revenue: { amount: 'abc', currency: 'USD' } }, 400, /^revenue\b/],
  ['revenue: too many decimals', { ...VALID, revenue: { amount: '1.23456', currency: 'USD' } }, 400, /^revenue\b/],
  ['revenue: bad currency', { ...VALID, revenue: { amount: 10, currency: 'dollars' } }, 400, /^revenue\b/],
  ['revenue: no currency', { ...VALID, revenue: { amount: 10 } }, 400, /^revenue\b/],
  ['ra without rc', { ...VALID, ra: '10' }, 400, /^(ra|rc|revenue)\b/],
  ['rc: four letters', { ...VALID, ra: 1, rc: 'EURO' }, 400, /^rc\b/],
  ['ra: exponent', { ...VALID, ra: '1e5', rc: 'EUR' }, 400, /^ra\b/],
  ['h: 2', { ...VALID, h: 2 }, 400, /^h\b/],
  ['h: string', { ...VALID, h: 'yes' }, 400, /^h\b/],
  ['timestamp (batch only)', { ...VALID, timestamp: '2026-01-10T10:00:00Z' }, 400, /^timestamp\b/],
  ['ip (batch only)', { ...VALID, ip: '203.0.113.1' }, 400, /\bip\b/],
  ['user_id (batch only)', { ...VALID, user_id: 'someone' }, 400, /\buser_id\b/],
  ['body over 8 KiB', { ...VALID, p: { k: 'x'.repeat(9000) } }, 413, /body/],
  ['n: 10,000 characters (body over 8 KiB)', { ...VALID, n: 'x'.repeat(10_000) }, 413, /body/],
  ['u: 10,000 characters (body over 8 KiB)', { ...VALID, u: `https://bad.test/${'x'.repeat(10_000)}` }, 413, /body/],
];

describe('POST /api/event', () => {
  it.each(EVENT_CASES)('%s', async (_name, body, status, field) => {
    expectError(await sendEvent(ctx.url, body, { ua: UA.firefoxLinux }), status, field);
  });

  it.each(['application/json', 'text/plain'])('a malformed body sent as %s is a 400 too', async (contentType) => {
    expectError(await sendEvent(ctx.url, '{d:bad.test}', { ua: UA.firefoxLinux, contentType }), 400, /^body\b/);
  });
});

// ---------------------------------------------------------------------------------------
// POST /api/events, per-event errors: [name, events, field per event]; nothing accepted.
type ItemCase = [string, unknown[], RegExp[]];
const BATCH_ITEM_CASES: ItemCase[] = [
  ['n: 10,000 characters', [{ ...VALID, n: 'x'.repeat(10_000) }], [/^n\b/]],
  ['u: 10,000 characters', [{ ...VALID, u: `https://bad.test/${'x'.repeat(10_000)}` }], [/^u\b/]],
  ['timestamp in the future', [{ ...VALID, timestamp: inAnHour() }], [/^timestamp\b/]],
  ['timestamp (epoch ms) in the future', [{ ...VALID, timestamp: Date.now() + 3_600_000 }], [/^timestamp\b/]],
  ['timestamp: not a time', [{ ...VALID, timestamp: 'yesterday' }], [/^timestamp\b/]],
  // Not real days; a separate site, so a wrongly accepted one does not disturb the final count.
  ['timestamp: 2026-02-30', [{ ...VALID, d: 'bad-dates.test', timestamp: '2026-02-30T10:00:00Z' }], [/^timestamp\b/]],
  ['timestamp: 2026-04-31 (date only)', [{ ...VALID, d: 'bad-dates.test', timestamp: '2026-04-31' }], [/^timestamp\b/]],
  ['timestamp: before 1970', [{ ...VALID, timestamp: -5 }], [/^timestamp\b/]],
  ['timestamp: boolean', [{ ...VALID, timestamp: true }], [/^timestamp\b/]],
  ['ip: not an address', [{ ...VALID, ip: 'not-an-ip' }], [/^ip\b/]],
  ['ip: out of range', [{ ...VALID, ip: '999.1.1.1' }], [/^ip\b/]],
  ['user_agent: 2000 characters', [{ ...VALID, user_agent: 'x'.repeat(2000) }], [/^user_agent\b/]],
  ['user_id: empty', [{ ...VALID, user_id: '' }], [/^user_id\b/]],
  ['user_id: number', [{ ...VALID, user_id: 42 }], [/^user_id\b/]],
  ['d: path traversal', [{ ...VALID, d: '../etc' }], [/^d\b/]],
  ['p: 31 keys', [{ ...VALID, p: props(31) }], [/^p\b/]],
  ['not objects', [1, 'pageview', null, [VALID]], [/^body\b/, /^body\b/, /^body\b/, /^body\b/]],
  [
    'several bad events, each reported at its index',
    [
      { ...VALID, n: '' },
      { ...VALID, w: 'x' },
      { ...VALID, u: 'mailto:a@b.test' },
    ],
    [/^n\b/, /^w\b/, /^u\b/],
  ],
];

describe('POST /api/events: rejected events are reported per index', () => {
  it.each(BATCH_ITEM_CASES)('%s', async (_name, events, fields) => {
    const res = await sendBatch(ctx.url, ctx.ingestKey, events);
    expect(res.status, res.text).toBe(200);
    expect(res.json?.accepted).toBe(0);
    expect(res.json?.rejected).toBe(fields.length);
    expect(res.json?.errors.map((e) => e.index)).toEqual(fields.map((_, i) => i));
    res.json?.errors.forEach((e, i) => {
      expect(e.error).toMatch(fields[i] as RegExp);
    });
  });

  it('a key limited to other sites may not write this one', async () => {
    const res = await sendBatch(ctx.url, ctx.otherSiteIngestKey, [VALID]);
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ accepted: 0, rejected: 1, errors: [{ index: 0 }] });
    expect(res.json?.errors[0]?.error).toMatch(/^d\b/);
  });
});

// ---------------------------------------------------------------------------------------
// POST /api/events, whole-request errors: [name, key, raw body or events, status, field]
type BatchCase = [string, (c: Ctx) => string | null, () => unknown, number, RegExp];
const BATCH_CASES: BatchCase[] = [
  ['no key', () => null, () => [VALID], 401, /./],
  ['an unknown key', () => 'mm_AAAAAAAAAAAAAAAAAAAAAA', () => [VALID], 401, /key/],
  ['a read key', (c) => c.readKey, () => [VALID], 403, /scope|key/],
  ['a revoked key', (c) => c.revokedKey, () => [VALID], 401, /key/],
  ['empty body', (c) => c.ingestKey, () => '', 400, /^body\b/],
  ['broken JSON array', (c) => c.ingestKey, () => '[{"d":"bad.test",', 400, /^body\b/],
  [
    'NDJSON with a broken second line (nothing stored)',
    (c) => c.ingestKey,
    () => `${JSON.stringify(VALID)}\n{oops`,
    400,
    /^body\b/,
  ],
  ['10,001 events (nothing stored)', (c) => c.ingestKey, () => Array.from({ length: 10_001 }, () => VALID), 413, /body|events/],
  [
    'body over the batch byte limit (nothing stored)',
    (c) => c.ingestKey,
    () => Array.from({ length: 200 }, () => ({ ...VALID, p: { pad: 'x'.repeat(6000) } })),
    413,
    /body/,
  ],
];

describe('POST /api/events: whole-request errors', () => {
  it.each(BATCH_CASES)('%s', async (_name, key, body, status, field) => {
    expectError(await sendBatch(ctx.url, key(ctx), body()), status, field);
  });
});

/**
 * What a client that writes its whole body, in pieces, before it reads gets back: the raw
 * answer (status line, headers, body) and the socket error if any.
 */
function writeThenRead(url: string, head: string, bodyBytes: number): Promise<{ answer: string; error: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const sock = connect(Number(port), hostname);
    let answer = '';
    let error = '';
    sock.pause();
    sock.on('error', (e: NodeJS.ErrnoException) => {
      error = e.code ?? e.message;
    });
    sock.on('close', () => resolve({ answer, error }));
    sock.write(`${head}Content-Length: ${bodyBytes}\r\n\r\n`);
    void (async () => {
      const piece = Buffer.alloc(64 * 1024, 'x');
      for (let sent = 0; sent < bodyBytes && !sock.destroyed; sent += piece.length) {
        sock.write(piece.subarray(0, Math.min(piece.length, bodyBytes - sent)));
        await new Promise((r) => setTimeout(r, 10));
      }
      sock.on('data', (d: Buffer) => {
        answer += d.toString();
      });
      sock.resume();
      setTimeout(() => sock.destroy(), 2000);
    })();
  });
}

describe('a body over the limit, from a client that writes it all before reading', () => {
  it.each([
    ['POST /api/events', '/api/events', true, BATCH_LIMIT_BYTES + 200 * 1024],
    ['POST /api/event', '/api/event', false, 64 * 1024 + 200 * 1024],
  ])('%s: gets the 413 and its JSON error, not a reset connection', async (_name, path, keyed, bytes) => {
    const auth = keyed ? `Authorization: Bearer ${ctx.ingestKey}\r\n` : '';
    const head = `POST ${path} HTTP/1.1\r\nHost: bad.test\r\nContent-Type: application/json\r\n${auth}`;
    const { answer, error } = await writeThenRead(ctx.url, head, bytes);
    expect(error).toBe('');
    expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 413 Payload Too Large');
    expect(answer.endsWith('{"error":"request body too large"}')).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------
// Stats: [name, path and query, credentials, status, field]
type Cred = 'read' | 'ingest' | 'none' | 'bogus' | 'revoked' | 'other-site';
type StatsCase = [string, string, Cred, number, RegExp];
const S = `site_id=${SITE}`;
const STATS_CASES: StatsCase[] = [
  ['missing site_id', 'main', 'read', 400, /^site_id\b/],
  ['empty site_id', 'main?site_id=', 'read', 400, /^site_id\b/],
  ['site_id path traversal', 'main?site_id=../etc', 'read', 400, /^site_id\b/],
  ['site_id with a quote', `main?site_id=${encodeURIComponent("bad.test' OR 1=1 --")}`, 'read', 400, /^site_id\b/],
  ['unknown period', `main?${S}&period=forever`, 'read', 400, /^period\b/],
  ['period=custom without dates', `main?${S}&period=custom`, 'read', 400, /^period\b/],
  ['start_date 2026-02-30', `main?${S}&start_date=2026-02-30&end_date=2026-03-01`, 'read', 400, /^start_date\b/],
  ['end_date 2026-02-30', `main?${S}&start_date=2026-02-01&end_date=2026-02-30`, 'read', 400, /^end_date\b/],
  ['start_date 2026-1-5', `main?${S}&start_date=2026-1-5&end_date=2026-01-06`, 'read', 400, /^start_date\b/],
  ['start_date 2026-13-01', `main?${S}&start_date=2026-13-01&end_date=2026-12-31`, 'read', 400, /^start_date\b/],
  ['start_date without end_date', `main?${S}&start_date=2026-01-05`, 'read', 400, /\b(start_date|end_date)\b/],
  ['end_date before start_date', `main?${S}&start_date=2026-01-05&end_date=2026-01-04`, 'read', 400, /^end_date\b/],
  ['period and dates together', `main?${S}&period=7d&start_date=2026-01-01&end_date=2026-01-02`, 'read', 400, /^period\b/],
  ['date 2026-02-30 for period=day', `main?${S}&period=day&date=2026-02-30`, 'read', 400, /^date\b/],
  ['compare=foo', `main?${S}&compare=foo`, 'read', 400, /^compare\b/],
  ['interval=minute', `timeseries?${S}&interval=minute`, 'read', 400, /^interval\b/],
  ['interval=year', `timeseries?${S}&interval=year`, 'read', 400, /^interval\b/],
  ['limit=0', `breakdown/pages?${S}&limit=0`, 'read', 400, /^limit\b/],
  ['limit=abc', `breakdown/pages?${S}&limit=abc`, 'read', 400, /^limit\b/],
  ['limit=-1', `breakdown/pages?${S}&limit=-1`, 'read', 400, /^limit\b/],
  ['limit=1001', `breakdown/pages?${S}&limit=1001`, 'read', 400, /^limit\b/],
  ['page=0', `breakdown/pages?${S}&page=0`, 'read', 400, /^page\b/],
  ['page=1.5', `breakdown/pages?${S}&page=1.5`, 'read', 400, /^page\b/],
  ['unknown dimension', `breakdown/nonsense?${S}`, 'read', 404, /nonsense|dimension/],
  ['dimension __proto__', `breakdown/__proto__?${S}`, 'read', 404, /dimension/],
  ['dimension constructor', `breakdown/constructor?${S}`, 'read', 404, /dimension/],
  ['no credentials', `main?${S}`, 'none', 401, /./],
  ['an unknown key', `main?${S}`, 'bogus', 401, /key/],
  ['a revoked key', `main?${S}`, 'revoked', 401, /key/],
  ['an ingest key', `main?${S}`, 'ingest', 403, /scope|key/],
  ['an ingest key (breakdown)', `breakdown/pages?${S}`, 'ingest', 403, /scope|key/],
  ['a read key for another site', `main?${S}`, 'other-site', 403, /site/],
];

const credHeaders = (c: Ctx, cred: Cred): Record<string, string> => {
  const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
  switch (cred) {
    case 'read':
      return bearer(c.readKey);
    case 'ingest':
      return bearer(c.ingestKey);
    case 'bogus':
      return bearer('mm_ZZZZZZZZZZZZZZZZZZZZZZ');
    case 'revoked':
      return bearer(c.revokedKey);
    case 'other-site':
      return bearer(c.otherSiteReadKey);
    default:
      return {};
  }
};

describe('GET /api/stats/*', () => {
  it.each(STATS_CASES)('%s', async (_name, path, cred, status, field) => {
    expectError(await get(`${ctx.url}/api/stats/${path}`, credHeaders(ctx, cred)), status, field);
  });
});

// The last day the date parser accepts: answered (200), or refused naming the parameter (400), never a 500.
const LAST_DAY = '9999-12-31';
const EDGE_CASES: [string, string][] = [
  ['main, start_date=end_date=9999-12-31', `main?${S}&start_date=${LAST_DAY}&end_date=${LAST_DAY}`],
  ['timeseries, start_date=end_date=9999-12-31', `timeseries?${S}&start_date=${LAST_DAY}&end_date=${LAST_DAY}&interval=day`],
  ['timeseries, period=day&date=9999-12-31', `timeseries?${S}&period=day&date=${LAST_DAY}`],
  ['breakdown, start_date=end_date=9999-12-31', `breakdown/pages?${S}&start_date=${LAST_DAY}&end_date=${LAST_DAY}`],
];

describe('GET /api/stats/* at the edge of the date range', () => {
  it.each(EDGE_CASES)('%s', async (_name, path) => {
    const res = await get(`${ctx.url}/api/stats/${path}`, credHeaders(ctx, 'read'));
    if (res.status === 400) expectError(res, 400, /^(start_date|end_date|date)\b/);
    else expect(res.status, res.text).toBe(200);
  });
});

// ---------------------------------------------------------------------------------------
// Keys: [name, request, status, field]
type KeyCase = [string, (c: Ctx) => Promise<Answer>, number, RegExp];
const KEY_CASES: KeyCase[] = [
  ['create a key without credentials', (c) => post(`${c.url}/api/keys`, { name: 'x', scope: 'read' }, {}), 401, /./],
  [
    'create a key with a read key',
    (c) => post(`${c.url}/api/keys`, { name: 'x', scope: 'admin' }, { authorization: `Bearer ${c.readKey}` }),
    403,
    /scope|key/,
  ],
  [
    'create a key with an ingest key',
    (c) => post(`${c.url}/api/keys`, { name: 'x', scope: 'read' }, { authorization: `Bearer ${c.ingestKey}` }),
    403,
    /scope|key/,
  ],
  [
    'create a key with a revoked key',
    (c) => post(`${c.url}/api/keys`, { name: 'x', scope: 'read' }, { authorization: `Bearer ${c.revokedKey}` }),
    401,
    /key/,
  ],
  ['list keys with a read key', (c) => get(`${c.url}/api/keys`, { authorization: `Bearer ${c.readKey}` }), 403, /scope|key/],
  [
    'create a key with an unknown scope',
    (c) => post(`${c.url}/api/keys`, { name: 'x', scope: 'root' }, { cookie: c.cookie, origin: c.url }),
    400,
    /^scope\b/,
  ],
  [
    'create a key without a name',
    (c) => post(`${c.url}/api/keys`, { scope: 'read' }, { cookie: c.cookie, origin: c.url }),
    400,
    /^name\b/,
  ],
  [
    'create a key for an invalid site',
    (c) => post(`${c.url}/api/keys`, { name: 'x', scope: 'read', sites: ['../etc'] }, { cookie: c.cookie, origin: c.url }),
    400,
    /^sites\b/,
  ],
  [
    'revoke a key that does not exist',
    async (c) => {
      const res = await fetch(`${c.url}/api/keys/00000000-0000-0000-0000-000000000000`, {
        method: 'DELETE',
        headers: { cookie: c.cookie, origin: c.url },
      });
      const text = await res.text();
      return { status: res.status, text, json: JSON.parse(text), contentType: res.headers.get('content-type') };
    },
    404,
    /key/,
  ],
];

describe('API keys', () => {
  it.each(KEY_CASES)('%s', async (_name, request, status, field) => {
    expectError(await request(ctx), status, field);
  });
});

// ---------------------------------------------------------------------------------------
describe('after all of the above', () => {
  it('the server is healthy, stored nothing, and a valid event counts exactly once', async () => {
    const health = await fetch(`${ctx.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');

    expect(await stats(ctx.url, ctx.readKey, 'main', { site_id: SITE, period: 'all' })).toEqual(main(0, 0, 0, 0, 0, 0, 0));
    const ingested = async () => {
      const m = /^mallard_events_ingested_total (\d+)$/m.exec(await (await fetch(`${ctx.url}/metrics`)).text());
      return Number(m?.[1]);
    };
    const before = await ingested();

    const res = await sendEvent(ctx.url, { ...VALID, u: `https://${SITE}/ok` }, { ua: UA.firefoxLinux });
    expect(res.status).toBe(202);
    expect(await stats(ctx.url, ctx.readKey, 'main', { site_id: SITE, period: 'all' })).toEqual(main(1, 1, 1, 1, 1, 0, 1));
    expect(await stats(ctx.url, ctx.adminKey, 'breakdown/pages', { site_id: SITE, period: 'all' })).toEqual([
      { value: '/ok', visitors: 1, visits: 1, pageviews: 1, bounce_rate: 1, visit_duration: 0, percentage: 100 },
    ]);

    expect(await ingested()).toBe(before + 1);
  });
});
