import type { FastifyInstance, InjectOptions } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Metrics } from '../metrics.js';
import { TrustedProxies } from './client-ip.js';
import { CONTENT_SECURITY_POLICY, CROSS_ORIGIN_REFUSED, CROSS_SITE_REFUSED } from './security.js';
import { createServer, MAX_BODY_BYTES } from './server.js';

const COOKIE = 'mallard_session=abc';
const SELF = 'http://stats.example.com';
let app: FastifyInstance;

beforeAll(async () => {
  app = createServer(pino({ level: 'silent' }), new Metrics(() => 0), { trustedProxies: new TrustedProxies(['10.0.0.1']) });
  const ok = async () => ({ ok: true });
  for (const path of ['/api/keys', '/api/auth/login', '/api/auth/setup', '/api/auth/logout']) app.post(path, ok);
  app.delete('/api/keys/:id', ok);
  app.get('/api/thing', async (_req, reply) => reply.header('access-control-allow-origin', '*').send({ ok: true }));
  app.get('/health', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send('<!doctype html>'));
  app.get('/tracking/:file', async (_req, reply) =>
    reply.type('application/javascript').header('access-control-allow-origin', '*').send('1'),
  );
  app.post('/api/event', async (_req, reply) => reply.header('access-control-allow-origin', '*').code(202).send());
  app.options('/api/event', async (_req, reply) => reply.header('access-control-allow-origin', '*').code(204).send());
  app.post('/api/events', ok);
  await app.ready();
});

afterAll(async () => {
  await app.close();
});

const send = (opts: { method: InjectOptions['method']; url: string; headers?: Record<string, string>; remoteAddress?: string }) =>
  app.inject({
    method: opts.method,
    url: opts.url,
    remoteAddress: opts.remoteAddress,
    headers: { host: 'stats.example.com', ...opts.headers },
    ...(opts.method === 'POST' ? { payload: {} } : {}),
  });

describe('same-origin rule for cookie-authenticated state changes', () => {
  it.each<[string, InjectOptions['method'], string, Record<string, string>, number]>([
    ['cookie, own Origin', 'POST', '/api/keys', { cookie: COOKIE, origin: SELF }, 200],
    ['cookie, own Origin with the default port', 'POST', '/api/keys', { cookie: COOKIE, origin: `${SELF}:80` }, 200],
    ['cookie, own Origin in upper case', 'POST', '/api/keys', { cookie: COOKIE, origin: 'HTTP://Stats.Example.com' }, 200],
    ['cookie, foreign Origin', 'POST', '/api/keys', { cookie: COOKIE, origin: 'https://evil.example' }, 403],
    ['cookie, Origin of another port', 'POST', '/api/keys', { cookie: COOKIE, origin: `${SELF}:8080` }, 403],
    [
      'cookie, Origin https while served over http',
      'POST',
      '/api/keys',
      { cookie: COOKIE, origin: 'https://stats.example.com' },
      403,
    ],
    ['cookie, Origin null', 'POST', '/api/keys', { cookie: COOKIE, origin: 'null' }, 403],
    ['cookie, no Origin or Referer', 'POST', '/api/keys', { cookie: COOKIE }, 403],
    ['cookie, own Referer', 'POST', '/api/keys', { cookie: COOKIE, referer: `${SELF}/keys?x=1` }, 200],
    ['cookie, foreign Referer', 'POST', '/api/keys', { cookie: COOKIE, referer: 'https://evil.example/' }, 403],
    [
      'cookie, foreign Origin wins over own Referer',
      'POST',
      '/api/keys',
      { cookie: COOKIE, origin: 'https://evil.example', referer: `${SELF}/` },
      403,
    ],
    ['cookie + Bearer key, no Origin', 'POST', '/api/keys', { cookie: COOKIE, authorization: 'Bearer mm_x' }, 200],
    ['cookie + X-API-Key, no Origin', 'POST', '/api/keys', { cookie: COOKIE, 'x-api-key': 'mm_x' }, 200],
    ['no cookie, no Origin', 'POST', '/api/keys', {}, 200],
    ['DELETE, cookie, foreign Origin', 'DELETE', '/api/keys/1', { cookie: COOKIE, origin: 'https://evil.example' }, 403],
    ['DELETE, cookie, own Origin', 'DELETE', '/api/keys/1', { cookie: COOKIE, origin: SELF }, 200],
    ['logout, cookie, no Origin', 'POST', '/api/auth/logout', { cookie: COOKIE }, 403],
    ['GET is not checked', 'GET', '/api/thing', { cookie: COOKIE, origin: 'https://evil.example' }, 200],
    ['login, foreign Origin', 'POST', '/api/auth/login', { origin: 'https://evil.example' }, 403],
    ['login, own Origin', 'POST', '/api/auth/login', { origin: SELF }, 200],
    ['login, no Origin (a non-browser client), even with a cookie', 'POST', '/api/auth/login', { cookie: COOKIE }, 200],
    ['setup, foreign Origin', 'POST', '/api/auth/setup', { origin: 'https://evil.example' }, 403],
    ['ingestion is not checked', 'POST', '/api/event', { cookie: COOKIE, origin: 'https://site.example' }, 202],
    ['batch ingestion is not checked', 'POST', '/api/events', { cookie: COOKIE, origin: 'https://site.example' }, 200],
  ])('%s → %i', async (_name, method, url, headers, status) => {
    const res = await send({ method, url, headers });
    expect(res.statusCode).toBe(status);
    if (status === 403) expect(res.json()).toEqual({ error: CROSS_SITE_REFUSED });
  });

  it('takes X-Forwarded-Proto/Host from a trusted proxy only', async () => {
    const behindProxy = {
      cookie: COOKIE,
      origin: 'https://public.example',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'public.example',
    };
    expect((await send({ method: 'POST', url: '/api/keys', headers: behindProxy, remoteAddress: '10.0.0.1' })).statusCode).toBe(
      200,
    );
    expect((await send({ method: 'POST', url: '/api/keys', headers: behindProxy, remoteAddress: '10.0.0.2' })).statusCode).toBe(
      403,
    );
  });
});

describe('CORS', () => {
  it.each(['/api/keys', '/api/stats/main', '/nowhere', '/tracking/script.js'])('refuses a preflight to %s', async (url) => {
    const res = await send({
      method: 'OPTIONS',
      url,
      headers: { origin: 'https://site.example', 'access-control-request-method': 'POST' },
    });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toEqual({ error: CROSS_ORIGIN_REFUSED });
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('lets the ingestion preflight through', async () => {
    const res = await send({ method: 'OPTIONS', url: '/api/event', headers: { origin: 'https://site.example' } });
    expect([res.statusCode, res.headers['access-control-allow-origin']]).toEqual([204, '*']);
  });

  it('strips CORS headers outside ingestion and the tracking script', async () => {
    expect((await send({ method: 'GET', url: '/api/thing' })).headers['access-control-allow-origin']).toBeUndefined();
    expect((await send({ method: 'GET', url: '/tracking/script.js' })).headers['access-control-allow-origin']).toBe('*');
  });
});

describe('security headers', () => {
  const common = { 'x-content-type-options': 'nosniff', 'referrer-policy': 'strict-origin-when-cross-origin' };
  const framing = { 'x-frame-options': 'DENY', 'content-security-policy': CONTENT_SECURITY_POLICY };
  const pick = (headers: Record<string, unknown>) =>
    Object.fromEntries(
      Object.entries(headers).filter(([k]) =>
        [
          'x-content-type-options',
          'referrer-policy',
          'x-frame-options',
          'content-security-policy',
          'cross-origin-opener-policy',
          'cross-origin-resource-policy',
          'strict-transport-security',
        ].includes(k),
      ),
    );

  it.each<[string, string, Record<string, string>]>([
    ['JSON', '/api/thing', { ...common, ...framing }],
    ['text', '/health', { ...common, ...framing }],
    ['HTML', '/', { ...common, ...framing, 'cross-origin-opener-policy': 'same-origin' }],
    ['a 404', '/nowhere', { ...common, ...framing }],
    ['the tracking script', '/tracking/script.js', common],
  ])('on %s', async (_name, url, expected) => {
    expect(pick((await send({ method: 'GET', url })).headers)).toEqual(expected);
  });

  it('CSP allows nothing inline', () => {
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe/);
  });

  it('sends HSTS only when the request came over HTTPS (a trusted proxy says so)', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    const hsts = async (remoteAddress: string) =>
      (await send({ method: 'GET', url: '/health', headers: https, remoteAddress })).headers['strict-transport-security'];
    expect(await hsts('10.0.0.1')).toBe('max-age=31536000');
    expect(await hsts('10.0.0.2')).toBeUndefined();
    expect((await send({ method: 'GET', url: '/health' })).headers['strict-transport-security']).toBeUndefined();
  });
});

describe('bodies', () => {
  const post = (payload: string) =>
    app.inject({
      method: 'POST',
      url: '/api/auth/login',
      headers: { host: 'stats.example.com', 'content-type': 'application/json' },
      payload,
    });

  it('refuses a body over 64 KiB with a JSON 413', async () => {
    const res = await post(JSON.stringify({ password: 'x'.repeat(MAX_BODY_BYTES) }));
    expect([res.statusCode, res.json()]).toEqual([413, { error: 'request body too large' }]);
  });

  it('refuses deeply nested JSON with a 400', async () => {
    const res = await post(`{"password":${'['.repeat(20_000)}${']'.repeat(20_000)}}`);
    expect([res.statusCode, res.json()]).toEqual([400, { error: 'body: JSON nested deeper than 64 levels' }]);
  });

  it('still refuses prototype poisoning', async () => {
    expect((await post('{"__proto__":{"x":1}}')).statusCode).toBe(400);
  });

  it('accepts ordinary JSON', async () => {
    expect((await post('{"password":"x"}')).statusCode).toBe(200);
  });
});
