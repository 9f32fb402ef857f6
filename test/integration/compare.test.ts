/**
 * Comparison (`compare=previous_period|year_over_year|custom`) on main, timeseries and
 * breakdowns, over events sent through POST /api/events, checked from the hot tier and again
 * after a restart has built the days' rollups and visits (the planner then answers from them).
 * Every expected number below is worked out by hand from the fixture.
 *
 * The fixture and its numbers: compare-fixture.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BREAKDOWNS } from '../../src/query/dimensions.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { COMPARE_EVENTS as EVENTS } from './compare-fixture.js';
import { batchEvent } from './fixture.js';
import { bucket, loadBatch, main, removeScratchDirs, row, scratchDir, stats, statsUrl } from './support.js';

const SITE = 'compare.test';
/** The same events on a site with configured goals: "Sign up" (event signup), "Pricing page" (page views of /pricing). */
const GOALS_SITE = 'compare-goals.test';

const P = { start_date: '2024-02-28', end_date: '2024-02-29' };
const PREV = { ...P, compare: 'previous_period' };
const YOY = { ...P, compare: 'year_over_year' };

const CURRENT = main(4, 4, 6, 1.5, 0.5, 240, 7);
const MAIN_KEYS = [
  'unique_visitors',
  'visits',
  'total_pageviews',
  'views_per_visit',
  'bounce_rate',
  'avg_visit_duration_secs',
  'events',
];
const mainChange = (...values: (number | null)[]) => Object.fromEntries(MAIN_KEYS.map((k, i) => [k, values[i]]));
const ROW_KEYS = ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration', 'percentage'];
const bucketChange = (...values: (number | null)[]) => Object.fromEntries(ROW_KEYS.slice(0, 5).map((k, i) => [k, values[i]]));
const rowChange = (...values: (number | null)[]) => Object.fromEntries(ROW_KEYS.map((k, i) => [k, values[i]]));
const NO_ROW = { visitors: 0, visits: 0, pageviews: 0, bounce_rate: 0, visit_duration: 0, percentage: 0 };
const prev = (r: ReturnType<typeof row>) => {
  const { value: _, ...rest } = r;
  return rest;
};

type Case = [string, string, Record<string, string | number>, unknown];
const CASES: Case[] = [
  [
    // Visitors 4 vs 5 (−20 %), views per visit 1.5 vs 1.2 (+25 %), bounce 50 % vs 60 % (−10 points), 240 vs 252 s (−4.8 %).
    'main, previous_period',
    'main',
    PREV,
    { ...CURRENT, previous: main(5, 5, 6, 1.2, 0.6, 252, 7), change: mainChange(-20, -20, 0, 25, -10, -4.8, 0) },
  ],
  [
    // Only J: 2023-03-01 (K) is not the day after Feb 29 a year earlier. Bounce rate was 0: change null.
    'main, year_over_year (Feb 29 → Feb 28)',
    'main',
    YOY,
    { ...CURRENT, previous: main(1, 1, 2, 2, 0, 120, 2), change: mainChange(300, 300, 200, -25, null, 100, 250) },
  ],
  [
    'main, year_over_year of the day Feb 29 is Feb 28',
    'main',
    { period: 'day', date: '2024-02-29', compare: 'year_over_year' },
    {
      ...main(2, 2, 3, 1.5, 0.5, 300, 3),
      previous: main(1, 1, 2, 2, 0, 120, 2),
      change: mainChange(100, 100, 50, -25, null, 150, 50),
    },
  ],
  [
    // J and K: 2 visitors, 3 pageviews, bounce 0.5, (120 + 0) / 2 = 60 s.
    'main, custom comparison dates',
    'main',
    { ...P, compare: 'custom', compare_start_date: '2023-02-28', compare_end_date: '2023-03-01' },
    { ...CURRENT, previous: main(2, 2, 3, 1.5, 0.5, 60, 3), change: mainChange(100, 100, 100, 0, 0, 300, 133.3) },
  ],
  [
    'main, custom comparison dates without compare=custom',
    'main',
    { ...P, compare_start_date: '2023-02-28', compare_end_date: '2023-03-01' },
    { ...CURRENT, previous: main(2, 2, 3, 1.5, 0.5, 60, 3), change: mainChange(100, 100, 100, 0, 0, 300, 133.3) },
  ],
  [
    // 02-28 beside 02-26, 02-29 beside 02-27 (V5, V3, V4: bounce 2/3, 60/3 = 20 s).
    'timeseries by day, previous_period',
    'timeseries',
    { ...PREV, interval: 'day' },
    [
      {
        ...bucket('2024-02-28', 2, 2, 3, 0.5, 180),
        previous: bucket('2024-02-26', 2, 2, 3, 0.5, 600),
        change: bucketChange(0, 0, 0, 0, -70),
      },
      {
        ...bucket('2024-02-29', 2, 2, 3, 0.5, 300),
        previous: bucket('2024-02-27', 3, 3, 3, 0.6667, 20),
        change: bucketChange(-33.3, -33.3, 0, -16.7, 1400),
      },
    ],
  ],
  [
    // The comparison has one day: the second bucket has nothing beside it.
    'timeseries by day, year_over_year (one bucket fewer)',
    'timeseries',
    { ...YOY, interval: 'day' },
    [
      {
        ...bucket('2024-02-28', 2, 2, 3, 0.5, 180),
        previous: bucket('2023-02-28', 1, 1, 2, 0, 120),
        change: bucketChange(100, 100, 50, null, 50),
      },
      { ...bucket('2024-02-29', 2, 2, 3, 0.5, 300), previous: null, change: bucketChange(null, null, null, null, null) },
    ],
  ],
  [
    // Direct: B, D against F, G, I; Google: A against E; Hacker News: C against H.
    'sources, previous_period',
    'breakdown/sources',
    PREV,
    [
      {
        ...row('Direct / None', 2, 2, 3, 0.5, 300, 50),
        previous: prev(row('', 3, 3, 4, 0.6667, 400, 60)),
        change: rowChange(-33.3, -33.3, -25, -16.7, -25, -10),
      },
      {
        ...row('Google', 1, 1, 2, 0, 360, 25),
        previous: prev(row('', 1, 1, 1, 1, 0, 20)),
        change: rowChange(0, 0, 100, -100, null, 5),
      },
      {
        ...row('Hacker News', 1, 1, 1, 1, 0, 25),
        previous: prev(row('', 1, 1, 1, 0, 60, 20)),
        change: rowChange(0, 0, 0, null, -100, 5),
      },
    ],
  ],
  [
    'sources, previous_period, second page of one',
    'breakdown/sources',
    { ...PREV, limit: 1, page: 2 },
    [
      {
        ...row('Google', 1, 1, 2, 0, 360, 25),
        previous: prev(row('', 1, 1, 1, 1, 0, 20)),
        change: rowChange(0, 0, 100, -100, null, 5),
      },
    ],
  ],
  [
    // /blog and /new-page have no page views in PP: zeros, changes null; /old-page is not shown.
    'pages, previous_period',
    'breakdown/pages',
    PREV,
    [
      {
        ...row('/', 3, 3, 3, 0.3333, 320, 75),
        previous: prev(row('', 2, 2, 2, 0.5, 600, 40)),
        change: rowChange(50, 50, 50, -16.7, -46.7, 35),
      },
      { ...row('/blog', 1, 1, 1, 1, 0, 25), previous: NO_ROW, change: rowChange(null, null, null, null, null, null) },
      // Page rows' bounce rate and duration are of the visits that entered there (docs/METRICS.md):
      // nobody entered on /new-page or /pricing in P; in PP, H (60 s) and I (a bounce) did on /pricing.
      { ...row('/new-page', 1, 1, 1, 0, 0, 25), previous: NO_ROW, change: rowChange(null, null, null, null, null, null) },
      {
        ...row('/pricing', 1, 1, 1, 0, 0, 25),
        previous: prev(row('', 3, 3, 3, 0.5, 30, 60)),
        change: rowChange(-66.7, -66.7, -66.7, -50, -100, -35),
      },
    ],
  ],
  [
    'pages, year_over_year, first page of two',
    'breakdown/pages',
    { ...YOY, limit: 2 },
    [
      {
        ...row('/', 3, 3, 3, 0.3333, 320, 75),
        previous: prev(row('', 1, 1, 1, 0, 120, 100)),
        change: rowChange(200, 200, 200, null, 166.7, -25),
      },
      {
        // J entered on / a year earlier, so /blog's previous bounce rate and duration are 0 (no change).
        ...row('/blog', 1, 1, 1, 1, 0, 25),
        previous: prev(row('', 1, 1, 1, 0, 0, 100)),
        change: rowChange(0, 0, 0, null, null, -75),
      },
    ],
  ],
  [
    // Conversion rate 1 of 4 visitors against 1 of 5: +5 points.
    'goals, previous_period',
    'breakdown/events',
    PREV,
    [
      {
        value: 'signup',
        visitors: 1,
        events: 1,
        conversion_rate: 25,
        previous: { visitors: 1, events: 1, conversion_rate: 20 },
        change: { visitors: 0, events: 0, conversion_rate: 5 },
      },
    ],
  ],
  [
    'goals, year_over_year: none a year earlier',
    'breakdown/events',
    YOY,
    [
      {
        value: 'signup',
        visitors: 1,
        events: 1,
        conversion_rate: 25,
        previous: { visitors: 0, events: 0, conversion_rate: 0 },
        change: { visitors: null, events: null, conversion_rate: null },
      },
    ],
  ],
];

/**
 * Configured goals: Sign up A against H (1 of 4 visitors vs 1 of 5); Pricing page A against F,
 * H, I (1 vs 3 page views and visitors, 25 % vs 60 %). A year earlier: neither.
 */
const GOAL_CASES: Case[] = [
  [
    'configured goals, previous_period',
    'breakdown/events',
    PREV,
    [
      {
        value: 'Pricing page',
        visitors: 1,
        events: 1,
        conversion_rate: 25,
        previous: { visitors: 3, events: 3, conversion_rate: 60 },
        change: { visitors: -66.7, events: -66.7, conversion_rate: -35 },
      },
      {
        value: 'Sign up',
        visitors: 1,
        events: 1,
        conversion_rate: 25,
        previous: { visitors: 1, events: 1, conversion_rate: 20 },
        change: { visitors: 0, events: 0, conversion_rate: 5 },
      },
    ],
  ],
  [
    'configured goals, previous_period, second page of one',
    'breakdown/events',
    { ...PREV, limit: 1, page: 2 },
    [
      {
        value: 'Sign up',
        visitors: 1,
        events: 1,
        conversion_rate: 25,
        previous: { visitors: 1, events: 1, conversion_rate: 20 },
        change: { visitors: 0, events: 0, conversion_rate: 5 },
      },
    ],
  ],
  [
    'configured goals, year_over_year: neither a year earlier',
    'breakdown/events',
    YOY,
    ['Pricing page', 'Sign up'].map((value) => ({
      value,
      visitors: 1,
      events: 1,
      conversion_rate: 25,
      previous: { visitors: 0, events: 0, conversion_rate: 0 },
      change: { visitors: null, events: null, conversion_rate: null },
    })),
  ],
];

const BAD: [string, string, Record<string, string>, RegExp][] = [
  [
    'an unknown compare value',
    'main',
    { ...P, compare: 'last_year' },
    /^compare: must be one of previous_period, year_over_year, custom$/,
  ],
  [
    'compare with period=realtime',
    'main',
    { period: 'realtime', compare: 'previous_period' },
    /^compare: not available with period=realtime$/,
  ],
  ['compare=custom without dates', 'timeseries', { ...P, compare: 'custom' }, /^compare_start_date: required/],
  ['a start date without an end date', 'main', { ...P, compare_start_date: '2024-01-01' }, /^compare_end_date: required/],
  ['an end date without a start date', 'main', { ...P, compare_end_date: '2024-01-01' }, /^compare_start_date: required/],
  [
    'reversed comparison dates',
    'breakdown/pages',
    { ...P, compare_start_date: '2024-01-05', compare_end_date: '2024-01-01' },
    /^compare_end_date: before compare_start_date$/,
  ],
  [
    'a date that does not exist',
    'main',
    { ...P, compare_start_date: '2023-02-29', compare_end_date: '2023-03-01' },
    /^compare_start_date: not a real date$/,
  ],
  [
    'a malformed date',
    'main',
    { ...P, compare_start_date: '2023-2-1', compare_end_date: '2023-03-01' },
    /^compare_start_date: expected YYYY-MM-DD$/,
  ],
  [
    'comparison dates with another mode',
    'breakdown/sources',
    { ...YOY, compare_start_date: '2023-02-28', compare_end_date: '2023-03-01' },
    /^compare: /,
  ],
];

let server: RunningServer;
let dataDir: string;
let readKey: string;

const start = async () => {
  server = await startServer({ dataDir, env: { MALLARD_FLUSH_INTERVAL: '86400' } });
};

async function derivedPending(): Promise<number> {
  const health = (await (await fetch(`${server.url}/health/detailed`)).json()) as { storage: { derived_pending: number } };
  return health.storage.derived_pending;
}

const ask = <T = unknown>(endpoint: string, params: Record<string, string | number>) =>
  stats<T>(server.url, readKey, endpoint, { site_id: SITE, ...params });

beforeAll(async () => {
  dataDir = scratchDir('compare');
  await start();
  const cookie = await login(server.url);
  readKey = await createKey(server.url, cookie, 'read');
  const admin = await createKey(server.url, cookie, 'admin');
  const post = async (path: string, body: object) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.text()).toBe(201);
  };
  await post('/api/sites', { id: GOALS_SITE });
  await post(`/api/sites/${GOALS_SITE}/goals`, { event_name: 'signup', display_name: 'Sign up' });
  await post(`/api/sites/${GOALS_SITE}/goals`, { page_path: '/pricing', display_name: 'Pricing page' });
  await loadBatch(server.url, admin, [
    ...EVENTS.map((e) => batchEvent(SITE, e)),
    ...EVENTS.map((e) => batchEvent(GOALS_SITE, e)),
  ]);
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

describe('from the hot tier', () => {
  it.each(CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params)).toEqual(expected);
  });

  it.each(NAMES)('breakdown/%s: previous is the comparison period’s own row', async (name) => {
    expect(await previousEqualsItsOwnBreakdown(name)).toBeGreaterThan(0);
  });

  it.each(GOAL_CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await stats(server.url, readKey, endpoint, { site_id: GOALS_SITE, ...params })).toEqual(expected);
  });

  it.each(BAD)('400 for %s', async (_name, endpoint, params, error) => {
    const res = await fetch(statsUrl(server.url, endpoint, { site_id: SITE, ...params }), {
      headers: { authorization: `Bearer ${readKey}` },
    });
    const body = (await res.json()) as { error: string };
    expect(res.status, body.error).toBe(400);
    expect(body.error).toMatch(error);
  });
});

/**
 * Every breakdown, cross-checked: each row's `previous` is the row of the same value in the
 * comparison period's own breakdown (asked without comparison), or zeros where it has none.
 */
const NAMES = [...Object.keys(BREAKDOWNS), 'props/plan'];
async function previousEqualsItsOwnBreakdown(name: string): Promise<number> {
  const compared = await ask<{ value: string; previous: Record<string, number> }[]>(`breakdown/${name}`, PREV);
  const own = await ask<{ value: string }[]>(`breakdown/${name}`, { start_date: '2024-02-26', end_date: '2024-02-27' });
  const byValue = new Map(own.map(({ value, ...rest }) => [value, rest]));
  for (const r of compared) {
    const zeros = Object.fromEntries(Object.keys(r.previous).map((k) => [k, 0]));
    expect(r.previous, `${name} ${r.value}`).toEqual(byValue.get(r.value) ?? zeros);
  }
  return compared.filter((r) => byValue.has(r.value)).length;
}

describe('after a restart, with the days built into rollups and visits', () => {
  beforeAll(async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    await start();
    // A bound on the wait, not a speed check: a ClickHouse build of a day runs ~50 statements.
    for (let i = 0; (await derivedPending()) > 0; i++) {
      if (i > 1200) throw new Error('the days were not built');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it.each(CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params)).toEqual(expected);
  });

  it.each(NAMES)('breakdown/%s: previous is the comparison period’s own row', async (name) => {
    // Every breakdown of the fixture shares at least one value with the period before.
    expect(await previousEqualsItsOwnBreakdown(name)).toBeGreaterThan(0);
  });

  it.each(GOAL_CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await stats(server.url, readKey, endpoint, { site_id: GOALS_SITE, ...params })).toEqual(expected);
  });

  it('main and its comparison are read from the derived tables', async () => {
    const res = await fetch(statsUrl(server.url, 'main', { site_id: SITE, ...PREV }), {
      headers: { authorization: `Bearer ${readKey}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-mallard-plan')?.split(',')).toEqual(['rollup', 'rollup']);
  });
});
