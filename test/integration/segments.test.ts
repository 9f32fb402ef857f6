/**
 * Segments (docs/API.md, "Segments"): saved filter sets per site, through the real server.
 * CRUD and its validation, who may read and write them, isolation between sites, exact
 * stats with `segment=` (worked out by hand below, and equal to the same request with the
 * filters inline on every stats route, the export and POST /api/v2/query), a segment
 * and-ed with a request's own filters, and segments surviving a restart and going away
 * with their site.
 *
 * Fixture, site seg.test, all times UTC. Geo from the test City database: 203.0.113.x → US,
 * 198.51.100.x → DE, 192.0.2.x → FR.
 *
 *   person  ip             browser (device)
 *   P1      203.0.113.1    Chrome / Windows (Desktop)    04-01 10:00 /, 10:05 /pricing, 10:06 Signup on /pricing {plan: pro}
 *   P2      198.51.100.2   Firefox / Linux (Laptop)      04-01 11:00 /blog, 11:10 /pricing {variant: B}
 *   P3      203.0.113.3    Safari / iOS (Mobile)         04-01 12:00 /blog                      (bounce)
 *   P4      192.0.2.5      Edge / Windows (Desktop)      04-02 09:00 /, 09:20 /docs
 *   P5      203.0.113.7    Firefox / Linux (Laptop)      04-02 15:00 /pricing                   (bounce)
 *   P6      203.0.113.9    Safari / Mac (Tablet)         04-02 13:00 /, 13:04 /blog, 13:10 /pricing
 *
 * One visit each. Segment "US" = [["is","visit:country",["US"]]]: P1, P3, P5, P6 →
 * 4 visitors, 4 visits, 2+1+1+3 = 7 page views, 3+1+1+3 = 8 events, bounces P3 and P5 = 0.5,
 * durations 360+0+0+600 → 240 s, 7/4 = 1.75 views per visit.
 * By day: 04-01 P1, P3 → 2, 2, 3 page views, 0.5, 180 s; 04-02 P5, P6 → 2, 2, 4, 0.5, 300 s.
 * Pages (page views only; bounce and duration over the visits that entered on the page,
 * percentage of 4): /pricing P1 P5 P6 → 3, entered by P5 (a bounce), 75 %; / P1 P6 → 2, both
 * entered there, 0, 480 s, 50 %; /blog P3 P6 → 2, entered by P3 (a bounce), 50 %.
 * "US" and-ed with entry page / (visit filter): P1, P6 → 2, 2, 5 page views, 6 events, no bounce,
 * (360+600)/2 = 480 s, 2.5 views per visit.
 * Site other.test has one US page view (P1's address, 04-01 10:00 /elsewhere), never in seg.test's numbers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCityMmdb } from '../helpers/geo-fixture.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, main, removeScratchDirs, row, scratchDir, statsUrl, UA } from './support.js';

const SITE = 'seg.test';
const OTHER = 'other.test';
const R = { start_date: '2026-04-01', end_date: '2026-04-02' };
const US = [['is', 'visit:country', ['US']]];
const ENTRY_HOME = [['is', 'visit:entry_page', ['/']]];
const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';

const at = (day: string, time: string) => `2026-04-${day}T${time}:00Z`;
const ev = (
  site: string,
  ip: string,
  ua: string,
  w: number | undefined,
  t: string,
  path: string,
  n = 'pageview',
  p?: Record<string, string>,
) => ({
  d: site,
  n,
  u: `https://${site}${path}`,
  w,
  p,
  ip,
  user_agent: ua,
  timestamp: t,
});
const P1 = ['203.0.113.1', UA.chromeWindows, 1920] as const;
const P2 = ['198.51.100.2', UA.firefoxLinux, 1280] as const;
const P3 = ['203.0.113.3', UA.safariIphone, 390] as const;
const P4 = ['192.0.2.5', UA.edgeWindows, undefined] as const;
const P5 = ['203.0.113.7', UA.firefoxLinux, 1280] as const;
const P6 = ['203.0.113.9', UA.safariMac, 800] as const;

const EVENTS = [
  ev(SITE, ...P1, at('01', '10:00'), '/'),
  ev(SITE, ...P1, at('01', '10:05'), '/pricing'),
  ev(SITE, ...P1, at('01', '10:06'), '/pricing', 'Signup', { plan: 'pro' }),
  ev(SITE, ...P2, at('01', '11:00'), '/blog'),
  ev(SITE, ...P2, at('01', '11:10'), '/pricing', 'pageview', { variant: 'B' }),
  ev(SITE, ...P3, at('01', '12:00'), '/blog'),
  ev(SITE, ...P4, at('02', '09:00'), '/'),
  ev(SITE, ...P4, at('02', '09:20'), '/docs'),
  ev(SITE, ...P5, at('02', '15:00'), '/pricing'),
  ev(SITE, ...P6, at('02', '13:00'), '/'),
  ev(SITE, ...P6, at('02', '13:04'), '/blog'),
  ev(SITE, ...P6, at('02', '13:10'), '/pricing'),
  ev(OTHER, ...P1, at('01', '10:00'), '/elsewhere'),
];

let server: RunningServer;
let geoDb = '';
let dataDir = '';
let adminKey = '';
let readKey = '';
/** A read key for other.test only. */
let otherReadKey = '';
let cookie = '';
let shareToken = '';
/** seg.test's "US" segment and other.test's own. */
let usId = '';
let otherId = '';

interface Answer {
  status: number;
  body: unknown;
}

async function call(method: string, path: string, opts: { key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(opts.key ? { authorization: `Bearer ${opts.key}` } : {}),
      ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...opts.headers,
    },
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : null } satisfies Answer;
}

const segmentsPath = (site: string) => `/api/sites/${site}/segments`;
const save = (site: string, body: unknown, key = adminKey) => call('POST', segmentsPath(site), { key, body });

/** GET /api/stats/<endpoint> on seg.test, any status. */
async function statsOf(endpoint: string, params: Record<string, string | number>, key = readKey): Promise<Answer> {
  const res = await fetch(statsUrl(server.url, endpoint, { site_id: SITE, ...params }), {
    headers: { authorization: `Bearer ${key}` },
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json') && !endpoint.startsWith('export');
  return { status: res.status, body: json ? (JSON.parse(text) as unknown) : text };
}

async function ok(endpoint: string, params: Record<string, string | number>, key = readKey): Promise<unknown> {
  const a = await statsOf(endpoint, params, key);
  expect(a.status, JSON.stringify(a.body)).toBe(200);
  return a.body;
}

const v2 = (body: Record<string, unknown>, key = readKey) =>
  call('POST', '/api/v2/query', { key, body: { site_id: SITE, ...body } });

async function start(): Promise<void> {
  server = await startServer({ dataDir, env: { MALLARD_GEOIP_DB: geoDb, MALLARD_FLUSH_INTERVAL: '86400' } });
}

beforeAll(async () => {
  geoDb = buildCityMmdb(scratchDir('segments-geo'));
  dataDir = scratchDir('segments');
  await start();
  cookie = await login(server.url);
  adminKey = await createKey(server.url, cookie, 'admin');
  readKey = await createKey(server.url, cookie, 'read');
  otherReadKey = await createKey(server.url, cookie, 'read', [OTHER]);
  for (const id of [SITE, OTHER]) expect((await call('POST', '/api/sites', { key: adminKey, body: { id } })).status).toBe(201);
  const share = await call('POST', `/api/sites/${SITE}/shares`, { key: adminKey, body: {} });
  shareToken = (share.body as { token: string }).token;
  await loadBatch(server.url, adminKey, EVENTS);
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

describe('saving, listing and deleting', () => {
  it('saves a segment (201), lists it, and keeps the filters exactly as sent', async () => {
    const created = await save(SITE, { name: '  US visitors ', filters: US });
    expect(created.status).toBe(201);
    const body = created.body as { id: string };
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      name: 'US visitors',
      filters: US,
    });
    usId = body.id;

    // A signed-in admin (cookie, with the browser's Origin) may save too; the list is by name, ignoring case.
    const tree = [
      [
        'or',
        [
          ['is', 'visit:device', ['Mobile']],
          ['contains', 'event:page', ['blog'], { case_sensitive: false }],
        ],
      ],
    ];
    const viaCookie = await call('POST', segmentsPath(SITE), {
      body: { name: 'blog or mobile', filters: tree },
      headers: { cookie, origin: server.url },
    });
    expect(viaCookie.status).toBe(201);
    const blogId = (viaCookie.body as { id: string }).id;
    expect((await call('GET', segmentsPath(SITE), { key: readKey })).body).toEqual([
      { id: blogId, name: 'blog or mobile', filters: tree },
      { id: usId, name: 'US visitors', filters: US },
    ]);

    const other = await save(OTHER, { name: 'US visitors', filters: [['is', 'visit:country', ['DE']]] });
    expect(other.status).toBe(201); // names are unique per site only
    otherId = (other.body as { id: string }).id;

    expect((await call('DELETE', `${segmentsPath(SITE)}/${blogId}`, { key: adminKey })).status).toBe(204);
    expect((await call('DELETE', `${segmentsPath(SITE)}/${blogId}`, { key: adminKey })).status).toBe(404);
    expect((await call('GET', segmentsPath(SITE), { key: readKey })).body).toEqual([
      { id: usId, name: 'US visitors', filters: US },
    ]);
    expect((await call('GET', segmentsPath(OTHER), { key: readKey })).body).toEqual([
      { id: otherId, name: 'US visitors', filters: [['is', 'visit:country', ['DE']]] },
    ]);
  });

  it.each([
    [{ filters: US }, 'name: required'],
    [{ name: 7, filters: US }, 'name: must be a string'],
    [{ name: '   ', filters: US }, 'name: 1 to 100 characters'],
    [{ name: 'x'.repeat(101), filters: US }, 'name: 1 to 100 characters'],
    [{ name: 'n' }, 'filters: required'],
    [{ name: 'n', filters: { is: 'US' } }, 'filters: must be a list of filters'],
    [{ name: 'n', filters: [] }, 'filters: must hold at least one filter'],
    [{ name: 'n', filters: [['is', 'visit:planet', ['Mars']]] }, 'filters[0]: unknown dimension "visit:planet"'],
    [
      { name: 'n', filters: [US[0], ['equals', 'visit:country', ['US']]] },
      'filters[1]: unknown operator "equals" (use is, is_not, contains, contains_not, matches, matches_not, and, or, not, has_done, has_not_done)',
    ],
    [{ name: 'n', filters: [['is', 'visit:country', []]] }, 'filters[0]: values must be a list of 1 to 100 strings'],
    [
      { name: 'n', filters: [['not', ['is', 'time:day', ['2026-04-01']]]] },
      'filters[0][1]: filter time with the period or date_range, not "time:day"',
    ],
    [
      { name: 'n', filters: [['is', 'visit:city', Array(10).fill('x'.repeat(2000))]] },
      'filters: at most 20000 characters as JSON',
    ],
    [{ name: 'n', filters: US, color: 'red' }, 'color: unknown field'],
    [[{ name: 'n', filters: US }], 'body: expected a JSON object'],
  ])('refuses %j: 400 %s', async (body, error) => {
    expect(await save(SITE, body)).toEqual({ status: 400, body: { error } });
  });

  it('lets one of two simultaneous saves of a name through', async () => {
    const both = await Promise.all([
      save(SITE, { name: 'Twice', filters: US }),
      save(SITE, { name: 'twice', filters: ENTRY_HOME }),
    ]);
    expect(both.map((a) => a.status).sort()).toEqual([201, 409]);
    const made = both.find((a) => a.status === 201)?.body as { id: string };
    expect((await call('DELETE', `${segmentsPath(SITE)}/${made.id}`, { key: adminKey })).status).toBe(204);
  });

  it('refuses a name the site already has, ignoring case and surrounding space (409)', async () => {
    expect(await save(SITE, { name: ' us VISITORS', filters: [['is', 'visit:country', ['FR']]] })).toEqual({
      status: 409,
      body: { error: 'name: the site already has a segment named "us VISITORS"' },
    });
  });

  it('keeps at most 100 segments per site (409 beyond), and a deleted one frees its place', async () => {
    const made: string[] = [];
    for (let i = 1; i < 100; i++) {
      const a = await save(OTHER, { name: `bulk ${i}`, filters: [['is', 'event:page', [`/p${i}`]]] });
      expect(a.status).toBe(201);
      made.push((a.body as { id: string }).id);
    }
    expect(((await call('GET', segmentsPath(OTHER), { key: readKey })).body as unknown[]).length).toBe(100);
    expect(await save(OTHER, { name: 'one too many', filters: US })).toEqual({
      status: 409,
      body: { error: 'the site already has 100 segments, the most it may have; delete one first' },
    });
    for (const id of made) expect((await call('DELETE', `${segmentsPath(OTHER)}/${id}`, { key: adminKey })).status).toBe(204);
    expect((await call('GET', segmentsPath(OTHER), { key: readKey })).body).toEqual([
      { id: otherId, name: 'US visitors', filters: [['is', 'visit:country', ['DE']]] },
    ]);
  });

  it('answers 400/404 for bad paths and another site’s segment id', async () => {
    expect(await call('DELETE', `${segmentsPath(SITE)}/not-a-uuid`, { key: adminKey })).toEqual({
      status: 400,
      body: { error: 'segmentId: not a valid segment id' },
    });
    expect(await call('DELETE', `${segmentsPath(SITE)}/${UNKNOWN_ID}`, { key: adminKey })).toEqual({
      status: 404,
      body: { error: `no segment ${UNKNOWN_ID} on site ${SITE}` },
    });
    // other.test's segment does not exist as far as seg.test is concerned, and survives the attempt.
    expect(await call('DELETE', `${segmentsPath(SITE)}/${otherId}`, { key: adminKey })).toEqual({
      status: 404,
      body: { error: `no segment ${otherId} on site ${SITE}` },
    });
    expect(((await call('GET', segmentsPath(OTHER), { key: readKey })).body as unknown[]).length).toBe(1);
    expect(await call('GET', segmentsPath('nowhere.test'), { key: readKey })).toEqual({
      status: 404,
      body: { error: 'no site nowhere.test' },
    });
    expect(await call('GET', segmentsPath('Bad%20Site'), { key: readKey })).toEqual({
      status: 400,
      body: { error: 'id: not a valid site id' },
    });
  });
});

describe('who may read and write segments', () => {
  it('reading needs what reading the stats needs; saving and deleting need an admin', async () => {
    const share = { 'x-mallard-share': shareToken };
    expect((await call('GET', segmentsPath(SITE))).status).toBe(401);
    expect((await call('GET', segmentsPath(SITE), { headers: share })).body).toEqual([
      { id: usId, name: 'US visitors', filters: US },
    ]);
    expect((await call('GET', segmentsPath(OTHER), { headers: share })).status).toBe(403);
    expect((await call('GET', segmentsPath(SITE), { key: otherReadKey })).status).toBe(403);
    expect((await call('GET', segmentsPath(OTHER), { key: otherReadKey })).status).toBe(200);

    for (const [key, headers] of [
      [readKey, {}],
      [undefined, share],
    ] as const) {
      expect((await call('POST', segmentsPath(SITE), { key, headers, body: { name: 'x', filters: US } })).status).toBe(403);
      expect((await call('DELETE', `${segmentsPath(SITE)}/${usId}`, { key, headers })).status).toBe(403);
    }
    expect((await call('GET', segmentsPath(SITE), { key: readKey })).body).toEqual([
      { id: usId, name: 'US visitors', filters: US },
    ]);
  });

  it('a share link applies its own site’s segments in the stats', async () => {
    const res = await fetch(statsUrl(server.url, 'main', { site_id: SITE, ...R, segment: usId, auth: shareToken }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(main(4, 4, 7, 1.75, 0.5, 240, 8));
  });
});

describe('stats with segment=', () => {
  it('main, timeseries and pages: exact numbers of the US visitors', async () => {
    expect(await ok('main', { ...R, segment: usId })).toEqual(main(4, 4, 7, 1.75, 0.5, 240, 8));
    expect(await ok('timeseries', { ...R, interval: 'day', segment: usId })).toEqual([
      { date: '2026-04-01', visitors: 2, visits: 2, pageviews: 3, bounce_rate: 0.5, visit_duration: 180 },
      { date: '2026-04-02', visitors: 2, visits: 2, pageviews: 4, bounce_rate: 0.5, visit_duration: 300 },
    ]);
    expect(await ok('breakdown/pages', { ...R, segment: usId })).toEqual([
      row('/pricing', 3, 3, 3, 1, 0, 75),
      row('/', 2, 2, 2, 0, 480, 50),
      row('/blog', 2, 2, 2, 1, 0, 50),
    ]);
    // Without the segment, all six: 11 page views, 12 events, bounces P3 P5, (360+600+1200+600)/6 = 460 s.
    expect(await ok('main', R)).toEqual(main(6, 6, 11, 1.83, 0.3333, 460, 12));
  });

  it('and-ed with the request’s own filters', async () => {
    expect(await ok('main', { ...R, segment: usId, filters: JSON.stringify(ENTRY_HOME) })).toEqual(main(2, 2, 5, 2.5, 0, 480, 6));
    // The same as both filters inline.
    expect(await ok('main', { ...R, filters: JSON.stringify([...US, ...ENTRY_HOME]) })).toEqual(main(2, 2, 5, 2.5, 0, 480, 6));
  });

  const ENDPOINTS: [string, Record<string, string | number>][] = [
    ['main', { compare: 'previous_period' }],
    ['timeseries', { interval: 'hour' }],
    ['breakdown/pages', {}],
    ['breakdown/entry-pages', {}],
    ['breakdown/countries', {}],
    ['breakdown/devices', {}],
    ['breakdown/events', {}],
    ['property-keys', {}],
    ['sessions', {}],
    ['funnel', { steps: 'page:/,page:/pricing' }],
    ['retention', { interval: 'day', periods: 2 }],
    ['sequences', { steps: 'page:/,page:/pricing' }],
    ['flow', { page: '/' }],
    ['export', { format: 'csv' }],
  ];
  it.each(ENDPOINTS)('%s %j: segment= answers as the filters inline', async (endpoint, params) => {
    const viaSegment = await ok(endpoint, { ...R, ...params, segment: usId });
    const inline = await ok(endpoint, { ...R, ...params, filters: JSON.stringify(US) });
    const unfiltered = await ok(endpoint, { ...R, ...params });
    expect(viaSegment).toEqual(inline);
    expect(viaSegment).not.toEqual(unfiltered); // the segment did something
    const both = await ok(endpoint, { ...R, ...params, segment: usId, filters: JSON.stringify(ENTRY_HOME) });
    expect(both).toEqual(await ok(endpoint, { ...R, ...params, filters: JSON.stringify([...US, ...ENTRY_HOME]) }));
  });

  it('raw-event export: an event-level segment selects the events, a visit-level one is refused naming it', async () => {
    const pricing = await save(SITE, { name: 'Pricing', filters: [['is', 'event:page', ['/pricing']]] });
    expect(pricing.status).toBe(201);
    const id = (pricing.body as { id: string }).id;
    const params = { ...R, format: 'json', kind: 'events' };
    const lines = String(await ok('export', { ...params, segment: id }))
      .trim()
      .split('\n');
    // P1's page view and Signup on /pricing, P2's, P5's and P6's page views.
    expect(lines.map((l) => JSON.parse(l) as Record<string, string>).map((e) => [e.event_name, e.pathname, e.timestamp])).toEqual(
      [
        ['pageview', '/pricing', '2026-04-01T10:05:00.000Z'],
        ['Signup', '/pricing', '2026-04-01T10:06:00.000Z'],
        ['pageview', '/pricing', '2026-04-01T11:10:00.000Z'],
        ['pageview', '/pricing', '2026-04-02T13:10:00.000Z'],
        ['pageview', '/pricing', '2026-04-02T15:00:00.000Z'],
      ],
    );
    expect(await ok('export', { ...params, filters: JSON.stringify([['is', 'event:page', ['/pricing']]]) })).toEqual(
      lines.join('\n') + '\n',
    );
    const visitLevel = await statsOf('export', { ...params, segment: usId });
    expect(visitLevel).toEqual({
      status: 400,
      body: JSON.stringify({
        error:
          'segment: "visit:country" is a visit dimension and cannot filter raw events (kind=events); use event:* dimensions or kind=aggregates',
      }),
    });
    expect((await call('DELETE', `${segmentsPath(SITE)}/${id}`, { key: adminKey })).status).toBe(204);
  });

  it('names the segment in a 400 or 404, and never applies another site’s', async () => {
    expect(await statsOf('main', { ...R, segment: 'abc' })).toEqual({
      status: 400,
      body: { error: 'segment: not a valid segment id' },
    });
    expect(await statsOf('main', { ...R, segment: UNKNOWN_ID })).toEqual({
      status: 404,
      body: { error: `segment: no segment ${UNKNOWN_ID} on site ${SITE}` },
    });
    for (const endpoint of ['main', 'breakdown/pages', 'funnel', 'export']) {
      expect(await statsOf(endpoint, { ...R, segment: otherId, steps: 'page:/,page:/pricing' })).toEqual({
        status: 404,
        body:
          endpoint === 'export'
            ? JSON.stringify({ error: `segment: no segment ${otherId} on site ${SITE}` })
            : { error: `segment: no segment ${otherId} on site ${SITE}` },
      });
    }
    const twice = await fetch(`${statsUrl(server.url, 'main', { site_id: SITE, ...R, segment: usId })}&segment=${usId}`, {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(twice.status).toBe(400);
    expect(await twice.json()).toEqual({ error: 'segment: given more than once' });
    // other.test's key cannot reach seg.test's stats, segment or not.
    expect((await statsOf('main', { ...R, segment: usId }, otherReadKey)).status).toBe(403);
  });
});

describe('POST /api/v2/query with segment', () => {
  const metrics = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration', 'events'];

  it('exact numbers, and-ed with the body’s filters, segment echoed', async () => {
    const a = await v2({ metrics, date_range: [R.start_date, R.end_date], segment: usId });
    expect(a.status).toBe(200);
    // v2's bounce rate is a whole percent.
    expect((a.body as { results: unknown }).results).toEqual([{ metrics: [4, 4, 7, 50, 240, 8], dimensions: [] }]);
    expect((a.body as { query: Record<string, unknown> }).query).toMatchObject({ filters: [], segment: usId });

    const both = await v2({ metrics, date_range: [R.start_date, R.end_date], segment: usId, filters: ENTRY_HOME });
    expect((both.body as { results: unknown }).results).toEqual([{ metrics: [2, 2, 5, 0, 480, 6], dimensions: [] }]);

    const byDay = await v2({
      metrics: ['visitors', 'pageviews'],
      dimensions: ['time:day'],
      date_range: [R.start_date, R.end_date],
      segment: usId,
    });
    const inline = await v2({
      metrics: ['visitors', 'pageviews'],
      dimensions: ['time:day'],
      date_range: [R.start_date, R.end_date],
      filters: US,
    });
    expect((byDay.body as { results: unknown }).results).toEqual([
      { metrics: [2, 3], dimensions: ['2026-04-01'] },
      { metrics: [2, 4], dimensions: ['2026-04-02'] },
    ]);
    expect((byDay.body as { results: unknown }).results).toEqual((inline.body as { results: unknown }).results);
  });

  it('takes Plausible\'s segment filter, ["is", "segment", [id]], as the segment\'s saved filters', async () => {
    const range = [R.start_date, R.end_date];
    const a = await v2({ metrics, date_range: range, filters: [['is', 'segment', [usId]]] });
    expect((a.body as { results: unknown }).results).toEqual([{ metrics: [4, 4, 7, 50, 240, 8], dimensions: [] }]);
    // The echo shows the filters the segment stands for, as Plausible's does.
    expect((a.body as { query: Record<string, unknown> }).query).toMatchObject({ filters: US });
    const both = await v2({ metrics, date_range: range, filters: [['is', 'segment', [usId]], ...ENTRY_HOME] });
    expect((both.body as { results: unknown }).results).toEqual([{ metrics: [2, 2, 5, 0, 480, 6], dimensions: [] }]);
    const unknown = "filters[0]: Invalid filters. Some segments don't exist or aren't accessible.";
    expect(await v2({ metrics, date_range: range, filters: [['is', 'segment', [otherId]]] })).toEqual({
      status: 400,
      body: { error: unknown },
    });
    expect(await v2({ metrics, date_range: range, filters: [['is', 'segment', [1]]] })).toEqual({
      status: 400,
      body: { error: unknown },
    });
    expect(await v2({ metrics, date_range: range, filters: [['is_not', 'segment', [usId]]] })).toEqual({
      status: 400,
      body: { error: 'filters[0]: a segment filter is ["is", "segment", [1 to 10 segment ids]]' },
    });
  });

  it('400/404 naming the segment', async () => {
    const base = { metrics: ['visitors'], date_range: [R.start_date, R.end_date] };
    expect(await v2({ ...base, segment: 12 })).toEqual({ status: 400, body: { error: 'segment: not a valid segment id' } });
    expect(await v2({ ...base, segment: 'nope' })).toEqual({ status: 400, body: { error: 'segment: not a valid segment id' } });
    expect(await v2({ ...base, segment: otherId })).toEqual({
      status: 404,
      body: { error: `segment: no segment ${otherId} on site ${SITE}` },
    });
  });

  it('holds a segment to v2’s placement rules, naming it', async () => {
    // The stats routes' parser takes a goal inside "or"; v2, as Plausible, only at the top level.
    const nested = [
      [
        'or',
        [
          ['is', 'event:goal', ['Signup']],
          ['is', 'visit:country', ['DE']],
        ],
      ],
    ];
    const saved = await save(SITE, { name: 'Signup or Germany', filters: nested });
    expect(saved.status).toBe(201);
    const id = (saved.body as { id: string }).id;
    // P1 (Signup) and P2 (DE) on the GET routes.
    expect(await ok('main', { ...R, segment: id })).toEqual(await ok('main', { ...R, filters: JSON.stringify(nested) }));
    expect(((await ok('main', { ...R, segment: id })) as { unique_visitors: number }).unique_visitors).toBe(2);
    expect(await v2({ metrics: ['visitors'], date_range: [R.start_date, R.end_date], segment: id })).toEqual({
      status: 400,
      body: { error: 'segment[0]: event:goal can only be filtered at the top level' },
    });
    expect((await call('DELETE', `${segmentsPath(SITE)}/${id}`, { key: adminKey })).status).toBe(204);
  });
});

describe('lifetime', () => {
  it('segments survive a restart and keep their numbers', async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    await start();
    expect((await call('GET', segmentsPath(SITE), { key: readKey })).body).toEqual([
      { id: usId, name: 'US visitors', filters: US },
    ]);
    expect(await ok('main', { ...R, segment: usId })).toEqual(main(4, 4, 7, 1.75, 0.5, 240, 8));
  });

  it('removing a site removes its segments: the same id again starts with none', async () => {
    expect((await call('DELETE', `/api/sites/${OTHER}`, { key: adminKey })).status).toBe(204);
    expect((await call('GET', segmentsPath(OTHER), { key: readKey })).status).toBe(404);
    expect((await call('POST', '/api/sites', { key: adminKey, body: { id: OTHER } })).status).toBe(201);
    expect((await call('GET', segmentsPath(OTHER), { key: readKey })).body).toEqual([]);
    expect((await call('GET', segmentsPath(SITE), { key: readKey })).body).toEqual([
      { id: usId, name: 'US visitors', filters: US },
    ]);
  });
});
