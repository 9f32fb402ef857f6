/**
 * GET /api/stats/property-keys through real HTTP against the built server: the custom
 * property keys of the events in scope with their event counts, ordered by events (desc),
 * then key (bytewise), at most `limit`; the period and the filters decide which events
 * count; another site's keys never appear, and the auth rules are those of every stats route.
 *
 * Fixture (all times UTC), site keys.test, four visitors A–D:
 *   e1  A 2026-02-10 10:00 pageview /          variant=B
 *   e2  A 2026-02-10 10:05 Signup   /pricing   plan=pro, seats=5 (a number)
 *   e3  B 2026-02-10 11:00 pageview /pricing   variant=A
 *   e4  B 2026-02-10 11:02 Signup   /pricing   plan=free
 *   e5  C 2026-02-10 12:00 Download /docs      file=guide.pdf, plan=pro
 *   e6  C 2026-02-10 12:01 pageview /docs      (no props)
 *   e7  D 2026-02-11 09:00 Signup   /pricing   plan=pro, cta.variant=B
 * Site keys-other.test, 2026-02-10 10:00: pageview / with secret_key=x, plan=other.
 *
 * Both days: plan e2 e4 e5 e7 = 4, variant e1 e3 = 2, and cta.variant, file, seats 1 each
 * (ties by key: "cta.variant" < "file" < "seats").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, removeScratchDirs, scratchDir, statsUrl, UA } from './support.js';

const SITE = 'keys.test';
const OTHER = 'keys-other.test';
const RANGE = { start_date: '2026-02-10', end_date: '2026-02-11' };

let server: RunningServer;
let readKey: string;
let otherOnlyKey: string;
let shareOfOther: string;

const who = {
  A: { ip: '203.0.113.1', user_agent: UA.chromeWindows },
  B: { ip: '198.51.100.2', user_agent: UA.firefoxLinux },
  C: { ip: '203.0.113.3', user_agent: UA.safariMac },
  D: { ip: '198.51.100.4', user_agent: UA.edgeWindows },
};

const ev = (d: string, w: keyof typeof who, timestamp: string, n: string, path: string, p?: Record<string, string | number>) => ({
  d,
  n,
  u: `https://${d}${path}`,
  p,
  timestamp,
  ...who[w],
});

/** GET the keys with a header set; status and parsed body. */
async function keys(params: Record<string, string | number>, headers: Record<string, string> = {}) {
  const res = await fetch(statsUrl(server.url, 'property-keys', params), { headers });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}
const asReader = (params: Record<string, string | number>) => keys(params, { authorization: `Bearer ${readKey}` });
const k = (key: string, events: number) => ({ key, events });
const f = (...filters: unknown[]) => ({ filters: JSON.stringify(filters) });

beforeAll(async () => {
  server = await startServer({ dataDir: scratchDir('property-keys') });
  const cookie = await login(server.url);
  const admin = await createKey(server.url, cookie, 'admin');
  readKey = await createKey(server.url, cookie, 'read');
  otherOnlyKey = await createKey(server.url, cookie, 'read', [OTHER]);
  await loadBatch(server.url, admin, [
    ev(SITE, 'A', '2026-02-10T10:00:00Z', 'pageview', '/', { variant: 'B' }),
    ev(SITE, 'A', '2026-02-10T10:05:00Z', 'Signup', '/pricing', { plan: 'pro', seats: 5 }),
    ev(SITE, 'B', '2026-02-10T11:00:00Z', 'pageview', '/pricing', { variant: 'A' }),
    ev(SITE, 'B', '2026-02-10T11:02:00Z', 'Signup', '/pricing', { plan: 'free' }),
    ev(SITE, 'C', '2026-02-10T12:00:00Z', 'Download', '/docs', { file: 'guide.pdf', plan: 'pro' }),
    ev(SITE, 'C', '2026-02-10T12:01:00Z', 'pageview', '/docs'),
    ev(SITE, 'D', '2026-02-11T09:00:00Z', 'Signup', '/pricing', { plan: 'pro', 'cta.variant': 'B' }),
    ev(OTHER, 'A', '2026-02-10T10:00:00Z', 'pageview', '/', { secret_key: 'x', plan: 'other' }),
  ]);
  // The other site needs to be registered for a share link.
  const created = await fetch(`${server.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: OTHER }),
  });
  expect(created.status).toBe(201);
  const share = await fetch(`${server.url}/api/sites/${OTHER}/shares`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: '{}',
  });
  shareOfOther = ((await share.json()) as { token: string }).token;
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('GET /api/stats/property-keys', () => {
  it.each<[string, Record<string, string | number>, unknown]>([
    ['both days', RANGE, [k('plan', 4), k('variant', 2), k('cta.variant', 1), k('file', 1), k('seats', 1)]],
    // e1–e6: plan e2 e4 e5.
    [
      'the first day',
      { start_date: '2026-02-10', end_date: '2026-02-10' },
      [k('plan', 3), k('variant', 2), k('file', 1), k('seats', 1)],
    ],
    // e7 alone, through period=day.
    ['period=day of the second day', { period: 'day', date: '2026-02-11' }, [k('cta.variant', 1), k('plan', 1)]],
    ['a period without events', { start_date: '2026-01-01', end_date: '2026-01-31' }, []],
    // Page /pricing: e2 (plan, seats), e3 (variant), e4 (plan), e7 (plan, cta.variant).
    [
      'filtered to page /pricing',
      { ...RANGE, ...f(['is', 'event:page', ['/pricing']]) },
      [k('plan', 3), k('cta.variant', 1), k('seats', 1), k('variant', 1)],
    ],
    // Signups e2, e4, e7.
    [
      'filtered to goal Signup',
      { ...RANGE, ...f(['is', 'event:goal', ['Signup']]) },
      [k('plan', 3), k('cta.variant', 1), k('seats', 1)],
    ],
    // plan = pro: e2, e5, e7.
    [
      'filtered by a property',
      { ...RANGE, ...f(['is', 'event:props:plan', ['pro']]) },
      [k('plan', 3), k('cta.variant', 1), k('file', 1), k('seats', 1)],
    ],
    // A visit filter keeps whole visits: visitor B's (Firefox) e3 and e4.
    ['filtered to browser Firefox', { ...RANGE, ...f(['is', 'visit:browser', ['Firefox']]) }, [k('plan', 1), k('variant', 1)]],
    ['limit=2', { ...RANGE, limit: 2 }, [k('plan', 4), k('variant', 2)]],
    ['the other site', { site_id: OTHER, ...RANGE }, [k('plan', 1), k('secret_key', 1)]],
  ])('%s', async (_name, params, expected) => {
    const res = await asReader({ site_id: SITE, ...params });
    expect(res).toEqual({ status: 200, body: expected });
  });

  it('never lists another site’s keys', async () => {
    const res = await asReader({ site_id: SITE, period: 'all' });
    expect(res.status).toBe(200);
    expect((res.body as { key: string }[]).map((r) => r.key)).not.toContain('secret_key');
  });

  it('refuses what every stats route refuses', async () => {
    const cases: [string, Promise<{ status: number; body: unknown }>, number, string][] = [
      ['no credentials', keys({ site_id: SITE, ...RANGE }), 401, 'not signed in'],
      [
        'a key restricted to another site',
        keys({ site_id: SITE, ...RANGE }, { authorization: `Bearer ${otherOnlyKey}` }),
        403,
        'this API key may not access this site',
      ],
      [
        'a share link of another site',
        keys({ site_id: SITE, ...RANGE, auth: shareOfOther }),
        403,
        'this share link is for another site',
      ],
      ['limit 0', asReader({ site_id: SITE, ...RANGE, limit: 0 }), 400, 'limit: must be an integer from 1 to 100'],
      ['limit 101', asReader({ site_id: SITE, ...RANGE, limit: 101 }), 400, 'limit: must be an integer from 1 to 100'],
      ['no site_id', asReader({ ...RANGE }), 400, 'site_id: required'],
    ];
    for (const [name, pending, status, error] of cases) {
      const res = await pending;
      expect(res.status, name).toBe(status);
      if (error) expect((res.body as { error: string }).error, name).toBe(error);
    }
    // The restricted key reads its own site, the share link its own.
    expect(await keys({ site_id: OTHER, ...RANGE }, { authorization: `Bearer ${otherOnlyKey}` })).toEqual({
      status: 200,
      body: [k('plan', 1), k('secret_key', 1)],
    });
    expect(await keys({ site_id: OTHER, ...RANGE, auth: shareOfOther })).toEqual({
      status: 200,
      body: [k('plan', 1), k('secret_key', 1)],
    });
  });

  it('answers the same from Parquet after a graceful restart', async () => {
    expect(await server.stop()).toBe(0);
    server = await startServer({ dataDir: server.dataDir });
    expect(await asReader({ site_id: SITE, ...RANGE })).toEqual({
      status: 200,
      body: [k('plan', 4), k('variant', 2), k('cta.variant', 1), k('file', 1), k('seats', 1)],
    });
  });
});
