/**
 * Ingestion guards through the real server: the per-IP limit of POST /api/event, per-site
 * rate limits on both endpoints, allowed origins, and signed batches with replay
 * protection. Every refusal is checked for its status, headers and body, and for leaving
 * no trace: the stats count exactly the events that were answered 202/accepted.
 *
 * Token buckets refill while a test runs, so a limit test never assumes a speed: the
 * first `burst` events must pass, and beyond them at most rate × (time the test took)
 * may pass — on any machine that runs the sends in under a second, exactly `burst`.
 */
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { removeScratchDirs, scratchDir, stats, UA } from './support.js';

const IP_RATE = 2; // events per second per client IP → burst 4
const IP_BURST = 2 * IP_RATE;

let server: RunningServer;
let url: string;
let readKey: string;
let ingestKey: string;
let adminKey: string;

beforeAll(async () => {
  server = await startServer({
    dataDir: scratchDir('ingest-guards'),
    env: {
      MALLARD_FLUSH_INTERVAL: '86400',
      MALLARD_IP_RATE_LIMIT: String(IP_RATE),
      MALLARD_TRUSTED_PROXIES: '127.0.0.1',
    },
  });
  url = server.url;
  const cookie = await login(url);
  readKey = await createKey(url, cookie, 'read');
  ingestKey = await createKey(url, cookie, 'ingest');
  adminKey = await createKey(url, cookie, 'admin');
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

interface Reply {
  status: number;
  headers: Headers;
  json: { error?: string; accepted?: number; rejected?: number; errors?: { index: number; error: string }[] } | undefined;
}

async function reply(res: Response): Promise<Reply> {
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
}

let lastIp = 0;
/** A client address never used before in this file (sent as X-Forwarded-For from a trusted proxy). */
const freshIp = () => {
  lastIp++;
  return `10.${(lastIp >> 16) & 255}.${(lastIp >> 8) & 255}.${lastIp & 255}`;
};

const pageview = (site: string, path = '/') => ({ d: site, n: 'pageview', u: `https://${site.split(',')[0]}${path}` });

/** POST /api/event from `ip` (a fresh address unless given), with extra headers. */
async function sendEvent(body: unknown, opts: { ip?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
  const res = await fetch(`${url}/api/event`, {
    method: 'POST',
    headers: {
      'content-type': 'text/plain',
      'user-agent': UA.chromeWindows,
      'x-forwarded-for': opts.ip ?? freshIp(),
      ...opts.headers,
    },
    body: JSON.stringify(body),
  });
  return reply(res);
}

/** POST /api/events with the ingest key; a string body is sent byte for byte. */
async function sendBatch(body: string | unknown[], headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${url}/api/events`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestKey}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return reply(res);
}

async function createSite(site: {
  id: string;
  origins?: string[];
  rate_limit?: number | null;
  signing_secret?: string | null;
}): Promise<void> {
  const res = await fetch(`${url}/api/sites`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${adminKey}` },
    body: JSON.stringify(site),
  });
  expect(res.status, await res.text()).toBe(201);
}

/** Events stored for a site, over all time. */
async function stored(site: string): Promise<number> {
  return (await stats<{ events: number }>(url, readKey, 'main', { site_id: site, period: 'all' })).events;
}

async function dropped(reason: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(new RegExp(`^mallard_events_dropped_total\\{reason="${reason}"\\} (\\d+)$`, 'm').exec(text)?.[1]);
}

/** Runs `sends` one after the other; returns the replies and the seconds it took. */
async function timed(sends: (() => Promise<Reply>)[]): Promise<{ replies: Reply[]; seconds: number }> {
  const start = performance.now();
  const replies: Reply[] = [];
  for (const send of sends) replies.push(await send());
  return { replies, seconds: (performance.now() - start) / 1000 };
}

/** Tokens a bucket of `rate` may have regained over `seconds` (0 when the test ran in under 1/rate s). */
const refill = (rate: number, seconds: number) => Math.floor(rate * seconds);

/** A 429 as the guards send it: Retry-After in whole seconds ≥ 1, the error naming the limit. */
function expectRateLimited(r: Reply, error: RegExp, maxRetryAfter: number) {
  expect(r.status).toBe(429);
  const retryAfter = Number(r.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThanOrEqual(1);
  expect(retryAfter).toBeLessThanOrEqual(maxRetryAfter);
  expect(Object.keys(r.json ?? {})).toEqual(['error']);
  expect(r.json?.error).toMatch(error);
}

const sign = (body: string | Buffer, secret: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

// ---------------------------------------------------------------------------------------
describe('per-IP limit on POST /api/event (ip_rate_limit = 2: bursts of 4)', () => {
  it('accepts the burst from one address, refuses the rest with 429 + Retry-After, and stores only the accepted', async () => {
    const site = 'per-ip.test';
    const ip = freshIp();
    const extra = 5;
    const { replies, seconds } = await timed(
      Array.from({ length: IP_BURST + extra }, (_, i) => () => sendEvent(pageview(site, `/${i}`), { ip })),
    );
    const statuses = replies.map((r) => r.status);
    expect(statuses.slice(0, IP_BURST)).toEqual(Array(IP_BURST).fill(202));
    const accepted = statuses.filter((s) => s === 202).length;
    expect(accepted - IP_BURST).toBeLessThanOrEqual(refill(IP_RATE, seconds));
    for (const r of replies.slice(IP_BURST).filter((x) => x.status !== 202)) {
      expectRateLimited(r, /^rate limited: more than 2 events per second from this address$/, 1);
      expect(r.headers.get('access-control-allow-origin')).toBe('*');
      expect(r.json?.error).not.toContain(ip);
    }
    expect(await stored(site)).toBe(accepted);
  });

  it('gives every address its own bucket', async () => {
    const site = 'two-ips.test';
    const [a, b] = [freshIp(), freshIp()];
    const { replies, seconds } = await timed([
      ...Array.from({ length: IP_BURST + 1 }, () => () => sendEvent(pageview(site), { ip: a })),
      ...Array.from({ length: IP_BURST }, () => () => sendEvent(pageview(site), { ip: b })),
    ]);
    const fromA = replies.slice(0, IP_BURST + 1).map((r) => r.status);
    const fromB = replies.slice(IP_BURST + 1).map((r) => r.status);
    expect(fromB).toEqual(Array(IP_BURST).fill(202)); // a's empty bucket does not touch b's
    expect(fromA.slice(0, IP_BURST)).toEqual(Array(IP_BURST).fill(202));
    if (refill(IP_RATE, seconds) === 0) expect(fromA[IP_BURST]).toBe(429);
    expect(await stored(site)).toBe([...fromA, ...fromB].filter((s) => s === 202).length);
  });

  it('counts the addresses of one IPv6 /64 together', async () => {
    const site = 'ipv6.test';
    const { replies, seconds } = await timed([
      ...Array.from({ length: IP_BURST }, (_, i) => () => sendEvent(pageview(site), { ip: `2001:db8:7:7::${i + 1}` })),
      () => sendEvent(pageview(site), { ip: '2001:db8:7:7:abcd::1' }),
      () => sendEvent(pageview(site), { ip: '2001:db8:7:8::1' }),
    ]);
    const statuses = replies.map((r) => r.status);
    expect(statuses.slice(0, IP_BURST)).toEqual(Array(IP_BURST).fill(202));
    if (refill(IP_RATE, seconds) === 0) expect(statuses[IP_BURST]).toBe(429);
    expect(statuses[IP_BURST + 1]).toBe(202); // another /64
    expect(await stored(site)).toBe(statuses.filter((s) => s === 202).length);
  });

  it('does not apply to POST /api/events', async () => {
    const site = 'batch-no-ip-limit.test';
    const events = Array.from({ length: 50 }, (_, i) => pageview(site, `/${i}`));
    const r = await sendBatch(events, { 'x-forwarded-for': freshIp() });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 50, rejected: 0, errors: [] });
    expect(await stored(site)).toBe(50);
  });
});

// ---------------------------------------------------------------------------------------
describe('per-site rate limit (rate_limit = 1: bursts of 2)', () => {
  it('POST /api/event: the burst passes, then 429 + Retry-After, from any address', async () => {
    const site = 'slow.test';
    await createSite({ id: site, rate_limit: 1 });
    const before = await dropped('rate_limited');
    const { replies, seconds } = await timed(Array.from({ length: 5 }, (_, i) => () => sendEvent(pageview(site, `/${i}`))));
    const statuses = replies.map((r) => r.status);
    expect(statuses.slice(0, 2)).toEqual([202, 202]);
    const accepted = statuses.filter((s) => s === 202).length;
    expect(accepted - 2).toBeLessThanOrEqual(refill(1, seconds));
    for (const r of replies.filter((x) => x.status !== 202)) {
      expectRateLimited(r, /^rate limited: site slow\.test is over its limit of 1 events per second$/, 1);
    }
    expect(await stored(site)).toBe(accepted);
    expect(await dropped('rate_limited')).toBe(before + 5 - accepted);
  });

  it('an event for several sites is refused whole when one of them is over its limit', async () => {
    await createSite({ id: 'slow-a.test', rate_limit: 1 });
    const { replies, seconds } = await timed([
      () => sendEvent(pageview('slow-a.test')),
      () => sendEvent(pageview('slow-a.test')),
      () => sendEvent(pageview('slow-a.test,free-a.test')),
    ]);
    expect(replies.slice(0, 2).map((r) => r.status)).toEqual([202, 202]);
    if (refill(1, seconds) === 0) {
      expectRateLimited(replies[2] as Reply, /site slow-a\.test/, 1);
      expect(await stored('free-a.test')).toBe(0);
      expect(await stored('slow-a.test')).toBe(2);
    }
  });

  it('POST /api/events: over-limit events are rejected one by one, the others stored', async () => {
    const site = 'batch-slow.test';
    await createSite({ id: site, rate_limit: 1 });
    const events = [pageview(site, '/a'), pageview('batch-free.test', '/b'), pageview(site, '/c'), pageview(site, '/d')];
    events.push(pageview(site, '/e'));
    const r = await sendBatch(events);
    // One request is one instant for the limiter: exactly the burst of 2 passes.
    expect(r.status).toBe(200);
    const limited = 'rate limited: site batch-slow.test is over its limit of 1 events per second';
    expect(r.json).toEqual({
      accepted: 3,
      rejected: 2,
      errors: [
        { index: 3, error: limited },
        { index: 4, error: limited },
      ],
    });
    expect(await stored(site)).toBe(2);
    expect(await stored('batch-free.test')).toBe(1);
  });

  it('POST /api/events: a batch whose every event is over the limit is a 429 with Retry-After', async () => {
    const site = 'batch-drained.test';
    await createSite({ id: site, rate_limit: 1 });
    const { replies, seconds } = await timed([
      () => sendBatch([pageview(site, '/1'), pageview(site, '/2')]),
      () => sendBatch([pageview(site, '/3'), pageview(site, '/4'), pageview(site, '/5')]),
    ]);
    const [first, second] = replies as [Reply, Reply];
    expect(first.json).toEqual({ accepted: 2, rejected: 0, errors: [] });
    if (refill(1, seconds) === 0) {
      expectRateLimited(second, /^rate limited: site batch-drained\.test is over its limit of 1 events per second$/, 1);
      expect(await stored(site)).toBe(2);
    } else {
      expect(await stored(site)).toBe(2 + (second.json?.accepted ?? 0));
    }
  });

  it('sites without a limit are not limited', async () => {
    const site = 'unlimited.test';
    await createSite({ id: site, rate_limit: null });
    const replies = await Promise.all(Array.from({ length: 30 }, () => sendEvent(pageview(site))));
    expect(replies.map((r) => r.status)).toEqual(Array(30).fill(202));
    expect(await stored(site)).toBe(30);
  });
});

// ---------------------------------------------------------------------------------------
describe('allowed origins on POST /api/event', () => {
  const site = 'shop.test';
  let droppedBefore = 0;
  beforeAll(async () => {
    await createSite({ id: site, origins: ['https://shop.test', 'https://www.shop.test'] });
    droppedBefore = await dropped('forbidden_origin');
  });

  it.each([
    ['a listed origin', 'https://shop.test', 202],
    ['another listed origin', 'https://www.shop.test', 202],
    ['a listed origin, host in capitals', 'https://SHOP.test', 202],
    ['no Origin header (a server)', undefined, 202],
    ['another host', 'https://evil.test', 403],
    ['http instead of https', 'http://shop.test', 403],
    ['another port', 'https://shop.test:8443', 403],
    ['a subdomain that is not listed', 'https://blog.shop.test', 403],
    ['a look-alike suffix', 'https://shop.test.evil.test', 403],
    ['the opaque origin "null"', 'null', 403],
  ])('%s → %d', async (_name, origin, status) => {
    const r = await sendEvent(pageview(site), { headers: origin === undefined ? {} : { origin } });
    expect(r.status).toBe(status);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    if (status === 403) expect(r.json).toEqual({ error: `origin ${origin} is not allowed for site ${site}` });
  });

  it('stored only the allowed events, and counted the refused ones', async () => {
    expect(await stored(site)).toBe(4);
    expect(await dropped('forbidden_origin')).toBe(droppedBefore + 6);
  });

  it('refuses an event naming several sites when one of them does not allow the origin', async () => {
    const r = await sendEvent(pageview(`free-b.test,${site}`), { headers: { origin: 'https://free-b.test' } });
    expect(r.status).toBe(403);
    expect(r.json).toEqual({ error: `origin https://free-b.test is not allowed for site ${site}` });
    expect(await stored('free-b.test')).toBe(0);
  });

  it('a site without origins accepts any', async () => {
    const r = await sendEvent(pageview('any-origin.test'), { headers: { origin: 'https://anything.test' } });
    expect(r.status).toBe(202);
  });

  it('batches are server-side: no origin check', async () => {
    const r = await sendBatch([pageview(site, '/from-backend')], { origin: 'https://evil.test' });
    expect(r.json).toEqual({ accepted: 1, rejected: 0, errors: [] });
    expect(await stored(site)).toBe(5);
  });
});

// ---------------------------------------------------------------------------------------
describe('signed batches on POST /api/events', () => {
  const site = 'signed.test';
  const secret = 'signed-test-secret-0123456789';
  const event = (path: string) => pageview(site, path);
  let accepted = 0;

  beforeAll(async () => {
    await createSite({ id: site, signing_secret: secret });
    await createSite({ id: 'unsigned.test' });
  });

  it('a correct signature → 200', async () => {
    const body = JSON.stringify([event('/ok-1'), event('/ok-2')]);
    const r = await sendBatch(body, { 'x-mallard-signature': sign(body, secret) });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 2, rejected: 0, errors: [] });
    accepted += 2;
  });

  it('NDJSON, signed over its exact bytes (trailing newline included) → 200', async () => {
    const body = `${JSON.stringify(event('/nd-1'))}\n${JSON.stringify(event('/nd-2'))}\n`;
    const r = await sendBatch(body, { 'x-mallard-signature': sign(body, secret), 'content-type': 'application/x-ndjson' });
    expect(r.json).toEqual({ accepted: 2, rejected: 0, errors: [] });
    accepted += 2;
  });

  it('non-ASCII text is signed as its UTF-8 bytes → 200', async () => {
    const body = JSON.stringify([{ ...event('/caf%C3%A9'), p: { city: 'Zürich', note: '東京' } }]);
    const r = await sendBatch(body, { 'x-mallard-signature': sign(Buffer.from(body, 'utf8'), secret) });
    expect(r.json).toEqual({ accepted: 1, rejected: 0, errors: [] });
    accepted += 1;
  });

  type Case = [string, (body: string) => { body: string; signature?: string }, string];
  const CASES: Case[] = [
    ['missing', (body) => ({ body }), 'X-Mallard-Signature: missing'],
    [
      'signed with another secret',
      (body) => ({ body, signature: sign(body, 'not-the-secret-0123456') }),
      'X-Mallard-Signature: does not match',
    ],
    [
      'body altered after signing',
      (body) => ({ body: body.replace('/bad', '/bae'), signature: sign(body, secret) }),
      'X-Mallard-Signature: does not match',
    ],
    [
      'whitespace added after signing',
      (body) => ({ body: `${body}\n`, signature: sign(body, secret) }),
      'X-Mallard-Signature: does not match',
    ],
    [
      'hex without the sha256= prefix',
      (body) => ({ body, signature: sign(body, secret).slice(7) }),
      'X-Mallard-Signature: expected sha256=<hex HMAC-SHA256 of the body>',
    ],
  ];

  it.each(CASES)('%s → 401, nothing stored', async (_name, make, error) => {
    const { body, signature } = make(JSON.stringify([event('/bad'), pageview('unsigned.test', '/bad')]));
    const r = await sendBatch(body, signature === undefined ? {} : { 'x-mallard-signature': signature });
    expect(r.status).toBe(401);
    expect(r.json).toEqual({ error });
  });

  it('an identical replay → 409, stored once', async () => {
    const body = JSON.stringify([event('/replayed')]);
    const headers = { 'x-mallard-signature': sign(body, secret) };
    const first = await sendBatch(body, headers);
    expect(first.json).toEqual({ accepted: 1, rejected: 0, errors: [] });
    accepted += 1;
    for (let i = 0; i < 2; i++) {
      const again = await sendBatch(body, headers);
      expect(again.status).toBe(409);
      expect(again.json).toEqual({ error: 'this signed batch was already accepted' });
    }
  });

  it('a batch refused for its signature is not remembered: sent again correctly signed → 200', async () => {
    const body = JSON.stringify([event('/second-try')]);
    expect((await sendBatch(body, { 'x-mallard-signature': sign(body, 'not-the-secret-0123456') })).status).toBe(401);
    const r = await sendBatch(body, { 'x-mallard-signature': sign(body, secret) });
    expect(r.json).toEqual({ accepted: 1, rejected: 0, errors: [] });
    accepted += 1;
  });

  it('the API key is still required before the signature', async () => {
    const body = JSON.stringify([event('/no-key')]);
    const res = await fetch(`${url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-mallard-signature': sign(body, secret) },
      body,
    });
    expect(res.status).toBe(401);
    expect(await res.json()).not.toEqual({ error: 'this signed batch was already accepted' });
  });

  it('a site without a secret needs no signature', async () => {
    const r = await sendBatch([pageview('unsigned.test', '/1'), pageview('unsigned.test', '/2')]);
    expect(r.json).toEqual({ accepted: 2, rejected: 0, errors: [] });
  });

  it('stored exactly the accepted events', async () => {
    expect(await stored(site)).toBe(accepted);
    expect(await stored('unsigned.test')).toBe(2);
  });

  it('a signed batch refused with 429 is not remembered: retried after Retry-After → 200', async () => {
    const slow = 'signed-slow.test';
    const slowSecret = 'signed-slow-secret-0123456';
    await createSite({ id: slow, rate_limit: 1, signing_secret: slowSecret });
    const drain = JSON.stringify([pageview(slow, '/1'), pageview(slow, '/2')]);
    const body = JSON.stringify([pageview(slow, '/3')]);
    const headers = { 'x-mallard-signature': sign(body, slowSecret) };
    const { replies, seconds } = await timed([
      () => sendBatch(drain, { 'x-mallard-signature': sign(drain, slowSecret) }),
      () => sendBatch(body, headers),
    ]);
    expect(replies[0]?.json).toEqual({ accepted: 2, rejected: 0, errors: [] });
    if (refill(1, seconds) > 0) return; // the bucket refilled before the second request: nothing to retry
    const limited = replies[1] as Reply;
    expectRateLimited(limited, /site signed-slow\.test/, 1);
    await new Promise((r) => setTimeout(r, Number(limited.headers.get('retry-after')) * 1000 + 50));
    const retried = await sendBatch(body, headers);
    expect(retried.json).toEqual({ accepted: 1, rejected: 0, errors: [] });
    expect((await sendBatch(body, headers)).status).toBe(409);
    expect(await stored(slow)).toBe(3);
  });
});
