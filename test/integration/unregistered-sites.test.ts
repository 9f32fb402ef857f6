/**
 * Sites that receive events without being registered (GET /api/unregistered-sites) and
 * whether a site has any event yet (GET /api/sites/:id/has-events), through real HTTP
 * against the built server: exact counts and last-seen times from the hot tier and, after a
 * restart, from storage; registering or removing a site moves it off or onto the list;
 * `site_ids` narrows it; who may ask, and bad input.
 *
 * Fixture (batches with their own times, UTC):
 *   new.test  2026-02-03 10:00, 10:05, 11:00 page views + 1 custom event at 11:30 → 4 events, last 11:30
 *   old.test  2026-01-20 08:30 page view                                         → 1 event,  last 08:30
 *   reg.test  (registered) 2026-02-03 09:00 page view, 09:01 page view          → never listed
 *   live.test one page view through POST /api/event, stamped by the server clock (between t0 and t1)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushedEvents } from '../helpers/backends.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { type Auth, apiRequest, loadBatch, removeScratchDirs, scratchDir, sendEvent, UA } from './support.js';

interface Listed {
  id: string;
  events: number;
  last_seen: string;
}

const PASSWORD = 'member-password-1';

let server: RunningServer;
let dataDir: string;
let url: string;
let superCookie: string;
let liveFrom: number;
let liveTo: number;

/** One request to this file's server. */
const api = <T = unknown>(method: string, path: string, auth: Auth = {}, body?: unknown) =>
  apiRequest<T>(url, method, path, auth, body);

const superAdmin = (): Auth => ({ cookie: superCookie });

const event = (site: string, t: string, ip: string, path: string, name = 'pageview') => ({
  d: site,
  n: name,
  u: `https://${site}${path}`,
  timestamp: t,
  ip,
  user_agent: UA.chromeWindows,
});

async function list(auth: Auth = superAdmin(), query = ''): Promise<Listed[]> {
  const res = await api<Listed[]>('GET', `/api/unregistered-sites${query}`, auth);
  expect(res.status, res.text).toBe(200);
  return res.json ?? [];
}

/** The live.test row, its time checked against the window it was sent in, then written out as expected. */
function withLiveChecked(rows: Listed[]): Listed[] {
  return rows.map((r) => {
    if (r.id !== 'live.test') return r;
    const at = Date.parse(r.last_seen);
    expect(at).toBeGreaterThanOrEqual(liveFrom);
    expect(at).toBeLessThanOrEqual(liveTo);
    return { ...r, last_seen: 'between t0 and t1' };
  });
}

const NEW = { id: 'new.test', events: 4, last_seen: '2026-02-03T11:30:00.000Z' };
const OLD = { id: 'old.test', events: 1, last_seen: '2026-01-20T08:30:00.000Z' };
const LIVE = { id: 'live.test', events: 1, last_seen: 'between t0 and t1' };
const REG = { id: 'reg.test', events: 2, last_seen: '2026-02-03T09:01:00.000Z' };

beforeAll(async () => {
  dataDir = scratchDir('unregistered-data');
  server = await startServer({ dataDir });
  url = server.url;
  superCookie = await login(url);
  expect((await api('POST', '/api/sites', superAdmin(), { id: 'reg.test' })).status).toBe(201);
  expect((await api('POST', '/api/sites', superAdmin(), { id: 'empty.test' })).status).toBe(201);
  const ingest = await createKey(url, superCookie, 'ingest');
  await loadBatch(url, ingest, [
    event('new.test', '2026-02-03T10:00:00Z', '203.0.113.10', '/'),
    event('new.test', '2026-02-03T10:05:00Z', '203.0.113.10', '/about'),
    event('new.test', '2026-02-03T11:00:00Z', '198.51.100.20', '/'),
    event('new.test', '2026-02-03T11:30:00Z', '198.51.100.20', '/', 'Signup'),
    event('old.test', '2026-01-20T08:30:00Z', '203.0.113.11', '/'),
    event('reg.test', '2026-02-03T09:00:00Z', '203.0.113.12', '/'),
    event('reg.test', '2026-02-03T09:01:00Z', '203.0.113.12', '/pricing'),
  ]);
  liveFrom = Date.now();
  const live = await sendEvent(url, { d: 'live.test', n: 'pageview', u: 'https://live.test/' });
  expect(live.status).toBe(202);
  liveTo = Date.now();
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('GET /api/unregistered-sites', () => {
  it('lists the unregistered sites with their event count and last event, most recent first', async () => {
    expect(withLiveChecked(await list())).toEqual([LIVE, NEW, OLD]);
    expect(withLiveChecked(await list(superAdmin(), '?limit=2'))).toEqual([LIVE, NEW]);
  });

  it('answers the same from storage after a restart (the events flushed at shutdown)', async () => {
    await server.stop();
    server = await startServer({ dataDir });
    url = server.url;
    superCookie = await login(url);
    expect(await flushedEvents(dataDir)).toBeGreaterThan(0);
    expect(withLiveChecked(await list())).toEqual([LIVE, NEW, OLD]);
  });

  it('drops a site once it is registered (with its events) and lists a removed site again', async () => {
    expect((await api('POST', '/api/sites', superAdmin(), { id: 'new.test' })).status).toBe(201);
    expect(withLiveChecked(await list())).toEqual([LIVE, OLD]);
    const stats = await api<{ events: number; total_pageviews: number }>(
      'GET',
      '/api/stats/main?site_id=new.test&period=day&date=2026-02-03',
      superAdmin(),
    );
    expect(stats.json).toMatchObject({ events: 4, total_pageviews: 3 });
    // Removing a site keeps its events: it is listed again.
    expect((await api('DELETE', '/api/sites/reg.test', superAdmin())).status).toBe(204);
    expect(withLiveChecked(await list())).toEqual([LIVE, REG, OLD]);
    expect((await api('POST', '/api/sites', superAdmin(), { id: 'reg.test' })).status).toBe(201);
  });

  it('answers 400 naming limit when it is not an integer from 1 to 100', async () => {
    for (const bad of ['0', '101', 'ten', '-1', '1.5', '']) {
      const res = await api('GET', `/api/unregistered-sites?limit=${bad}`, superAdmin());
      expect([bad, res.status, res.json]).toEqual([bad, 400, { error: 'limit: must be an integer from 1 to 100' }]);
    }
  });

  it('is for the super-admin only: 401 signed out, 403 for other users and keys that are not theirs unrestricted', async () => {
    expect((await api('GET', '/api/unregistered-sites')).status).toBe(401);
    expect((await api('GET', '/api/unregistered-sites', { key: 'mm_not-a-key' })).status).toBe(401);
    const users: Record<string, Auth> = {};
    for (const role of ['admin', 'viewer']) {
      const made = await api<{ id: string }>('POST', '/api/users', superAdmin(), {
        email: `${role}@unreg.test`,
        password: PASSWORD,
      });
      expect(made.status, made.text).toBe(201);
      const set = await api('PUT', `/api/sites/reg.test/members/${made.json?.id}`, superAdmin(), { role });
      expect(set.status, set.text).toBe(200);
      users[role] = { cookie: await signInCookie(role) };
    }
    const adminKey = await api<{ key: string }>('POST', '/api/keys', users.admin, {
      name: 'ci',
      scope: 'admin',
      sites: ['reg.test'],
    });
    expect(adminKey.status, adminKey.text).toBe(201);
    const refused: [string, Auth, string][] = [
      ['admin of a site', users.admin ?? {}, 'only the super-admin may do this'],
      ['viewer of a site', users.viewer ?? {}, 'only the super-admin may do this'],
      ["the admin's admin key", { key: adminKey.json?.key }, 'this needs an admin API key that is not limited to sites'],
      [
        "the super-admin's read key",
        { key: await createKey(url, superCookie, 'read') },
        'this API key\'s scope "read" does not allow this',
      ],
      [
        "the super-admin's admin key for some sites",
        { key: await createKey(url, superCookie, 'admin', ['reg.test']) },
        'this needs an admin API key that is not limited to sites',
      ],
    ];
    for (const [who, auth, error] of refused) {
      const res = await api('GET', '/api/unregistered-sites', auth);
      expect([who, res.status, res.json]).toEqual([who, 403, { error }]);
    }
    const key = await createKey(url, superCookie, 'admin');
    expect(withLiveChecked(await list({ key }))).toEqual([LIVE, OLD]);
  });
});

/** A fresh session cookie of a user made by the test. */
async function signInCookie(role: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: `${role}@unreg.test`, password: PASSWORD }),
  });
  expect(res.status, `login ${role}`).toBe(200);
  return (res.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

describe('GET /api/sites/:id/has-events', () => {
  it('says whether the site has stored events, registered or not', async () => {
    for (const [site, has] of [
      ['reg.test', true],
      ['empty.test', false],
      ['old.test', true],
      ['nothing.test', false],
    ] as const) {
      const res = await api('GET', `/api/sites/${site}/has-events`, superAdmin());
      expect([site, res.status, res.json]).toEqual([site, 200, { has_events: has }]);
    }
  });

  it('turns true when the first event arrives', async () => {
    expect((await api('GET', '/api/sites/empty.test/has-events', superAdmin())).json).toEqual({ has_events: false });
    expect((await sendEvent(url, { d: 'empty.test', n: 'pageview', u: 'https://empty.test/' })).status).toBe(202);
    expect((await api('GET', '/api/sites/empty.test/has-events', superAdmin())).json).toEqual({ has_events: true });
  });

  it('needs read on the site (401, 403; a share link of the site may ask) and a valid id (400)', async () => {
    expect((await api('GET', '/api/sites/reg.test/has-events')).status).toBe(401);
    const viewer = { cookie: await signInCookie('viewer') };
    expect((await api('GET', '/api/sites/reg.test/has-events', viewer)).json).toEqual({ has_events: true });
    const other = await api('GET', '/api/sites/old.test/has-events', viewer);
    expect([other.status, other.json]).toEqual([403, { error: 'you have no role on old.test' }]);
    const link = await api<{ token: string }>('POST', '/api/sites/reg.test/shares', superAdmin(), {});
    const share = { share: link.json?.token ?? '' };
    expect((await api('GET', '/api/sites/reg.test/has-events', share)).json).toEqual({ has_events: true });
    const shared = await api('GET', '/api/sites/old.test/has-events', share);
    expect([shared.status, shared.json]).toEqual([403, { error: 'this share link is for another site' }]);
    const bad = await api('GET', '/api/sites/Not%20A%20Site/has-events', superAdmin());
    expect([bad.status, bad.json]).toEqual([400, { error: 'id: not a valid site id' }]);
  });
});

describe('with site_ids set', () => {
  it('lists only the unregistered sites in site_ids (no other can receive events)', async () => {
    await server.stop();
    server = await startServer({ dataDir, env: { MALLARD_SITE_IDS: 'old.test,elsewhere.test' } });
    url = server.url;
    superCookie = await login(url);
    expect(await list()).toEqual([OLD]);
  });
});
