/**
 * POST /api/v2/query (Plausible Stats API v2) over a fixed data set loaded through
 * POST /api/events, from the hot tier and again from Parquet after a restart. Every expected
 * number is worked out by hand from the fixture below (the one of stats.test.ts).
 *
 * Fixture, site v2-a.test (all times UTC):
 *   V1 Chrome/Windows, from Google
 *     01-10 10:00 pv /, 10:10 pv /pricing, 10:12 signup /pricing {plan: pro}   visit A1: 3 events, 720 s
 *   V2 Firefox/Linux, direct
 *     01-10 10:30 pv /                                                           visit A2: bounce
 *     01-10 11:01 pv /blog, 11:11 pv /blog/post-1                                visit A3: 600 s
 *   V3 Safari/iPhone, from Hacker News
 *     01-10 23:00 pv /blog, 23:30 pv /                                           visit A4: 1800 s
 *   V1 again on 01-11 (a new visitor: new day), from Google
 *     01-11 09:00 pv /                                                           visit A5: bounce
 *   V4 Safari/Mac, utm_source=newsletter
 *     01-11 14:00 pv /, 14:20 download /docs {file: guide.pdf}, 14:40 pv /docs   visit A6: 2400 s
 *   V5 Edge/Windows, direct
 *     01-12 08:00 pv /pricing                                                    visit A7: bounce
 *   V2 again on 01-12, from Google
 *     01-12 12:00 pv /blog, 12:15 pv /blog/post-1, 12:15:30 signup {plan: free}  visit A8: 930 s
 * Totals: 7 visitors, 8 visits, 13 pageviews, 16 events, 3 bounces, durations sum 6450 s.
 * Goals (custom events): signup by 2 visitors (V1 on 01-10, V2 on 01-12), download by 1 (V4).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, EVENTS } from './fixture.js';
import { loadBatch, removeScratchDirs, scratchDir } from './support.js';

const SITE = 'v2-a.test';
const EMPTY = 'v2-empty.test';

const RANGE = ['2026-01-10', '2026-01-12'];
const RANGE_ECHO = ['2026-01-10T00:00:00+00:00', '2026-01-12T23:59:59+00:00'];
const ALL_METRICS = ['visitors', 'visits', 'pageviews', 'views_per_visit', 'bounce_rate', 'visit_duration', 'events'];

type Values = (number | null)[];
type Row = {
  metrics: Values;
  dimensions: string[];
  comparison?: { dimensions: (string | null)[]; metrics: Values; change: Values };
};
const r = (metrics: Values, dimensions: string[] = []): Row => ({ metrics, dimensions });
/** A row with its comparison (`include.comparisons`): the comparison's dimensions, metrics and the change. */
const vs = (row: Row, dimensions: (string | null)[], metrics: Values, change: Values): Row => ({
  ...row,
  comparison: { dimensions, metrics, change },
});

interface V2Answer {
  results: Row[];
  meta: Record<string, unknown>;
  query: Record<string, unknown>;
}

/** [name, body (site_id and date_range default to the fixture's), expected results, expected meta, expected query fields] */
type Case = [string, Record<string, unknown>, Row[], Record<string, unknown>?, Record<string, unknown>?];

const CASES: Case[] = [
  [
    'no dimensions: every metric',
    { metrics: ALL_METRICS },
    [r([7, 8, 13, 1.63, 38, 806, 16])],
    {},
    {
      site_id: SITE,
      metrics: ALL_METRICS,
      date_range: RANGE_ECHO,
      filters: [],
      dimensions: [],
      order_by: [['visitors', 'desc']],
      include: {},
      pagination: { limit: 10_000, offset: 0 },
    },
  ],
  [
    'date_range "day" with date',
    { metrics: ['visitors', 'pageviews'], date_range: 'day', date: '2026-01-11' },
    [r([2, 3])],
    {},
    {
      date_range: ['2026-01-11T00:00:00+00:00', '2026-01-11T23:59:59+00:00'],
    },
  ],
  [
    'date_range "month" with date',
    { metrics: ['visitors'], date_range: 'month', date: '2026-01-31' },
    [r([7])],
    {},
    {
      date_range: ['2026-01-01T00:00:00+00:00', '2026-01-31T23:59:59+00:00'],
    },
  ],
  [
    'a range without data',
    { metrics: ['visitors', 'bounce_rate', 'views_per_visit'], date_range: ['2025-12-01', '2025-12-31'] },
    [r([0, 0, 0])],
  ],
  [
    // Bounce rate and visit duration are over the visits that entered on the page (as in
    // Plausible): / ← A1, A2, A5, A6: 2 bounces of 4, (720+0+0+2400)/4 = 780; /blog ← A3, A4,
    // A8: (600+1800+930)/3 = 1110; /pricing ← A7, a bounce; /blog/post-1 and /docs ← none.
    'event:page (page views), visit metrics over the visits that entered on the page',
    { metrics: ['visitors', 'pageviews', 'bounce_rate', 'visit_duration', 'percentage'], dimensions: ['event:page'] },
    [
      r([5, 5, 50, 780, 71.4], ['/']),
      r([3, 3, 0, 1110, 42.9], ['/blog']),
      r([2, 2, 0, 0, 28.6], ['/blog/post-1']),
      r([2, 2, 100, 0, 28.6], ['/pricing']),
      r([1, 1, 0, 0, 14.3], ['/docs']),
    ],
    {},
    { dimensions: ['event:page'], order_by: [['visitors', 'desc']] },
  ],
  [
    // Ordered by a ratio of entering visits, then paged: /pricing 100, / 50, /blog 0, then the
    // pages nobody entered on (no bounce rate to order by) last, by name: /blog/post-1, /docs.
    'event:page ordered by bounce_rate, second page of two rows',
    {
      metrics: ['visitors', 'bounce_rate'],
      dimensions: ['event:page'],
      order_by: [['bounce_rate', 'desc']],
      pagination: { limit: 2, offset: 1 },
    },
    [r([5, 50], ['/']), r([3, 0], ['/blog'])],
    {},
    { order_by: [['bounce_rate', 'desc']], pagination: { limit: 2, offset: 1 } },
  ],
  [
    'visit:source',
    { metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], dimensions: ['visit:source'] },
    [
      r([3, 3, 5, 33, 550], ['Google']),
      r([2, 3, 4, 67, 200], ['Direct / None']),
      r([1, 1, 2, 0, 1800], ['Hacker News']),
      r([1, 1, 2, 0, 2400], ['newsletter']),
    ],
  ],
  [
    'time:day omits empty days; time_labels lists them all',
    {
      metrics: ['visitors', 'pageviews'],
      date_range: ['2026-01-09', '2026-01-13'],
      dimensions: ['time:day'],
      include: { time_labels: true },
    },
    [r([3, 7], ['2026-01-10']), r([2, 3], ['2026-01-11']), r([2, 3], ['2026-01-12'])],
    { time_labels: ['2026-01-09', '2026-01-10', '2026-01-11', '2026-01-12', '2026-01-13'] },
    {
      date_range: ['2026-01-09T00:00:00+00:00', '2026-01-13T23:59:59+00:00'],
      dimensions: ['time:day'],
      order_by: [
        ['time:day', 'asc'],
        ['visitors', 'desc'],
      ],
      include: { time_labels: true },
    },
  ],
  [
    '"time" over five days is time:day',
    { metrics: ['visitors', 'pageviews'], date_range: ['2026-01-09', '2026-01-13'], dimensions: ['time'] },
    [r([3, 7], ['2026-01-10']), r([2, 3], ['2026-01-11']), r([2, 3], ['2026-01-12'])],
    {},
    { dimensions: ['time:day'] },
  ],
  [
    '"time" over one day is time:hour; a visit counts in the hour it starts',
    { metrics: ['visitors', 'visits', 'bounce_rate'], date_range: 'day', date: '2026-01-10', dimensions: ['time'] },
    [r([2, 2, 50], ['2026-01-10 10:00:00']), r([1, 1, 0], ['2026-01-10 11:00:00']), r([1, 1, 0], ['2026-01-10 23:00:00'])],
    {},
    { dimensions: ['time:hour'] },
  ],
  [
    'time:week: Monday weeks, the first one labelled with the range start',
    {
      metrics: ['visitors', 'pageviews'],
      date_range: ['2026-01-07', '2026-01-13'],
      dimensions: ['time:week'],
      include: { time_labels: true },
    },
    [r([5, 10], ['2026-01-07']), r([2, 3], ['2026-01-12'])],
    { time_labels: ['2026-01-07', '2026-01-12'] },
  ],
  [
    'two dimensions, ordered by events',
    { metrics: ['visitors', 'events'], dimensions: ['visit:browser', 'event:name'], order_by: [['events', 'desc']] },
    [
      r([2, 5], ['Firefox', 'pageview']),
      r([2, 4], ['Safari', 'pageview']),
      r([2, 3], ['Chrome', 'pageview']),
      r([1, 1], ['Chrome', 'signup']),
      r([1, 1], ['Firefox', 'signup']),
      r([1, 1], ['Microsoft Edge', 'pageview']),
      r([1, 1], ['Safari', 'download']),
    ],
    {},
    { order_by: [['events', 'desc']] },
  ],
  [
    'order_by a dimension',
    { metrics: ['visitors'], dimensions: ['event:page'], order_by: [['event:page', 'asc']] },
    [r([5], ['/']), r([3], ['/blog']), r([2], ['/blog/post-1']), r([1], ['/docs']), r([2], ['/pricing'])],
  ],
  [
    'order_by a metric then a dimension',
    {
      metrics: ['visitors'],
      dimensions: ['event:page'],
      order_by: [
        ['visitors', 'asc'],
        ['event:page', 'desc'],
      ],
    },
    [r([1], ['/docs']), r([2], ['/pricing']), r([2], ['/blog/post-1']), r([3], ['/blog']), r([5], ['/'])],
  ],
  [
    'filters: or / not',
    {
      metrics: ['visitors', 'pageviews', 'events'],
      filters: [
        [
          'or',
          [
            ['is', 'visit:source', ['Google']],
            ['contains', 'event:page', ['blog']],
          ],
        ],
        ['not', ['is', 'visit:browser', ['Firefox']]],
      ],
    },
    [r([3, 4, 5])],
  ],
  [
    'filters: and, case-insensitive contains, with a dimension',
    {
      metrics: ['visitors'],
      dimensions: ['event:page'],
      filters: [
        [
          'and',
          [
            ['contains', 'event:page', ['BLOG'], { case_sensitive: false }],
            ['is_not', 'visit:browser', ['Safari']],
          ],
        ],
      ],
    },
    [r([2], ['/blog']), r([2], ['/blog/post-1'])],
  ],
  [
    'filters: is_not on a visit dimension',
    { metrics: ['visitors', 'visits'], filters: [['is_not', 'visit:source', ['Direct / None']]] },
    [r([5, 5])],
  ],
  [
    'pagination without total_rows',
    { metrics: ['visitors'], dimensions: ['event:page'], pagination: { limit: 2, offset: 2 } },
    [r([2], ['/blog/post-1']), r([2], ['/pricing'])],
    {},
    { pagination: { limit: 2, offset: 2 }, include: {} },
  ],
  [
    'pagination with total_rows',
    { metrics: ['visitors'], dimensions: ['event:page'], pagination: { limit: 2, offset: 2 }, include: { total_rows: true } },
    [r([2], ['/blog/post-1']), r([2], ['/pricing'])],
    { total_rows: 5 },
    { pagination: { limit: 2, offset: 2 }, include: { total_rows: true } },
  ],
  [
    'pagination past the end still counts the rows',
    { metrics: ['visitors'], dimensions: ['event:page'], pagination: { limit: 2, offset: 10 }, include: { total_rows: true } },
    [],
    { total_rows: 5 },
  ],
  [
    'event:props:<key>; a missing property is (none)',
    { metrics: ['visitors', 'events', 'percentage'], dimensions: ['event:props:plan'] },
    [r([7, 14, 100], ['(none)']), r([1, 1, 14.3], ['free']), r([1, 1, 14.3], ['pro'])],
  ],
  [
    'a property filter',
    { metrics: ['visitors', 'events'], dimensions: ['visit:source'], filters: [['is', 'event:props:plan', ['pro', 'free']]] },
    [r([2, 2], ['Google'])],
  ],
  [
    'goals: event:goal with conversion_rate (custom events only)',
    { metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'] },
    [r([2, 2, 28.57], ['signup']), r([1, 1, 14.29], ['download'])],
  ],
  [
    'goals: conversion_rate over the visitors of the other filters',
    { metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal'], filters: [['is', 'visit:source', ['Google']]] },
    [r([2, 66.67], ['signup'])],
  ],
  [
    'goal filter: conversion_rate against all visitors of the period',
    { metrics: ['visitors', 'events', 'conversion_rate'], filters: [['is', 'event:goal', ['signup']]] },
    [r([2, 2, 28.57])],
  ],
  [
    'goal filter with a dimension: conversion_rate against the period total',
    { metrics: ['visitors', 'conversion_rate'], dimensions: ['visit:source'], filters: [['is', 'event:goal', ['signup']]] },
    [r([2, 28.57], ['Google'])],
  ],
  [
    // Google has 3 visitors (the case below: 2 of them signed up, 66.67 %)
    'group_conversion_rate: over the visitors of the row source',
    {
      metrics: ['visitors', 'conversion_rate', 'group_conversion_rate'],
      dimensions: ['visit:source'],
      filters: [['is', 'event:goal', ['signup']]],
    },
    [r([2, 28.57, 66.7], ['Google'])],
  ],
  [
    // Pages with a signup or a download: /docs V4 of 1 visitor; /pricing V1 (01-10) of 2 (V5 too);
    // /blog/post-1 V2 (01-12) of 2 (V2's 01-10 visitor id too). Ties by page.
    'ordered by group_conversion_rate',
    {
      metrics: ['visitors', 'group_conversion_rate'],
      dimensions: ['event:page'],
      filters: [['is', 'event:goal', ['signup', 'download']]],
      order_by: [['group_conversion_rate', 'asc']],
    },
    [r([1, 50], ['/blog/post-1']), r([1, 50], ['/pricing']), r([1, 100], ['/docs'])],
  ],
  [
    'group_conversion_rate by event:goal alone: over every visitor, as conversion_rate (1 decimal)',
    { metrics: ['visitors', 'group_conversion_rate'], dimensions: ['event:goal'] },
    [r([2, 28.6], ['signup']), r([1, 14.3], ['download'])],
  ],
  [
    'goal and source filters: the source filter stays in the denominator',
    {
      metrics: ['visitors', 'conversion_rate'],
      filters: [
        ['is', 'event:goal', ['signup']],
        ['is', 'visit:source', ['Google']],
      ],
    },
    [r([2, 66.67])],
  ],
  [
    'goal and property filters: the property filter leaves the denominator',
    {
      metrics: ['visitors', 'conversion_rate'],
      filters: [
        ['contains', 'event:goal', ['sign']],
        ['is', 'event:props:plan', ['pro']],
      ],
    },
    [r([1, 14.29])],
  ],
  [
    // 01-11..12 against the two days before (01-09 has nothing, so 01-10). By browser, first 3
    // rows (ties by name): Chrome (A5: a bounce), Firefox (A8: 2 page views, 930 s), Microsoft
    // Edge (A7: a bounce), each 1 of 4 visitors (25 %); Safari (A6) is off the page. 01-10:
    // Chrome = A1 (2 page views, 720 s), Firefox = A2 + A3 (3 page views, 1 bounce of 2 visits,
    // 600 s / 2 = 300), 1 of 3 visitors each (33.3 %: over all 3, though Safari's row is not
    // taken); no Edge: 0, with visit_duration null. Change: percent, rounded (25 vs 33.3 → -25,
    // 2 vs 3 → -33), bounce rate in points, null from a bounce rate of 0 or a null duration.
    'include.comparisons previous_period by browser: the rows of the page only; a missing one as empty',
    {
      metrics: ['visitors', 'pageviews', 'bounce_rate', 'visit_duration', 'percentage'],
      date_range: ['2026-01-11', '2026-01-12'],
      dimensions: ['visit:browser'],
      include: { comparisons: { mode: 'previous_period' } },
      pagination: { limit: 3 },
    },
    [
      vs(r([1, 1, 100, 0, 25], ['Chrome']), ['Chrome'], [1, 2, 0, 720, 33.3], [0, -50, null, -100, -25]),
      vs(r([1, 2, 0, 930, 25], ['Firefox']), ['Firefox'], [1, 3, 50, 300, 33.3], [0, -33, -50, 210, -25]),
      vs(r([1, 1, 100, 0, 25], ['Microsoft Edge']), ['Microsoft Edge'], [0, 0, 0, null, 0], [100, 100, null, null, 100]),
    ],
    { comparison_date_range: ['2026-01-09T00:00:00+00:00', '2026-01-10T23:59:59+00:00'] },
    { include: { comparisons: { mode: 'previous_period' } } },
  ],
  [
    // Days by position: 01-11 (2 visitors, 3 page views) against 01-09 (nothing), 01-12 (2, 3)
    // against 01-10 (3, 7): 2 vs 3 → -33, 3 vs 7 → -57.
    'include.comparisons previous_period by time:day: buckets by position',
    {
      metrics: ['visitors', 'pageviews'],
      date_range: ['2026-01-11', '2026-01-12'],
      dimensions: ['time:day'],
      include: { comparisons: { mode: 'previous_period' } },
    },
    [
      vs(r([2, 3], ['2026-01-11']), ['2026-01-09'], [0, 0], [100, 100]),
      vs(r([2, 3], ['2026-01-12']), ['2026-01-10'], [3, 7], [-33, -57]),
    ],
  ],
  [
    // 2027-01-11..13 has nothing: every day is a row (empty ones too, under comparisons), each
    // against the same date of 2026: 01-11 (V1: a bounce; V4: 2 page views), 01-12 (V5: a
    // bounce; V2: 2 page views), 01-13 (nothing). Bounce rate from 50 to 0: -50 points.
    'include.comparisons year_over_year by time:day: empty days are rows',
    {
      metrics: ['visitors', 'pageviews', 'bounce_rate'],
      date_range: ['2027-01-11', '2027-01-13'],
      dimensions: ['time:day'],
      include: { comparisons: { mode: 'year_over_year' } },
    },
    [
      vs(r([0, 0, 0], ['2027-01-11']), ['2026-01-11'], [2, 3, 50], [-100, -100, -50]),
      vs(r([0, 0, 0], ['2027-01-12']), ['2026-01-12'], [2, 3, 50], [-100, -100, -50]),
      vs(r([0, 0, 0], ['2027-01-13']), ['2026-01-13'], [0, 0, 0], [0, 0, null]),
    ],
    { comparison_date_range: ['2026-01-11T00:00:00+00:00', '2026-01-13T23:59:59+00:00'] },
  ],
  [
    // The three days against 2025-12-01..02 (nothing): totals against zeros.
    'include.comparisons custom, no dimensions',
    {
      metrics: ['visitors', 'visit_duration'],
      include: { comparisons: { mode: 'custom', date_range: ['2025-12-01', '2025-12-02'] } },
    },
    [vs(r([7, 806]), [], [0, 0], [100, 100])],
    { comparison_date_range: ['2025-12-01T00:00:00+00:00', '2025-12-02T23:59:59+00:00'] },
  ],
  [
    'a site without data: one row of zeros, percentage null',
    { site_id: EMPTY, metrics: ['visitors', 'bounce_rate', 'percentage'] },
    [r([0, 0, null])],
  ],
  ['a site without data, by page: no rows', { site_id: EMPTY, metrics: ['visitors'], dimensions: ['event:page'] }, []],
];

let server: RunningServer;
let dataDir: string;
let cookie: string;
let readKey: string;
let siteKey: string;
let otherSiteKey: string;
let ingestKey: string;

interface Answer {
  status: number;
  json: unknown;
  text: string;
}

async function post(body: unknown, headers: Record<string, string> | null = null): Promise<Answer> {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(headers ?? { authorization: `Bearer ${readKey}` }) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json, text };
}

const query = (body: Record<string, unknown>) => post({ site_id: SITE, date_range: RANGE, ...body });

async function check([, body, results, meta, echo]: Case): Promise<void> {
  const res = await query(body);
  expect(res.status, res.text).toBe(200);
  const answer = res.json as V2Answer;
  expect(Object.keys(answer)).toEqual(['results', 'meta', 'query']);
  expect(answer.results).toEqual(results);
  if (meta) expect(answer.meta).toEqual(meta);
  if (echo) expect(answer.query).toMatchObject(echo);
}

beforeAll(async () => {
  dataDir = scratchDir('query-v2');
  server = await startServer({ dataDir, env: { MALLARD_FLUSH_INTERVAL: '86400' } });
  cookie = await login(server.url);
  readKey = await createKey(server.url, cookie, 'read');
  siteKey = await createKey(server.url, cookie, 'read', [SITE]);
  otherSiteKey = await createKey(server.url, cookie, 'read', ['elsewhere.test']);
  ingestKey = await createKey(server.url, cookie, 'ingest');
  await loadBatch(
    server.url,
    ingestKey,
    EVENTS.map((e) => batchEvent(SITE, e)),
  );
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

describe('from the hot tier', () => {
  it.each(CASES)('%s', async (...c) => check(c));

  it('"all" starts on the day of the first event and ends today', async () => {
    const res = await query({ metrics: ['visitors'], date_range: 'all' });
    expect(res.status, res.text).toBe(200);
    const answer = res.json as V2Answer;
    expect(answer.results).toEqual([r([7])]);
    const today = new Date().toISOString().slice(0, 10);
    expect(answer.query.date_range).toEqual(['2026-01-10T00:00:00+00:00', `${today}T23:59:59+00:00`]);
  });

  it('include.imports is accepted and reports no imports', async () => {
    const res = await query({ metrics: ['visitors'], include: { imports: true } });
    expect(res.status, res.text).toBe(200);
    expect((res.json as V2Answer).meta).toEqual({ imports_included: false, imports_skip_reason: 'no_imported_data' });
    expect(res.json).toMatchObject({
      results: [r([7])],
      query: { include: { imports: true } },
    });
  });
});

describe('auth: as GET /api/stats (read scope, site restriction; cookie or key)', () => {
  const body = { site_id: SITE, metrics: ['visitors'], date_range: RANGE };

  it('a session cookie, X-API-Key, and a key restricted to the site all work', async () => {
    const ways: Record<string, string>[] = [
      { cookie, origin: server.url }, // a browser's POST carries its Origin (CSRF rule)
      { 'x-api-key': readKey },
      { authorization: `Bearer ${siteKey}` },
    ];
    for (const headers of ways) {
      const res = await post(body, headers);
      expect(res.status, res.text).toBe(200);
      expect((res.json as V2Answer).results).toEqual([r([7])]);
    }
  });

  it.each<[string, () => Record<string, string>, number, string]>([
    [
      'a read key restricted to another site',
      () => ({ authorization: `Bearer ${otherSiteKey}` }),
      403,
      'this API key may not access this site',
    ],
    [
      'an ingest key',
      () => ({ authorization: `Bearer ${ingestKey}` }),
      403,
      'this API key\'s scope "ingest" does not allow this',
    ],
    ['no credentials', () => ({}), 401, 'not signed in'],
    ['an unknown key', () => ({ authorization: 'Bearer mm_nope' }), 401, 'invalid or revoked API key'],
  ])('%s → %i', async (_name, headers, status, error) => {
    const res = await post(body, headers());
    expect(res.status, res.text).toBe(status);
    expect(res.json).toEqual({ error });
  });
});

describe('malformed bodies: 400 naming the field, never a 500', () => {
  const ok = { site_id: SITE, metrics: ['visitors'], date_range: RANGE };
  it.each<[string, unknown, string]>([
    ['not JSON', '{"site_id":', 'body: not valid JSON'],
    ['empty', '', 'body: required (a JSON object)'],
    ['an array', [ok], 'body: expected a JSON object'],
    ['a string', '"visitors"', 'body: expected a JSON object'],
    ['no site_id', { ...ok, site_id: undefined }, 'site_id: required'],
    ['a bad site_id', { ...ok, site_id: 'Not A Site' }, 'site_id: not a valid site id'],
    ['no metrics', { ...ok, metrics: undefined }, 'metrics: required'],
    ['an unknown metric', { ...ok, metrics: ['visitors', 'revenue'] }, 'metrics[1]: unknown metric "revenue"'],
    ['an unknown field', { ...ok, interval: 'day' }, 'interval: unknown field'],
    ['no date_range', { ...ok, date_range: undefined }, 'date_range: required'],
    ['realtime', { ...ok, date_range: 'realtime' }, 'date_range: must be one of'],
    ['a bad date', { ...ok, date_range: ['2026-01-10', '2026-13-01'] }, 'date_range[1]: not a real date'],
    ['an unknown dimension', { ...ok, dimensions: ['visit:planet'] }, 'dimensions[0]: unknown dimension "visit:planet"'],
    ['an unknown filter operator', { ...ok, filters: [['like', 'event:page', ['/']]] }, 'filters[0]: unknown operator "like"'],
    [
      'an invalid regular expression',
      { ...ok, filters: [['matches', 'event:page', ['(unclosed']]] },
      'filters: invalid regular expression',
    ],
    [
      // checked as it runs: ClickHouse takes a lone `\\` as a literal, but not after `(?i)`
      'a trailing backslash, case-insensitive',
      { ...ok, filters: [['matches', 'event:page', ['\\'], { case_sensitive: false }]] },
      'filters: invalid regular expression "\\"',
    ],
    ['order_by a metric not queried', { ...ok, order_by: [['events', 'desc']] }, 'order_by[0]: "events" is not a queried metric'],
    ['conversion_rate without a goal', { ...ok, metrics: ['conversion_rate'] }, 'metrics: conversion_rate can only be queried'],
    [
      'a nested goal filter',
      { ...ok, filters: [['not', ['is', 'event:goal', ['signup']]]] },
      'filters[0]: event:goal can only be filtered',
    ],
    [
      'bounce_rate by goal',
      { ...ok, metrics: ['bounce_rate'], dimensions: ['event:goal'] },
      'metrics: bounce_rate cannot be queried',
    ],
    [
      'pagination.limit too big',
      { ...ok, pagination: { limit: 100_000 } },
      'pagination.limit: must be an integer from 1 to 10000',
    ],
    ['include.total_rows not a boolean', { ...ok, include: { total_rows: 1 } }, 'include.total_rows: must be true or false'],
    [
      'an unknown comparison mode',
      { ...ok, include: { comparisons: { mode: 'yesterday' } } },
      'include.comparisons.mode: must be one of previous_period, year_over_year, custom',
    ],
    [
      'custom comparison without dates',
      { ...ok, include: { comparisons: { mode: 'custom' } } },
      'include.comparisons.date_range: required with mode custom',
    ],
  ])('%s', async (_name, body, fragment) => {
    const res = await post(body);
    expect(res.status, res.text).toBe(400);
    expect(Object.keys(res.json as object)).toEqual(['error']);
    expect((res.json as { error: string }).error).toContain(fragment);
  });

  it('a body over 64 KiB is a 413', async () => {
    const res = await post({ ...ok, filters: [['is', 'event:page', ['x'.repeat(70_000)]]] });
    expect(res.status).toBe(413);
    expect(res.json).toEqual({ error: 'request body too large' });
  });

  it('still answers after all of that', async () => {
    const res = await post(ok);
    expect(res.status).toBe(200);
  });
});

describe('after a restart (from Parquet)', () => {
  beforeAll(async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    server = await startServer({ dataDir, env: { MALLARD_FLUSH_INTERVAL: '86400' } });
  });

  it.each(CASES)('%s', async (...c) => check(c));
});
