/**
 * A Plausible CE export imported with the built CLI (`import export.zip --site …`), then the real
 * server answering with native and imported numbers together. The zip is written here, and
 * every expected number is the sum of the two, worked out by hand below.
 *
 * Native events (site plausible-import.test, 2024-01-02 UTC):
 *   A Chrome/Windows  10:00 pageview / from google.com · 10:01 pageview /pricing · 10:02 Signup
 *   B Firefox/Linux   11:00 pageview /pricing (direct)
 *   → visitors 2, visits 2, page views 3, events 4, bounces 1 (B), duration 120 s (A).
 *
 * Imported (files for 2024-01-01 – 2024-01-31):
 *   visitors  01-01: 10 visitors, 30 page views, 4 bounces, 12 visits, 600 s
 *             01-02:  5 visitors,  8 page views, 2 bounces,  6 visits, 300 s
 *   sources   01-01 Google 4 visitors 5 visits 10 pv 250 s 1 bounce · 01-01 (direct) 5/5/12/100 s/3
 *             01-02 Twitter 2/2/3/60 s/1 · 01-02 Google 3/4/5/240 s/1
 *   pages     01-01 / 7 visitors 20 pv · 01-02 /blog 3 visitors 4 pv
 *   browsers  01-01 Chrome 6 · 01-02 Safari 4
 *   custom_events 01-01 Signup 3 visitors 4 events · Outbound Link: Click 2 / 2
 *   entry_pages 01-01 / 7 visitors 8 entrances 400 s 3 bounces
 *   locations 01-02 EE, EE-37 (city 588409: a GeoNames id) 4 visitors
 *
 * 2024-01-01 – 2024-01-03, merged: visitors 2 + 15 = 17, visits 2 + 18 = 20, page views 3 + 38
 * = 41, events 4 + 38 (imported page views) + 6 (imported custom events) = 48, bounce rate
 * (1 + 6) / 20 = 0.35, duration (120 + 900) / 20 = 51 s, views per visit 41 / 20 = 2.05.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageEnv } from '../helpers/backends.js';
import { ADMIN_PASSWORD, createKey, freePort, login, type RunningServer, startServer } from '../helpers/server.js';
import { bucket, cli, loadBatch, main, removeScratchDirs, row, scratchDir, stats, statsUrl, UA } from './support.js';

const SITE = 'plausible-import.test';
const OTHER = 'plausible-other.test';
const RANGE = { site_id: SITE, start_date: '2024-01-01', end_date: '2024-01-03' };
const SECRET = 'test-secret-0123456789abcdef';
const NAME = (table: string) => `imported_${table}_20240101_20240131.csv`;

const FILES: Record<string, string> = {
  [NAME('visitors')]: [
    'date,visitors,pageviews,bounces,visits,visit_duration',
    '2024-01-01,10,30,4,12,600',
    '2024-01-02,5,8,2,6,300',
  ].join('\n'),
  [NAME('sources')]: [
    'date,source,referrer,utm_source,utm_medium,utm_campaign,utm_content,utm_term,pageviews,visitors,visits,visit_duration,bounces',
    '2024-01-01,Google,,,,,,,10,4,5,250,1',
    '2024-01-01,,,,,,,,12,5,5,100,3',
    '2024-01-02,Twitter,,,,,,,3,2,2,60,1',
    '2024-01-02,Google,,,,,,,5,3,4,240,1',
  ].join('\n'),
  [NAME('pages')]: [
    'date,hostname,page,visits,visitors,pageviews,scroll_depth,pageleave_visitors',
    `2024-01-01,${SITE},/,8,7,20,,`,
    `2024-01-02,${SITE},/blog,3,3,4,50,2`,
  ].join('\n'),
  [NAME('browsers')]: [
    'date,browser,browser_version,visitors,visits,visit_duration,bounces,pageviews',
    '2024-01-01,Chrome,120.0,6,7,350,2,20',
    '2024-01-02,Safari,17.2,4,5,200,2,10',
  ].join('\n'),
  [NAME('custom_events')]: [
    'date,name,link_url,path,visitors,events',
    '2024-01-01,Signup,,,3,4',
    '2024-01-01,Outbound Link: Click,https://x.example/,,2,2',
  ].join('\n'),
  [NAME('entry_pages')]: [
    'date,entry_page,visitors,entrances,visit_duration,bounces,pageviews',
    '2024-01-01,/,7,8,400,3,20',
  ].join('\n'),
  [NAME('locations')]: [
    'date,country,region,city,visitors,visits,visit_duration,bounces,pageviews',
    '2024-01-02,EE,EE-37,588409,4,4,100,2,6',
  ].join('\n'),
};

const zipOf = (files: Record<string, string>) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([n, t]) => [n, strToU8(t)])));

let dir: string;
let dataDir: string;
let server: RunningServer | undefined;
let admin: string;
let reader: string;
let otherAdmin: string;
let importId: string;
let otherImportId: string;

const who = {
  A: { ip: '10.9.0.1', user_agent: UA.chromeWindows },
  B: { ip: '10.9.0.2', user_agent: UA.firefoxLinux },
};
const ev = (w: keyof typeof who, time: string, n: string, path: string, r?: string) => ({
  d: SITE,
  n,
  u: `https://${SITE}${path}`,
  ...(r ? { r } : {}),
  timestamp: `2024-01-02T${time}:00Z`,
  ...who[w],
});

/** `import <zip> --site <site>` with the built CLI on the test's data directory (no server running). */
async function importZip(name: string, files: Record<string, string>, site = SITE) {
  const file = join(dir, name);
  writeFileSync(file, zipOf(files));
  const env = {
    MALLARD_DATA_DIR: dataDir,
    MALLARD_HOST: '127.0.0.1',
    MALLARD_PORT: String(await freePort()),
    MALLARD_SECRET: SECRET,
    ...(await storageEnv(dataDir)),
  };
  return { file, run: await cli(['import', file, '--site', site], env) };
}

async function call(method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${server?.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined, headers: res.headers };
}

const get = <T>(endpoint: string, params: Record<string, string> = {}) =>
  stats<T>(server?.url ?? '', reader, endpoint, { ...RANGE, ...params });
const values = async (dim: string, params: Record<string, string> = {}) =>
  (await get<{ value: string; visitors: number; pageviews?: number; events?: number }[]>(`breakdown/${dim}`, params)).map((r) => [
    r.value,
    r.visitors,
    r.pageviews ?? r.events,
  ]);
const v2 = async (body: Record<string, unknown>) => {
  const r = await call('POST', '/api/v2/query', reader, { site_id: SITE, date_range: ['2024-01-01', '2024-01-03'], ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as { results: { metrics: number[]; dimensions: string[] }[]; meta: Record<string, unknown> };
};
const IMPORTS = [{ source: 'plausible', start_date: '2024-01-01', end_date: '2024-01-31' }];
const MERGED_MAIN = main(17, 20, 41, 2.05, 0.35, 51, 48);

beforeAll(async () => {
  dir = scratchDir('import-plausible');
  dataDir = join(dir, 'data');
  const first = await startServer({ dataDir });
  const cookie = await login(first.url, ADMIN_PASSWORD);
  admin = await createKey(first.url, cookie, 'admin');
  reader = await createKey(first.url, cookie, 'read');
  otherAdmin = await createKey(first.url, cookie, 'admin', [OTHER]);
  for (const id of [SITE, OTHER]) {
    const res = await fetch(`${first.url}/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
    });
    expect(res.status).toBe(201);
  }
  await loadBatch(first.url, admin, [
    ev('A', '10:00', 'pageview', '/', 'https://www.google.com/'),
    ev('A', '10:01', 'pageview', '/pricing'),
    ev('A', '10:02', 'Signup', '/pricing'),
    ev('B', '11:00', 'pageview', '/pricing'),
  ]);
  expect(await first.stop()).toBe(0);
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('import export.zip --site (a Plausible export)', () => {
  it('refuses a bad line and stores nothing of the export, naming the file, line and column', async () => {
    const bad = { ...FILES, [NAME('pages')]: `${FILES[NAME('pages')]}\n2024-01-03,${SITE},/x,1,1,many,,` };
    const { run } = await importZip('bad.zip', bad);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${NAME('pages')} line 4: pageviews: not a non-negative integer`);
    const notZip = await importZip('plain.zip', {});
    expect(notZip.run.code).toBe(1);
    expect(notZip.run.stderr).toContain('plain.zip: holds no Plausible export files');
  });

  it('stores the export and says what it held', async () => {
    const { file, run } = await importZip('export.zip', FILES);
    expect(run.code, run.stderr).toBe(0);
    const m = /^imported (.+) into (.+) as import ([0-9a-f-]{36}): 2024-01-01 – 2024-01-31, rows: (.*)$/.exec(run.stdout.trim());
    expect(m?.slice(1, 3)).toEqual([file, SITE]);
    expect(m?.[4]).toBe('visitors 2, sources 4, pages 2, browsers 2, custom_events 2, entry_pages 1, locations 1');
    importId = m?.[3] ?? '';
  });

  it('refuses an export whose dates overlap an import of the site', async () => {
    const { run } = await importZip('again.zip', { [NAME('visitors')]: FILES[NAME('visitors')] ?? '' });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`the import's dates 2024-01-01 – 2024-01-31 overlap import ${importId}`);
  });

  it('imports for another site too', async () => {
    const { run } = await importZip('other.zip', { [NAME('visitors')]: FILES[NAME('visitors')] ?? '' }, OTHER);
    expect(run.code, run.stderr).toBe(0);
    otherImportId = /as import ([0-9a-f-]{36})/.exec(run.stdout)?.[1] ?? '';
    server = await startServer({ dataDir });
  });
});

describe('GET /api/sites/:id/imports', () => {
  it('lists the site imports to a reader', async () => {
    const r = await call('GET', `/api/sites/${SITE}/imports`, reader);
    expect(r.status).toBe(200);
    expect(r.body).toEqual([
      {
        id: importId,
        source: 'plausible',
        start_date: '2024-01-01',
        end_date: '2024-01-31',
        created_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
        file_count: 7,
        row_count: 14,
      },
    ]);
  });

  it('keeps a site to its own imports and admins', async () => {
    expect((await call('DELETE', `/api/sites/${SITE}/imports/${otherImportId}`, admin)).status).toBe(404);
    expect((await call('DELETE', `/api/sites/${SITE}/imports/${importId}`, reader)).status).toBe(403);
    expect((await call('DELETE', `/api/sites/${SITE}/imports/${importId}`, otherAdmin)).status).toBe(403);
    expect((await call('DELETE', `/api/sites/${SITE}/imports/nope`, admin)).body).toEqual({
      error: 'importId: not a valid import id',
    });
    expect((await call('GET', '/api/sites/unknown.test/imports', admin)).status).toBe(404);
  });
});

describe('stats with imported data', () => {
  it('main stats add the imported days to the native ones, and say so', async () => {
    const r = await fetch(statsUrl(server?.url ?? '', 'main', RANGE), { headers: { authorization: `Bearer ${reader}` } });
    expect(r.headers.get('x-mallard-imports')).toBe('included');
    expect(await r.json()).toEqual({ ...MERGED_MAIN, imports: { included: true, imports: IMPORTS } });
  });

  it('with_imported=false answers from events alone', async () => {
    expect(await get('main', { with_imported: 'false' })).toEqual({
      ...main(2, 2, 3, 1.5, 0.5, 60, 4),
      imports: { included: false, imports: IMPORTS },
    });
  });

  it('a filter on one imported table takes that table’s rows it keeps', async () => {
    // Google: A (1 visit, 2 pv, 3 events, 120 s, no bounce) + imported 4 + 3 visitors, 5 + 4 visits,
    // 10 + 5 pv, 1 + 1 bounces, 250 + 240 s → 8, 10, 17 pv (events: 3 + the 15 imported pv),
    // bounce rate 2 / 10, duration 610 / 10 s, 1.7 views per visit.
    const filters = JSON.stringify([['is', 'visit:source', ['Google']]]);
    expect(await get('main', { filters })).toEqual({
      ...main(8, 10, 17, 1.7, 0.2, 61, 18),
      imports: { included: true, imports: IMPORTS },
    });
    // A breakdown by the filter's table: every row and the shares under the filter. Without
    // Direct / None: A (Google) + Google 7 and Twitter 2 imported visitors, 10 in all.
    const notDirect = JSON.stringify([['is_not', 'visit:source', ['Direct / None']]]);
    expect(await get('breakdown/sources', { filters: notDirect })).toEqual([
      row('Google', 8, 10, 17, 0.2, 61, 80),
      row('Twitter', 2, 2, 3, 0.5, 30, 20),
    ]);
    // Day buckets of EE: the site's own visitors have no location; imported 01-02: 4 visitors,
    // 4 visits, 6 pv, 2 bounces, 100 s.
    const ee = JSON.stringify([['is', 'visit:country', ['EE']]]);
    expect(await get('timeseries', { interval: 'day', filters: ee })).toEqual([
      bucket('2024-01-01'),
      bucket('2024-01-02', 4, 4, 6, 0.5, 25),
      bucket('2024-01-03'),
    ]);
  });

  it('filters on two imported tables leave imported data out, with the reason', async () => {
    // Google and Chrome: A alone.
    const filters = JSON.stringify([
      ['is', 'visit:source', ['Google']],
      ['is', 'visit:browser', ['Chrome']],
    ]);
    expect(await get('main', { filters })).toEqual({
      ...main(1, 1, 2, 2, 0, 120, 3),
      imports: {
        included: false,
        skip_reason: 'unsupported_query',
        warning: 'Imported data is not included: it cannot be filtered, or has no table for this breakdown',
        imports: IMPORTS,
      },
    });
  });

  it('a period without imported days has no note', async () => {
    expect(await get('main', { start_date: '2024-03-01', end_date: '2024-03-02' })).toEqual(main(0, 0, 0, 0, 0, 0, 0));
  });

  it('timeseries: day buckets sum both; the month bucket holds all of it', async () => {
    // 01-02: native 2 visitors, 2 visits, 3 pv, 1 bounce, 120 s + imported 5, 6, 8, 2, 300 s.
    expect(await get('timeseries', { interval: 'day' })).toEqual([
      bucket('2024-01-01', 10, 12, 30, 0.3333, 50),
      bucket('2024-01-02', 7, 8, 11, 0.375, 53),
      bucket('2024-01-03'),
    ]);
    expect(await get('timeseries', { interval: 'month' })).toEqual([bucket('2024-01-01', 17, 20, 41, 0.35, 51)]);
  });

  it('hour buckets have no imported data, and the header says why', async () => {
    const r = await fetch(statsUrl(server?.url ?? '', 'timeseries', { ...RANGE, interval: 'hour' }), {
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(r.headers.get('x-mallard-imports')).toBe('skipped; reason=unsupported_interval');
  });

  it('sources: same source summed, sorted and paged after merging', async () => {
    // Google: 1 + 4 + 3 visitors, 1 + 5 + 4 visits, 2 + 10 + 5 pv, 0 + 1 + 1 bounces, 120 + 250 + 240 s.
    // Direct / None: 1 + 5, 1 + 5, 1 + 12, 1 + 3, 0 + 100 s. Twitter: 2, 2, 3, 1, 60 s. Shares of 17.
    expect(await get('breakdown/sources')).toEqual([
      row('Google', 8, 10, 17, 0.2, 61, 47.1),
      row('Direct / None', 6, 6, 13, 0.6667, 17, 35.3),
      row('Twitter', 2, 2, 3, 0.5, 30, 11.8),
    ]);
    // Natively Direct / None comes first (a tie, by name): Google's imported visitors put it ahead.
    expect(await values('sources', { limit: '1' })).toEqual([['Google', 8, 17]]);
    expect(await values('sources', { limit: '1', page: '2' })).toEqual([['Direct / None', 6, 13]]);
  });

  it('pages, browsers and the Goals panel', async () => {
    expect(await values('pages')).toEqual([
      ['/', 8, 21],
      ['/blog', 3, 4],
      ['/pricing', 2, 2],
    ]);
    expect(await values('browsers')).toEqual([
      ['Chrome', 7, 22],
      ['Safari', 4, 10],
      ['Firefox', 1, 1],
    ]);
    // Signup: 1 + 3 visitors, 1 + 4 events; conversion over 17 visitors.
    expect(await get('breakdown/events')).toEqual([
      { value: 'Signup', visitors: 4, events: 5, conversion_rate: 23.5 },
      { value: 'Outbound Link: Click', visitors: 2, events: 2, conversion_rate: 11.8 },
    ]);
  });

  it('entry pages count entrances as visits; countries, regions and cities merge, by code where no visit names them', async () => {
    // Entry page /: A (1 visit, 120 s) + 7 visitors, 8 entrances, 3 bounces, 400 s → 3 / 9, 520 / 9 s.
    const entry =
      await get<{ value: string; visitors: number; visits: number; bounce_rate: number; visit_duration: number }[]>(
        'breakdown/entry-pages',
      );
    expect(entry.map((r) => [r.value, r.visitors, r.visits, r.bounce_rate, r.visit_duration])).toEqual([
      ['/', 8, 9, 0.3333, 58],
      ['/pricing', 1, 1, 1, 0],
    ]);
    // Private addresses have no location: the site's own visitors are (not set).
    expect((await values('countries')).map((r) => r.slice(0, 2))).toEqual([
      ['EE', 4],
      ['(not set)', 2],
    ]);
    // The site's own visits have no location, so nothing names EE-37 or city 588409: their codes stand.
    expect((await values('regions')).map((r) => r.slice(0, 2))).toEqual([
      ['EE-37', 4],
      ['(not set)', 2],
    ]);
    const cities = await fetch(statsUrl(server?.url ?? '', 'breakdown/cities', RANGE), {
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(cities.headers.get('x-mallard-imports')).toBe('included');
    expect(((await cities.json()) as { value: string; visitors: number }[]).map((r) => [r.value, r.visitors])).toEqual([
      ['588409', 4],
      ['(not set)', 2],
    ]);
  });

  it('UTM breakdowns leave out imported rows without the tag (as Plausible)', async () => {
    // Every imported source row has an empty utm_source: only the site's own 2 visitors, without one.
    expect(await values('utm-source')).toEqual([['(not set)', 2, 3]]);
  });

  it('comparison includes the previous period’s imported days', async () => {
    // 2024-01-04 – 06 against 01-01 – 03: nothing now, everything before.
    const r = await get<{ previous: Record<string, number> }>('main', {
      start_date: '2024-01-04',
      end_date: '2024-01-06',
      compare: 'previous_period',
    });
    expect(r.previous).toEqual(MERGED_MAIN);
    // Sources of 01-02 – 03 (Google 1 + 3, Twitter 2, Direct / None 1) beside 2023-12-31 – 01-01
    // (imported only: Google 4, Direct / None 5, no Twitter).
    const sources = await get<{ value: string; visitors: number; previous: { visitors: number } }[]>('breakdown/sources', {
      start_date: '2024-01-02',
      end_date: '2024-01-03',
      compare: 'previous_period',
    });
    expect(sources.map((s) => [s.value, s.visitors, s.previous.visitors])).toEqual([
      ['Google', 4, 4],
      ['Twitter', 2, 0],
      ['Direct / None', 1, 5],
    ]);
  });
});

describe('POST /api/v2/query include.imports', () => {
  it('merges imported rows when asked, and says so', async () => {
    const body = { metrics: ['visitors', 'pageviews', 'bounce_rate'], dimensions: ['visit:source'], include: { imports: true } };
    const r = await v2(body);
    expect(r.results).toEqual([
      { metrics: [8, 17, 20], dimensions: ['Google'] },
      { metrics: [6, 13, 67], dimensions: ['Direct / None'] },
      { metrics: [2, 3, 50], dimensions: ['Twitter'] },
    ]);
    expect(r.meta).toEqual({ imports_included: true });
    const total = await v2({ metrics: ['visitors', 'visits', 'events'], include: { imports: true } });
    expect(total.results).toEqual([{ metrics: [17, 20, 48], dimensions: [] }]);
  });

  it('leaves them out by default; with a filter, takes them from its table or says why not', async () => {
    expect((await v2({ metrics: ['visitors'] })).results).toEqual([{ metrics: [2], dimensions: [] }]);
    // Chrome: A + 6 imported visitors. Page / (case-insensitive): A's view + 7 visitors, 20 pv.
    const chrome = await v2({
      metrics: ['visitors'],
      filters: [['is', 'visit:browser', ['Chrome']]],
      include: { imports: true },
    });
    expect(chrome).toMatchObject({ results: [{ metrics: [7], dimensions: [] }], meta: { imports_included: true } });
    const home = await v2({
      metrics: ['visitors', 'pageviews'],
      filters: [
        ['contains', 'event:page', ['/BLOG', '/'], { case_sensitive: false }],
        ['is_not', 'event:page', ['/pricing', '/blog']],
      ],
      include: { imports: true },
    });
    expect(home.results).toEqual([{ metrics: [8, 21], dimensions: [] }]);
    // Sources filtered by a browser: two tables.
    const filtered = await v2({
      metrics: ['visitors'],
      dimensions: ['visit:source'],
      filters: [['is', 'visit:browser', ['Chrome']]],
      include: { imports: true },
    });
    expect(filtered.results).toEqual([{ metrics: [1], dimensions: ['Google'] }]);
    expect(filtered.meta).toEqual({
      imports_included: false,
      imports_skip_reason: 'unsupported_query',
      imports_warning:
        'Imported stats are not included in the results because query parameters are not supported. For more information, see: https://plausible.io/docs/stats-api#filtering-imported-stats',
    });
  });
});

describe('imports are decided once per question (the conversion rate follows its rows)', () => {
  it('v2: a goal filter takes the imported custom events, and the conversion rate every imported visitor', async () => {
    // Signup: A (1 visitor, 1 event) + 3 imported visitors, 4 events, over 2 + 15 visitors.
    const r = await v2({
      metrics: ['visitors', 'events', 'conversion_rate'],
      filters: [['is', 'event:goal', ['Signup']]],
      include: { imports: true },
    });
    expect(r).toMatchObject({ results: [{ metrics: [4, 5, 23.53], dimensions: [] }], meta: { imports_included: true } });
  });

  it('v2: a goal and a browser filter leave imports out of the rows and of the conversion rate', async () => {
    // Signup by Chrome: A alone, over the site's own Chrome visitors (A), not over 1 + 6 imported Chrome visitors.
    const r = await v2({
      metrics: ['visitors', 'events', 'conversion_rate'],
      filters: [
        ['is', 'event:goal', ['Signup']],
        ['is', 'visit:browser', ['Chrome']],
      ],
      include: { imports: true },
    });
    expect(r.results).toEqual([{ metrics: [1, 1, 100], dimensions: [] }]);
    expect(r.meta).toMatchObject({ imports_included: false, imports_skip_reason: 'unsupported_query' });
  });

  it('v2: out_of_range after the import, included (with nothing imported) before it', async () => {
    const after = await v2({ metrics: ['visitors'], date_range: ['2024-02-01', '2024-02-02'], include: { imports: true } });
    expect(after.meta).toEqual({ imports_included: false, imports_skip_reason: 'out_of_range' });
    const before = await v2({ metrics: ['visitors'], date_range: ['2023-12-01', '2023-12-02'], include: { imports: true } });
    expect(before).toMatchObject({ results: [{ metrics: [0], dimensions: [] }], meta: { imports_included: true } });
  });

  it('the Goals panel of configured goals: a goal filter keeps imports, another filter leaves them out of rows and denominator', async () => {
    const goals = `/api/sites/${SITE}/goals`;
    expect((await call('POST', goals, admin, { event_name: 'Signup' })).status).toBe(201);
    // Unfiltered: 1 + 3 visitors, 1 + 4 events over 2 + 15 visitors.
    expect(await get('breakdown/events')).toEqual([{ value: 'Signup', visitors: 4, events: 5, conversion_rate: 23.5 }]);
    const panel = (filters: unknown[]) =>
      fetch(statsUrl(server?.url ?? '', 'breakdown/events', { ...RANGE, filters: JSON.stringify(filters) }), {
        headers: { authorization: `Bearer ${reader}` },
      });
    // Filtered to the goal (an event goal: the imported custom events' table): the same.
    const goal = await panel([['is', 'event:goal', ['Signup']]]);
    expect(goal.headers.get('x-mallard-imports')).toBe('included');
    expect(await goal.json()).toEqual([{ value: 'Signup', visitors: 4, events: 5, conversion_rate: 23.5 }]);
    // And to Chrome: A alone over the site's own Chrome visitors (A).
    const chrome = await panel([
      ['is', 'event:goal', ['Signup']],
      ['is', 'visit:browser', ['Chrome']],
    ]);
    expect(chrome.headers.get('x-mallard-imports')).toBe('skipped; reason=unsupported_query');
    expect(await chrome.json()).toEqual([{ value: 'Signup', visitors: 1, events: 1, conversion_rate: 100 }]);
    // v2 by goal adds the goal's imported custom events: 1 + 3 visitors over 2 + 15.
    const byGoal = await v2({ metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal'], include: { imports: true } });
    expect(byGoal).toMatchObject({
      results: [{ metrics: [4, 23.53], dimensions: ['Signup'] }],
      meta: { imports_included: true },
    });
    const listed = (await call('GET', goals, admin)).body as { id: string }[];
    for (const g of listed) expect((await call('DELETE', `${goals}/${g.id}`, admin)).status).toBe(204);
  });
});

describe('v2 by event:goal of configured goals, with imports (as Plausible)', () => {
  const goals = `/api/sites/${SITE}/goals`;
  const byGoal = (filters: unknown[] = []) =>
    v2({
      metrics: ['visitors', 'events', 'pageviews', 'conversion_rate'],
      dimensions: ['event:goal'],
      filters,
      include: { imports: true },
    });

  beforeAll(async () => {
    for (const goal of [
      { event_name: 'Signup' },
      { event_name: 'Outbound Link: Click' },
      { page_path: '/*' },
      { page_path: '/blog' },
    ])
      expect((await call('POST', goals, admin, goal)).status).toBe(201);
  });

  afterAll(async () => {
    const listed = (await call('GET', goals, admin)).body as { id: string }[];
    for (const g of listed) expect((await call('DELETE', `${goals}/${g.id}`, admin)).status).toBe(204);
  });

  it("adds an event goal's imported custom events and a page goal's imported pages to its row", async () => {
    // Visit /*: A (/, /pricing) and B (/pricing): 2 visitors, 3 views; imported / 7 visitors 20 views and
    // /blog 3 visitors 4 views → 12 visitors, 27 events and views. Visit /blog: imported only, 3 visitors
    // 4 views. Signup: 1 + 3 visitors, 1 + 4 events, no views. Outbound Link: Click: imported 2 / 2.
    // Conversion rates over 2 + 15 visitors.
    const r = await byGoal();
    expect(r.results).toEqual([
      { metrics: [12, 27, 27, 70.59], dimensions: ['Visit /*'] },
      { metrics: [4, 5, 0, 23.53], dimensions: ['Signup'] },
      { metrics: [3, 4, 4, 17.65], dimensions: ['Visit /blog'] },
      { metrics: [2, 2, 0, 11.76], dimensions: ['Outbound Link: Click'] },
    ]);
    expect(r.meta).toEqual({ imports_included: true });
  });

  it('under goal filters, takes the one table they are on; under another filter, none', async () => {
    expect((await byGoal([['is', 'event:goal', ['Visit /blog']]])).results).toEqual([
      { metrics: [3, 4, 4, 17.65], dimensions: ['Visit /blog'] },
    ]);
    expect((await byGoal([['contains', 'event:goal', ['Sign']]])).results).toEqual([
      { metrics: [4, 5, 0, 23.53], dimensions: ['Signup'] },
    ]);
    // An event goal and a page goal: two tables, no imported rows (A's Signup, A's and B's views, over 2).
    const both = await byGoal([['is', 'event:goal', ['Signup', 'Visit /*']]]);
    expect(both.results).toEqual([
      { metrics: [2, 3, 3, 100], dimensions: ['Visit /*'] },
      { metrics: [1, 1, 0, 50], dimensions: ['Signup'] },
    ]);
    expect(both.meta).toMatchObject({ imports_included: false, imports_skip_reason: 'unsupported_query' });
    // Chrome: A alone, over the site's own Chrome visitors (A); rows that tie by visitors, by name.
    const chrome = await byGoal([['is', 'visit:browser', ['Chrome']]]);
    expect(chrome.results).toEqual([
      { metrics: [1, 1, 0, 100], dimensions: ['Signup'] },
      { metrics: [1, 2, 2, 100], dimensions: ['Visit /*'] },
    ]);
    expect(chrome.meta).toMatchObject({ imports_included: false, imports_skip_reason: 'unsupported_query' });
  });

  it('a comparison period takes its own imported days', async () => {
    // 01-02: Visit /* A, B (3 views) + imported /blog 3 visitors 4 views; Visit /blog imported only;
    // Signup A (no import that day). Against 01-01: imported only — / 7 visitors 20 views, Signup 3 / 4.
    const r = await v2({
      metrics: ['visitors', 'events'],
      dimensions: ['event:goal'],
      date_range: ['2024-01-02', '2024-01-02'],
      include: { imports: true, comparisons: { mode: 'previous_period' } },
    });
    expect(r.results).toEqual([
      {
        metrics: [5, 7],
        dimensions: ['Visit /*'],
        comparison: { dimensions: ['Visit /*'], metrics: [7, 20], change: [-29, -65] },
      },
      {
        metrics: [3, 4],
        dimensions: ['Visit /blog'],
        comparison: { dimensions: ['Visit /blog'], metrics: [0, 0], change: [100, 100] },
      },
      { metrics: [1, 1], dimensions: ['Signup'], comparison: { dimensions: ['Signup'], metrics: [3, 4], change: [-67, -75] } },
    ]);
    expect(r.meta).toMatchObject({ imports_included: true });
  });
});

describe("v2 by a special goal's property (Plausible's imported link_url and path)", () => {
  it('reads url from the imported custom events of Outbound Link: Click', async () => {
    // Imported only: 2 visitors, 2 events at https://x.example/, over 2 + 15 visitors.
    const r = await v2({
      metrics: ['visitors', 'events', 'conversion_rate'],
      dimensions: ['event:props:url'],
      filters: [['is', 'event:goal', ['Outbound Link: Click']]],
      include: { imports: true },
    });
    expect(r).toMatchObject({
      results: [{ metrics: [2, 2, 11.76], dimensions: ['https://x.example/'] }],
      meta: { imports_included: true },
    });
    const filtered = await v2({
      metrics: ['visitors', 'events'],
      filters: [
        ['is', 'event:name', ['Outbound Link: Click']],
        ['contains', 'event:props:url', ['X.EXAMPLE'], { case_sensitive: false }],
      ],
      include: { imports: true },
    });
    expect(filtered).toMatchObject({ results: [{ metrics: [2, 2], dimensions: [] }], meta: { imports_included: true } });
    const other = await v2({
      metrics: ['visitors'],
      filters: [
        ['is', 'event:name', ['Outbound Link: Click']],
        ['is', 'event:props:url', ['https://y.example/']],
      ],
      include: { imports: true },
    });
    expect(other).toMatchObject({ results: [{ metrics: [0], dimensions: [] }], meta: { imports_included: true } });
  });

  it('leaves imports out for a property without its special goal', async () => {
    const path = await v2({
      metrics: ['visitors'],
      dimensions: ['event:props:path'],
      filters: [['is', 'event:goal', ['Outbound Link: Click']]],
      include: { imports: true },
    });
    expect(path.results).toEqual([]);
    expect(path.meta).toMatchObject({ imports_included: false, imports_skip_reason: 'unsupported_query' });
    const url = await v2({ metrics: ['visitors'], dimensions: ['event:props:url'], include: { imports: true } });
    expect(url.meta).toMatchObject({ imports_included: false, imports_skip_reason: 'unsupported_query' });
  });
});

describe('DELETE /api/sites/:id/imports/:importId', () => {
  it('removes the import: the stats are the native ones again', async () => {
    expect((await call('DELETE', `/api/sites/${SITE}/imports/${importId}`, admin)).status).toBe(204);
    expect((await call('DELETE', `/api/sites/${SITE}/imports/${importId}`, admin)).status).toBe(404);
    expect((await call('GET', `/api/sites/${SITE}/imports`, reader)).body).toEqual([]);
    expect(await get('main')).toEqual(main(2, 2, 3, 1.5, 0.5, 60, 4));
  });

  it('removing a site removes its imports', async () => {
    expect((await call('DELETE', `/api/sites/${OTHER}`, admin)).status).toBe(204);
    expect((await call('POST', '/api/sites', admin, { id: OTHER })).status).toBe(201);
    expect((await call('GET', `/api/sites/${OTHER}/imports`, admin)).body).toEqual([]);
  });
});
