/**
 * Ported from plausible/analytics
 * `test/plausible_web/controllers/api/external_stats_controller/query_comparisons_test.exs`
 * at 017f5a19d1b2342cbbe571dc3b9563e961af8d4e (the newest stored version). Every test of this
 * file posts to `/api/v2/query-internal-test`: `include.comparisons` belongs to Plausible's
 * internal schema (its dashboard), not to the public `/api/v2/query`. Our public v2 accepts it
 * (src/query/v2/compare.ts; docs/PLAUSIBLE-COMPAT.md, "Comparisons: what no ported case shows"),
 * so the cases are posted there. The setup creates a site import (`:create_site_import`: 2005-01-01 – today); only the last
 * test adds imported rows.
 */
import type { PlausibleEvent, PortedCase, Source } from '../case.js';

const src = (test: string): Source => ({
  file: 'test/plausible_web/controllers/api/external_stats_controller/query_comparisons_test.exs',
  test,
  commit: '017f5a19d1b2342cbbe571dc3b9563e961af8d4e',
});

const SAME = { kind: 'same' } as const;

const pv = (timestamp: string, browser?: string): PlausibleEvent => ({
  name: 'pageview',
  timestamp,
  ...(browser ? { browser } : {}),
});

const day = (date: string, metric: number, prevDate: string, prev: number, change: number) => ({
  dimensions: [date],
  metrics: [metric],
  comparison: { dimensions: [prevDate], metrics: [prev], change: [change] },
});

const LOW_LIMIT_EVENTS: PlausibleEvent[] = [
  ...Array.from({ length: 4 }, () => pv('2021-01-01 00:00:00', 'Firefox')),
  ...Array.from({ length: 3 }, () => pv('2021-01-01 00:00:00', 'Safari')),
  pv('2021-01-01 00:00:00', 'Chrome'),
  ...Array.from({ length: 3 }, () => pv('2021-01-07 00:00:00', 'Chrome')),
  ...Array.from({ length: 2 }, () => pv('2021-01-07 00:00:00', 'Firefox')),
  pv('2021-01-08 00:00:00', 'Safari'),
];

const LOW_LIMIT_QUERY = {
  metrics: ['visitors', 'percentage'],
  date_range: ['2021-01-07', '2021-01-13'],
  dimensions: ['visit:browser'],
  include: { comparisons: { mode: 'previous_period' } },
};

export const CASES: PortedCase[] = [
  {
    source: src('aggregates a single metric'),
    fixture: {
      events: [pv('2021-01-01 00:00:00'), pv('2021-01-01 00:25:00'), pv('2021-01-02 00:00:00'), pv('2021-01-07 00:00:00')],
    },
    query: {
      metrics: ['pageviews'],
      date_range: ['2021-01-07', '2021-01-13'],
      include: { comparisons: { mode: 'previous_period' } },
    },
    expect: {
      status: 200,
      results: [{ dimensions: [], metrics: [1], comparison: { change: [-67], dimensions: [], metrics: [3] } }],
    },
    verdict: SAME,
  },
  {
    source: src('timeseries comparison'),
    fixture: {
      events: [
        pv('2021-01-01 00:00:00'),
        pv('2021-01-01 00:25:00'),
        pv('2021-01-06 00:00:00'),
        pv('2021-01-07 00:00:00'),
        pv('2021-01-08 00:00:00'),
      ],
    },
    query: {
      metrics: ['pageviews'],
      date_range: ['2021-01-07', '2021-01-13'],
      dimensions: ['time:day'],
      include: { comparisons: { mode: 'previous_period' } },
    },
    expect: {
      status: 200,
      results: [
        day('2021-01-07', 1, '2020-12-31', 0, 100),
        day('2021-01-08', 1, '2021-01-01', 2, -50),
        day('2021-01-09', 0, '2021-01-02', 0, 0),
        day('2021-01-10', 0, '2021-01-03', 0, 0),
        day('2021-01-11', 0, '2021-01-04', 0, 0),
        day('2021-01-12', 0, '2021-01-05', 0, 0),
        day('2021-01-13', 0, '2021-01-06', 1, -100),
      ],
    },
    verdict: SAME,
  },
  {
    source: src('dimensional comparison with low limit › request 1 (limit 2)'),
    fixture: { events: LOW_LIMIT_EVENTS },
    query: { ...LOW_LIMIT_QUERY, pagination: { limit: 2 } },
    expect: {
      status: 200,
      results: [
        {
          dimensions: ['Chrome'],
          metrics: [3, 50.0],
          comparison: { dimensions: ['Chrome'], metrics: [1, 12.5], change: [200, 300] },
        },
        {
          dimensions: ['Firefox'],
          metrics: [2, 33.3],
          comparison: { dimensions: ['Firefox'], metrics: [4, 50.0], change: [-50, -33] },
        },
      ],
    },
    verdict: SAME,
  },
  {
    source: src('dimensional comparison with low limit › request 2 (limit 2, offset 2)'),
    fixture: { events: LOW_LIMIT_EVENTS },
    query: { ...LOW_LIMIT_QUERY, pagination: { limit: 2, offset: 2 } },
    expect: {
      status: 200,
      results: [
        {
          dimensions: ['Safari'],
          metrics: [1, 16.7],
          comparison: { dimensions: ['Safari'], metrics: [3, 37.5], change: [-67, -55] },
        },
      ],
    },
    verdict: SAME,
  },
  {
    source: src('dimensional comparison with imported data'),
    fixture: {
      events: [
        pv('2021-01-01 00:00:00', 'Chrome'),
        pv('2021-01-07 00:00:00', 'Chrome'),
        pv('2021-01-07 00:00:00', 'Chrome'),
        pv('2021-01-07 00:00:00', 'Firefox'),
      ],
      imported: {
        rows: [
          { table: 'browsers', date: '2021-01-01', browser: 'Firefox', browser_version: '121', visitors: 50 },
          { table: 'browsers', date: '2021-01-01', browser: 'Chrome', browser_version: '99', visitors: 39 },
          { table: 'browsers', date: '2021-01-01', browser: 'Safari', browser_version: '99', visitors: 10 },
          { table: 'visitors', date: '2021-01-01', visitors: 99 },
        ],
      },
    },
    query: {
      metrics: ['visitors', 'percentage'],
      date_range: ['2021-01-07', '2021-01-13'],
      dimensions: ['visit:browser'],
      include: { imports: true, comparisons: { mode: 'previous_period' } },
      pagination: { limit: 2 },
    },
    expect: {
      status: 200,
      results: [
        {
          dimensions: ['Chrome'],
          metrics: [2, 66.7],
          comparison: { dimensions: ['Chrome'], metrics: [40, 40.0], change: [-95, 67] },
        },
        {
          dimensions: ['Firefox'],
          metrics: [1, 33.3],
          comparison: { dimensions: ['Firefox'], metrics: [50, 50.0], change: [-98, -33] },
        },
      ],
      meta: { imports_included: true },
    },
    verdict: SAME,
  },
];
