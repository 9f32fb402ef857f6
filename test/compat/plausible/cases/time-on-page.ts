/**
 * Ported from plausible/analytics
 * `test/plausible_web/controllers/api/external_stats_controller/query_time_on_page_test.exs`
 * at c6cab1bdc1f58732ab441afc5622a18367e5423f (of the two stored versions, the later one: the
 * metric is `time_on_page`, no longer `new_time_on_page`, and it holds every test of the other).
 * Every test posts to `/api/v2/query-internal-test`; its `time_on_page` is the engagement one,
 * ours (docs/METRICS.md, "Engagement"), unless `include.legacy_time_on_page_cutoff` asks for the
 * legacy one (time to the next page view) before a date: an option we do not have, so those
 * cases are pending, as are those whose imported pages carry time on page (`total_time_on_page`,
 * which our import reads past). The setup creates a site import (`:create_site_import`:
 * 2005-01-01 – today), here an import without rows where a test adds none.
 *
 * `meta` is Plausible's `strict_map`: the keys named, with those values.
 */
import type { PlausibleEvent, PlausibleImportedRow, PortedCase, Source, Verdict } from '../case.js';

const src = (test: string): Source => ({
  file: 'test/plausible_web/controllers/api/external_stats_controller/query_time_on_page_test.exs',
  test,
  commit: 'c6cab1bdc1f58732ab441afc5622a18367e5423f',
});

const SAME = { kind: 'same' } as const;
const LEGACY_CUTOFF: Verdict = {
  kind: 'pending',
  why: 'include.legacy_time_on_page_cutoff: legacy time_on_page (time to the next page view) before a date',
};
const IMPORTED_TIME_ON_PAGE: Verdict = {
  kind: 'pending',
  why: 'imported time on page (total_time_on_page of imported pages, read past on import)',
};

const pv = (user_id: number, pathname: string, timestamp: string): PlausibleEvent => ({
  name: 'pageview',
  user_id,
  pathname,
  timestamp,
});
const eng = (user_id: number, pathname: string, timestamp: string, engagement_time: number): PlausibleEvent => ({
  name: 'engagement',
  user_id,
  pathname,
  timestamp,
  engagement_time,
});
const pvAt = (pathname: string, user_id: number, timestamp: string): PlausibleEvent => pv(user_id, pathname, timestamp);

/** `build(:imported_pages, page: "/blog", date: ~D[2021-01-01], visitors: 9, total_time_on_page: 9 * 20, total_time_on_page_visits: 9)` */
const BLOG_IMPORTED: PlausibleImportedRow = {
  table: 'pages',
  page: '/blog',
  date: '2021-01-01',
  visitors: 9,
  total_time_on_page: 9 * 20,
  total_time_on_page_visits: 9,
};

const IMPORTS_INCLUDED = { imports_included: true };
const legacyWarning = (upTo: string) => ({
  time_on_page: {
    code: 'legacy_time_on_page_used',
    message: `Contains less accurate legacy time-on-page data up to ${upTo}`,
  },
});

// describe "include.legacy_time_on_page_cutoff": the setup's rows.
const CUTOFF_DESCRIBE = 'include.legacy_time_on_page_cutoff';
const CUTOFF_FIXTURE = {
  events: [
    pv(12, '/', '2021-01-01 00:00:00'),
    eng(12, '/', '2021-01-01 00:02:00', 100_000),
    pv(12, '/blog', '2021-01-01 00:02:00'),
    eng(12, '/blog', '2021-01-01 00:05:00', 100_000),
    pv(12, '/', '2021-01-01 00:05:00'),
    eng(12, '/', '2021-01-01 00:10:00', 100_000),
    pv(12, '/blog', '2021-01-01 00:10:00'),
    eng(12, '/blog', '2021-01-01 00:15:00', 100_000),
    pv(13, '/pricing', '2021-01-02 01:00:00'),
    eng(13, '/pricing', '2021-01-02 01:02:00', 30_000),
    pv(14, '/', '2021-01-02 01:00:00'),
    eng(14, '/', '2021-01-02 01:02:00', 30_000),
  ],
  imported: { rows: [BLOG_IMPORTED] },
};
const cutoffBreakdown = (cutoff: string, imports: boolean) => ({
  metrics: ['time_on_page'],
  date_range: 'all',
  dimensions: ['event:page'],
  include: imports ? { legacy_time_on_page_cutoff: cutoff, imports: true } : { legacy_time_on_page_cutoff: cutoff },
});
const cutoffAggregate = (cutoff: string, imports: boolean) => ({
  metrics: ['time_on_page'],
  date_range: 'all',
  filters: [['is', 'event:page', ['/blog']]],
  include: imports ? { legacy_time_on_page_cutoff: cutoff, imports: true } : { legacy_time_on_page_cutoff: cutoff },
});
const byPage = (home: number, blog: number, pricing: number | null) => [
  { dimensions: ['/'], metrics: [home] },
  { dimensions: ['/blog'], metrics: [blog] },
  { dimensions: ['/pricing'], metrics: [pricing] },
];

// describe "legacy time_on_page metric"
const LEGACY_DESCRIBE = 'legacy time_on_page metric';
const LEGACY_IMPORTED: PlausibleImportedRow[] = [
  { table: 'pages', page: '/A', total_time_on_page: 40, date: '2021-01-01' },
  { table: 'pages', page: '/B', total_time_on_page: 499, date: '2021-01-01' },
];
const LEGACY_EVENTS = [
  pvAt('/A', 111, '2021-01-01 00:00:00'),
  pvAt('/B', 111, '2021-01-01 00:01:00'),
  pvAt('/A', 999, '2021-01-02 00:00:00'),
  pvAt('/B', 999, '2021-01-02 00:01:30'),
];

// describe "timeseries": the setup's rows (no imported rows).
const TIMESERIES_DESCRIBE = 'timeseries';
const TIMESERIES_FIXTURE = {
  events: [
    pv(12, '/', '2021-01-01 00:00:00'),
    eng(12, '/', '2021-01-01 00:05:00', 100_000),
    pv(12, '/', '2021-01-02 00:00:00'),
    eng(12, '/', '2021-01-02 00:05:00', 200_000),
    pv(12, '/', '2021-01-03 00:00:00'),
    eng(12, '/', '2021-01-03 00:05:00', 250_000),
    pv(12, '/', '2021-01-04 00:00:00'),
    eng(12, '/', '2021-01-04 00:05:00', 200_000),
    pv(13, '/', '2021-01-04 00:00:00'),
    eng(13, '/', '2021-01-04 00:05:00', 100_000),
  ],
};
const timeseries = (include?: Record<string, unknown>, range = ['2021-01-01', '2021-01-04']) => ({
  metrics: ['time_on_page'],
  date_range: range,
  filters: [['is', 'event:page', ['/']]],
  dimensions: ['time:day'],
  ...(include ? { include } : {}),
});
const daily = (values: (number | null)[]) => values.map((v, i) => ({ dimensions: [`2021-01-0${i + 1}`], metrics: [v] }));

export const CASES: PortedCase[] = [
  {
    source: src('aggregated time_on_page metric based on engagement data'),
    fixture: {
      events: [
        pv(12, '/blog', '2021-01-01 00:00:00'),
        eng(12, '/blog', '2021-01-01 00:10:00', 120_000),
        eng(12, '/blog', '2021-01-01 00:11:00', 20_000),
        pv(13, '/blog', '2021-01-01 00:10:00'),
        eng(13, '/blog', '2021-01-01 00:10:00', 60_000),
      ],
      imported: { rows: [] },
    },
    query: { metrics: ['time_on_page'], date_range: 'all', dimensions: ['event:page'], include: { imports: true } },
    expect: { status: 200, results: [{ dimensions: ['/blog'], metrics: [100] }], meta: IMPORTS_INCLUDED },
    verdict: SAME,
  },
  {
    source: src('aggregated time_on_page metric with imported data'),
    fixture: {
      events: [pv(12, '/blog', '2021-01-01 00:00:00'), eng(12, '/blog', '2021-01-01 00:10:00', 120_000)],
      imported: { rows: [BLOG_IMPORTED] },
    },
    query: { metrics: ['time_on_page'], date_range: 'all', dimensions: ['event:page'], include: { imports: true } },
    expect: { status: 200, results: [{ dimensions: ['/blog'], metrics: [30] }], meta: IMPORTS_INCLUDED },
    verdict: IMPORTED_TIME_ON_PAGE,
  },
  {
    source: src('time_on_page time series'),
    fixture: {
      events: [
        pv(12, '/', '2021-01-01 00:00:00'),
        eng(12, '/', '2021-01-01 00:03:00', 100_000),
        pv(12, '/', '2021-01-02 00:00:00'),
        eng(12, '/', '2021-01-02 00:03:00', 100_000),
        pv(13, '/', '2021-01-02 00:00:00'),
        eng(13, '/', '2021-01-02 00:10:00', 300_000),
        pv(12, '/', '2021-01-03 00:00:00'),
        eng(12, '/', '2021-01-03 00:03:00', 100_000),
        pv(12, '/', '2021-01-04 00:00:00'),
        eng(12, '/', '2021-01-04 00:03:00', 100_000),
      ],
      imported: { rows: [BLOG_IMPORTED] },
    },
    query: {
      metrics: ['time_on_page'],
      date_range: ['2021-01-01', '2021-01-04'],
      dimensions: ['time:day', 'event:page'],
      include: { imports: true },
    },
    expect: {
      status: 200,
      results: [
        { dimensions: ['2021-01-01', '/'], metrics: [100] },
        { dimensions: ['2021-01-01', '/blog'], metrics: [20] },
        { dimensions: ['2021-01-02', '/'], metrics: [200] },
        { dimensions: ['2021-01-03', '/'], metrics: [100] },
        { dimensions: ['2021-01-04', '/'], metrics: [100] },
      ],
      meta: IMPORTS_INCLUDED,
    },
    verdict: IMPORTED_TIME_ON_PAGE,
  },
  {
    source: src(`${CUTOFF_DESCRIBE} › breakdown with cutoff being before data (new time-on-page query used)`),
    fixture: CUTOFF_FIXTURE,
    query: cutoffBreakdown('1970-01-01T00:00:00Z', true),
    // "(2 * 100s + 9 * 20s) / 10 = 38" for /blog.
    expect: { status: 200, results: byPage(115, 38, 30), meta: IMPORTS_INCLUDED },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${CUTOFF_DESCRIBE} › breakdown with cutoff being after data (legacy query used)`),
    fixture: CUTOFF_FIXTURE,
    query: cutoffBreakdown('2021-01-05T00:00:00Z', true),
    expect: {
      status: 200,
      results: byPage(420, 180, null),
      meta: { ...IMPORTS_INCLUDED, metric_warnings: legacyWarning('2021-01-05 00:00:00') },
    },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${CUTOFF_DESCRIBE} › breakdown with cutoff being mid-data (two queries joined)`),
    fixture: CUTOFF_FIXTURE,
    query: cutoffBreakdown('2021-01-02T00:00:00Z', true),
    expect: {
      status: 200,
      results: byPage(225, 180, 30),
      meta: { ...IMPORTS_INCLUDED, metric_warnings: legacyWarning('2021-01-02 00:00:00') },
    },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${CUTOFF_DESCRIBE} › breakdown with cutoff being mid-data (two queries joined), no imports`),
    fixture: CUTOFF_FIXTURE,
    query: cutoffBreakdown('2021-01-02T00:00:00Z', false),
    expect: { status: 200, results: byPage(225, 180, 30), meta: { metric_warnings: legacyWarning('2021-01-02 00:00:00') } },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${CUTOFF_DESCRIBE} › aggregation with cutoff being after data (legacy query used)`),
    fixture: CUTOFF_FIXTURE,
    query: cutoffAggregate('2021-01-05T00:00:00Z', true),
    expect: {
      status: 200,
      results: [{ dimensions: [], metrics: [180] }],
      meta: { ...IMPORTS_INCLUDED, metric_warnings: legacyWarning('2021-01-05 00:00:00') },
    },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${CUTOFF_DESCRIBE} › aggregation with cutoff being mid-data (two queries joined)`),
    fixture: CUTOFF_FIXTURE,
    query: cutoffAggregate('2021-01-02T00:00:00Z', true),
    expect: {
      status: 200,
      results: [{ dimensions: [], metrics: [180] }],
      meta: { ...IMPORTS_INCLUDED, metric_warnings: legacyWarning('2021-01-02 00:00:00') },
    },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${CUTOFF_DESCRIBE} › aggregation with cutoff being mid-data (two queries joined), no imports`),
    fixture: CUTOFF_FIXTURE,
    query: cutoffAggregate('2021-01-02T00:00:00Z', false),
    expect: {
      status: 200,
      results: [{ dimensions: [], metrics: [180] }],
      meta: { metric_warnings: legacyWarning('2021-01-02 00:00:00') },
    },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${LEGACY_DESCRIBE} › aggregated`),
    // "These are ignored for time_on_page metric" (the imported rows).
    fixture: { events: LEGACY_EVENTS, imported: { rows: LEGACY_IMPORTED } },
    query: {
      metrics: ['visitors', 'time_on_page'],
      date_range: 'all',
      filters: [['is', 'event:page', ['/A']]],
      include: { imports: true, legacy_time_on_page_cutoff: '2100-01-01T00:00:00Z' },
    },
    expect: { status: 200, results: [{ dimensions: [], metrics: [3, 75] }] },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${LEGACY_DESCRIBE} › breakdown`),
    fixture: { events: [...LEGACY_EVENTS, pvAt('/C', 999, '2021-01-02 00:02:00')], imported: { rows: LEGACY_IMPORTED } },
    query: {
      metrics: ['visitors', 'time_on_page'],
      date_range: 'all',
      dimensions: ['event:page'],
      include: { imports: true, legacy_time_on_page_cutoff: '2100-01-01T00:00:00Z' },
    },
    expect: {
      status: 200,
      results: [
        { dimensions: ['/A'], metrics: [3, 63] },
        { dimensions: ['/B'], metrics: [3, 264] },
        { dimensions: ['/C'], metrics: [1, null] },
      ],
    },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${TIMESERIES_DESCRIBE} › reports average new time-on-page per day`),
    fixture: TIMESERIES_FIXTURE,
    query: timeseries(),
    expect: { status: 200, results: daily([100, 200, 250, 150]) },
    verdict: SAME,
  },
  {
    source: src(`${TIMESERIES_DESCRIBE} › reports legacy time-on-page as nulls per day`),
    fixture: TIMESERIES_FIXTURE,
    query: timeseries({ legacy_time_on_page_cutoff: '2100-01-01T00:00:00Z' }),
    expect: { status: 200, results: daily([null, null, null, null]) },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${TIMESERIES_DESCRIBE} › respects \`legacy_time_on_page_cutoff\``),
    fixture: TIMESERIES_FIXTURE,
    query: timeseries({ legacy_time_on_page_cutoff: '2021-01-02T23:59:59Z' }),
    expect: { status: 200, results: daily([null, null, 250, 150]) },
    verdict: LEGACY_CUTOFF,
  },
  {
    source: src(`${TIMESERIES_DESCRIBE} › can use comparisons together with \`legacy_time_on_page_cutoff\``),
    fixture: TIMESERIES_FIXTURE,
    query: timeseries({ legacy_time_on_page_cutoff: '2021-01-01T23:59:59Z', comparisons: { mode: 'previous_period' } }, [
      '2021-01-03',
      '2021-01-04',
    ]),
    expect: {
      status: 200,
      results: [
        {
          dimensions: ['2021-01-03'],
          metrics: [250],
          comparison: { dimensions: ['2021-01-01'], metrics: [null], change: [null] },
        },
        {
          dimensions: ['2021-01-04'],
          metrics: [150],
          comparison: { dimensions: ['2021-01-02'], metrics: [200], change: [-25] },
        },
      ],
    },
    verdict: LEGACY_CUTOFF,
  },
];
