/**
 * Sites and share links through real HTTP against the built server: CRUD with exact
 * bodies, validation, who may manage which site, config `[[sites]]`, the site allowlist
 * accepting registered sites, share tokens as read-only callers of one site, and
 * persistence across a restart. Every expected number is worked out by hand.
 *
 * Share fixture, site share.test (2026-02-03, UTC):
 *   A 203.0.113.10 Chrome: 10:00 pv /, 10:05 pv /about   visit 1: 2 events, 300 s
 *   B 198.51.100.20 Firefox: 11:00 pv /                  visit 2: bounce
 * → 2 visitors, 2 visits, 3 pageviews, 3 events, views/visit 1.5, bounce 0.5, mean duration 150 s.
 *   other.test gets one page view from A at 12:00 (1 visitor, 1 event).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import {
  type Auth,
  apiRequest,
  loadBatch,
  main,
  removeScratchDirs,
  row,
  scratchDir,
  sendBatch,
  sendEvent,
  UA,
} from './support.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DAY = { start_date: '2026-02-03', end_date: '2026-02-03' };

const CONFIG = `
# sites declared in the file
[[sites]]
id = "conf.test"
origins = ["https://conf.test", "https://WWW.conf.test:443"]
timezone = "Europe/Berlin"
rate_limit = 500
`;

interface SiteJson {
  id: string;
  origins: string[];
  timezone: string | null;
  rate_limit: number | null;
  signing_secret_set: boolean;
  shields: { ips: string[]; countries: string[]; pages: string[]; hostnames: string[] };
  reports: { weekly: string[]; monthly: string[] };
  alerts: { spike_visitors: number | null; drop_visitors: number | null; emails: string[] };
  demo: boolean;
  created_at: string;
}

const NO_SHIELDS = { ips: [], countries: [], pages: [], hostnames: [] };
/** A site's e-mail settings when none are set (reports.test.ts tests them). */
const NO_MAIL = { reports: { weekly: [], monthly: [] }, alerts: { spike_visitors: null, drop_visitors: null, emails: [] } };

let server: RunningServer;
let dataDir: string;
let configFile: string;
let url: string;
let cookie: string;
let ingestKey: string;

async function start(): Promise<void> {
  server = await startServer({ dataDir, env: { MALLARD_SITE_IDS: 'listed.test' }, args: ['--config', configFile] });
  url = server.url;
  cookie = await login(url);
}

/** One request to this file's server. */
const api = <T = unknown>(method: string, path: string, auth: Auth = {}, body?: unknown) =>
  apiRequest<T>(url, method, path, auth, body);

const admin = () => ({ cookie });
const qs = (params: Record<string, string>) => new URLSearchParams(params).toString();
const pageview = (site: string, t: string, ip: string, ua: string, path: string) => ({
  d: site,
  n: 'pageview',
  u: `https://${site}${path}`,
  timestamp: t,
  ip,
  user_agent: ua,
});

beforeAll(async () => {
  dataDir = scratchDir('sites-data');
  configFile = join(scratchDir('sites-config'), 'mallard-metrics.toml');
  writeFileSync(configFile, CONFIG);
  await start();
  ingestKey = await createKey(url, cookie, 'ingest');
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('/api/sites', () => {
  it('answers 401 without credentials', async () => {
    for (const [method, path, body] of [
      ['GET', '/api/sites', undefined],
      ['POST', '/api/sites', { id: 'x.test' }],
      ['GET', '/api/sites/conf.test', undefined],
      ['PATCH', '/api/sites/conf.test', { rate_limit: 1 }],
      ['DELETE', '/api/sites/conf.test', undefined],
      ['POST', '/api/sites/conf.test/shares', {}],
      ['GET', '/api/sites/conf.test/shares', undefined],
    ] as const) {
      const res = await api(method, path, {}, body);
      expect([method, path, res.status, res.json]).toEqual([method, path, 401, { error: 'not signed in' }]);
    }
  });

  it('lists the sites of the config file, normalized, without secrets', async () => {
    const res = await api<SiteJson[]>('GET', '/api/sites', admin());
    expect(res.status).toBe(200);
    expect(res.json).toEqual([
      {
        id: 'conf.test',
        origins: ['https://conf.test', 'https://www.conf.test'],
        timezone: 'Europe/Berlin',
        rate_limit: 500,
        signing_secret_set: false,
        shields: NO_SHIELDS,
        ...NO_MAIL,
        demo: false,
        created_at: expect.stringMatching(ISO),
      },
    ]);
  });

  it('creates, reads, patches and deletes a site with exact bodies', async () => {
    const secret = 'crud-signing-secret-0001';
    const created = await api<SiteJson>('POST', '/api/sites', admin(), {
      id: 'crud.test',
      origins: ['https://crud.test', 'http://localhost:3000'],
      timezone: 'UTC',
      rate_limit: 20,
      signing_secret: secret,
    });
    expect(created.status, created.text).toBe(201);
    const createdAt = created.json?.created_at;
    expect(createdAt).toMatch(ISO);
    const full = {
      id: 'crud.test',
      origins: ['https://crud.test', 'http://localhost:3000'],
      timezone: 'UTC',
      rate_limit: 20,
      signing_secret_set: true,
      shields: NO_SHIELDS,
      ...NO_MAIL,
      demo: false,
      created_at: createdAt,
    };
    expect(created.json).toEqual(full);
    expect(created.text).not.toContain(secret);

    expect(await api('POST', '/api/sites', admin(), { id: 'crud.test' })).toMatchObject({
      status: 409,
      json: { error: 'site crud.test already exists' },
    });
    expect(await api('GET', '/api/sites/crud.test', admin())).toMatchObject({ status: 200, json: full });

    const cleared = await api('PATCH', '/api/sites/crud.test', admin(), { origins: [], rate_limit: null, signing_secret: null });
    expect(cleared.status, cleared.text).toBe(200);
    const afterClear = { ...full, origins: [], rate_limit: null, signing_secret_set: false };
    expect(cleared.json).toEqual(afterClear);
    const tz = await api('PATCH', '/api/sites/crud.test', admin(), { timezone: 'asia/tokyo' });
    expect(tz.json).toEqual({ ...afterClear, timezone: 'Asia/Tokyo' });
    const untouched = await api('PATCH', '/api/sites/crud.test', admin(), {});
    expect(untouched).toMatchObject({ status: 200, json: { ...afterClear, timezone: 'Asia/Tokyo' } });
    const resecret = await api('PATCH', '/api/sites/crud.test', admin(), { signing_secret: 'another-secret-0002' });
    expect(resecret.json).toEqual({ ...afterClear, timezone: 'Asia/Tokyo', signing_secret_set: true });

    const list = await api<SiteJson[]>('GET', '/api/sites', admin());
    expect(list.json?.map((s) => s.id)).toEqual(['conf.test', 'crud.test']);

    const del = await api('DELETE', '/api/sites/crud.test', admin());
    expect([del.status, del.text]).toEqual([204, '']);
    expect(await api('GET', '/api/sites/crud.test', admin())).toMatchObject({
      status: 404,
      json: { error: 'no site crud.test' },
    });
    expect(await api('DELETE', '/api/sites/crud.test', admin())).toMatchObject({
      status: 404,
      json: { error: 'no site crud.test' },
    });
    expect(await api('PATCH', '/api/sites/crud.test', admin(), { rate_limit: 5 })).toMatchObject({
      status: 404,
      json: { error: 'no site crud.test' },
    });
    expect((await api<SiteJson[]>('GET', '/api/sites', admin())).json?.map((s) => s.id)).toEqual(['conf.test']);
  });

  it.each([
    [{}, 'id: required'],
    [{ id: 'Bad Site' }, 'id: not a valid site id'],
    [{ id: 42 }, 'id: must be a string'],
    [
      { id: 'v.test', origins: ['https://v.test/path'] },
      'origins[0]: not an origin like https://example.com (http/https, no path)',
    ],
    [
      { id: 'v.test', origins: ['https://v.test', 'ftp://v.test'] },
      'origins[1]: not an origin like https://example.com (http/https, no path)',
    ],
    [{ id: 'v.test', origins: 'https://v.test' }, 'origins: Invalid input: expected array, received string'],
    [{ id: 'v.test', origins: Array.from({ length: 51 }, (_, i) => `https://s${i}.v.test`) }, 'origins: at most 50 origins'],
    [{ id: 'v.test', timezone: 'Mars/Olympus_Mons' }, 'timezone: not an IANA time zone name like Europe/Berlin'],
    [{ id: 'v.test', rate_limit: 0 }, 'rate_limit: must be from 1 to 100000'],
    [{ id: 'v.test', rate_limit: 100_001 }, 'rate_limit: must be from 1 to 100000'],
    [{ id: 'v.test', rate_limit: 2.5 }, 'rate_limit: must be an integer'],
    [{ id: 'v.test', rate_limit: '10' }, 'rate_limit: Invalid input: expected number, received string'],
    [{ id: 'v.test', signing_secret: 'too-short' }, 'signing_secret: at least 16 characters'],
    [{ id: 'v.test', signing_secret: 'x'.repeat(257) }, 'signing_secret: at most 256 characters'],
    [{ id: 'v.test', colour: 'red' }, 'colour: unknown field'],
    [[{ id: 'v.test' }], 'body: expected a JSON object'],
  ])('POST /api/sites %j → 400', async (body, error) => {
    expect(await api('POST', '/api/sites', admin(), body)).toMatchObject({ status: 400, json: { error } });
    expect((await api<SiteJson[]>('GET', '/api/sites', admin())).json?.map((s) => s.id)).toEqual(['conf.test']);
  });

  it('refuses bad PATCH bodies, malformed ids and unknown sites and links', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['PATCH', '/api/sites/conf.test', { id: 'other.test' }, 400, 'id: cannot be changed'],
      ['PATCH', '/api/sites/conf.test', { rate_limit: -5 }, 400, 'rate_limit: must be from 1 to 100000'],
      ['PATCH', '/api/sites/conf.test', { origins: null }, 400, 'origins: Invalid input: expected array, received null'],
      [
        'PATCH',
        '/api/sites/conf.test',
        { timezone: 'Nowhere/Special' },
        400,
        'timezone: not an IANA time zone name like Europe/Berlin',
      ],
      ['GET', '/api/sites/Bad%20Site', undefined, 400, 'id: not a valid site id'],
      ['PATCH', '/api/sites/-bad-', { rate_limit: 5 }, 400, 'id: not a valid site id'],
      ['DELETE', '/api/sites/UPPER.test', undefined, 400, 'id: not a valid site id'],
      ['GET', '/api/sites/Bad%20Site/shares', undefined, 400, 'id: not a valid site id'],
      ['POST', '/api/sites/conf.test/shares', { label: 'x'.repeat(101) }, 400, 'label: at most 100 characters'],
      ['POST', '/api/sites/conf.test/shares', { token: 'mine' }, 400, 'token: unknown field'],
      ['DELETE', '/api/sites/conf.test/shares/not-a-uuid', undefined, 400, 'linkId: not a valid share link id'],
      ['GET', '/api/sites/unknown.test', undefined, 404, 'no site unknown.test'],
      ['POST', '/api/sites/unknown.test/shares', {}, 404, 'no site unknown.test'],
      ['GET', '/api/sites/unknown.test/shares', undefined, 404, 'no site unknown.test'],
      ['DELETE', '/api/sites/conf.test/shares/00000000-0000-4000-8000-000000000000', undefined, 404, 'no such share link'],
    ];
    for (const [method, path, body, status, error] of cases) {
      const res = await api(method, path, admin(), body);
      expect([method, path, res.status, res.json]).toEqual([method, path, status, { error }]);
    }
    const conf = await api<SiteJson>('GET', '/api/sites/conf.test', admin());
    expect([conf.json?.rate_limit, conf.json?.timezone]).toEqual([500, 'Europe/Berlin']);
  });

  it('lets only admins manage sites: read and ingest keys get 403', async () => {
    for (const scope of ['read', 'ingest'] as const) {
      const key = await createKey(url, cookie, scope);
      const error = `this API key's scope "${scope}" does not allow this`;
      expect(await api('POST', '/api/sites', { key }, { id: 'keyed.test' })).toMatchObject({ status: 403, json: { error } });
      expect(await api('GET', '/api/sites', { key })).toMatchObject({ status: 403, json: { error } });
      expect(await api('POST', '/api/sites/conf.test/shares', { key }, {})).toMatchObject({ status: 403, json: { error } });
    }
    expect(await api('GET', '/api/sites/keyed.test', admin())).toMatchObject({ status: 404 });
  });

  it('limits an admin key restricted to sites to those sites', async () => {
    const restricted = await createKey(url, cookie, 'admin', ['mine.test']);
    const unrestricted = await createKey(url, cookie, 'admin');
    const denied = { status: 403, json: { error: 'this API key may not access this site' } };

    const created = await api<SiteJson>('POST', '/api/sites', { key: restricted }, { id: 'mine.test', rate_limit: 3 });
    expect(created.status, created.text).toBe(201);
    expect(await api('POST', '/api/sites', { key: restricted }, { id: 'theirs.test' })).toMatchObject(denied);
    expect(await api('GET', '/api/sites/conf.test', { key: restricted })).toMatchObject(denied);
    expect(await api('PATCH', '/api/sites/conf.test', { key: restricted }, { rate_limit: 1 })).toMatchObject(denied);
    expect(await api('DELETE', '/api/sites/conf.test', { key: restricted })).toMatchObject(denied);
    expect(await api('POST', '/api/sites/conf.test/shares', { key: restricted }, {})).toMatchObject(denied);
    expect(await api('GET', '/api/sites/conf.test/shares', { key: restricted })).toMatchObject(denied);
    // an unknown site outside its list is a 403 too: existence is not revealed
    expect(await api('GET', '/api/sites/nothing.test', { key: restricted })).toMatchObject(denied);

    const own = await api<SiteJson[]>('GET', '/api/sites', { key: restricted });
    expect(own.json).toEqual([created.json]);
    expect((await api<SiteJson[]>('GET', '/api/sites', { key: unrestricted })).json?.map((s) => s.id)).toEqual([
      'conf.test',
      'mine.test',
    ]);
    expect(await api('PATCH', '/api/sites/mine.test', { key: restricted }, { rate_limit: 4 })).toMatchObject({
      status: 200,
      json: { ...created.json, rate_limit: 4 },
    });
    expect(await api('GET', '/api/sites/mine.test/shares', { key: restricted })).toMatchObject({ status: 200, json: [] });
    const del = await api('DELETE', '/api/sites/mine.test', { key: restricted });
    expect(del.status).toBe(204);
    const conf = await api<SiteJson>('GET', '/api/sites/conf.test', admin());
    expect(conf.json?.rate_limit).toBe(500);
  });
});

describe('site allowlist with registered sites', () => {
  const event = (d: string) => ({ d, n: 'pageview', u: `https://${d}/` });

  it('accepts listed, configured and registered sites while MALLARD_SITE_IDS is set; others get 403', async () => {
    const unknown = { status: 403, json: { error: 'd: unknown site' } };
    expect((await sendEvent(url, event('listed.test'))).status).toBe(202);
    expect((await sendEvent(url, event('conf.test'), { headers: { origin: 'https://conf.test' } })).status).toBe(202);
    expect(await sendEvent(url, event('reg.test'))).toMatchObject(unknown);
    expect(await sendEvent(url, event('nope.test'))).toMatchObject(unknown);

    expect((await api('POST', '/api/sites', admin(), { id: 'reg.test' })).status).toBe(201);
    expect((await sendEvent(url, event('reg.test'))).status).toBe(202);
    expect(await sendEvent(url, event('nope.test'))).toMatchObject(unknown);
    // a multi-site event needs every site allowed
    expect(await sendEvent(url, event('reg.test,nope.test'))).toMatchObject(unknown);
    expect((await sendEvent(url, event('reg.test,listed.test'))).status).toBe(202);

    const batch = await sendBatch(url, ingestKey, [
      pageview('reg.test', '2026-02-01T10:00:00Z', '203.0.113.10', UA.chromeWindows, '/'),
      pageview('nope.test', '2026-02-01T10:00:00Z', '203.0.113.10', UA.chromeWindows, '/'),
      pageview('conf.test', '2026-02-01T10:00:00Z', '203.0.113.10', UA.chromeWindows, '/'),
    ]);
    expect(batch.json).toEqual({ accepted: 2, rejected: 1, errors: [{ index: 1, error: 'd: unknown site' }] });

    expect((await api('DELETE', '/api/sites/reg.test', admin())).status).toBe(204);
    expect(await sendEvent(url, event('reg.test'))).toMatchObject(unknown);
  });
});

describe('share links', () => {
  let share: { id: string; label: string | null; token: string; url: string };

  beforeAll(async () => {
    expect((await api('POST', '/api/sites', admin(), { id: 'share.test' })).status).toBe(201);
    expect((await api('POST', '/api/sites', admin(), { id: 'other.test' })).status).toBe(201);
    await loadBatch(url, ingestKey, [
      pageview('share.test', '2026-02-03T10:00:00Z', '203.0.113.10', UA.chromeWindows, '/'),
      pageview('share.test', '2026-02-03T10:05:00Z', '203.0.113.10', UA.chromeWindows, '/about'),
      pageview('share.test', '2026-02-03T11:00:00Z', '198.51.100.20', UA.firefoxLinux, '/'),
      pageview('other.test', '2026-02-03T12:00:00Z', '203.0.113.10', UA.chromeWindows, '/secret'),
    ]);
    const res = await api<typeof share>('POST', '/api/sites/share.test/shares', admin(), { label: 'Public board' });
    expect(res.status, res.text).toBe(201);
    share = res.json as typeof share;
  });

  const stats = (endpoint: string, site: string, token: string, extra: Record<string, string> = {}) =>
    api('GET', `/api/stats/${endpoint}?${qs({ site_id: site, ...DAY, ...extra, auth: token })}`);

  it('is created with a token shown once and listed without it', async () => {
    expect(share).toEqual({
      id: expect.stringMatching(UUID),
      label: 'Public board',
      token: expect.stringMatching(TOKEN),
      url: `/share/${share.token}`,
    });
    const list = await api('GET', '/api/sites/share.test/shares', admin());
    expect(list.json).toEqual([{ id: share.id, label: 'Public board', created_at: expect.stringMatching(ISO) }]);
    expect(list.text).not.toContain(share.token);
    const bare = await api<{ label: string | null }>('POST', '/api/sites/share.test/shares', admin());
    expect([bare.status, bare.json?.label]).toEqual([201, null]);
    expect((await api<unknown[]>('GET', '/api/sites/share.test/shares', admin())).json).toHaveLength(2);
  });

  it('reads the stats of its site, by ?auth= or X-Mallard-Share', async () => {
    const expected = main(2, 2, 3, 1.5, 0.5, 150, 3);
    expect(await stats('main', 'share.test', share.token)).toMatchObject({ status: 200, json: expected });
    const byHeader = await api('GET', `/api/stats/main?${qs({ site_id: 'share.test', ...DAY })}`, { share: share.token });
    expect(byHeader).toMatchObject({ status: 200, json: expected });
    expect(await stats('breakdown/pages', 'share.test', share.token)).toMatchObject({
      status: 200,
      // Both visits entered on /; nobody on /about, so its bounce rate and duration are 0.
      json: [row('/', 2, 2, 2, 0.5, 150, 100), row('/about', 1, 1, 1, 0, 0, 50)],
    });
    expect(await stats('sessions', 'share.test', share.token)).toMatchObject({
      status: 200,
      json: { total_sessions: 2, avg_session_duration_secs: 150, avg_pages_per_session: 1.5, bounce_rate: 0.5, gap_secs: 1800 },
    });
    const v2 = await api(
      'POST',
      `/api/v2/query?auth=${share.token}`,
      {},
      {
        site_id: 'share.test',
        metrics: ['visitors', 'pageviews'],
        date_range: ['2026-02-03', '2026-02-03'],
      },
    );
    expect(v2.status, v2.text).toBe(200);
    expect((v2.json as { results: unknown }).results).toEqual([{ metrics: [2, 3], dimensions: [] }]);
    const exported = await stats('export', 'share.test', share.token, { format: 'json' });
    expect(exported).toMatchObject({
      status: 200,
      json: [
        {
          date: '2026-02-03',
          visitors: 2,
          visits: 2,
          pageviews: 3,
          views_per_visit: 1.5,
          bounce_rate: 0.5,
          visit_duration: 150,
          events: 3,
        },
      ],
    });
  });

  it('gets 403 for another site on every read route', async () => {
    const other = { status: 403, json: { error: 'this share link is for another site' } };
    expect(await stats('main', 'other.test', share.token)).toMatchObject(other);
    expect(await stats('breakdown/pages', 'other.test', share.token)).toMatchObject(other);
    expect(await stats('sessions', 'other.test', share.token)).toMatchObject(other);
    expect(await stats('export', 'other.test', share.token, { kind: 'events', format: 'json' })).toMatchObject(other);
    const v2 = await api(
      'POST',
      '/api/v2/query',
      { share: share.token },
      {
        site_id: 'other.test',
        metrics: ['visitors'],
        date_range: ['2026-02-03', '2026-02-03'],
      },
    );
    expect(v2).toMatchObject(other);
    // the admin still sees the other site's event
    const adminMain = await api('GET', `/api/stats/main?${qs({ site_id: 'other.test', ...DAY })}`, admin());
    expect(adminMain.json).toEqual(main(1, 1, 1, 1, 1, 0, 1));
  });

  it('never satisfies ingest or admin', async () => {
    const readOnly = { status: 403, json: { error: 'a share link only allows reading stats' } };
    const auth = { share: share.token };
    expect(await api('POST', '/api/keys', auth, { name: 'x', scope: 'admin' })).toMatchObject(readOnly);
    expect(await api('GET', '/api/keys', auth)).toMatchObject(readOnly);
    expect(await api('POST', '/api/sites', auth, { id: 'evil.test' })).toMatchObject(readOnly);
    expect(await api('GET', '/api/sites', auth)).toMatchObject(readOnly);
    expect(await api('GET', '/api/sites/share.test', auth)).toMatchObject(readOnly);
    expect(await api('POST', '/api/sites/share.test/shares', auth, {})).toMatchObject(readOnly);
    expect(await api('DELETE', `/api/sites/share.test/shares/${share.id}`, auth)).toMatchObject(readOnly);
    expect(await api('POST', `/api/keys?auth=${share.token}`, {}, { name: 'x', scope: 'admin' })).toMatchObject(readOnly);
    const batch = await sendBatch(
      url,
      null,
      [pageview('share.test', '2026-02-03T13:00:00Z', '203.0.113.10', UA.chromeWindows, '/')],
      {
        'x-mallard-share': share.token,
      },
    );
    expect([batch.status, batch.json]).toEqual([403, { error: 'a share link only allows reading stats' }]);
    expect((await stats('main', 'share.test', share.token)).json).toEqual(main(2, 2, 3, 1.5, 0.5, 150, 3));
  });

  it('answers 401 for an unknown token and after revocation', async () => {
    const invalid = { status: 401, json: { error: 'invalid or revoked share link' } };
    expect(await stats('main', 'share.test', 'A'.repeat(43))).toMatchObject(invalid);
    expect(await stats('main', 'share.test', 'garbage')).toMatchObject(invalid);

    const extra = await api<typeof share>('POST', '/api/sites/share.test/shares', admin(), { label: 'to revoke' });
    const token = extra.json?.token ?? '';
    expect((await stats('main', 'share.test', token)).status).toBe(200);
    const del = await api('DELETE', `/api/sites/share.test/shares/${extra.json?.id}`, admin());
    expect([del.status, del.text]).toEqual([204, '']);
    expect(await stats('main', 'share.test', token)).toMatchObject(invalid);
    expect(await api('DELETE', `/api/sites/share.test/shares/${extra.json?.id}`, admin())).toMatchObject({
      status: 404,
      json: { error: 'no such share link' },
    });
    expect((await stats('main', 'share.test', share.token)).status).toBe(200);
  });

  it('dies with its site, whose events stay', async () => {
    const link = await api<typeof share>('POST', '/api/sites/other.test/shares', admin(), {});
    const token = link.json?.token ?? '';
    expect((await stats('main', 'other.test', token)).json).toEqual(main(1, 1, 1, 1, 1, 0, 1));
    expect((await api('DELETE', '/api/sites/other.test', admin())).status).toBe(204);
    expect(await stats('main', 'other.test', token)).toMatchObject({
      status: 401,
      json: { error: 'invalid or revoked share link' },
    });
    const adminMain = await api('GET', `/api/stats/main?${qs({ site_id: 'other.test', ...DAY })}`, admin());
    expect(adminMain.json).toEqual(main(1, 1, 1, 1, 1, 0, 1));
  });
});

describe('restart', () => {
  const stats = (site: string, token: string) => api('GET', `/api/stats/main?${qs({ site_id: site, ...DAY, auth: token })}`);

  it('keeps sites and share links; the config file wins for the fields it sets', async () => {
    // state before: conf.test (config), share.test with two live links (one labelled "Public board")
    const patched = await api<SiteJson>('PATCH', '/api/sites/conf.test', admin(), {
      rate_limit: 50,
      signing_secret: 'conf-signing-secret-01',
      origins: ['https://api.conf.test'],
    });
    expect(patched.status, patched.text).toBe(200);
    const link = await api<{ token: string }>('POST', '/api/sites/share.test/shares', admin(), { label: 'after restart' });
    const token = link.json?.token ?? '';
    const before = (await api<SiteJson[]>('GET', '/api/sites', admin())).json ?? [];
    const linksBefore = (await api('GET', '/api/sites/share.test/shares', admin())).json;
    expect(before.map((s) => s.id)).toEqual(['conf.test', 'share.test']);

    await server.stop();
    await start();

    const after = await api<SiteJson[]>('GET', '/api/sites', admin());
    // rate_limit and origins come back from the file; the secret set over the API stays
    expect(after.json).toEqual([
      { ...before[0], rate_limit: 500, origins: ['https://conf.test', 'https://www.conf.test'], signing_secret_set: true },
      before[1],
    ]);
    expect((await api('GET', '/api/sites/share.test/shares', admin())).json).toEqual(linksBefore);
    expect(await stats('share.test', token)).toMatchObject({ status: 200, json: main(2, 2, 3, 1.5, 0.5, 150, 3) });

    // a configured site removed over the API is back after a restart
    expect((await api('DELETE', '/api/sites/conf.test', admin())).status).toBe(204);
    await server.stop();
    await start();
    const again = await api<SiteJson[]>('GET', '/api/sites', admin());
    expect(again.json?.map((s) => [s.id, s.rate_limit, s.signing_secret_set])).toEqual([
      ['conf.test', 500, false],
      ['share.test', null, false],
    ]);
  });
});

describe('config file errors', () => {
  it.each([
    [
      '[[sites]]\nid = "a.test"\norigins = ["https://a.test/x"]\n',
      'invalid config value for sites[0].origins[0]: not an origin like https://example.com (http/https, no path)',
    ],
    ['[[sites]]\nid = "a.test"\nrate = 5\n', 'invalid config value for sites[0]: unknown key "rate"'],
    ['[[sites]]\nid = "a.test"\n[[sites]]\nid = "a.test"\n', 'invalid config value for sites[1].id: "a.test" is listed twice'],
    ['[[sites]]\norigins = []\n', 'invalid config value for sites[0].id: required'],
  ])('stops start-up naming the key: %j', async (toml, message) => {
    const file = join(scratchDir('sites-bad'), 'bad.toml');
    writeFileSync(file, toml);
    await expect(startServer({ dataDir: scratchDir('sites-bad-data'), args: ['--config', file] })).rejects.toThrow(
      `mallard-metrics: ${message}\n`,
    );
  });

  it('refuses MALLARD_SITES in the environment', async () => {
    await expect(startServer({ dataDir: scratchDir('sites-bad-data'), env: { MALLARD_SITES: 'a.test' } })).rejects.toThrow(
      'mallard-metrics: MALLARD_SITES: sites can only be set in the config file\n',
    );
  });
});
