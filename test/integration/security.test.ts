/**
 * The security suite: attacks through real HTTP against one server holding two sites.
 * Every stats, behavioral and export parameter gets SQL-injection and path-traversal
 * strings; keys, cookies and share tokens are forged, revoked and pointed at the other
 * site; logins are brute-forced; signatures forged and replayed; admin routes called from
 * a foreign origin; bodies oversized and nested. Each attempt must get the exact refusal
 * (or, for a free-text value, exactly the answer a harmless unknown value gets), never a
 * 5xx, and afterwards both sites' data must be exactly what was loaded.
 *
 * A tally of attempts by outcome is printed at the end (quoted in the issue notes).
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, type Ev, V1, V2, V3 } from './fixture.js';
import { loadBatch, removeScratchDirs, sendBatch } from './support.js';

const A = 'sec-a.test';
const B = 'sec-b.test';
const SECRET = 'b-signing-secret-0123456789';
const RANGE = { start_date: '2026-02-02', end_date: '2026-02-03' };
/** A page only site B has: it must never appear in an answer about A. */
const B_ONLY = '/only-on-b';

const EVENTS_A: Ev[] = [
  { ...V1, t: '2026-02-02T10:00:00Z', path: '/' },
  { ...V1, t: '2026-02-02T10:01:00Z', path: '/pricing' },
  { ...V2, t: '2026-02-02T11:00:00Z', path: '/', n: 'signup', p: { plan: 'pro' } },
  { ...V3, t: '2026-02-03T09:00:00Z', path: '/docs' },
];
const EVENTS_B: Ev[] = [
  { ...V1, t: '2026-02-02T10:00:00Z', path: B_ONLY },
  { ...V2, t: '2026-02-03T10:00:00Z', path: B_ONLY, n: 'purchase' },
];
const MAIN_A = {
  unique_visitors: 3,
  visits: 3,
  total_pageviews: 3,
  views_per_visit: 1,
  bounce_rate: 0.6667,
  avg_visit_duration_secs: 20,
  events: 4,
};
const MAIN_B = {
  unique_visitors: 2,
  visits: 2,
  total_pageviews: 1,
  views_per_visit: 0.5,
  bounce_rate: 1,
  avg_visit_duration_secs: 0,
  events: 2,
};

const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE settings; --",
  '" OR 1=1 --',
  '1 UNION SELECT key_hash FROM api_keys --',
  "x' UNION ALL SELECT * FROM read_csv('/etc/passwd') --",
  '/* comment */ 1',
  '1; SELECT 1',
  "$1' || (SELECT value FROM settings) || '",
  '../../../../etc/passwd',
  '..%2F..%2Fmallard.duckdb',
  'sec-b.test',
  '\u0000',
];

/** Outcome tally: `${category} ${status}` → attempts. */
const tally = new Map<string, number>();
const count = (category: string, status: number) => {
  const k = `${category}: ${status}`;
  tally.set(k, (tally.get(k) ?? 0) + 1);
};

let server: RunningServer;
let cookie: string;
let admin: string;
let readA: string;
let shareA: string;

const get = async (path: string, headers: Record<string, string> = {}) => {
  const res = await fetch(`${server.url}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, text };
};
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });

beforeAll(async () => {
  server = await startServer({ env: { MALLARD_TRUSTED_PROXIES: '127.0.0.1' } });
  cookie = await login(server.url);
  admin = await createKey(server.url, cookie, 'admin');
  for (const [id, extra] of [
    [A, {}],
    [B, { signing_secret: SECRET }],
  ] as const) {
    const res = await fetch(`${server.url}/api/sites`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ id, ...extra }),
    });
    expect(res.status, await res.text()).toBe(201);
  }
  readA = await createKey(server.url, cookie, 'read', [A]);
  const share = await fetch(`${server.url}/api/sites/${A}/shares`, { method: 'POST', headers: bearer(admin) });
  expect(share.status).toBe(201);
  shareA = ((await share.json()) as { token: string }).token;
  await loadBatch(
    server.url,
    admin,
    EVENTS_A.map((e) => batchEvent(A, e)),
  );
  const bodyB = JSON.stringify(EVENTS_B.map((e) => batchEvent(B, e)));
  const signed = await sendBatch(server.url, admin, bodyB, {
    'x-mallard-signature': `sha256=${createHmac('sha256', SECRET).update(bodyB).digest('hex')}`,
  });
  expect(signed.status, signed.text).toBe(200);
});

afterAll(async () => {
  const rows = [...tally].sort(([a], [b]) => a.localeCompare(b));
  const total = rows.reduce((n, [, v]) => n + v, 0);
  console.log(`security suite: ${total} attempts\n${rows.map(([k, v]) => `  ${k} × ${v}`).join('\n')}`);
  await server?.stop();
  removeScratchDirs();
});

/** [endpoint, the parameters that make it valid] */
const ENDPOINTS: [string, Record<string, string>][] = [
  ['main', {}],
  ['timeseries', { interval: 'day' }],
  ['breakdown/pages', {}],
  ['breakdown/events', {}],
  ['realtime', {}],
  ['sessions', {}],
  ['funnel', { steps: 'page:/,page:/pricing' }],
  ['retention', { interval: 'day', periods: '1' }],
  ['sequences', { steps: 'page:/,page:/pricing' }],
  ['flow', { page: '/' }],
  ['export', { format: 'json' }],
];

/** Parameters from an allowlist, a number, a date or a pattern: any injection is a 400. */
const STRICT_PARAMS: Record<string, string[]> = {
  main: ['period', 'start_date', 'compare', 'filters'],
  timeseries: ['interval', 'period', 'end_date'],
  'breakdown/pages': ['limit', 'page', 'period'],
  'breakdown/events': ['limit', 'period'],
  realtime: ['filters'],
  sessions: ['gap', 'period'],
  funnel: ['window', 'mode', 'steps', 'period'],
  retention: ['interval', 'periods', 'weeks'],
  sequences: ['within', 'pattern', 'steps'],
  flow: ['direction', 'depth', 'limit'],
  export: ['format', 'kind', 'period'],
};

/** Free-text values: bound parameters, so an injection is just a value nobody has. */
const FREE_TEXT: [string, string, (v: string) => Record<string, string>][] = [
  ['main', 'filters[page]', (v) => ({ filters: JSON.stringify([['is', 'event:page', [v]]]) })],
  ['main', 'filters[contains]', (v) => ({ filters: JSON.stringify([['contains', 'visit:source', [v]]]) })],
  ['breakdown/pages', 'filters[props]', (v) => ({ filters: JSON.stringify([['is', `event:props:plan`, [v]]]) })],
  ['funnel', 'steps[page]', (v) => ({ steps: JSON.stringify(['page:/', `page:${v}`]) })],
  ['funnel', 'steps[event]', (v) => ({ steps: JSON.stringify(['page:/', `event:${v}`]) })],
  ['sequences', 'steps[page]', (v) => ({ steps: JSON.stringify(['page:/', `page:${v}`]) })],
  ['flow', 'page', (v) => ({ page: v })],
  ['sessions', 'filters[page]', (v) => ({ filters: JSON.stringify([['is', 'event:page', [v]]]) })],
  ['export', 'filters[page]', (v) => ({ filters: JSON.stringify([['is', 'event:page', [v]]]) })],
];

describe('injection strings in every parameter', () => {
  it.each(ENDPOINTS)('%s: allowlisted, numeric, date and pattern parameters refuse them with 400', async (endpoint, valid) => {
    for (const param of STRICT_PARAMS[endpoint] ?? []) {
      for (const v of INJECTIONS) {
        const r = await get(
          `/api/stats/${endpoint}?${new URLSearchParams({ site_id: A, ...RANGE, ...valid, [param]: v })}`,
          bearer(readA),
        );
        count('injection in a strict parameter', r.status);
        expect(r.status, `${endpoint} ${param}=${JSON.stringify(v)}: ${r.text}`).toBe(400);
        expect(JSON.parse(r.text)).toEqual({ error: expect.any(String) });
      }
    }
  });

  it.each(FREE_TEXT)('%s %s: answered exactly as an unknown value, never with B’s data', async (endpoint, _label, make) => {
    const q = (v: string) =>
      get(`/api/stats/${endpoint}?${new URLSearchParams({ site_id: A, ...RANGE, ...make(v) })}`, bearer(readA));
    const control = await q('zz-nobody-has-this');
    expect(control.status, control.text).toBe(200);
    for (const v of INJECTIONS) {
      const r = await q(v);
      count('injection in a free-text value', r.status);
      expect(r.status, `${endpoint} ${JSON.stringify(v)}: ${r.text}`).toBe(200);
      // The same answer as for any value nobody has (labels echo the step, so compare with it swapped).
      expect(
        r.text
          .replaceAll(JSON.stringify(`page:${v}`).slice(1, -1), 'X')
          .replaceAll(JSON.stringify(`event:${v}`).slice(1, -1), 'X'),
      ).toBe(control.text.replaceAll('page:zz-nobody-has-this', 'X').replaceAll('event:zz-nobody-has-this', 'X'));
      expect(r.text).not.toContain(B_ONLY);
    }
  });

  it('site ids: malformed and traversal ids are 400, the other site 403, for every endpoint', async () => {
    for (const [endpoint, valid] of ENDPOINTS) {
      for (const site of [...INJECTIONS.filter((v) => v !== B), '../sec-b.test', 'sec-a.test/../sec-b.test', '']) {
        const r = await get(
          `/api/stats/${endpoint}?${new URLSearchParams({ ...RANGE, ...valid, site_id: site })}`,
          bearer(readA),
        );
        count('bad site id', r.status);
        expect(r.status, `${endpoint} site_id=${JSON.stringify(site)}: ${r.text}`).toBe(400);
      }
      const other = await get(`/api/stats/${endpoint}?${new URLSearchParams({ ...RANGE, ...valid, site_id: B })}`, bearer(readA));
      count('other site with a restricted key', other.status);
      expect(other.status, `${endpoint}: ${other.text}`).toBe(403);
      expect(other.text).not.toContain(B_ONLY);
    }
  });

  it('breakdown dimension names and v2 query fields', async () => {
    for (const v of INJECTIONS) {
      const r = await get(`/api/stats/breakdown/${encodeURIComponent(v)}?${new URLSearchParams({ site_id: A })}`, bearer(readA));
      count('injection in a breakdown name', r.status);
      expect([400, 404], r.text).toContain(r.status);
      for (const field of ['metrics', 'dimensions', 'order_by'] as const) {
        const body = {
          site_id: A,
          date_range: [RANGE.start_date, RANGE.end_date],
          metrics: ['visitors'],
          ...(field === 'order_by' ? { dimensions: ['event:page'], order_by: [[v, 'desc']] } : { [field]: [v] }),
        };
        const q = await fetch(`${server.url}/api/v2/query`, {
          method: 'POST',
          headers: { ...bearer(readA), 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
        count('injection in a v2 query field', q.status);
        expect(q.status, `${field}=${v}: ${await q.text()}`).toBe(400);
      }
    }
  });
});

describe('credentials', () => {
  it('forged, revoked and misdirected keys, cookies and share tokens', async () => {
    const made = await fetch(`${server.url}/api/keys`, {
      method: 'POST',
      headers: { ...bearer(admin), 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'soon revoked', scope: 'read', sites: [A] }),
    });
    const { id, key: revoked } = (await made.json()) as { id: string; key: string };
    expect((await fetch(`${server.url}/api/keys/${id}`, { method: 'DELETE', headers: bearer(admin) })).status).toBe(204);
    const ingest = await createKey(server.url, cookie, 'ingest');
    const mainA = `/api/stats/main?${new URLSearchParams({ site_id: A, ...RANGE })}`;
    const mainB = `/api/stats/main?${new URLSearchParams({ site_id: B, ...RANGE })}`;
    const cases: [string, string, Record<string, string>, number][] = [
      ['no credentials', mainA, {}, 401],
      ['a forged key', mainA, bearer(`mm_${'0'.repeat(43)}`), 401],
      ['a key with SQL in it', mainA, bearer("mm_' OR '1'='1"), 401],
      ['a revoked key', mainA, bearer(revoked), 401],
      ['a forged session cookie', mainA, { cookie: `mallard_session=${'A'.repeat(43)}` }, 401],
      ['an ingest key reading stats', mainA, bearer(ingest), 403],
      ['a key for A reading B', mainB, bearer(readA), 403],
      ['a share token for A reading B', `${mainB}&auth=${shareA}`, {}, 403],
      ['a share token in the header reading B', mainB, { 'x-mallard-share': shareA }, 403],
      ['a forged share token', `${mainA}&auth=${'x'.repeat(43)}`, {}, 401],
      ['a read key listing keys', '/api/keys', bearer(readA), 403],
      ['a share token listing sites', `/api/sites?auth=${shareA}`, {}, 403],
      ['an ingest key exporting', `/api/stats/export?${new URLSearchParams({ site_id: A, ...RANGE })}`, bearer(ingest), 403],
    ];
    for (const [name, path, headers, status] of cases) {
      const r = await get(path, headers);
      count('credential attack', r.status);
      expect(r.status, `${name}: ${r.text}`).toBe(status);
      expect(r.text).not.toContain(B_ONLY);
    }
    // What a share token may do: read its own site, exactly.
    const own = await get(`${mainA}&auth=${shareA}`);
    expect([own.status, JSON.parse(own.text)]).toEqual([200, MAIN_A]);
    // …and it signs nobody in.
    const status = await get(`/api/auth/status?auth=${shareA}`);
    expect(JSON.parse(status.text)).toEqual({ setup_required: false, authenticated: false });
    const writes: [string, string, string, Record<string, string>, unknown][] = [
      ['a read key creating a key', 'POST', '/api/keys', bearer(readA), { name: 'x', scope: 'admin' }],
      ['a read key creating a site', 'POST', '/api/sites', bearer(readA), { id: 'evil.test' }],
      ['a share token creating a key', 'POST', `/api/keys?auth=${shareA}`, {}, { name: 'x', scope: 'admin' }],
      ['a read key deleting site B', 'DELETE', `/api/sites/${B}`, bearer(readA), undefined],
      ['an ingest key sharing site B', 'POST', `/api/sites/${B}/shares`, bearer(ingest), {}],
    ];
    for (const [name, method, path, headers, body] of writes) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      count('privilege escalation', res.status);
      expect(res.status, `${name}: ${await res.text()}`).toBe(403);
    }
  });

  it('brute-force logins are locked out after 5 failures, even with the right password', async () => {
    const attempt = (password: string) =>
      fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-forwarded-for': '198.51.100.99' },
        body: JSON.stringify({ password }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await attempt(`guess-${i}-wrong`)).status);
    const right = await attempt('test-password-123');
    statuses.push(right.status);
    for (const s of statuses) count('brute-force login', s);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429]);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe('signed batches', () => {
  it('forged, missing, altered and replayed signatures are refused and store nothing', async () => {
    const body = JSON.stringify([batchEvent(B, { ...V3, t: '2026-02-03T12:00:00Z', path: B_ONLY })]);
    const sig = (b: string, secret = SECRET) => `sha256=${createHmac('sha256', secret).update(b).digest('hex')}`;
    const loaded = JSON.stringify(EVENTS_B.map((e) => batchEvent(B, e)));
    const attempts: [string, string, Record<string, string>, number][] = [
      ['no signature', body, {}, 401],
      ['signed with another secret', body, { 'x-mallard-signature': sig(body, 'not-the-secret-0123456') }, 401],
      ['a forged hex', body, { 'x-mallard-signature': `sha256=${'0'.repeat(64)}` }, 401],
      ['a signature of another body', body, { 'x-mallard-signature': sig(`${body} `) }, 401],
      ['a malformed header', body, { 'x-mallard-signature': "sha256=' OR 1=1" }, 401],
      ['the replay of the batch loaded at the start', loaded, { 'x-mallard-signature': sig(loaded) }, 409],
    ];
    for (const [name, b, headers, status] of attempts) {
      const r = await sendBatch(server.url, admin, b, headers);
      count('signature attack', r.status);
      expect(r.status, `${name}: ${r.text}`).toBe(status);
    }
  });
});

describe('foreign origins, oversized and nested bodies', () => {
  it('cookie writes to admin routes from another origin are refused, preflights too', async () => {
    const evil = { cookie, origin: 'https://evil.example', 'content-type': 'application/json' };
    const cases: [string, string, unknown][] = [
      ['POST', '/api/keys', { name: 'evil', scope: 'admin' }],
      ['POST', '/api/sites', { id: 'evil.test' }],
      ['PATCH', `/api/sites/${A}`, { origins: ['https://evil.example'] }],
      ['DELETE', `/api/sites/${B}`, undefined],
      ['POST', '/api/auth/password', { current_password: 'test-password-123', new_password: 'evil-password-1' }],
      ['POST', '/api/auth/logout', {}],
    ];
    for (const [method, path, body] of cases) {
      const res = await fetch(`${server.url}${path}`, {
        method,
        headers: evil,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      count('foreign-origin admin write', res.status);
      expect(res.status, `${method} ${path}`).toBe(403);
    }
    for (const path of ['/api/keys', '/api/sites', '/api/stats/main', '/api/v2/query']) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
      });
      count('foreign preflight', res.status);
      expect(res.status).toBe(403);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
  });

  it('oversized and deeply nested JSON is a 4xx everywhere', async () => {
    const nested = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
    // Under the 8 KiB limit of /api/event, so the nesting itself is what is refused.
    const nestedSmall = `${'['.repeat(3_000)}${']'.repeat(3_000)}`;
    const huge = JSON.stringify({ password: 'x'.repeat(200_000) });
    const cases: [string, string, string][] = [
      ['/api/auth/login', nested, '400'],
      ['/api/keys', nested, '400'],
      ['/api/sites', nested, '400'],
      ['/api/v2/query', nested, '400'],
      ['/api/auth/login', huge, '413'],
      ['/api/sites', huge, '413'],
      ['/api/event', nestedSmall, '400'],
      ['/api/event', huge, '413'],
    ];
    for (const [path, body, status] of cases) {
      const res = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { ...bearer(admin), 'content-type': 'application/json' },
        body,
      });
      count('oversized or nested body', res.status);
      expect(String(res.status), path).toBe(status);
    }
  });
});

describe('afterwards', () => {
  it('both sites hold exactly the data loaded, and the server is healthy', async () => {
    const main = async (site: string) =>
      JSON.parse((await get(`/api/stats/main?${new URLSearchParams({ site_id: site, ...RANGE })}`, bearer(admin))).text);
    expect(await main(A)).toEqual(MAIN_A);
    expect(await main(B)).toEqual(MAIN_B);
    const sites = JSON.parse((await get('/api/sites', bearer(admin))).text) as { id: string }[];
    expect(sites.map((s) => s.id).sort()).toEqual([A, B]);
    expect((await get('/health')).status).toBe(200);
  });
});
