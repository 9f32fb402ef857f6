/**
 * Shields through the real server: set by PATCH (and POST and the config file), events sent
 * from chosen client addresses (X-Forwarded-For from the trusted loopback proxy; `ip` in
 * batches) located by the test GeoIP database (test/helpers/geo-fixture.ts), then the exact
 * stats of what was kept and the exact drop counters per reason; shields survive a restart;
 * bad input is a 400 naming the field.
 *
 * Fixture (GeoIP: 203.0.113.0/24 US, 198.51.100.0/24 DE, 192.0.2.0/24 FR, 2001:db8::/32 JP).
 * shop.test shields ips 198.51.100.0/25 and 2001:db8:1::/48, country FR, pages /admin/* and
 * /*.php, and allows hostnames shop.test and *.shop.test. blog.test has none.
 *
 *   POST /api/event                                               shop.test     blog.test
 *   1  203.0.113.5     shop.test  https://shop.test/              kept (US)
 *   2  198.51.100.5    shop.test  https://shop.test/              shield_ip
 *   3  198.51.100.200  shop.test  https://shop.test/              kept (DE)
 *   4  192.0.2.1       shop.test  https://shop.test/              shield_country
 *   5  203.0.113.6     shop.test  https://shop.test/admin/users   shield_page
 *   6  203.0.113.7     shop.test  https://shop.test/wp-login.php  shield_page
 *   7  203.0.113.8     shop.test  https://copy.example.net/       shield_hostname
 *   8  203.0.113.9     shop.test  https://www.shop.test/about     kept (US; stored as shop.test)
 *   9  203.0.113.10    shop.test  https://cdn.shop.test/x         kept (US)
 *  10  2001:db8:1::5   shop.test  https://shop.test/              shield_ip
 *  11  2001:db8:2::5   shop.test  https://shop.test/              kept (JP)
 *  12  192.0.2.9       shop.test,blog.test  https://shop.test/    shield_country  kept (FR)
 *  13  203.0.113.11    blog.test,shop.test  https://shop.test/    kept (US)     kept (US)
 *   POST /api/events (`ip`)
 *  14  198.51.100.1        shop.test /b                           shield_ip
 *  15  ::ffff:198.51.100.2 shop.test /b                           shield_ip
 *  16  203.0.113.50        shop.test /b                           kept (US)
 *  17  192.0.2.50          shop.test /b                           shield_country
 *
 * shop.test keeps 1, 3, 8, 9, 11, 13, 16: 7 visitors (7 addresses), 7 single-page visits;
 * pages / 4 (1, 3, 11, 13), /about 1, /x 1, /b 1; countries US 5, DE 1, JP 1.
 * blog.test keeps 12 (FR) and 13 (US). Drops: shield_ip 4 (2, 10, 14, 15), shield_country 3
 * (4, 12's shop.test row, 17), shield_page 2, shield_hostname 1.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCityMmdb } from '../helpers/geo-fixture.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { main, removeScratchDirs, scratchDir, stats, UA } from './support.js';

const SHOP_SHIELDS = {
  ips: ['198.51.100.0/25', '2001:DB8:1::/48'],
  countries: ['fr'],
  pages: ['/admin/*', '/*.php'],
  hostnames: ['shop.test', '*.Shop.test'],
};
/** As the API answers them: normalized. */
const SHOP_STORED = {
  ips: ['198.51.100.0/25', '2001:db8:1::/48'],
  countries: ['FR'],
  pages: ['/admin/*', '/*.php'],
  hostnames: ['shop.test', '*.shop.test'],
};
const NONE = { ips: [], countries: [], pages: [], hostnames: [] };
const REASONS = ['shield_ip', 'shield_country', 'shield_page', 'shield_hostname'] as const;

const CONFIG = `
[[sites]]
id = "conf.test"
shields = { pages = ["/private/*"], countries = ["de"] }
`;

let server: RunningServer;
let dataDir: string;
let configFile: string;
let geoDb: string;
let url: string;
let readKey: string;
let ingestKey: string;
let adminKey: string;
/** The first server's output, kept over the restart. */
let earlierLogs = '';

async function start(): Promise<void> {
  server = await startServer({
    dataDir,
    env: { MALLARD_GEOIP_DB: geoDb, MALLARD_TRUSTED_PROXIES: '127.0.0.1', MALLARD_FLUSH_INTERVAL: '86400' },
    args: ['--config', configFile],
  });
  url = server.url;
}

beforeAll(async () => {
  dataDir = scratchDir('shields');
  const etc = scratchDir('shields-etc');
  configFile = join(etc, 'mallard-metrics.toml');
  writeFileSync(configFile, CONFIG);
  geoDb = buildCityMmdb(etc);
  await start();
  const cookie = await login(url);
  readKey = await createKey(url, cookie, 'read');
  ingestKey = await createKey(url, cookie, 'ingest');
  adminKey = await createKey(url, cookie, 'admin');
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

async function admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined };
}

/** POST /api/event from `ip` (X-Forwarded-For from the trusted proxy); the status. */
async function send(ip: string, d: string, u: string): Promise<number> {
  const res = await fetch(`${url}/api/event`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain', 'user-agent': UA.chromeWindows, 'x-forwarded-for': ip },
    body: JSON.stringify({ d, n: 'pageview', u }),
  });
  await res.text();
  return res.status;
}

async function dropCounts(): Promise<Record<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Object.fromEntries(
    REASONS.map((r) => [r, Number(new RegExp(`^mallard_events_dropped_total\\{reason="${r}"\\} (\\d+)$`, 'm').exec(text)?.[1])]),
  );
}

const ALL = { period: 'all' };

async function breakdown(site: string, endpoint: string): Promise<[string, number, number][]> {
  const rows = await stats<{ value: string; visitors: number; pageviews: number }[]>(url, readKey, endpoint, {
    site_id: site,
    ...ALL,
  });
  return rows.map((r) => [r.value, r.visitors, r.pageviews]);
}

describe('shields', () => {
  it('are empty until set; PATCH sets them normalized and GET and the list return them', async () => {
    expect((await admin('POST', '/api/sites', { id: 'shop.test' })).status).toBe(201);
    const blog = await admin('POST', '/api/sites', { id: 'blog.test' });
    expect(blog.status).toBe(201);
    expect((blog.json as { shields: unknown }).shields).toEqual(NONE);

    const patched = await admin('PATCH', '/api/sites/shop.test', { shields: SHOP_SHIELDS });
    expect(patched.status).toBe(200);
    expect((patched.json as { shields: unknown }).shields).toEqual(SHOP_STORED);
    expect(((await admin('GET', '/api/sites/shop.test')).json as { shields: unknown }).shields).toEqual(SHOP_STORED);
    const list = (await admin('GET', '/api/sites')).json as { id: string; shields: unknown }[];
    expect(list.map((s) => [s.id, s.shields])).toEqual([
      ['blog.test', NONE],
      ['conf.test', { ...NONE, countries: ['DE'], pages: ['/private/*'] }],
      ['shop.test', SHOP_STORED],
    ]);
  });

  it('drop exactly the shielded events and rows, answering 202, and count each per reason', async () => {
    expect(await dropCounts()).toEqual({ shield_ip: 0, shield_country: 0, shield_page: 0, shield_hostname: 0 });
    const sends: [string, string, string][] = [
      ['203.0.113.5', 'shop.test', 'https://shop.test/'],
      ['198.51.100.5', 'shop.test', 'https://shop.test/'],
      ['198.51.100.200', 'shop.test', 'https://shop.test/'],
      ['192.0.2.1', 'shop.test', 'https://shop.test/'],
      ['203.0.113.6', 'shop.test', 'https://shop.test/admin/users'],
      ['203.0.113.7', 'shop.test', 'https://shop.test/wp-login.php'],
      ['203.0.113.8', 'shop.test', 'https://copy.example.net/'],
      ['203.0.113.9', 'shop.test', 'https://www.shop.test/about'],
      ['203.0.113.10', 'shop.test', 'https://cdn.shop.test/x'],
      ['2001:db8:1::5', 'shop.test', 'https://shop.test/'],
      ['2001:db8:2::5', 'shop.test', 'https://shop.test/'],
      ['192.0.2.9', 'shop.test,blog.test', 'https://shop.test/'],
      ['203.0.113.11', 'blog.test,shop.test', 'https://shop.test/'],
    ];
    const statuses: number[] = [];
    for (const [ip, d, u] of sends) statuses.push(await send(ip, d, u));
    expect(statuses).toEqual(sends.map(() => 202));

    const batch = [
      { d: 'shop.test', n: 'pageview', u: 'https://shop.test/b', ip: '198.51.100.1' },
      { d: 'shop.test', n: 'pageview', u: 'https://shop.test/b', ip: '::ffff:198.51.100.2' },
      { d: 'shop.test', n: 'pageview', u: 'https://shop.test/b', ip: '203.0.113.50' },
      { d: 'shop.test', n: 'pageview', u: 'https://shop.test/b', ip: '192.0.2.50' },
    ];
    const res = await fetch(`${url}/api/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${ingestKey}` },
      body: JSON.stringify(batch),
    });
    expect(res.status).toBe(200);
    const excluded = 'excluded by the shields of site shop.test';
    expect(await res.json()).toEqual({
      accepted: 1,
      rejected: 3,
      errors: [
        { index: 0, error: excluded },
        { index: 1, error: excluded },
        { index: 3, error: excluded },
      ],
    });

    expect(await dropCounts()).toEqual({ shield_ip: 4, shield_country: 3, shield_page: 2, shield_hostname: 1 });
    expect(await stats(url, readKey, 'main', { site_id: 'shop.test', ...ALL })).toEqual(main(7, 7, 7, 1, 1, 0, 7));
    expect(await breakdown('shop.test', 'breakdown/pages')).toEqual([
      ['/', 4, 4],
      ['/about', 1, 1],
      ['/b', 1, 1],
      ['/x', 1, 1],
    ]);
    expect(await breakdown('shop.test', 'breakdown/countries')).toEqual([
      ['US', 5, 5],
      ['DE', 1, 1],
      ['JP', 1, 1],
    ]);
    expect(await breakdown('blog.test', 'breakdown/countries')).toEqual([
      ['FR', 1, 1],
      ['US', 1, 1],
    ]);
  });

  it('apply shields set in the config file', async () => {
    expect(await send('203.0.113.60', 'conf.test', 'https://conf.test/private/x')).toBe(202);
    expect(await send('198.51.100.60', 'conf.test', 'https://conf.test/')).toBe(202);
    expect(await send('203.0.113.61', 'conf.test', 'https://conf.test/public')).toBe(202);
    expect(await dropCounts()).toEqual({ shield_ip: 4, shield_country: 4, shield_page: 3, shield_hostname: 1 });
    expect(await breakdown('conf.test', 'breakdown/pages')).toEqual([['/public', 1, 1]]);
  });

  it.each([
    [{ ips: ['192.0.2.1', '2001:db8::/32', '192.0.2.0/33'] }, 'shields.ips[2]: not an IP address or CIDR'],
    [{ ips: ['example.com'] }, 'shields.ips[0]: not an IP address or CIDR'],
    [{ countries: ['US', 'USA'] }, 'shields.countries[1]: not a 2-letter country code'],
    [{ pages: ['admin/*'] }, 'shields.pages[0]: not a path pattern starting with / (at most 500 characters)'],
    [{ hostnames: ['https://shop.test'] }, 'shields.hostnames[0]: not a hostname like example.com or *.example.com'],
    [{ hostnames: ['shop.*'] }, 'shields.hostnames[0]: not a hostname like example.com or *.example.com'],
    [{ ips: [1] }, 'shields.ips[0]: must be a string'],
    [{ ips: '192.0.2.1' }, 'shields.ips: must be an array of strings'],
    [{ ips: Array.from({ length: 501 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) }, 'shields.ips: at most 500 entries'],
    [{ referrers: [] }, 'shields.referrers: unknown field'],
    ['all', 'shields: must be an object with ips, countries, pages and hostnames lists, or null'],
  ])('refuse %j with a 400 naming the field, leaving the stored shields', async (shields, error) => {
    const res = await admin('PATCH', '/api/sites/shop.test', { shields });
    expect(res).toEqual({ status: 400, json: { error } });
    expect(((await admin('GET', '/api/sites/shop.test')).json as { shields: unknown }).shields).toEqual(SHOP_STORED);
  });

  it('are refused the same way when a site is created with them', async () => {
    const res = await admin('POST', '/api/sites', { id: 'new.test', shields: { countries: ['X1'] } });
    expect(res).toEqual({ status: 400, json: { error: 'shields.countries[0]: not a 2-letter country code' } });
    expect((await admin('GET', '/api/sites/new.test')).status).toBe(404);
  });

  it('persist across a restart, and null clears them', async () => {
    earlierLogs = server.logs();
    await server.stop('SIGTERM');
    await start();
    expect(((await admin('GET', '/api/sites/shop.test')).json as { shields: unknown }).shields).toEqual(SHOP_STORED);
    expect(await dropCounts()).toEqual({ shield_ip: 0, shield_country: 0, shield_page: 0, shield_hostname: 0 });
    expect(await send('198.51.100.5', 'shop.test', 'https://shop.test/after')).toBe(202);
    expect(await dropCounts()).toEqual({ shield_ip: 1, shield_country: 0, shield_page: 0, shield_hostname: 0 });
    expect(await breakdown('shop.test', 'breakdown/pages')).not.toContainEqual(['/after', 1, 1]);

    const cleared = await admin('PATCH', '/api/sites/shop.test', { shields: null });
    expect(cleared.status).toBe(200);
    expect((cleared.json as { shields: unknown }).shields).toEqual(NONE);
    expect(await send('198.51.100.5', 'shop.test', 'https://shop.test/after')).toBe(202);
    expect(await send('192.0.2.1', 'shop.test', 'https://copy.example.net/admin/x')).toBe(202);
    expect(await dropCounts()).toEqual({ shield_ip: 1, shield_country: 0, shield_page: 0, shield_hostname: 0 });
    const pages = await breakdown('shop.test', 'breakdown/pages');
    expect(pages.filter(([p]) => p === '/after' || p === '/admin/x')).toEqual([
      ['/admin/x', 1, 1],
      ['/after', 1, 1],
    ]);
  });

  it('never write a client address to the logs', () => {
    const logs = earlierLogs + server.logs();
    expect(logs).toContain('"msg"'); // the logs were captured
    for (const ip of ['198.51.100.5', '192.0.2.1', '2001:db8:1::5', '198.51.100.1', '192.0.2.50']) expect(logs).not.toContain(ip);
  });
});
