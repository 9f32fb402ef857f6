/**
 * Two-factor sign-in (docs/API.md, "Two-factor sign-in") through real HTTP: a secret, enabled
 * by a code from it, then every sign-in of that user needs a code — computed here by RFC 6238
 * (test/helpers/totp.ts), not by the server's library — or a recovery code, each once; the
 * login lockout counts wrong codes; turning it off needs the password.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, type RunningServer, startServer } from '../helpers/server.js';
import { stepNow, totpAt } from '../helpers/totp.js';
import { removeScratchDirs } from './support.js';

let server: RunningServer;
let cookie = '';
let secret = '';
let recovery: string[] = [];

async function post(path: string, body: unknown, session = cookie) {
  const res = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: server.url, ...(session ? { cookie: session } : {}) },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, cookie: res.headers.get('set-cookie') };
}
const login = (body: Record<string, unknown>) => post('/api/auth/login', { password: ADMIN_PASSWORD, ...body }, '');

beforeAll(async () => {
  server = await startServer();
  const signedIn = await login({});
  cookie = signedIn.cookie?.split(';')[0] ?? '';
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('two-factor sign-in', () => {
  it("the RFC 6238 reference computes the standard's own test vector", () => {
    // RFC 6238 appendix B: the ASCII secret "12345678901234567890", T = 59 s → 94287082 (8 digits).
    expect(totpAt('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1, 8)).toBe('94287082');
  });

  it('gives a secret with its otpauth URL and QR code, enabled only by a code from it', async () => {
    const setup = await post('/api/auth/totp/setup', {});
    expect(setup.status).toBe(200);
    secret = String(setup.body.secret);
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(String(setup.body.otpauth_url));
    expect([url.protocol, url.host, decodeURIComponent(url.pathname)]).toEqual(['otpauth:', 'totp', '/Mallard Metrics:admin']);
    expect(Object.fromEntries(url.searchParams)).toMatchObject({ secret, issuer: 'Mallard Metrics', digits: '6', period: '30' });
    expect(String(setup.body.qr_svg)).toMatch(/^<svg /);

    const s = stepNow();
    const valid = new Set([s - 1, s, s + 1].map((t) => totpAt(secret, t)));
    const wrong = ['000000', '111111', '222222'].find((c) => !valid.has(c)) ?? '';
    expect(await post('/api/auth/totp/enable', { code: wrong })).toEqual({
      status: 400,
      body: { error: 'code: not the current code of this secret (is the device clock right?)' },
      cookie: null,
    });
    // Not on yet: the password alone still signs in.
    expect((await login({})).status).toBe(200);

    const enabled = await post('/api/auth/totp/enable', { code: totpAt(secret, s) });
    expect(enabled.status).toBe(200);
    recovery = enabled.body.recovery_codes as string[];
    expect(recovery).toHaveLength(10);
    for (const c of recovery) expect(c).toMatch(/^[a-hj-km-np-z2-9]{5}-[a-hj-km-np-z2-9]{5}$/);
    expect(new Set(recovery).size).toBe(10);
  });

  it('then asks every sign-in for a code, and takes each code once', async () => {
    expect(await login({})).toMatchObject({ status: 401, body: { error: 'totp required' } });
    // One step ahead is within the drift allowed; the step the enabling code was for is used up.
    const next = totpAt(secret, stepNow() + 1);
    const ok = await login({ totp: next });
    expect(ok.status).toBe(200);
    expect(ok.cookie).toMatch(/^mallard_session=/);
    expect(await login({ totp: next })).toMatchObject({ status: 401, body: { error: 'totp: wrong code' } });
    const me = await fetch(`${server.url}/api/auth/me`, { headers: { cookie } });
    expect(await me.json()).toMatchObject({ id: 'super-admin', totp_enabled: true });
  });

  it('takes a recovery code instead, once, whatever its case and dashes', async () => {
    const code = recovery[0] ?? '';
    expect((await login({ totp: code.toUpperCase().replace('-', ' ') })).status).toBe(200);
    expect(await login({ totp: code })).toMatchObject({ status: 401, body: { error: 'totp: wrong code' } });
  });

  it('is turned off only with the password', async () => {
    expect(await post('/api/auth/totp/disable', { password: 'not the password' })).toMatchObject({
      status: 403,
      body: { error: 'password: wrong password' },
    });
    expect(await post('/api/auth/totp/disable', { password: ADMIN_PASSWORD })).toMatchObject({
      status: 200,
      body: { totp_enabled: false },
    });
    expect((await login({})).status).toBe(200);
  });

  it('counts wrong codes toward the login lockout', async () => {
    const setup = await post('/api/auth/totp/setup', {});
    secret = String(setup.body.secret);
    expect((await post('/api/auth/totp/enable', { code: totpAt(secret, stepNow()) })).status).toBe(200);
    const s = stepNow();
    const valid = new Set([s - 1, s, s + 1, s + 2].map((t) => totpAt(secret, t)));
    const wrong = ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c)) ?? '';
    // login_max_failures is 5: five wrong codes, then even the right one is refused.
    for (let i = 0; i < 5; i++) expect((await login({ totp: wrong })).status).toBe(401);
    const locked = await login({ totp: totpAt(secret, stepNow() + 1) });
    expect(locked).toMatchObject({ status: 429, body: { error: 'too many failed sign-in attempts; try again later' } });
  });

  it('is set up in a signed-in session only', async () => {
    expect((await post('/api/auth/totp/setup', {}, '')).status).toBe(401);
  });
});
