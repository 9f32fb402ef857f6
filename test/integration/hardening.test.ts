/**
 * Auth and HTTP hardening through the real server: login lockout per client address,
 * password change, the same-origin (CSRF) rule for cookie-authenticated writes, no CORS
 * outside ingestion, security headers, body size and JSON nesting limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { removeScratchDirs, scratchDir } from './support.js';

const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";
const LOCKED = { error: 'too many failed sign-in attempts; try again later' };
const CROSS_SITE = { error: 'cross-site request refused' };
const FOREIGN = 'https://evil.example';

let server: RunningServer;
let dataDir: string;
let cookie: string;
let adminKey: string;
let readKey: string;

beforeAll(async () => {
  dataDir = scratchDir('hardening');
  server = await startServer({ dataDir, env: { MALLARD_TRUSTED_PROXIES: '127.0.0.1', MALLARD_FLUSH_INTERVAL: '86400' } });
  cookie = await login(server.url);
  adminKey = await createKey(server.url, cookie, 'admin');
  readKey = await createKey(server.url, cookie, 'read');
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

interface Reply {
  status: number;
  json: unknown;
  headers: Headers;
}

async function request(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: unknown; url?: string } = {},
): Promise<Reply> {
  const res = await fetch(`${opts.url ?? server.url}${path}`, {
    method: opts.method ?? 'POST',
    headers: opts.body === undefined ? opts.headers : { 'content-type': 'application/json', ...opts.headers },
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = text;
  }
  return { status: res.status, json, headers: res.headers };
}

const loginFrom = (ip: string, password: string, url = server.url) =>
  request('/api/auth/login', { url, headers: { 'x-forwarded-for': ip }, body: { password } });

async function expectHealthy(url = server.url): Promise<void> {
  const res = await fetch(`${url}/health`);
  expect([res.status, await res.text()]).toEqual([200, 'ok']);
}

describe('login lockout', () => {
  it('after 5 wrong passwords the 6th attempt gets 429 with Retry-After, even with the right password', async () => {
    const started = Date.now();
    for (let i = 0; i < 5; i++) {
      const res = await loginFrom('198.51.100.1', 'wrong-password');
      expect([res.status, res.json]).toEqual([401, { error: 'wrong password' }]);
    }
    const res = await loginFrom('198.51.100.1', ADMIN_PASSWORD);
    const elapsed = Date.now() - started;
    expect([res.status, res.json, res.headers.get('set-cookie')]).toEqual([429, LOCKED, null]);
    // Seconds until the first failure is 900 s old: exactly 900 when the six requests took under a second.
    const retryAfter = Number(res.headers.get('retry-after'));
    if (elapsed < 1000) expect(retryAfter).toBe(900);
    else expect(retryAfter).toBeGreaterThanOrEqual(900 - Math.ceil(elapsed / 1000));
    expect(retryAfter).toBeLessThanOrEqual(900);

    // still locked, and a wrong password does not get a 401 either
    expect((await loginFrom('198.51.100.1', 'wrong-password')).status).toBe(429);
  });

  it('counts each client address separately (X-Forwarded-For from a trusted proxy)', async () => {
    const other = await loginFrom('198.51.100.2', ADMIN_PASSWORD);
    expect([other.status, other.json]).toEqual([200, { authenticated: true }]);
    expect((await loginFrom('198.51.100.1', ADMIN_PASSWORD)).status).toBe(429);
    // the proxy's own address (no X-Forwarded-For) is another client
    const direct = await request('/api/auth/login', { body: { password: ADMIN_PASSWORD } });
    expect(direct.status).toBe(200);
  });

  it('a success clears the address: four more failures do not lock it', async () => {
    for (let i = 0; i < 4; i++) expect((await loginFrom('198.51.100.3', 'wrong-password')).status).toBe(401);
    expect((await loginFrom('198.51.100.3', ADMIN_PASSWORD)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await loginFrom('198.51.100.3', 'wrong-password')).status).toBe(401);
    expect((await loginFrom('198.51.100.3', ADMIN_PASSWORD)).status).toBe(200);
  });

  it('parallel guesses cannot outrun the limit', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, () => loginFrom('198.51.100.4', 'wrong-password')));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([...Array(5).fill(401), ...Array(7).fill(429)]);
  });

  it('a restart clears the lockout', async () => {
    await server.stop('SIGTERM');
    server = await startServer({ dataDir, env: { MALLARD_TRUSTED_PROXIES: '127.0.0.1', MALLARD_FLUSH_INTERVAL: '86400' } });
    const res = await loginFrom('198.51.100.1', ADMIN_PASSWORD);
    expect([res.status, res.json]).toEqual([200, { authenticated: true }]);
    // sessions are in memory too: sign in again for the tests below (keys persist)
    cookie = await login(server.url);
  });

  it('honours login_max_failures and login_lockout_secs', async () => {
    const small = await startServer({
      dataDir: scratchDir('hardening-lockout'),
      env: { MALLARD_LOGIN_MAX_FAILURES: '2', MALLARD_LOGIN_LOCKOUT_SECS: '2' },
    });
    try {
      expect((await request('/api/auth/login', { url: small.url, body: { password: 'wrong-password' } })).status).toBe(401);
      expect((await request('/api/auth/login', { url: small.url, body: { password: 'wrong-password' } })).status).toBe(401);
      const locked = await request('/api/auth/login', { url: small.url, body: { password: ADMIN_PASSWORD } });
      expect([locked.status, locked.json]).toEqual([429, LOCKED]);
      expect(['1', '2']).toContain(locked.headers.get('retry-after'));
      await new Promise((r) => setTimeout(r, Number(locked.headers.get('retry-after')) * 1000 + 100));
      const after = await request('/api/auth/login', { url: small.url, body: { password: ADMIN_PASSWORD } });
      expect([after.status, after.json]).toEqual([200, { authenticated: true }]);
    } finally {
      await small.stop('SIGTERM');
    }
  });
});

describe('password change', () => {
  const NEW_PASSWORD = 'a-new-password-456';
  let pw: RunningServer;
  let mine: string;
  let other: string;
  let key: string;

  beforeAll(async () => {
    pw = await startServer({ dataDir: scratchDir('hardening-password') });
    mine = await login(pw.url);
    other = await login(pw.url);
    key = await createKey(pw.url, mine, 'admin');
  });

  afterAll(async () => {
    await pw?.stop('SIGTERM');
  });

  const change = (headers: Record<string, string>, body: unknown) =>
    request('/api/auth/password', { url: pw.url, headers: { origin: pw.url, ...headers }, body });

  it.each<[string, () => Record<string, string>, unknown, number, unknown]>([
    [
      'without a session',
      () => ({}),
      { current_password: ADMIN_PASSWORD, new_password: NEW_PASSWORD },
      401,
      { error: 'not signed in' },
    ],
    [
      'with an admin API key',
      () => ({ authorization: `Bearer ${key}` }),
      { current_password: ADMIN_PASSWORD, new_password: NEW_PASSWORD },
      401,
      { error: 'changing the password needs a signed-in session, not an API key' },
    ],
    [
      'with the wrong current password',
      () => ({ cookie: mine }),
      { current_password: 'not-the-password', new_password: NEW_PASSWORD },
      403,
      { error: 'current_password: wrong password' },
    ],
    [
      'with a too short new password',
      () => ({ cookie: mine }),
      { current_password: ADMIN_PASSWORD, new_password: 'short' },
      400,
      { error: 'new_password: at least 8 characters' },
    ],
    [
      'with a too long new password',
      () => ({ cookie: mine }),
      { current_password: ADMIN_PASSWORD, new_password: 'x'.repeat(257) },
      400,
      { error: 'new_password: at most 256 characters' },
    ],
    [
      'from another origin',
      () => ({ cookie: mine, origin: FOREIGN }),
      { current_password: ADMIN_PASSWORD, new_password: NEW_PASSWORD },
      403,
      CROSS_SITE,
    ],
  ])('is refused %s', async (_name, headers, body, status, json) => {
    const res = await change(headers(), body);
    expect([res.status, res.json]).toEqual([status, json]);
  });

  it('sets the new password and ends every other session, not the caller’s; keys keep working', async () => {
    const res = await change({ cookie: mine }, { current_password: ADMIN_PASSWORD, new_password: NEW_PASSWORD });
    expect([res.status, res.json]).toEqual([200, { password_changed: true, other_sessions_ended: 1 }]);

    const status = async (c: string) =>
      (await request('/api/auth/status', { url: pw.url, method: 'GET', headers: { cookie: c } })).json;
    expect(await status(mine)).toEqual({ setup_required: false, authenticated: true });
    expect(await status(other)).toEqual({ setup_required: false, authenticated: false });
    expect((await request('/api/keys', { url: pw.url, method: 'GET', headers: { cookie: other } })).status).toBe(401);
    expect((await request('/api/keys', { url: pw.url, method: 'GET', headers: { cookie: mine } })).status).toBe(200);
    expect((await request('/api/keys', { url: pw.url, method: 'GET', headers: { authorization: `Bearer ${key}` } })).status).toBe(
      200,
    );

    const old = await request('/api/auth/login', { url: pw.url, body: { password: ADMIN_PASSWORD } });
    expect([old.status, old.json]).toEqual([401, { error: 'wrong password' }]);
    const fresh = await request('/api/auth/login', { url: pw.url, body: { password: NEW_PASSWORD } });
    expect([fresh.status, fresh.json]).toEqual([200, { authenticated: true }]);
  });

  it('wrong current passwords count towards the lockout', async () => {
    const signedIn = await login(pw.url, NEW_PASSWORD);
    for (let i = 0; i < 5; i++) {
      const res = await change({ cookie: signedIn }, { current_password: 'not-the-password', new_password: NEW_PASSWORD });
      expect(res.status).toBe(403);
    }
    const locked = await request('/api/auth/login', { url: pw.url, body: { password: NEW_PASSWORD } });
    expect([locked.status, locked.json]).toEqual([429, LOCKED]);
    const lockedChange = await change({ cookie: signedIn }, { current_password: NEW_PASSWORD, new_password: 'yet-another-789' });
    expect([lockedChange.status, lockedChange.json]).toEqual([429, LOCKED]);
  });
});

describe('same-origin rule (CSRF) for cookie-authenticated writes', () => {
  const newKey = { name: 'csrf', scope: 'read' };

  it.each<[string, () => Record<string, string>, number]>([
    ['cookie with a foreign Origin', () => ({ cookie, origin: FOREIGN }), 403],
    ['cookie with the server’s own Origin', () => ({ cookie, origin: server.url }), 201],
    ['cookie without Origin or Referer', () => ({ cookie }), 403],
    ['cookie with the server’s own Referer and no Origin', () => ({ cookie, referer: `${server.url}/keys` }), 201],
    ['cookie with a foreign Referer and no Origin', () => ({ cookie, referer: `${FOREIGN}/page` }), 403],
    ['an API key without Origin', () => ({ authorization: `Bearer ${adminKey}` }), 201],
    ['an API key (X-API-Key) and a stale cookie without Origin', () => ({ cookie, 'x-api-key': adminKey }), 201],
  ])('POST /api/keys: %s → %i', async (_name, headers, status) => {
    const res = await request('/api/keys', { headers: headers(), body: newKey });
    expect(res.status).toBe(status);
    if (status === 403) expect(res.json).toEqual(CROSS_SITE);
  });

  it('DELETE /api/keys/{id} with a cookie needs the own Origin too', async () => {
    const created = await request('/api/keys', { headers: { authorization: `Bearer ${adminKey}` }, body: newKey });
    const { id } = created.json as { id: string };
    const foreign = await request(`/api/keys/${id}`, { method: 'DELETE', headers: { cookie, origin: FOREIGN } });
    expect([foreign.status, foreign.json]).toEqual([403, CROSS_SITE]);
    const own = await request(`/api/keys/${id}`, { method: 'DELETE', headers: { cookie, origin: server.url } });
    expect(own.status).toBe(204);
  });

  it('POST /api/v2/query with a cookie and a foreign Origin is refused', async () => {
    const body = { site_id: 'a.test', metrics: ['visitors'], date_range: '7d' };
    expect((await request('/api/v2/query', { headers: { cookie, origin: FOREIGN }, body })).status).toBe(403);
    expect((await request('/api/v2/query', { headers: { cookie, origin: server.url }, body })).status).toBe(200);
  });

  it('login and setup with a foreign Origin are refused (login CSRF); without one they are not', async () => {
    const login1 = await request('/api/auth/login', { headers: { origin: FOREIGN }, body: { password: ADMIN_PASSWORD } });
    expect([login1.status, login1.json, login1.headers.get('set-cookie')]).toEqual([403, CROSS_SITE, null]);
    const setup = await request('/api/auth/setup', { headers: { origin: FOREIGN }, body: { password: ADMIN_PASSWORD } });
    expect([setup.status, setup.json]).toEqual([403, CROSS_SITE]);
    const own = await request('/api/auth/login', { headers: { origin: server.url }, body: { password: ADMIN_PASSWORD } });
    expect(own.status).toBe(200);
    const cookieHeader = own.headers.get('set-cookie') ?? '';
    expect(cookieHeader).toMatch(/^mallard_session=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=604800$/);
  });

  it('ingestion is not subject to it', async () => {
    const res = await request('/api/event', {
      headers: {
        origin: 'https://a.test',
        cookie,
        'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
      },
      body: { d: 'a.test', n: 'pageview', u: 'https://a.test/' },
    });
    expect(res.status).toBe(202);
  });
});

describe('CORS', () => {
  const preflight = (path: string) =>
    fetch(`${server.url}${path}`, {
      method: 'OPTIONS',
      headers: { origin: FOREIGN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
  const corsHeaders = (h: Headers) => [...h.keys()].filter((k) => k.startsWith('access-control-'));

  it.each(['/api/stats/main', '/api/keys', '/api/v2/query', '/api/auth/login'])('a preflight to %s is refused', async (path) => {
    const res = await preflight(path);
    expect([res.status, await res.json()]).toEqual([403, { error: 'cross-origin requests are not allowed' }]);
    expect(corsHeaders(res.headers)).toEqual([]);
  });

  it('a preflight to /api/event is answered 204 with *', async () => {
    const res = await preflight('/api/event');
    expect([res.status, res.headers.get('access-control-allow-origin')]).toEqual([204, '*']);
  });

  it('stats answers carry no CORS headers', async () => {
    const res = await fetch(`${server.url}/api/stats/main?site_id=a.test`, {
      headers: { authorization: `Bearer ${readKey}`, origin: FOREIGN },
    });
    expect(res.status).toBe(200);
    expect(corsHeaders(res.headers)).toEqual([]);
  });
});

describe('security headers', () => {
  const SECURITY = [
    'x-content-type-options',
    'referrer-policy',
    'x-frame-options',
    'content-security-policy',
    'cross-origin-opener-policy',
    'cross-origin-resource-policy',
    'strict-transport-security',
  ];
  const security = (h: Headers) => Object.fromEntries(SECURITY.filter((k) => h.has(k)).map((k) => [k, h.get(k)]));
  const page = {
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'strict-origin-when-cross-origin',
    'x-frame-options': 'DENY',
    'content-security-policy': CSP,
  };

  it.each([
    ['/health', 'text/plain'],
    ['/api/auth/status', 'application/json; charset=utf-8'],
    ['/api/nowhere', 'application/json; charset=utf-8'],
  ])('on %s', async (path, type) => {
    const res = await fetch(`${server.url}${path}`);
    expect(res.headers.get('content-type')).toBe(type);
    expect(security(res.headers)).toEqual(page);
  });

  it('on a JSON stats answer', async () => {
    const res = await fetch(`${server.url}/api/stats/main?site_id=a.test`, { headers: { authorization: `Bearer ${readKey}` } });
    expect(res.status).toBe(200);
    expect(security(res.headers)).toEqual(page);
  });

  it('on / (the dashboard; COOP when it is HTML)', async () => {
    const res = await fetch(`${server.url}/`);
    const html = res.headers.get('content-type')?.startsWith('text/html') === true;
    expect(security(res.headers)).toEqual(html ? { ...page, 'cross-origin-opener-policy': 'same-origin' } : page);
  });

  it('the tracking script stays embeddable by other sites', async () => {
    const res = await fetch(`${server.url}/tracking/script.js`);
    expect(res.status).toBe(200);
    expect(security(res.headers)).toEqual({
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'strict-origin-when-cross-origin',
      'cross-origin-resource-policy': 'cross-origin',
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('HSTS only over HTTPS (a trusted proxy’s X-Forwarded-Proto)', async () => {
    const res = await fetch(`${server.url}/health`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000');
    expect((await fetch(`${server.url}/health`)).headers.get('strict-transport-security')).toBeNull();
  });

  it('the session cookie is Secure behind an HTTPS proxy', async () => {
    const res = await request('/api/auth/login', {
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.9' },
      body: { password: ADMIN_PASSWORD },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).toMatch(/; HttpOnly; SameSite=Strict; Max-Age=604800; Secure$/);
  });
});

describe('body limits', () => {
  const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
  const TOO_DEEP = { error: 'body: JSON nested deeper than 64 levels' };

  it('a JSON body over 64 KiB to /api/auth/login is a 413', async () => {
    const res = await request('/api/auth/login', { body: { password: 'x'.repeat(70_000) } });
    expect([res.status, res.json]).toEqual([413, { error: 'request body too large' }]);
    await expectHealthy();
  });

  it('100,000 nested arrays (200 KB) are over the limit: 413', async () => {
    const res = await request('/api/auth/login', { body: nested(100_000) });
    expect([res.status, res.json]).toEqual([413, { error: 'request body too large' }]);
    await expectHealthy();
  });

  it.each<[string, () => Record<string, string>, string]>([
    ['/api/auth/login', () => ({}), `{"password":${nested(20_000)}}`],
    ['/api/auth/login', () => ({}), nested(30_000)],
    ['/api/v2/query', () => ({ authorization: `Bearer ${readKey}` }), nested(30_000)],
    ['/api/v2/query', () => ({ authorization: `Bearer ${readKey}` }), `{"site_id":"a.test","filters":${nested(20_000)}}`],
    ['/api/keys', () => ({ authorization: `Bearer ${adminKey}` }), `{"name":"x","scope":"read","sites":${nested(20_000)}}`],
    ['/api/keys', () => ({ cookie, origin: server.url }), nested(30_000)],
  ])('deeply nested JSON to %s is a 400 (%#)', async (path, headers, body) => {
    const res = await request(path, { headers: headers(), body });
    expect([res.status, res.json]).toEqual([400, TOO_DEEP]);
    await expectHealthy();
  });
});
