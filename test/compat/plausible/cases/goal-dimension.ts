/**
 * Ported from plausible/analytics
 * `test/plausible_web/controllers/api/external_stats_controller/query_goal_dimension_test.exs`
 * at 017f5a19d1b2342cbbe571dc3b9563e961af8d4e (the newest stored version: it is the one with
 * `assert_matches`/`response_query` and no page-scroll-goal block, which moved out of this file).
 * Every test posts to `/api/v2/query`. Rows the source builds without a `timestamp` take the
 * factory's default, now (NOW); `@user_id` (`Enum.random(1000..9999)`) is fixed at 4242.
 */
import type { PortedCase, Source } from '../case.js';
import { NOW } from '../translate.js';

const src = (test: string): Source => ({
  file: 'test/plausible_web/controllers/api/external_stats_controller/query_goal_dimension_test.exs',
  test: `breakdown by event:goal › ${test}`,
  commit: '017f5a19d1b2342cbbe571dc3b9563e961af8d4e',
});

const USER_ID = 4242;

export const CASES: PortedCase[] = [
  {
    source: src('returns custom event goals and pageview goals'),
    fixture: {
      goals: [{ event_name: 'Purchase' }, { page_path: '/test' }],
      events: [
        { name: 'pageview', timestamp: '2021-01-01 00:00:01', pathname: '/test' },
        { name: 'Purchase', timestamp: '2021-01-01 00:00:03' },
        { name: 'Purchase', timestamp: '2021-01-01 00:00:03' },
      ],
    },
    query: { date_range: 'all', metrics: ['visitors'], dimensions: ['event:goal'] },
    expect: {
      status: 200,
      results: [
        { dimensions: ['Purchase'], metrics: [2] },
        { dimensions: ['Visit /test'], metrics: [1] },
      ],
    },
    verdict: { kind: 'same' },
  },
  {
    source: src('returns pageview goals containing wildcards'),
    fixture: {
      goals: [{ page_path: '/**/post' }, { page_path: '/blog**' }],
      events: [
        { name: 'pageview', timestamp: NOW, pathname: '/blog', user_id: USER_ID },
        { name: 'pageview', timestamp: NOW, pathname: '/blog/post-1', user_id: USER_ID },
        { name: 'pageview', timestamp: NOW, pathname: '/blog/post-2', user_id: USER_ID },
        { name: 'pageview', timestamp: NOW, pathname: '/blog/something/post' },
        { name: 'pageview', timestamp: NOW, pathname: '/different/page/post' },
      ],
    },
    query: {
      date_range: 'all',
      metrics: ['visitors', 'pageviews'],
      dimensions: ['event:goal'],
      order_by: [['pageviews', 'desc']],
    },
    expect: {
      status: 200,
      results: [
        { dimensions: ['Visit /blog**'], metrics: [2, 4] },
        { dimensions: ['Visit /**/post'], metrics: [2, 2] },
      ],
    },
    verdict: { kind: 'same' },
  },
  {
    source: src('does not return goals that are not configured for the site'),
    fixture: {
      events: [
        { name: 'pageview', timestamp: NOW, pathname: '/register' },
        { name: 'Signup', timestamp: NOW },
      ],
    },
    query: { date_range: 'all', metrics: ['visitors', 'pageviews'], dimensions: ['event:goal'] },
    expect: { status: 200, results: [] },
    // A site without configured goals counts every custom event name as a goal here
    // (docs/METRICS.md, "Goals"; src/query/v2/plan.ts `customEventsOnly`): we answer
    // [{dimensions: ["Signup"], metrics: [1, 0]}].
    verdict: {
      kind: 'differs',
      why: 'implicit-goals',
      ours: { status: 200, results: [{ dimensions: ['Signup'], metrics: [1, 0] }] },
    },
  },
  {
    source: src('returns conversion_rate in an event:goal breakdown'),
    fixture: {
      goals: [{ event_name: 'Signup' }, { page_path: '/blog**' }],
      events: [
        { name: 'Signup', timestamp: NOW, user_id: 1 },
        { name: 'Signup', timestamp: NOW, user_id: 1 },
        { name: 'pageview', timestamp: NOW, pathname: '/blog' },
        { name: 'pageview', timestamp: NOW, pathname: '/blog/post' },
        { name: 'pageview', timestamp: NOW },
      ],
    },
    query: { date_range: 'all', metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'] },
    expect: {
      status: 200,
      results: [
        { dimensions: ['Visit /blog**'], metrics: [2, 2, 50.0] },
        { dimensions: ['Signup'], metrics: [1, 2, 25.0] },
      ],
    },
    verdict: { kind: 'same' },
  },
  {
    source: src('returns conversion_rate alone in an event:goal breakdown'),
    fixture: {
      goals: [{ event_name: 'Signup' }],
      events: [
        { name: 'Signup', timestamp: NOW, user_id: 1 },
        { name: 'pageview', timestamp: NOW },
      ],
    },
    query: { date_range: 'all', metrics: ['conversion_rate'], dimensions: ['event:goal'] },
    expect: { status: 200, results: [{ dimensions: ['Signup'], metrics: [50.0] }] },
    verdict: { kind: 'same' },
  },
];
