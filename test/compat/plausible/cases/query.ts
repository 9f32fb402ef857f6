/**
 * The cases of Plausible's `query_test.exs` (Stats API v2, POST /api/v2/query), read at the
 * commit below, in the source's order: fixtures in Plausible's factory fields (translate.ts
 * turns them into events), query bodies and expected answers as the source writes them.
 * Where the source posts to its internal endpoint (`/api/v2/query-internal-test`) the case
 * says so in a comment and posts to our public one. A source test that sends several queries
 * is one case per query, its name suffixed with what varies.
 */
import type { Expected, PlausibleEvent, PortedCase, Source, Verdict } from '../case.js';
import { NOW } from '../translate.js';

const FILE = 'test/plausible_web/controllers/api/external_stats_controller/query_test.exs';
const COMMIT = 'ac1665146ae4c9e2ea7e27c899e19196e2ae3833';
const src = (test: string): Source => ({ file: FILE, test, commit: COMMIT });

type Fields = Omit<Partial<PlausibleEvent>, 'name'>;
/** `build(:pageview, …)`, `build(:event, name: …)`, `build(:engagement, …)`; no timestamp: now. */
const pv = (f: Fields = {}): PlausibleEvent => ({ name: 'pageview', timestamp: NOW, ...f });
const ev = (name: string, f: Fields = {}): PlausibleEvent => ({ name, timestamp: NOW, ...f });
const eng = (f: Fields = {}): PlausibleEvent => ({ name: 'engagement', timestamp: NOW, ...f });
const row = (dimensions: unknown[], metrics: unknown[]) => ({ dimensions, metrics });
const ok = (results: unknown[], meta?: Record<string, unknown>): Expected =>
  meta === undefined ? { status: 200, results } : { status: 200, results, meta };
const bad = (error: string): Expected => ({ status: 400, error });
const SAME: Verdict = { kind: 'same' };
const fails = (why: string): Verdict => ({ kind: 'fails', why });
const differs = (why: string, ours: Expected): Verdict => ({ kind: 'differs', why, ours });

/** `@user_id` of the source (a random number there). */
const U = 1231;
const T0 = '2021-01-01 00:00:00';
const T25 = '2021-01-01 00:25:00';

/**
 * The fixture most filter tests share: `@user_id` visits with `fields` at 00:00 and again
 * at 00:25 without them, and another visitor views a page at 00:00.
 */
const twoVisits = (fields: Fields): PlausibleEvent[] => [
  pv({ ...fields, user_id: U, timestamp: T0 }),
  pv({ user_id: U, timestamp: T25 }),
  pv({ timestamp: T0 }),
];
const FOUR_METRICS = ['pageviews', 'visitors', 'bounce_rate', 'visit_duration'];

/** `for {dimension, column, value1, value2, blank_value} <- [...]`: "simple breakdown by #{dimension}". */
const SIMPLE_BREAKDOWNS: [string, keyof Fields, string, string, string, Verdict][] = [
  ['visit:source', 'referrer_source', 'Google', 'Twitter', 'Direct / None', SAME],
  ['visit:referrer', 'referrer', 'example.com', 'google.com', 'Direct / None', SAME],
  ['visit:utm_medium', 'utm_medium', 'Search', 'social', '(not set)', SAME],
  ['visit:utm_source', 'utm_source', 'Google', 'Bing', '(not set)', SAME],
  ['visit:utm_campaign', 'utm_campaign', 'ads', 'profile', '(not set)', SAME],
  ['visit:utm_content', 'utm_content', 'Content1', 'blog2', '(not set)', SAME],
  ['visit:utm_term', 'utm_term', 'Term1', 'favicon', '(not set)', SAME],
  ['visit:os', 'operating_system', 'Mac', 'Windows', '(not set)', SAME],
  ['visit:browser', 'browser', 'Chrome', 'Safari', '(not set)', SAME],
  ['visit:device', 'screen_size', 'Mobile', 'Desktop', '(not set)', SAME],
];

const simpleBreakdown = ([
  dimension,
  column,
  value1,
  value2,
  blank,
  verdict,
]: (typeof SIMPLE_BREAKDOWNS)[number]): PortedCase => ({
  source: src(`simple breakdown by ${dimension}`),
  fixture: {
    events: [
      pv({ [column]: value1, timestamp: '2021-01-01 00:00:00' }),
      pv({ [column]: value1, timestamp: '2021-01-01 00:25:00' }),
      pv({ [column]: value1, timestamp: '2021-01-01 00:55:00' }),
      pv({ [column]: value2, timestamp: '2021-01-01 01:00:00' }),
      pv({ [column]: value2, timestamp: '2021-01-01 01:25:00' }),
      pv({ [column]: '', timestamp: '2021-01-01 00:00:00' }),
    ],
  },
  query: { metrics: ['visitors', 'percentage'], date_range: ['2021-01-01', '2021-01-01'], dimensions: [dimension] },
  expect: ok([row([value1], [3, 50]), row([value2], [2, 33.3]), row([blank], [1, 16.7])]),
  verdict,
});

/** `for {dimension, attr} <- [...]`: "breakdown by #{dimension} when filtered by hostname". */
const hostnameBreakdown = (dimension: string, attr: keyof Fields): PortedCase => ({
  source: src(`breakdown by ${dimension} when filtered by hostname`),
  fixture: {
    events: [
      // the visit starts at two.example.com with the tag "ad"…
      pv({ [attr]: 'ad', user_id: U, hostname: 'two.example.com', timestamp: '2021-01-01 00:00:00' }),
      // …and continues on one.example.com without tags
      pv({ user_id: U, hostname: 'one.example.com', timestamp: '2021-01-01 00:15:00' }),
    ],
  },
  query: {
    metrics: ['visitors'],
    date_range: 'all',
    filters: [['is', 'event:hostname', ['one.example.com']]],
    dimensions: [dimension],
  },
  // nobody landed on one.example.com from the tag
  expect: ok([]),
  verdict: SAME,
});

/** The fixture two scroll_depth tests share (`t0` = 2020-01-01 00:00:00, `t1..t3` a minute apart). */
const scrollPages = (): PlausibleEvent[] => [
  pv({ user_id: 12, pathname: '/blog', timestamp: '2020-01-01 00:00:00' }),
  eng({ user_id: 12, pathname: '/blog', timestamp: '2020-01-01 00:01:00', scroll_depth: 20 }),
  pv({ user_id: 12, pathname: '/another', timestamp: '2020-01-01 00:01:00' }),
  eng({ user_id: 12, pathname: '/another', timestamp: '2020-01-01 00:02:00', scroll_depth: 24 }),
  pv({ user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:00:00' }),
  eng({ user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:01:00', scroll_depth: 17 }),
  pv({ user_id: 34, pathname: '/another', timestamp: '2020-01-01 00:01:00' }),
  eng({ user_id: 34, pathname: '/another', timestamp: '2020-01-01 00:02:00', scroll_depth: 26 }),
  pv({ user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:02:00' }),
  eng({ user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:03:00', scroll_depth: 60 }),
  pv({ user_id: 56, pathname: '/blog', timestamp: '2020-01-01 00:00:00' }),
  eng({ user_id: 56, pathname: '/blog', timestamp: '2020-01-01 00:01:00', scroll_depth: 100 }),
];

/** The goals and events of the "revenue metrics" tests. */
const REVENUE_FIXTURE = {
  goals: [
    { event_name: 'Purchase', currency: 'USD' },
    { event_name: 'Payment', currency: 'USD' },
    { event_name: 'Subscription', currency: 'EUR' },
    { event_name: 'Signup' },
  ],
  events: [
    ev('Purchase', { timestamp: T0, revenue_reporting_amount: '100.3', revenue_reporting_currency: 'USD' }),
    ev('Payment', { timestamp: T0, revenue_reporting_amount: '40.3', revenue_reporting_currency: 'USD' }),
    ev('Payment', { timestamp: T0, revenue_reporting_amount: '60.6', revenue_reporting_currency: 'USD' }),
    ev('Subscription', { timestamp: T0, revenue_reporting_amount: '100', revenue_reporting_currency: 'EUR' }),
    ev('Signup', { timestamp: T0 }),
  ],
};
const usd100_30 = { currency: 'USD', long: '$100.30', short: '$100.3', value: 100.3 };
const eur100 = { currency: 'EUR', long: '€100.00', short: '€100.0', value: 100.0 };
const NO_REVENUE_GOALS = 'Revenue metrics are null as there are no matching revenue goals.';
const MANY_CURRENCIES = 'Revenue metrics are null as there are multiple currencies for the selected event:goals.';

export const QUERY_CASES: PortedCase[] = [
  {
    source: src('aggregates a single metric'),
    fixture: { events: [pv({ user_id: U, timestamp: T0 }), pv({ user_id: U, timestamp: T25 }), pv({ timestamp: T0 })] },
    query: { metrics: ['pageviews'], date_range: 'all' },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
  {
    source: src('aggregate views_per_visit rounds to two decimal places'),
    fixture: {
      events: [
        pv({ user_id: U, timestamp: T0 }),
        pv({ user_id: U, timestamp: T25 }),
        pv({ user_id: 456, timestamp: T0 }),
        pv({ user_id: 456, timestamp: T25 }),
        pv({ timestamp: T0 }),
      ],
    },
    query: { metrics: ['views_per_visit'], date_range: 'all' },
    expect: ok([row([], [1.67])]),
    verdict: SAME,
  },
  {
    source: src('aggregates all metrics in a single query'),
    fixture: { events: [pv({ user_id: U, timestamp: T0 }), pv({ user_id: U, timestamp: T25 }), pv({ timestamp: T0 })] },
    query: {
      date_range: 'all',
      metrics: ['pageviews', 'visits', 'views_per_visit', 'visitors', 'bounce_rate', 'visit_duration'],
    },
    expect: ok([row([], [3, 2, 1.5, 2, 50, 750])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by source'),
    fixture: { events: twoVisits({ referrer_source: 'Google' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:source', ['Google']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src(
      'aggregation with filters › does not count engagement events towards the events metric in a simple aggregate query',
    ),
    fixture: { events: [pv({ user_id: 234, timestamp: T0 }), eng({ user_id: 234, timestamp: '2021-01-01 00:00:01' })] },
    query: { date_range: 'all', metrics: ['events'] },
    expect: ok([row([], [1])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › engagement events do not affect bounce rate and visit duration'),
    fixture: { events: [pv({ user_id: 123, timestamp: T0 }), eng({ user_id: 123, timestamp: '2021-01-01 00:00:03' })] },
    query: { date_range: 'all', metrics: ['bounce_rate', 'visit_duration'] },
    expect: ok([row([], [100, 0])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by channel'),
    fixture: { events: twoVisits({ referrer_source: 'Google' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:channel', ['Organic Search']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by no source/referrer'),
    fixture: {
      events: [
        pv({ user_id: U, timestamp: T0 }),
        pv({ user_id: U, timestamp: T25 }),
        pv({ referrer_source: 'Google', timestamp: T0 }),
      ],
    },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:source', ['Direct / None']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by referrer'),
    fixture: { events: twoVisits({ referrer: 'https://facebook.com' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:referrer', ['https://facebook.com']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: fails('fixture-referrer'),
  },
  {
    source: src('aggregation with filters › contains referrer filter'),
    fixture: {
      events: [pv({ referrer: 'https://a.com' }), pv({ referrer: 'https://a.com' }), pv({ referrer: 'https://ab.com' })],
    },
    query: { date_range: 'all', metrics: ['visitors'], filters: [['contains', 'visit:referrer', ['a.com']]] },
    expect: ok([row([], [2])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by utm_medium'),
    fixture: { events: twoVisits({ utm_medium: 'social' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:utm_medium', ['social']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by utm_medium case insensitively'),
    fixture: {
      events: [
        pv({ utm_medium: 'Social', user_id: U, timestamp: T0 }),
        pv({ utm_medium: 'SOCIAL', user_id: U, timestamp: T25 }),
        pv({ timestamp: T0 }),
      ],
    },
    query: {
      date_range: 'all',
      metrics: FOUR_METRICS,
      filters: [['is', 'visit:utm_medium', ['sociaL'], { case_sensitive: false }]],
    },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by is_not utm_medium case insensitively'),
    fixture: {
      events: [
        pv({ utm_medium: 'Social', user_id: U, timestamp: T0 }),
        pv({ utm_medium: 'SOCIAL', user_id: U, timestamp: T25 }),
        pv({ timestamp: T0 }),
      ],
    },
    query: {
      date_range: 'all',
      metrics: ['pageviews'],
      filters: [['is_not', 'visit:utm_medium', ['sociaL'], { case_sensitive: false }]],
    },
    expect: ok([row([], [1])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by utm_source'),
    fixture: { events: twoVisits({ utm_source: 'Twitter' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:utm_source', ['Twitter']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by utm_campaign'),
    fixture: { events: twoVisits({ utm_campaign: 'profile' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:utm_campaign', ['profile']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by device type'),
    fixture: { events: twoVisits({ screen_size: 'Desktop' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:device', ['Desktop']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by browser'),
    fixture: { events: twoVisits({ browser: 'Chrome' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:browser', ['Chrome']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by browser version'),
    fixture: { events: twoVisits({ browser: 'Chrome', browser_version: '56' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:browser_version', ['56']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by operating system'),
    fixture: { events: twoVisits({ operating_system: 'Mac' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:os', ['Mac']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by operating system version'),
    fixture: { events: twoVisits({ operating_system_version: '10.5' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:os_version', ['10.5']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by country'),
    fixture: { events: twoVisits({ country_code: 'EE' }) },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'visit:country', ['EE']]] },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by page'),
    fixture: {
      events: [
        pv({ user_id: U, timestamp: T0 }),
        pv({ user_id: U, pathname: '/blogpost', timestamp: T25 }),
        pv({ timestamp: T0 }),
        pv({ pathname: '/blogpost', timestamp: T0 }),
      ],
    },
    query: { date_range: 'all', metrics: FOUR_METRICS, filters: [['is', 'event:page', ['/blogpost']]] },
    expect: ok([row([], [2, 2, 100, 750])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can filter by hostname'),
    fixture: {
      events: [
        pv({ hostname: 'one.example.com', timestamp: T0 }),
        pv({ hostname: 'example.com', timestamp: T25 }),
        pv({ timestamp: T0 }),
      ],
    },
    query: {
      date_range: 'all',
      metrics: FOUR_METRICS,
      filters: [['contains', 'event:hostname', ['one.example.com', 'example.com']]],
    },
    expect: ok([row([], [2, 2, 100, 0])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › filtering by event:name'),
    fixture: {
      events: [
        ev('Signup', { timestamp: T0 }),
        ev('Signup', { user_id: U, timestamp: T25 }),
        ev('Signup', { user_id: U, timestamp: T25 }),
        pv({ timestamp: T0 }),
      ],
    },
    query: { date_range: 'all', metrics: ['visitors', 'pageviews'], filters: [['is', 'event:name', ['Signup']]] },
    expect: ok([row([], [2, 0])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › filtering by a custom event goal'),
    fixture: {
      events: [
        ev('Signup', { timestamp: T0 }),
        ev('Signup', { user_id: U, timestamp: T25 }),
        ev('Signup', { user_id: U, timestamp: T25 }),
        ev('NotConfigured', { timestamp: T25 }),
      ],
      goals: [{ event_name: 'Signup' }],
    },
    query: { date_range: 'all', metrics: ['visitors', 'events'], filters: [['is', 'event:goal', ['Signup']]] },
    expect: ok([row([], [2, 3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › filtering by a custom event goal (case insensitive)'),
    fixture: {
      events: [
        ev('Signup', { timestamp: T0 }),
        ev('Signup', { user_id: U, timestamp: T25 }),
        ev('Signup', { user_id: U, timestamp: T25 }),
        ev('NotConfigured', { timestamp: T25 }),
      ],
      goals: [{ event_name: 'Signup' }],
    },
    query: {
      date_range: 'all',
      metrics: ['visitors', 'events'],
      filters: [['is', 'event:goal', ['signup'], { case_sensitive: false }]],
    },
    expect: ok([row([], [2, 3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › filtering by a revenue goal'),
    fixture: {
      events: [
        ev('Purchase', { timestamp: T0 }),
        ev('Purchase', { user_id: U, timestamp: T25 }),
        ev('Purchase', { user_id: U, timestamp: T25 }),
      ],
      goals: [{ event_name: 'Purchase', currency: 'USD' }],
    },
    query: { date_range: 'all', metrics: ['visitors', 'events'], filters: [['is', 'event:goal', ['Purchase']]] },
    expect: ok([row([], [2, 3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › filtering by a simple pageview goal'),
    fixture: {
      events: [
        pv({ pathname: '/register', timestamp: T0 }),
        pv({ pathname: '/register', user_id: U, timestamp: T25 }),
        pv({ pathname: '/register', user_id: U, timestamp: T25 }),
        pv({ pathname: '/', timestamp: T25 }),
      ],
      goals: [{ page_path: '/register' }],
    },
    query: { date_range: 'all', metrics: ['visitors', 'pageviews'], filters: [['is', 'event:goal', ['Visit /register']]] },
    expect: ok([row([], [2, 3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › filtering by a wildcard pageview goal'),
    fixture: {
      events: [
        pv({ pathname: '/blog/post-1' }),
        pv({ pathname: '/blog/post-2', user_id: U }),
        pv({ pathname: '/blog', user_id: U }),
        pv({ pathname: '/' }),
      ],
      goals: [{ page_path: '/blog**' }],
    },
    query: { date_range: 'all', metrics: ['visitors', 'pageviews'], filters: [['is', 'event:goal', ['Visit /blog**']]] },
    expect: ok([row([], [2, 3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › filtering by multiple custom event goals'),
    fixture: {
      events: [ev('Signup'), ev('Purchase', { user_id: U }), ev('Purchase', { user_id: U }), pv()],
      goals: [{ event_name: 'Signup' }, { event_name: 'Purchase' }],
    },
    query: { date_range: 'all', metrics: ['visitors', 'events'], filters: [['is', 'event:goal', ['Signup', 'Purchase']]] },
    expect: ok([row([], [2, 3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › filtering by multiple mixed goals'),
    fixture: {
      events: [
        pv({ pathname: '/account/register' }),
        pv({ pathname: '/register', user_id: U }),
        ev('Signup', { user_id: U }),
        pv(),
      ],
      goals: [{ event_name: 'Signup' }, { page_path: '/**register' }],
    },
    query: {
      date_range: 'all',
      metrics: ['visitors', 'events', 'pageviews'],
      filters: [['is', 'event:goal', ['Signup', 'Visit /**register']]],
    },
    expect: ok([row([], [2, 3, 2])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › combining filters'),
    fixture: {
      events: [
        pv({ pathname: '/blogpost', country_code: 'EE', user_id: U, timestamp: T0 }),
        pv({ user_id: U, timestamp: T25 }),
        pv({ timestamp: T0 }),
        pv({ pathname: '/blogpost', timestamp: T0 }),
      ],
    },
    query: {
      date_range: 'all',
      metrics: FOUR_METRICS,
      filters: [
        ['is', 'event:page', ['/blogpost']],
        ['is', 'visit:country', ['EE']],
      ],
    },
    expect: ok([row([], [1, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › contains page filter'),
    fixture: { events: [pv({ pathname: '/en/page1' }), pv({ pathname: '/en/page2' }), pv({ pathname: '/pl/page1' })] },
    query: { date_range: 'all', metrics: ['visitors'], filters: [['contains', 'event:page', ['/en/']]] },
    expect: ok([row([], [2])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › contains page filter case insensitive'),
    fixture: { events: [pv({ pathname: '/en/page1' }), pv({ pathname: '/EN/page2' }), pv({ pathname: '/pl/page1' })] },
    query: {
      date_range: 'all',
      metrics: ['visitors'],
      filters: [['contains', 'event:page', ['/En/'], { case_sensitive: false }]],
    },
    expect: ok([row([], [2])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › contains_not page filter case insensitive'),
    fixture: { events: [pv({ pathname: '/en/page1' }), pv({ pathname: '/EN/page2' }), pv({ pathname: '/pl/page1' })] },
    query: {
      date_range: 'all',
      metrics: ['visitors'],
      filters: [['contains_not', 'event:page', ['/En/'], { case_sensitive: false }]],
    },
    expect: ok([row([], [1])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › contains_not page filter'),
    fixture: { events: [pv({ pathname: '/en/page1' }), pv({ pathname: '/en/page2' }), pv({ pathname: '/pl/page1' })] },
    query: { date_range: 'all', metrics: ['visitors'], filters: [['contains_not', 'event:page', ['/en/']]] },
    expect: ok([row([], [1])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › contains with and/or/not filters'),
    fixture: {
      events: [
        pv({ pathname: '/en/page1' }),
        pv({ pathname: '/en/page2' }),
        pv({ pathname: '/eng/page1' }),
        pv({ pathname: '/pl/page1' }),
        pv({ pathname: '/gb/page1' }),
      ],
    },
    query: {
      date_range: 'all',
      metrics: ['visitors'],
      filters: [
        [
          'or',
          [
            [
              'and',
              [
                ['contains', 'event:page', ['/en']],
                ['not', ['contains', 'event:page', ['/eng']]],
              ],
            ],
            ['contains', 'event:page', ['/gb']],
          ],
        ],
      ],
    },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › contains and member filter combined'),
    fixture: {
      events: [
        pv({ pathname: '/en/page1' }),
        pv({ pathname: '/en/page2' }),
        pv({ pathname: '/pl/page1' }),
        pv({ pathname: '/ee/page1' }),
      ],
    },
    query: { date_range: 'all', metrics: ['visitors'], filters: [['contains', 'event:page', ['/en/', '/pl/']]] },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › can escape pipe character in member + contains filter'),
    fixture: {
      events: [
        pv({ pathname: '/blog/post|1' }),
        pv({ pathname: '/otherpost|1' }),
        pv({ pathname: '/blog/post|2' }),
        pv({ pathname: '/something-else' }),
      ],
    },
    query: { date_range: 'all', metrics: ['visitors'], filters: [['contains', 'event:page', ['post|1', '/something-else']]] },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › `matches` operator'),
    fixture: {
      events: [
        pv({ pathname: '/user/1234' }),
        pv({ pathname: '/user/789/contributions' }),
        pv({ pathname: '/blog/user/1234' }),
        pv({ pathname: '/user/ef/contributions' }),
        pv({ pathname: '/other/path' }),
      ],
    },
    query: { date_range: 'all', metrics: ['visitors'], filters: [['matches', 'event:page', ['^/user/[0-9]+']]] },
    expect: ok([row([], [2])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › `matches_not` operator'),
    fixture: {
      events: [
        pv({ pathname: '/user/1234' }),
        pv({ pathname: '/user/789/contributions' }),
        pv({ pathname: '/blog/user/1234' }),
        pv({ pathname: '/user/ef/contributions' }),
        pv({ pathname: '/other/path' }),
      ],
    },
    query: { date_range: 'all', metrics: ['visitors'], filters: [['matches_not', 'event:page', ['^/user/[0-9]+']]] },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › `contains` and `contains_not` operator with custom properties'),
    fixture: {
      events: [
        pv({ props: { tier: 'large-1', value: 'ax' } }),
        pv({ props: { tier: 'small-1', value: 'bx' } }),
        pv({ props: { tier: 'small-1', value: 'ax' } }),
        pv({ props: { tier: 'small-2', value: 'bx' } }),
        pv({ props: { tier: 'small-2', value: 'cx' } }),
        pv({ props: { tier: 'small-3' } }),
        pv({ props: { value: 'ax' } }),
        pv(),
      ],
    },
    query: {
      date_range: 'all',
      metrics: ['visitors'],
      filters: [
        ['contains', 'event:props:tier', ['small']],
        ['contains_not', 'event:props:value', ['b', 'c']],
      ],
    },
    expect: ok([row([], [1])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › `contains` operator with custom properties case insensitive'),
    fixture: {
      events: [
        pv({ props: { name: 'large-1' } }),
        pv({ props: { name: 'Small-1' } }),
        pv({ props: { name: 'mall-1' } }),
        pv({ props: { name: 'SMALL-2' } }),
        pv({ props: { name: 'small-2' } }),
        pv(),
      ],
    },
    query: {
      date_range: 'all',
      metrics: ['visitors'],
      filters: [['contains', 'event:props:name', ['maLL'], { case_sensitive: false }]],
    },
    expect: ok([row([], [4])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › `contains_not` operator with custom properties case insensitive'),
    fixture: {
      events: [
        pv({ props: { name: 'large-1' } }),
        pv({ props: { name: 'Small-1' } }),
        pv({ props: { name: 'mall-1' } }),
        pv({ props: { name: 'SMALL-2' } }),
        pv({ props: { name: 'small-2' } }),
        pv(),
      ],
    },
    query: {
      date_range: 'all',
      metrics: ['visitors'],
      filters: [['contains_not', 'event:props:name', ['maLL'], { case_sensitive: false }]],
    },
    expect: ok([row([], [1])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › `matches` and `matches_not` operator with custom properties'),
    fixture: {
      events: [
        pv({ props: { tier: 'large-1', value: 'a' } }),
        pv({ props: { tier: 'small-1', value: 'b' } }),
        pv({ props: { tier: 'small-1', value: 'a' } }),
        pv({ props: { tier: 'small-2', value: 'b' } }),
        pv({ props: { tier: 'small-2', value: 'c' } }),
        pv({ props: { tier: 'small-3' } }),
        pv({ props: { value: 'a' } }),
        pv(),
      ],
    },
    query: {
      date_range: 'all',
      metrics: ['visitors'],
      filters: [
        ['matches', 'event:props:tier', ['small.+']],
        ['matches_not', 'event:props:value', ['b|c']],
      ],
    },
    expect: ok([row([], [1])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › handles filtering by visit:country'),
    fixture: { events: [pv({ country_code: 'EE' }), pv({ country_code: 'EE' }), pv({ country_code: 'EE' })] },
    query: { date_range: 'all', metrics: ['pageviews'], filters: [['is', 'visit:country', ['EE']]] },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › handles filtering by visit:country with contains'),
    fixture: {
      events: [pv({ country_code: 'EE' }), pv({ country_code: 'EE' }), pv({ country_code: 'IT' }), pv({ country_code: 'DE' })],
    },
    query: { date_range: 'all', metrics: ['pageviews'], filters: [['contains', 'visit:country', ['E']]] },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
  {
    source: src('aggregation with filters › handles filtering by visit:city'),
    fixture: {
      events: [
        pv({ city_geoname_id: 588_409 }),
        pv({ city_geoname_id: 689_123 }),
        pv({ city_geoname_id: 0 }),
        pv({ city_geoname_id: 10 }),
      ],
    },
    query: { date_range: 'all', metrics: ['pageviews'], filters: [['is', 'visit:city', [588_409, 689_123]]] },
    expect: ok([row([], [2])]),
    verdict: SAME,
  },
  {
    source: src('timeseries › shows hourly data for a certain date with time_labels'),
    fixture: {
      events: [
        pv({ user_id: U, timestamp: '2021-01-01 00:00:00' }),
        pv({ user_id: U, timestamp: '2021-01-01 00:10:00' }),
        pv({ timestamp: '2021-01-01 23:59:00' }),
      ],
    },
    query: {
      metrics: ['visitors', 'pageviews', 'visits', 'visit_duration', 'bounce_rate'],
      date_range: ['2021-01-01', '2021-01-01'],
      dimensions: ['time:hour'],
      include: { time_labels: true },
    },
    expect: ok([row(['2021-01-01 00:00:00'], [1, 2, 1, 600, 0]), row(['2021-01-01 23:00:00'], [1, 1, 1, 0, 100])], {
      time_labels: Array.from({ length: 24 }, (_, h) => `2021-01-01 ${String(h).padStart(2, '0')}:00:00`),
    }),
    verdict: SAME,
  },
  {
    source: src('timeseries › shows last 7 days of visitors with time labels'),
    fixture: { events: [pv({ timestamp: '2021-01-01 00:00:00' }), pv({ timestamp: '2021-01-07 23:59:00' })] },
    query: {
      metrics: ['visitors'],
      date_range: ['2021-01-01', '2021-01-07'],
      dimensions: ['time'],
      include: { time_labels: true },
    },
    expect: ok([row(['2021-01-01'], [1]), row(['2021-01-07'], [1])], {
      time_labels: ['2021-01-01', '2021-01-02', '2021-01-03', '2021-01-04', '2021-01-05', '2021-01-06', '2021-01-07'],
    }),
    verdict: SAME,
  },
  {
    source: src('timeseries › shows weekly data with time labels'),
    fixture: {
      events: [
        pv({ timestamp: '2021-01-01 00:00:00' }),
        pv({ timestamp: '2021-01-03 23:59:00' }),
        pv({ timestamp: '2021-01-07 23:59:00' }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: ['2020-12-20', '2021-01-07'],
      dimensions: ['time:week'],
      include: { time_labels: true },
    },
    expect: ok([row(['2020-12-28'], [2]), row(['2021-01-04'], [1])], {
      time_labels: ['2020-12-20', '2020-12-21', '2020-12-28', '2021-01-04'],
    }),
    verdict: SAME,
  },
  {
    source: src('timeseries › shows last 6 months of visitors'),
    fixture: {
      events: [
        pv({ timestamp: '2020-08-13 00:00:00' }),
        pv({ timestamp: '2020-12-31 00:00:00' }),
        pv({ timestamp: '2021-01-01 00:00:00' }),
        pv({ timestamp: '2021-01-01 00:00:00' }),
      ],
    },
    query: { metrics: ['visitors'], date_range: ['2020-07-01', '2021-01-31'], dimensions: ['time:month'] },
    expect: ok([row(['2020-08-01'], [1]), row(['2020-12-01'], [1]), row(['2021-01-01'], [2])]),
    verdict: SAME,
  },
  {
    source: src('timeseries › shows last 12 months of visitors'),
    fixture: {
      events: [
        pv({ timestamp: '2020-02-01 00:00:00' }),
        pv({ timestamp: '2020-12-31 00:00:00' }),
        pv({ timestamp: '2021-01-01 00:00:00' }),
        pv({ timestamp: '2021-01-01 00:00:00' }),
      ],
    },
    query: { metrics: ['visitors'], date_range: ['2020-01-01', '2021-01-01'], dimensions: ['time:month'] },
    expect: ok([row(['2020-02-01'], [1]), row(['2020-12-01'], [1]), row(['2021-01-01'], [2])]),
    verdict: SAME,
  },
  {
    // The source also asserts `length(meta.time_labels) == 373`: every day of the range.
    source: src('timeseries › shows last 12 months of visitors with interval daily'),
    fixture: {
      events: [
        pv({ timestamp: '2020-02-01 00:00:00' }),
        pv({ timestamp: '2020-12-31 00:00:00' }),
        pv({ timestamp: '2021-01-01 00:00:00' }),
        pv({ timestamp: '2021-01-01 00:00:00' }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: ['2020-01-01', '2021-01-07'],
      dimensions: ['time:day'],
      include: { time_labels: true },
    },
    expect: ok([row(['2020-02-01'], [1]), row(['2020-12-31'], [1]), row(['2021-01-01'], [2])], {
      time_labels: Array.from({ length: 373 }, (_, d) => new Date(Date.UTC(2020, 0, 1 + d)).toISOString().slice(0, 10)),
    }),
    verdict: SAME,
  },
  {
    source: src('timeseries › shows a custom range with daily interval'),
    fixture: {
      events: [
        pv({ timestamp: '2021-01-01 00:00:00' }),
        pv({ timestamp: '2021-01-01 00:00:00' }),
        pv({ timestamp: '2021-01-02 00:00:00' }),
      ],
    },
    query: { metrics: ['visitors'], date_range: ['2021-01-01', '2021-01-02'], dimensions: ['time:day'] },
    expect: ok([row(['2021-01-01'], [2]), row(['2021-01-02'], [1])]),
    verdict: SAME,
  },
  {
    source: src('timeseries › shows a custom range with monthly interval'),
    fixture: {
      events: [
        pv({ user_id: U, timestamp: '2020-12-01 00:00:00' }),
        pv({ user_id: U, timestamp: '2020-12-01 00:05:00' }),
        pv({ timestamp: '2021-01-01 00:00:00' }),
        pv({ timestamp: '2021-01-02 00:00:00' }),
      ],
    },
    query: { metrics: FOUR_METRICS, date_range: ['2020-12-01', '2021-01-02'], dimensions: ['time:month'] },
    expect: ok([row(['2020-12-01'], [2, 1, 0, 300]), row(['2021-01-01'], [2, 2, 100, 0])]),
    verdict: SAME,
  },
  {
    source: src('timeseries › timeseries with explicit order_by'),
    fixture: {
      events: [
        pv({ timestamp: '2021-01-01 00:00:00' }),
        pv({ timestamp: '2021-01-02 00:00:00' }),
        pv({ timestamp: '2021-01-02 00:00:00' }),
        pv({ timestamp: '2021-01-02 00:00:00' }),
        pv({ timestamp: '2021-01-03 00:00:00' }),
        pv({ timestamp: '2021-01-03 00:00:00' }),
        pv({ timestamp: '2021-01-04 00:00:00' }),
        pv({ timestamp: '2021-01-04 00:00:00' }),
      ],
    },
    query: {
      metrics: ['pageviews'],
      date_range: ['2020-12-01', '2021-01-04'],
      dimensions: ['time'],
      order_by: [
        ['pageviews', 'desc'],
        ['time', 'asc'],
      ],
    },
    expect: ok([row(['2021-01-02'], [3]), row(['2021-01-03'], [2]), row(['2021-01-04'], [2]), row(['2021-01-01'], [1])]),
    verdict: SAME,
  },
  {
    source: src('timeseries › timeseries with quarter-hour timezone'),
    fixture: {
      timezone: 'Asia/Katmandu',
      events: [
        pv({ timestamp: '2021-01-02 05:00:00' }),
        pv({ timestamp: '2021-01-02 05:15:00' }),
        pv({ timestamp: '2021-01-02 05:30:00' }),
        pv({ timestamp: '2021-01-02 05:45:00' }),
        pv({ timestamp: '2021-01-02 06:00:00' }),
        pv({ timestamp: '2021-01-02 06:15:00' }),
        pv({ timestamp: '2021-01-02 06:30:00' }),
      ],
    },
    query: { metrics: ['visits'], date_range: ['2021-01-02', '2021-01-02'], dimensions: ['time:hour'] },
    expect: ok([row(['2021-01-02 10:00:00'], [1]), row(['2021-01-02 11:00:00'], [4]), row(['2021-01-02 12:00:00'], [2])]),
    verdict: SAME,
  },
  {
    source: src('breakdown by visit:source'),
    fixture: {
      events: [
        pv({ referrer_source: 'Google', timestamp: T0 }),
        pv({ referrer_source: 'Google', timestamp: T25 }),
        pv({ referrer_source: '', timestamp: T0 }),
      ],
    },
    query: { metrics: ['visitors'], date_range: 'all', dimensions: ['visit:source'] },
    expect: ok([row(['Google'], [2]), row(['Direct / None'], [1])]),
    verdict: SAME,
  },
  {
    source: src('breakdown by visit:channel'),
    fixture: {
      events: [
        pv({ referrer_source: 'Google', timestamp: T0 }),
        pv({ referrer_source: 'Google', timestamp: T25 }),
        pv({ timestamp: T0 }),
      ],
    },
    query: { metrics: ['visitors'], date_range: 'all', dimensions: ['visit:channel'] },
    expect: ok([row(['Organic Search'], [2]), row(['Direct'], [1])]),
    verdict: SAME,
  },
  {
    source: src('breakdown by visit:country'),
    fixture: {
      events: [
        pv({ country_code: 'EE', timestamp: T0 }),
        pv({ country_code: 'EE', timestamp: T25 }),
        pv({ country_code: 'US', timestamp: T0 }),
      ],
    },
    query: { metrics: ['visitors'], date_range: 'all', dimensions: ['visit:country'] },
    expect: ok([row(['EE'], [2]), row(['US'], [1])]),
    verdict: SAME,
  },
  hostnameBreakdown('visit:utm_campaign', 'utm_campaign'),
  hostnameBreakdown('visit:utm_source', 'utm_source'),
  hostnameBreakdown('visit:utm_term', 'utm_term'),
  hostnameBreakdown('visit:utm_content', 'utm_content'),
  ...SIMPLE_BREAKDOWNS.map(simpleBreakdown),
  {
    source: src('breakdown by visit:os and visit:os_version'),
    fixture: {
      events: [
        pv({ operating_system: 'Mac', operating_system_version: '14' }),
        pv({ operating_system: 'Mac', operating_system_version: '14' }),
        pv({ operating_system: 'Mac', operating_system_version: '14' }),
        pv({ operating_system_version: '14' }),
        pv({ operating_system: 'Windows', operating_system_version: '11' }),
        pv({ operating_system: 'Windows', operating_system_version: '11' }),
      ],
    },
    query: { metrics: ['visitors'], date_range: 'all', dimensions: ['visit:os', 'visit:os_version'] },
    expect: ok([row(['Mac', '14'], [3]), row(['Windows', '11'], [2]), row(['(not set)', '14'], [1])]),
    verdict: fails('ua-unproducible'),
  },
  {
    source: src('breakdown by visit:browser and visit:browser_version'),
    fixture: {
      events: [
        pv({ browser: 'Chrome', browser_version: '14' }),
        pv({ browser: 'Chrome', browser_version: '14' }),
        pv({ browser: 'Chrome', browser_version: '14' }),
        pv({ browser_version: '14' }),
        pv({ browser: 'Firefox', browser_version: '11' }),
        pv({ browser: 'Firefox', browser_version: '11' }),
      ],
    },
    query: { metrics: ['visitors'], date_range: 'all', dimensions: ['visit:browser', 'visit:browser_version'] },
    expect: ok([row(['Chrome', '14'], [3]), row(['Firefox', '11'], [2]), row(['(not set)', '14'], [1])]),
    verdict: fails('ua-unproducible'),
  },
  {
    source: src('explicit order_by'),
    fixture: {
      events: [
        pv({ operating_system: 'Windows', browser: 'Chrome' }),
        pv({ operating_system: 'Windows', browser: 'Firefox' }),
        pv({ operating_system: 'Linux', browser: 'Firefox' }),
        pv({ operating_system: 'Linux', browser: 'Firefox' }),
        pv({ operating_system: 'Mac', browser: 'Chrome' }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:os', 'visit:browser'],
      order_by: [
        ['visitors', 'asc'],
        ['visit:browser', 'desc'],
        ['visit:os', 'asc'],
      ],
    },
    expect: ok([
      row(['Windows', 'Firefox'], [1]),
      row(['Mac', 'Chrome'], [1]),
      row(['Windows', 'Chrome'], [1]),
      row(['Linux', 'Firefox'], [2]),
    ]),
    verdict: fails('fixture-names'),
  },
  {
    source: src('breakdown by event:page'),
    fixture: {
      events: [
        pv({ pathname: '/', timestamp: T0 }),
        pv({ pathname: '/', timestamp: T25 }),
        pv({ pathname: '/plausible.io', timestamp: T0 }),
      ],
    },
    query: { metrics: ['visitors'], date_range: 'all', dimensions: ['event:page'] },
    expect: ok([row(['/'], [2]), row(['/plausible.io'], [1])]),
    verdict: SAME,
  },
  {
    source: src('attempting to breakdown by event:hostname returns an error'),
    fixture: {
      events: [
        pv({ hostname: 'a.example.com' }),
        pv({ hostname: 'a.example.com' }),
        pv({ hostname: 'a.example.com' }),
        pv({ hostname: 'b.example.com' }),
      ],
    },
    query: { date_range: 'all', metrics: ['pageviews'], dimensions: ['event:hostname'] },
    expect: ok([row(['a.example.com'], [3]), row(['b.example.com'], [1])]),
    verdict: SAME,
  },
  {
    source: src('custom events › can breakdown by event:name'),
    fixture: { events: [ev('Signup', { timestamp: T0 }), ev('Signup', { timestamp: T0 }), pv({ timestamp: T25 })] },
    query: { metrics: ['visitors'], date_range: 'all', dimensions: ['event:name'] },
    expect: ok([row(['Signup'], [2]), row(['pageview'], [1])]),
    verdict: SAME,
  },
  {
    source: src('custom events › can breakdown by event:name with visitors and events metrics'),
    fixture: {
      events: [
        pv({ pathname: '/non-existing', user_id: U, timestamp: '2021-01-01 00:00:00' }),
        ev('404', { pathname: '/non-existing', user_id: U, timestamp: '2021-01-01 00:00:00' }),
        pv({ pathname: '/non-existing', timestamp: '2021-01-01 00:00:01' }),
        pv({ pathname: '/non-existing', user_id: U, timestamp: '2021-01-01 00:00:02' }),
        ev('404', { pathname: '/non-existing', user_id: U, timestamp: '2021-01-01 00:00:02' }),
        pv({ pathname: '/non-existing', user_id: U, timestamp: '2021-01-01 00:00:03' }),
      ],
    },
    query: { metrics: ['visitors', 'events'], date_range: 'all', dimensions: ['event:name'] },
    expect: ok([row(['pageview'], [2, 4]), row(['404'], [1, 2])]),
    verdict: SAME,
  },
  {
    source: src('custom events › can breakdown by event:name while filtering for something'),
    fixture: {
      events: [
        ev('Signup', { pathname: '/pageA', browser: 'Chrome', timestamp: T0 }),
        ev('Signup', { pathname: '/pageA', browser: 'Chrome', timestamp: T0 }),
        ev('Signup', { pathname: '/pageA', browser: 'Safari', timestamp: T0 }),
        ev('Signup', { pathname: '/pageB', browser: 'Chrome', timestamp: T0 }),
        pv({ pathname: '/pageA', browser: 'Chrome', timestamp: T25 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:name'],
      filters: [
        ['is', 'event:page', ['/pageA']],
        ['is', 'visit:browser', ['Chrome']],
      ],
    },
    expect: ok([row(['Signup'], [2]), row(['pageview'], [1])]),
    verdict: SAME,
  },
  {
    source: src('custom events › can breakdown by a visit:property when filtering by event:name'),
    fixture: {
      events: [
        pv({ referrer_source: 'Google', user_id: U, timestamp: T0 }),
        ev('Signup', { user_id: U, timestamp: T0 }),
        pv({ referrer_source: 'Twitter', timestamp: T25 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:source'],
      filters: [['is', 'event:name', ['Signup']]],
    },
    expect: ok([row(['Google'], [1])]),
    verdict: SAME,
  },
  {
    source: src('custom events › can breakdown by event:name when filtering by event:page'),
    fixture: {
      events: [
        pv({ pathname: '/pageA', timestamp: T0 }),
        pv({ pathname: '/pageA', timestamp: T0 }),
        ev('Signup', { pathname: '/pageA', timestamp: T0 }),
        pv({ pathname: '/pageB', referrer_source: 'Twitter', timestamp: T25 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:name'],
      filters: [['contains', 'event:page', ['/pageA']]],
    },
    expect: ok([row(['pageview'], [2]), row(['Signup'], [1])]),
    verdict: SAME,
  },
  {
    source: src('custom events › can breakdown by event:page when filtering by event:name'),
    fixture: {
      events: [
        ev('Signup', { pathname: '/pageA', timestamp: T0 }),
        ev('Signup', { pathname: '/pageA', timestamp: T0 }),
        ev('Signup', { pathname: '/pageB', timestamp: T0 }),
        pv({ pathname: '/pageB', referrer_source: 'Twitter', timestamp: T25 }),
      ],
    },
    query: { metrics: ['visitors'], date_range: 'all', dimensions: ['event:page'], filters: [['is', 'event:name', ['Signup']]] },
    expect: ok([row(['/pageA'], [2]), row(['/pageB'], [1])]),
    verdict: SAME,
  },
  {
    source: src('custom events › can filter event:page with a wildcard'),
    fixture: {
      events: [
        pv({ pathname: '/en/page1' }),
        pv({ pathname: '/en/page2' }),
        pv({ pathname: '/en/page2' }),
        pv({ pathname: '/pl/page1' }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:page'],
      filters: [['contains', 'event:page', ['/en/']]],
    },
    expect: ok([row(['/en/page2'], [2]), row(['/en/page1'], [1])]),
    verdict: SAME,
  },
  {
    source: src('custom events › can filter event:hostname with a contains'),
    fixture: {
      events: [
        pv({ hostname: 'alice-m.example.com', pathname: '/a' }),
        pv({ hostname: 'anna-m.example.com', pathname: '/a' }),
        pv({ hostname: 'adam-m.example.com', pathname: '/a' }),
        pv({ hostname: 'bob.example.com', pathname: '/b' }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:page'],
      filters: [['contains', 'event:hostname', ['-m.example.com']]],
    },
    expect: ok([row(['/a'], [3])]),
    verdict: SAME,
  },
  {
    source: src('custom events › breakdown by custom event property'),
    fixture: {
      events: [
        ev('Purchase', { props: { package: 'business' }, timestamp: T0 }),
        ev('Purchase', { props: { package: 'personal' }, timestamp: T0 }),
        ev('Purchase', { props: { package: 'business' }, timestamp: T25 }),
        ev('Some other event', { props: { package: 'business' }, timestamp: T25 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:props:package'],
      filters: [['is', 'event:name', ['Purchase']]],
    },
    expect: ok([row(['business'], [2]), row(['personal'], [1])]),
    verdict: SAME,
  },
  {
    source: src('custom events › breakdown by custom event property, with pageviews metric'),
    fixture: {
      events: [
        pv({ props: { package: 'business' }, timestamp: T0 }),
        pv({ props: { package: 'personal' }, timestamp: T0 }),
        pv({ props: { package: 'business' }, timestamp: T25 }),
      ],
    },
    query: { metrics: ['pageviews'], date_range: 'all', dimensions: ['event:props:package'] },
    expect: ok([row(['business'], [2]), row(['personal'], [1])]),
    verdict: SAME,
  },
  {
    source: src('custom events › breakdown by custom event property, with (none)'),
    fixture: {
      events: [
        ev('Purchase', { props: { cost: '16' }, timestamp: T0 }),
        ev('Purchase', { props: { cost: '16' }, timestamp: T0 }),
        ev('Purchase', { props: { cost: '16' }, timestamp: T0 }),
        ev('Purchase', { timestamp: T25 }),
        ev('Purchase', { props: { cost: '14' }, timestamp: T25 }),
        ev('Purchase', { props: { cost: '14' }, timestamp: '2021-01-01 00:26:00' }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:props:cost'],
      filters: [['is', 'event:name', ['Purchase']]],
    },
    expect: ok([row(['16'], [3]), row(['14'], [2]), row(['(none)'], [1])]),
    verdict: SAME,
  },
  {
    source: src('event:goal filter returns 400 when goal not configured'),
    fixture: { events: [] },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:browser'],
      filters: [['is', 'event:goal', ['Register']]],
    },
    expect: bad('The goal `Register` is not configured for this site. Find out how'),
    // A site without configured goals counts every custom event name as a goal (docs/METRICS.md).
    verdict: { kind: 'differs', why: 'implicit-goals', ours: ok([]) },
  },
  {
    source: src('validates that filters are valid'),
    fixture: { events: [] },
    query: { metrics: ['visitors'], date_range: 'all', dimensions: ['visit:browser'], filters: [['is', 'badproperty', ['bar']]] },
    expect: bad('Invalid filter'),
    verdict: SAME,
  },
  {
    source: src('event:page filter for breakdown by session props'),
    fixture: {
      events: [
        pv({ pathname: '/ignore', browser: 'Chrome', timestamp: T0 }),
        pv({ pathname: '/plausible.io', browser: 'Chrome', timestamp: T0 }),
        pv({ pathname: '/plausible.io', browser: 'Chrome', timestamp: T25 }),
        pv({ browser: 'Safari', pathname: '/plausible.io', timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:browser'],
      filters: [['is', 'event:page', ['/plausible.io']]],
    },
    expect: ok([row(['Chrome'], [2]), row(['Safari'], [1])]),
    verdict: SAME,
  },
  ...['visit:source', 'visit:utm_medium', 'visit:utm_source', 'visit:utm_campaign'].map(
    (dimension): PortedCase => ({
      source: src(`event:page filter shows sources of sessions that have visited that page [${dimension}]`),
      fixture: {
        events: [
          pv({
            pathname: '/',
            referrer_source: 'Twitter',
            utm_medium: 'Twitter',
            utm_source: 'Twitter',
            utm_campaign: 'Twitter',
            user_id: U,
          }),
          pv({ pathname: '/plausible.io', user_id: U }),
          pv({
            pathname: '/plausible.io',
            referrer_source: 'Google',
            utm_medium: 'Google',
            utm_source: 'Google',
            utm_campaign: 'Google',
          }),
          pv({
            pathname: '/plausible.io',
            referrer_source: 'Google',
            utm_medium: 'Google',
            utm_source: 'Google',
            utm_campaign: 'Google',
          }),
        ],
      },
      query: {
        metrics: ['visitors'],
        date_range: 'all',
        dimensions: [dimension],
        filters: [['is', 'event:page', ['/plausible.io']]],
      },
      expect: ok([row(['Google'], [2]), row(['Twitter'], [1])]),
      verdict: SAME,
    }),
  ),
  {
    source: src('top sources for a custom goal and filtered by hostname'),
    fixture: {
      events: [
        pv({ hostname: 'blog.example.com', referrer_source: 'Facebook', user_id: U }),
        pv({ hostname: 'app.example.com', pathname: '/register', user_id: U }),
        ev('Signup', { hostname: 'app.example.com', pathname: '/register', user_id: U }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:source'],
      filters: [['is', 'event:hostname', ['app.example.com']]],
    },
    expect: ok([]),
    verdict: SAME,
  },
  {
    source: src('top sources for a custom goal and filtered by hostname (2)'),
    fixture: {
      events: [
        pv({ hostname: 'app.example.com', referrer_source: 'Facebook', pathname: '/register', user_id: U }),
        ev('Signup', { hostname: 'app.example.com', pathname: '/register', user_id: U }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:source'],
      filters: [['is', 'event:hostname', ['app.example.com']]],
    },
    expect: ok([row(['Facebook'], [1])]),
    verdict: SAME,
  },
  {
    source: src('event:page filter is interpreted as entry_page filter only for bounce_rate'),
    fixture: {
      events: [
        pv({ browser: 'Chrome', user_id: U, pathname: '/ignore', timestamp: '2021-01-01 00:00:00' }),
        pv({ browser: 'Chrome', user_id: U, pathname: '/plausible.io', timestamp: '2021-01-01 00:01:00' }),
        pv({ browser: 'Chrome', user_id: 456, pathname: '/important-page', timestamp: '2021-01-01 00:00:00' }),
        pv({ browser: 'Chrome', user_id: 456, pathname: '/', timestamp: '2021-01-01 00:01:00' }),
        pv({ browser: 'Chrome', pathname: '/plausible.io', timestamp: '2021-01-01 00:01:00' }),
      ],
    },
    query: {
      date_range: 'all',
      metrics: ['visitors', 'bounce_rate'],
      filters: [['is', 'event:page', ['/plausible.io', '/important-page']]],
      dimensions: ['visit:browser'],
    },
    expect: ok([row(['Chrome'], [3, 50])]),
    verdict: SAME,
  },
  {
    source: src('event:goal pageview filter for breakdown by visit source'),
    fixture: {
      events: [
        pv({ referrer_source: 'Bing', timestamp: T0 }),
        pv({ referrer_source: 'Google', user_id: U, timestamp: T0 }),
        pv({ pathname: '/plausible.io', user_id: U, timestamp: T0 }),
      ],
      goals: [{ page_path: '/plausible.io' }],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:source'],
      filters: [['is', 'event:goal', ['Visit /plausible.io']]],
    },
    expect: ok([row(['Google'], [1])]),
    verdict: SAME,
  },
  {
    source: src('event:goal custom event filter for breakdown by visit source'),
    fixture: {
      events: [
        pv({ referrer_source: 'Bing', timestamp: T0 }),
        pv({ referrer_source: 'Google', user_id: U, timestamp: T0 }),
        ev('Register', { user_id: U, timestamp: T0 }),
      ],
      goals: [{ event_name: 'Register' }],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:source'],
      filters: [['is', 'event:goal', ['Register']]],
    },
    expect: ok([row(['Google'], [1])]),
    verdict: SAME,
  },
  {
    source: src('wildcard pageview goal filter for breakdown by event:page'),
    fixture: {
      events: [
        pv({ pathname: '/en/register' }),
        pv({ pathname: '/en/register', user_id: U }),
        pv({ pathname: '/en/register', user_id: U }),
        pv({ pathname: '/123/it/register' }),
        pv({ pathname: '/should-not-appear' }),
      ],
      goals: [{ page_path: '/**register' }],
    },
    query: {
      metrics: ['visitors', 'pageviews'],
      date_range: 'all',
      dimensions: ['event:page'],
      filters: [['is', 'event:goal', ['Visit /**register']]],
    },
    expect: ok([row(['/en/register'], [2, 3]), row(['/123/it/register'], [1, 1])]),
    verdict: SAME,
  },
  {
    source: src('goal contains filter for goal breakdown'),
    fixture: {
      events: [
        ev('Onboarding conversion: Step 1'),
        ev('Onboarding conversion: Step 1'),
        ev('Onboarding conversion: Step 2'),
        ev('Unrelated'),
        pv({ pathname: '/conversion' }),
      ],
      goals: [
        { event_name: 'Onboarding conversion: Step 1' },
        { event_name: 'Onboarding conversion: Step 2' },
        { event_name: 'Unrelated' },
        { page_path: '/conversion' },
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:goal'],
      filters: [['contains', 'event:goal', ['conversion']]],
    },
    expect: ok([
      row(['Onboarding conversion: Step 1'], [2]),
      row(['Onboarding conversion: Step 2'], [1]),
      row(['Visit /conversion'], [1]),
    ]),
    verdict: SAME,
  },
  {
    source: src('goal contains filter for goal breakdown (case insensitive)'),
    fixture: {
      events: [
        ev('Onboarding conversion: Step 1'),
        ev('Onboarding conversion: Step 1'),
        ev('Onboarding conversion: Step 2'),
        ev('Unrelated'),
        pv({ pathname: '/conversion' }),
      ],
      goals: [
        { event_name: 'Onboarding conversion: Step 1' },
        { event_name: 'Onboarding conversion: Step 2' },
        { event_name: 'Unrelated' },
        { page_path: '/conversion' },
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:goal'],
      filters: [['contains', 'event:goal', ['step'], { case_sensitive: false }]],
    },
    expect: ok([row(['Onboarding conversion: Step 1'], [2]), row(['Onboarding conversion: Step 2'], [1])]),
    verdict: SAME,
  },
  {
    source: src('mixed multi-goal filter for breakdown by visit:country'),
    fixture: {
      events: [
        pv({ country_code: 'EE', pathname: '/en/register' }),
        ev('Signup', { country_code: 'EE', pathname: '/en/register' }),
        pv({ country_code: 'US', pathname: '/123/it/register' }),
        pv({ country_code: 'US', pathname: '/different' }),
      ],
      goals: [{ page_path: '/**register' }, { event_name: 'Signup' }],
    },
    query: {
      metrics: ['visitors', 'pageviews', 'events'],
      date_range: 'all',
      dimensions: ['visit:country'],
      filters: [['is', 'event:goal', ['Signup', 'Visit /**register']]],
    },
    expect: ok([row(['EE'], [2, 1, 2]), row(['US'], [1, 1, 1])]),
    verdict: SAME,
  },
  {
    source: src('event:goal custom event filter for breakdown by event page'),
    fixture: {
      events: [
        ev('Register', { pathname: '/en/register' }),
        ev('Register', { pathname: '/en/register' }),
        ev('Register', { pathname: '/it/register' }),
      ],
      goals: [{ event_name: 'Register' }],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:page'],
      filters: [['is', 'event:goal', ['Register']]],
    },
    expect: ok([row(['/en/register'], [2]), row(['/it/register'], [1])]),
    verdict: SAME,
  },
  {
    source: src('IN filter for event:page'),
    fixture: {
      events: [
        pv({ pathname: '/ignore', timestamp: T0 }),
        pv({ pathname: '/plausible.io', timestamp: T0 }),
        pv({ pathname: '/plausible.io', timestamp: T0 }),
        pv({ pathname: '/important-page', timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:page'],
      filters: [['is', 'event:page', ['/plausible.io', '/important-page']]],
    },
    expect: ok([row(['/plausible.io'], [2]), row(['/important-page'], [1])]),
    verdict: SAME,
  },
  {
    source: src('IN filter for visit:browser'),
    fixture: {
      events: [
        pv({ pathname: '/ignore', browser: 'Firefox', timestamp: T0 }),
        pv({ pathname: '/plausible.io', browser: 'Chrome', timestamp: T0 }),
        pv({ pathname: '/plausible.io', browser: 'Safari', timestamp: T0 }),
        pv({ pathname: '/important-page', browser: 'Safari', timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:page'],
      filters: [['is', 'visit:browser', ['Chrome', 'Safari']]],
    },
    expect: ok([row(['/plausible.io'], [2]), row(['/important-page'], [1])]),
    verdict: SAME,
  },
  {
    // The source asserts the two rows in any order (both 100: a tie); here they are in the order we answer.
    source: src('IN filter for visit:entry_page'),
    fixture: {
      events: [
        pv({ pathname: '/ignore', timestamp: T0 }),
        pv({ pathname: '/plausible.io', timestamp: T0 }),
        pv({ pathname: '/plausible.io', timestamp: T0 }),
        pv({ pathname: '/important-page', timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['bounce_rate'],
      date_range: 'all',
      dimensions: ['event:page'],
      filters: [['is', 'event:page', ['/plausible.io', '/important-page']]],
    },
    expect: ok([row(['/important-page'], [100]), row(['/plausible.io'], [100])]),
    verdict: SAME,
  },
  {
    source: src('IN filter for event:name'),
    fixture: {
      events: [
        ev('Signup', { timestamp: T0 }),
        ev('Signup', { timestamp: T0 }),
        ev('Login', { timestamp: T0 }),
        ev('Irrelevant', { timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['event:name'],
      filters: [['is', 'event:name', ['Signup', 'Login']]],
    },
    expect: ok([row(['Signup'], [2]), row(['Login'], [1])]),
    verdict: SAME,
  },
  {
    source: src('IN filter for event:name case insensitive'),
    fixture: {
      events: [
        ev('Signup', { timestamp: T0 }),
        ev('Signup', { timestamp: T0 }),
        ev('Login', { timestamp: T0 }),
        ev('Irrelevant', { timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      filters: [['is', 'event:name', ['signup', 'LOGIN'], { case_sensitive: false }]],
    },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
  {
    source: src('IN filter for event:props:*'),
    fixture: {
      events: [
        pv({ browser: 'Chrome', props: { browser: 'Chrome' }, timestamp: T0 }),
        pv({ browser: 'Chrome', props: { browser: 'Chrome' }, timestamp: T0 }),
        pv({ browser: 'Safari', props: { browser: 'Safari' }, timestamp: T0 }),
        pv({ browser: 'Firefox', props: { browser: 'Firefox' }, timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:browser'],
      filters: [['is', 'event:props:browser', ['Chrome', 'Safari']]],
    },
    expect: ok([row(['Chrome'], [2]), row(['Safari'], [1])]),
    verdict: SAME,
  },
  {
    source: src('Multiple event:props:* filters'),
    fixture: {
      events: [
        pv({ browser: 'Chrome', props: { browser: 'Chrome' }, timestamp: T0 }),
        pv({ browser: 'Chrome', props: { browser: 'Chrome', prop: 'xyz' }, timestamp: T0 }),
        pv({ browser: 'Safari', props: { browser: 'Safari', prop: 'target_value' }, timestamp: T0 }),
        pv({ browser: 'Chrome', props: { browser: 'Chrome', prop: 'target_value' }, timestamp: T0 }),
        pv({ browser: 'Firefox', props: { browser: 'Firefox', prop: 'target_value' }, timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:browser'],
      filters: [
        ['is', 'event:props:browser', ['CHROME', 'sAFari'], { case_sensitive: false }],
        // Negate a previously set filter
        ['is_not', 'event:props:browser', ['Chrome'], { case_sensitive: false }],
        ['is', 'event:props:prop', ['target_value']],
      ],
    },
    expect: ok([row(['Safari'], [1])]),
    verdict: SAME,
  },
  {
    source: src('IN filter for event:props:* including (none) value'),
    fixture: {
      events: [
        pv({ browser: 'Chrome', props: { browser: 'Chrome' }, timestamp: T0 }),
        pv({ browser: 'Chrome', props: { browser: 'Chrome' }, timestamp: T0 }),
        pv({ browser: 'Safari', timestamp: T0 }),
        pv({ browser: 'Firefox', props: { browser: 'Firefox' }, timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:browser'],
      filters: [['is', 'event:props:browser', ['Chrome', '(none)']]],
    },
    expect: ok([row(['Chrome'], [2]), row(['Safari'], [1])]),
    verdict: SAME,
  },
  {
    source: src('can use a is_not filter'),
    fixture: {
      events: [pv({ browser: 'Chrome' }), pv({ browser: 'Safari' }), pv({ browser: 'Safari' }), pv({ browser: 'Edge' })],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:browser'],
      filters: [['is_not', 'visit:browser', ['Chrome']]],
    },
    expect: ok([row(['Safari'], [2]), row(['Edge'], [1])]),
    verdict: fails('fixture-names'),
  },
  {
    source: src('metrics › all metrics for breakdown by visit prop'),
    fixture: {
      events: [
        pv({ user_id: 1, referrer_source: 'Google', timestamp: '2021-01-01 00:00:00' }),
        ev('signup', { user_id: 1, referrer_source: 'Google', timestamp: '2021-01-01 00:05:00' }),
        pv({ user_id: 1, referrer_source: 'Google', timestamp: '2021-01-01 00:10:00' }),
        pv({ referrer_source: 'Google', timestamp: '2021-01-01 00:25:00' }),
        pv({ referrer_source: 'Twitter', timestamp: '2021-01-01 00:00:00' }),
      ],
    },
    query: {
      metrics: ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration'],
      date_range: 'all',
      dimensions: ['visit:source'],
    },
    expect: ok([row(['Google'], [2, 2, 3, 4, 50, 300]), row(['Twitter'], [1, 1, 1, 1, 100, 0])]),
    verdict: SAME,
  },
  {
    source: src('metrics › metrics=bounce_rate does not add visits to the response'),
    fixture: {
      events: [
        pv({ user_id: 1, pathname: '/entry-page-1', timestamp: '2021-01-01 00:00:00' }),
        pv({ user_id: 1, pathname: '/some-page', timestamp: '2021-01-01 00:10:00' }),
        pv({ user_id: 2, pathname: '/entry-page-2', referrer_source: 'Google', timestamp: '2021-01-01 00:05:00' }),
      ],
    },
    query: {
      metrics: ['bounce_rate'],
      date_range: 'all',
      dimensions: ['visit:entry_page'],
      order_by: [['visit:entry_page', 'asc']],
    },
    expect: ok([row(['/entry-page-1'], [0]), row(['/entry-page-2'], [100])]),
    verdict: SAME,
  },
  {
    source: src('metrics › all metrics for breakdown by event prop'),
    fixture: {
      events: [
        pv({ user_id: 1, pathname: '/', timestamp: '2021-01-01 00:00:00' }),
        pv({ user_id: 1, pathname: '/plausible.io', timestamp: '2021-01-01 00:10:00' }),
        pv({ pathname: '/', timestamp: '2021-01-01 00:25:00' }),
        pv({ pathname: '/plausible.io', timestamp: '2021-01-01 00:00:00' }),
      ],
    },
    query: {
      metrics: ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration'],
      date_range: 'all',
      dimensions: ['event:page'],
      order_by: [['event:page', 'desc']],
    },
    expect: ok([row(['/plausible.io'], [2, 2, 2, 2, 100, 0]), row(['/'], [2, 2, 2, 2, 50, 300])]),
    verdict: SAME,
  },
  {
    source: src('filtering by custom event property'),
    fixture: {
      events: [
        ev('Purchase', { props: { package: 'business' }, browser: 'Chrome', timestamp: T0 }),
        ev('Purchase', { props: { package: 'business' }, browser: 'Safari', timestamp: T0 }),
        ev('Purchase', { props: { package: 'business' }, browser: 'Safari', timestamp: T25 }),
        ev('Purchase', { props: { package: 'personal' }, browser: 'IE', timestamp: T25 }),
      ],
    },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:browser'],
      filters: [
        ['is', 'event:name', ['Purchase']],
        ['is', 'event:props:package', ['business']],
      ],
    },
    expect: ok([row(['Safari'], [2]), row(['Chrome'], [1])]),
    verdict: SAME,
  },
  {
    source: src('multiple breakdown timeseries with sources'),
    fixture: {
      events: [
        pv({ referrer_source: 'Google', timestamp: '2021-01-01 00:00:00' }),
        pv({ timestamp: '2021-01-02 00:00:00' }),
        pv({ referrer_source: 'Google', timestamp: '2021-01-02 00:00:00' }),
        pv({ referrer_source: 'Google', timestamp: '2021-01-02 00:00:00' }),
        pv({ timestamp: '2021-01-03 00:00:00' }),
        pv({ timestamp: '2021-01-03 00:00:00' }),
        pv({ referrer_source: 'Twitter', timestamp: '2021-01-03 00:00:00' }),
      ],
    },
    query: { metrics: ['visitors'], date_range: ['2021-01-01', '2021-01-03'], dimensions: ['time', 'visit:source'] },
    expect: ok([
      row(['2021-01-01', 'Google'], [1]),
      row(['2021-01-02', 'Google'], [2]),
      row(['2021-01-02', 'Direct / None'], [1]),
      row(['2021-01-03', 'Direct / None'], [2]),
      row(['2021-01-03', 'Twitter'], [1]),
    ]),
    verdict: SAME,
  },
  {
    source: src('filtering by visit:country_name, visit:region_name, visit:city_name'),
    fixture: {
      events: [
        // GB, London
        pv({ country_code: 'GB', subdivision1_code: 'GB-LND', city_geoname_id: 2_643_743 }),
        // CA, London
        pv({ country_code: 'CA', subdivision1_code: 'CA-ON', city_geoname_id: 6_058_560 }),
        // EE, Tallinn
        pv({ country_code: 'EE', subdivision1_code: 'EE-37', city_geoname_id: 588_409 }),
        // EE, Tartu
        pv({ country_code: 'EE', subdivision1_code: 'EE-79', city_geoname_id: 588_335 }),
        // EE, Jõgeva
        pv({ country_code: 'EE', subdivision1_code: 'EE-50', city_geoname_id: 591_902 }),
      ],
    },
    query: {
      date_range: 'all',
      metrics: ['pageviews'],
      filters: [
        ['is', 'visit:country_name', ['Estonia', 'United Kingdom']],
        ['is_not', 'visit:region_name', ['Tartumaa']],
        ['contains', 'visit:city_name', ['n']],
      ],
      dimensions: ['visit:country_name', 'visit:region_name', 'visit:city_name'],
    },
    expect: ok([row(['Estonia', 'Harjumaa', 'Tallinn'], [1]), row(['United Kingdom', 'London', 'London'], [1])]),
    verdict: SAME,
  },
  {
    // The source replays a stale session cache between the second and third page view.
    source: src('bounce rate calculation handles invalid session data gracefully'),
    fixture: {
      events: [
        pv({ user_id: 5, pathname: '/', timestamp: '2021-01-01 00:00:00' }),
        pv({ user_id: 5, pathname: '/', timestamp: '2021-01-01 00:01:00' }),
        pv({ user_id: 5, pathname: '/', timestamp: '2021-01-01 00:01:00' }),
      ],
    },
    query: { date_range: 'all', metrics: ['bounce_rate'], dimensions: ['event:page'] },
    expect: ok([row(['/'], [0])]),
    verdict: SAME,
  },
  {
    // The source then posts the answer's `query` again and expects the same results.
    source: src('using the returned query object in a new POST request › yields the same results for a simple aggregate query'),
    fixture: {
      timezone: 'Europe/Tallinn',
      events: [pv({ user_id: U, timestamp: T0 }), pv({ user_id: U, timestamp: T25 }), pv({ timestamp: T0 })],
    },
    query: { metrics: ['pageviews'], date_range: 'all' },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
  {
    source: src('pagination › pagination above total count - all results are returned'),
    fixture: { events: ['/1', '/2', '/3', '/4', '/5', '/6', '/7', '/8'].map((pathname) => pv({ pathname })) },
    query: {
      metrics: ['pageviews'],
      date_range: 'all',
      dimensions: ['event:page'],
      order_by: [['event:page', 'asc']],
      include: { total_rows: true },
      pagination: { limit: 10 },
    },
    expect: ok(
      ['/1', '/2', '/3', '/4', '/5', '/6', '/7', '/8'].map((p) => row([p], [1])),
      { total_rows: 8 },
    ),
    verdict: SAME,
  },
  ...(
    [
      [{ limit: 3 }, ['/1', '/2', '/3']],
      [{ limit: 3, offset: 3 }, ['/4', '/5', '/6']],
      [{ limit: 3, offset: 6 }, ['/7', '/8']],
      [{ limit: 3, offset: 9 }, []],
    ] as const
  ).map(
    ([pagination, pages]): PortedCase => ({
      source: src(`pagination › pagination with offset [${JSON.stringify(pagination)}]`),
      fixture: { events: ['/1', '/2', '/3', '/4', '/5', '/6', '/7', '/8'].map((pathname) => pv({ pathname })) },
      query: {
        metrics: ['pageviews'],
        date_range: 'all',
        dimensions: ['event:page'],
        order_by: [['event:page', 'asc']],
        include: { total_rows: true },
        pagination,
      },
      // The last request's total_rows is not asserted by the source.
      expect: ok(
        pages.map((p) => row([p], [1])),
        pages.length > 0 ? { total_rows: 8 } : undefined,
      ),
      verdict: SAME,
    }),
  ),
  {
    source: src('scroll_depth › scroll depth is (not yet) available in public API'),
    fixture: { events: [] },
    query: { filters: [['is', 'event:page', ['/']]], date_range: 'all', metrics: ['scroll_depth'] },
    expect: bad('Invalid metric "scroll_depth"'),
    verdict: differs('scroll-depth-public', ok([row([], [null])])),
  },
  {
    // internal endpoint (/api/v2/query-internal-test) in the source
    source: src('scroll_depth › can query scroll_depth metric with a page filter'),
    fixture: {
      events: [
        pv({ user_id: 123, timestamp: '2021-01-01 00:00:00' }),
        eng({ user_id: 123, timestamp: '2021-01-01 00:00:10', scroll_depth: 40 }),
        pv({ user_id: 123, timestamp: '2021-01-01 00:00:10' }),
        eng({ user_id: 123, timestamp: '2021-01-01 00:00:20', scroll_depth: 60 }),
        pv({ user_id: 456, timestamp: '2021-01-01 00:00:00' }),
        eng({ user_id: 456, timestamp: '2021-01-01 00:00:10', scroll_depth: 80 }),
      ],
    },
    query: { filters: [['is', 'event:page', ['/']]], date_range: 'all', metrics: ['scroll_depth'] },
    expect: ok([row([], [70])]),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('scroll_depth › can query scroll_depth with page + custom prop filter'),
    fixture: {
      events: [
        pv({ user_id: 123, timestamp: '2021-01-01 00:00:00' }),
        eng({ user_id: 123, timestamp: '2021-01-01 00:00:10', scroll_depth: 40 }),
        pv({ props: { author: 'john' }, user_id: 123, timestamp: '2021-01-01 00:00:10' }),
        eng({ props: { author: 'john' }, user_id: 123, timestamp: '2021-01-01 00:00:20', scroll_depth: 60 }),
        pv({ user_id: 456, timestamp: '2021-01-01 00:00:00' }),
        eng({ user_id: 456, timestamp: '2021-01-01 00:00:10', scroll_depth: 80 }),
      ],
    },
    query: {
      filters: [
        ['is', 'event:page', ['/']],
        ['is', 'event:props:author', ['john']],
      ],
      date_range: 'all',
      metrics: ['scroll_depth'],
    },
    expect: ok([row([], [60])]),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('scroll_depth › scroll depth is 0 when no engagement data in range'),
    fixture: { events: [pv({ timestamp: '2021-01-01 00:00:00' })] },
    query: { filters: [['is', 'event:page', ['/']]], date_range: 'all', metrics: ['visitors', 'scroll_depth'] },
    expect: ok([row([], [1, null])]),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('scroll_depth › scroll depth is 0 when no data at all in range'),
    fixture: { events: [] },
    query: { filters: [['is', 'event:page', ['/']]], date_range: 'all', metrics: ['scroll_depth'] },
    expect: ok([row([], [null])]),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('scroll_depth › scroll_depth metric in a time:day breakdown'),
    fixture: {
      events: [
        pv({ user_id: 12, timestamp: '2020-01-01 00:00:00' }),
        eng({ user_id: 12, timestamp: '2020-01-01 00:01:00', scroll_depth: 20 }),
        pv({ user_id: 34, timestamp: '2020-01-01 00:00:00' }),
        eng({ user_id: 34, timestamp: '2020-01-01 00:01:00', scroll_depth: 17 }),
        pv({ user_id: 34, timestamp: '2020-01-01 00:02:00' }),
        eng({ user_id: 34, timestamp: '2020-01-01 00:03:00', scroll_depth: 60 }),
        pv({ user_id: 56, timestamp: '2020-01-02 00:00:00' }),
        eng({ user_id: 56, timestamp: '2020-01-02 00:01:00', scroll_depth: 20 }),
      ],
    },
    query: {
      metrics: ['scroll_depth'],
      date_range: 'all',
      dimensions: ['time:day'],
      filters: [['is', 'event:page', ['/']]],
    },
    expect: ok([row(['2020-01-01'], [40]), row(['2020-01-02'], [20])]),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('scroll_depth › breakdown by event:page with scroll_depth metric'),
    fixture: { events: scrollPages() },
    query: { metrics: ['scroll_depth'], date_range: 'all', dimensions: ['event:page'] },
    expect: ok([row(['/blog'], [60]), row(['/another'], [25])]),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('scroll_depth › can sort by scroll_depth in event:page breakdown'),
    fixture: { events: scrollPages() },
    query: { metrics: ['scroll_depth'], date_range: 'all', order_by: [['scroll_depth', 'asc']], dimensions: ['event:page'] },
    expect: ok([row(['/another'], [25]), row(['/blog'], [60])]),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('scroll_depth › breakdown by event:page + visit:source with scroll_depth metric'),
    fixture: {
      events: [
        pv({ referrer_source: 'Google', user_id: 12, pathname: '/blog', timestamp: '2020-01-01 00:00:00' }),
        eng({ referrer_source: 'Google', user_id: 12, pathname: '/blog', timestamp: '2020-01-01 00:01:00', scroll_depth: 20 }),
        pv({ referrer_source: 'Google', user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:00:00' }),
        eng({ referrer_source: 'Google', user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:01:00', scroll_depth: 17 }),
        pv({ referrer_source: 'Google', user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:02:00' }),
        eng({ referrer_source: 'Google', user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:03:00', scroll_depth: 60 }),
        pv({ referrer_source: 'Twitter', user_id: 56, pathname: '/blog', timestamp: '2020-01-01 00:00:00' }),
        eng({ referrer_source: 'Twitter', user_id: 56, pathname: '/blog', timestamp: '2020-01-01 00:01:00', scroll_depth: 20 }),
        pv({ referrer_source: 'Twitter', user_id: 56, pathname: '/another', timestamp: '2020-01-01 00:01:00' }),
        eng({
          referrer_source: 'Twitter',
          user_id: 56,
          pathname: '/another',
          timestamp: '2020-01-01 00:02:00',
          scroll_depth: 24,
        }),
      ],
    },
    query: {
      metrics: ['scroll_depth'],
      order_by: [['scroll_depth', 'asc']],
      date_range: 'all',
      dimensions: ['event:page', 'visit:source'],
    },
    expect: ok([row(['/blog', 'Twitter'], [20]), row(['/another', 'Twitter'], [24]), row(['/blog', 'Google'], [40])]),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('scroll_depth › breakdown by event:page + time:day with scroll_depth metric'),
    fixture: {
      events: [
        pv({ user_id: 12, pathname: '/blog', timestamp: '2020-01-01 00:00:00' }),
        eng({ user_id: 12, pathname: '/blog', timestamp: '2020-01-01 00:01:00', scroll_depth: 20 }),
        pv({ user_id: 12, pathname: '/another', timestamp: '2020-01-01 00:01:00' }),
        eng({ user_id: 12, pathname: '/another', timestamp: '2020-01-01 00:02:00', scroll_depth: 24 }),
        pv({ user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:00:00' }),
        eng({ user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:01:00', scroll_depth: 17 }),
        pv({ user_id: 34, pathname: '/another', timestamp: '2020-01-01 00:01:00' }),
        eng({ user_id: 34, pathname: '/another', timestamp: '2020-01-01 00:02:00', scroll_depth: 26 }),
        pv({ user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:02:00' }),
        eng({ user_id: 34, pathname: '/blog', timestamp: '2020-01-01 00:03:00', scroll_depth: 60 }),
        pv({ user_id: 56, pathname: '/blog', timestamp: '2020-01-02 00:00:00' }),
        eng({ user_id: 56, pathname: '/blog', timestamp: '2020-01-02 00:01:00', scroll_depth: 20 }),
        pv({ user_id: 56, pathname: '/another', timestamp: '2020-01-02 00:01:00' }),
        eng({ user_id: 56, pathname: '/another', timestamp: '2020-01-02 00:02:00', scroll_depth: 24 }),
      ],
    },
    query: { metrics: ['scroll_depth'], date_range: 'all', dimensions: ['event:page', 'time:day'] },
    expect: ok([
      row(['/blog', '2020-01-01'], [40]),
      row(['/another', '2020-01-01'], [25]),
      row(['/another', '2020-01-02'], [24]),
      row(['/blog', '2020-01-02'], [20]),
    ]),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('scroll_depth › breakdown by a custom prop with a page filter'),
    fixture: {
      events: [
        pv({ user_id: 123, timestamp: '2021-01-01 00:00:00', pathname: '/blog' }),
        eng({ user_id: 123, timestamp: '2021-01-01 00:01:00', pathname: '/blog', scroll_depth: 91 }),
        pv({ user_id: 123, timestamp: '2021-01-01 00:02:00', props: { author: 'john' }, pathname: '/blog/john-post' }),
        eng({
          user_id: 123,
          timestamp: '2021-01-01 00:03:00',
          props: { author: 'john' },
          pathname: '/blog/john-post',
          scroll_depth: 40,
        }),
        pv({ user_id: 123, timestamp: '2021-01-01 00:02:00', props: { author: 'john' }, pathname: '/another-blog/john-post' }),
        eng({
          user_id: 123,
          timestamp: '2021-01-01 00:03:00',
          props: { author: 'john' },
          pathname: '/another-blog/john-post',
          scroll_depth: 90,
        }),
        pv({ user_id: 456, timestamp: '2021-01-01 00:02:00', props: { author: 'john' }, pathname: '/blog/john-post' }),
        eng({
          user_id: 456,
          timestamp: '2021-01-01 00:03:00',
          props: { author: 'john' },
          pathname: '/blog/john-post',
          scroll_depth: 46,
        }),
      ],
    },
    query: {
      metrics: ['scroll_depth'],
      order_by: [['scroll_depth', 'desc']],
      date_range: 'all',
      filters: [['matches', 'event:page', ['/blog.*']]],
      dimensions: ['event:props:author'],
    },
    expect: ok([row(['(none)'], [91]), row(['john'], [43])]),
    verdict: SAME,
  },
  {
    source: src('can filter by utm_medium case insensitively'),
    fixture: {
      events: [
        pv({ utm_medium: 'Social', user_id: U, timestamp: T0 }),
        pv({ utm_medium: 'SOCIAL', user_id: U, timestamp: T25 }),
        pv({ timestamp: T0 }),
      ],
    },
    query: {
      date_range: 'all',
      metrics: FOUR_METRICS,
      filters: [['is', 'visit:utm_medium', ['social'], { case_sensitive: false }]],
    },
    expect: ok([row([], [2, 1, 0, 1500])]),
    verdict: SAME,
  },
  {
    source: src('revenue metrics › not requested leads to no metric_warnings'),
    fixture: { events: [] },
    query: { date_range: 'all', metrics: ['pageviews'] },
    expect: ok([row([], [0])], { metric_warnings: undefined }),
    verdict: SAME,
  },
  {
    source: src('revenue metrics › no revenue goals configured'),
    fixture: { events: [ev('Signup', { timestamp: T0 })], goals: [{ event_name: 'Signup' }] },
    query: { date_range: 'all', metrics: ['average_revenue', 'total_revenue'], dimensions: ['event:goal'] },
    expect: ok([row(['Signup'], [null, null])], {
      metric_warnings: {
        average_revenue: { code: 'no_revenue_goals_matching', warning: NO_REVENUE_GOALS },
        total_revenue: { code: 'no_revenue_goals_matching', warning: NO_REVENUE_GOALS },
      },
    }),
    verdict: SAME,
  },
  {
    source: src('revenue metrics › not filtering or grouping by goals leads to warnings'),
    fixture: { events: [] },
    query: { date_range: 'all', metrics: ['average_revenue', 'total_revenue'] },
    expect: ok([row([], [null, null])], {
      metric_warnings: {
        average_revenue: { code: 'no_revenue_goals_matching', warning: NO_REVENUE_GOALS },
        total_revenue: { code: 'no_revenue_goals_matching', warning: NO_REVENUE_GOALS },
      },
    }),
    verdict: SAME,
  },
  {
    source: src('revenue metrics › filtering by revenue goals with same currency'),
    fixture: REVENUE_FIXTURE,
    query: {
      date_range: 'all',
      metrics: ['events', 'average_revenue', 'total_revenue'],
      filters: [['is', 'event:goal', ['Signup', 'Purchase', 'Payment']]],
    },
    expect: ok(
      [
        row(
          [],
          [
            4,
            { currency: 'USD', long: '$67.07', short: '$67.1', value: 67.066 },
            { currency: 'USD', long: '$201.20', short: '$201.2', value: 201.2 },
          ],
        ),
      ],
      { metric_warnings: undefined },
    ),
    verdict: SAME,
  },
  {
    source: src('revenue metrics › filtering by revenue goals with different currencies'),
    fixture: REVENUE_FIXTURE,
    query: {
      date_range: 'all',
      metrics: ['average_revenue', 'total_revenue'],
      filters: [['is', 'event:goal', ['Subscription', 'Payment']]],
    },
    expect: ok([row([], [null, null])], {
      metric_warnings: {
        average_revenue: { code: 'no_single_revenue_currency', warning: MANY_CURRENCIES },
        total_revenue: { code: 'no_single_revenue_currency', warning: MANY_CURRENCIES },
      },
    }),
    verdict: SAME,
  },
  {
    source: src('revenue metrics › breakdown by revenue goals'),
    fixture: REVENUE_FIXTURE,
    query: { date_range: 'all', metrics: ['average_revenue', 'total_revenue'], dimensions: ['event:goal'] },
    expect: ok(
      [
        row(['Purchase'], [usd100_30, usd100_30]),
        row(['Subscription'], [eur100, eur100]),
        row(
          ['Payment'],
          [
            { currency: 'USD', long: '$50.45', short: '$50.4', value: 50.45 },
            { currency: 'USD', long: '$100.90', short: '$100.9', value: 100.9 },
          ],
        ),
        row(['Signup'], [null, null]),
      ],
      { metric_warnings: undefined },
    ),
    verdict: SAME,
  },
  {
    source: src('revenue metrics › breakdown by revenue goals + filtering'),
    fixture: REVENUE_FIXTURE,
    query: {
      date_range: 'all',
      metrics: ['average_revenue', 'total_revenue'],
      filters: [['is', 'event:goal', ['Signup', 'Purchase']]],
      dimensions: ['event:goal'],
    },
    expect: ok([row(['Purchase'], [usd100_30, usd100_30]), row(['Signup'], [null, null])], { metric_warnings: undefined }),
    verdict: SAME,
  },
  {
    // internal endpoint in the source
    source: src('behavioral (has_done/has_not_done) filters › has_done does counting by sessions'),
    fixture: {
      events: [
        // Session 1
        ev('Conversion', { user_id: 1, timestamp: '2021-01-01 00:00:00' }),
        ev('pageview', { user_id: 1, timestamp: '2021-01-01 00:01:00' }),
        // Session 2
        ev('pageview', { user_id: 1, timestamp: '2021-01-02 00:00:00' }),
        ev('pageview', { user_id: 1, timestamp: '2021-01-02 00:01:00' }),
        // Session 3
        ev('Conversion', { user_id: 1, timestamp: '2021-01-03 00:00:00' }),
        ev('pageview', { user_id: 1, timestamp: '2021-01-03 00:01:00' }),
        ev('pageview', { user_id: 1, timestamp: '2021-01-03 00:02:00' }),
        ev('pageview', { user_id: 1, timestamp: '2021-01-03 00:03:00' }),
        // Session 4
        ev('Conversion', { user_id: 2, timestamp: '2021-01-01 00:00:00' }),
        ev('pageview', { user_id: 2, timestamp: '2021-01-01 00:01:00' }),
        ev('pageview', { user_id: 2, timestamp: '2021-01-01 00:02:00' }),
        ev('pageview', { user_id: 2, timestamp: '2021-01-01 00:03:00' }),
        ev('pageview', { user_id: 2, timestamp: '2021-01-01 00:04:00' }),
      ],
    },
    query: {
      metrics: ['visitors', 'visits', 'events', 'pageviews'],
      date_range: 'all',
      filters: [['has_done', ['is', 'event:name', ['Conversion']]]],
    },
    expect: ok([row([], [2, 3, 11, 8])]),
    // User 1's visits on two days are two of our daily visitor ids (docs/METRICS.md).
    verdict: differs('daily-visitor-ids', ok([row([], [3, 3, 11, 8])])),
  },
  {
    // internal endpoint in the source
    source: src(
      'behavioral (has_done/has_not_done) filters › has_done returns all events by users who match condition if no further filters are provided',
    ),
    fixture: {
      events: [
        ev('pageview', { user_id: 1, timestamp: T0 }),
        ev('AddToCart', { user_id: 1, timestamp: T0 }),
        ev('Purchase', { user_id: 1, timestamp: T0 }),
        ev('pageview', { user_id: 2, timestamp: T0 }),
        ev('Purchase', { user_id: 2, timestamp: T0 }),
        ev('pageview', { user_id: 3, timestamp: T0 }),
        ev('pageview', { user_id: 4, timestamp: T0 }),
        ev('Purchase', { user_id: 5, timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors', 'events', 'pageviews'],
      date_range: 'all',
      filters: [['has_done', ['is', 'event:name', ['Purchase']]]],
    },
    expect: ok([row([], [3, 6, 2])]),
    verdict: SAME,
  },
  ...(['has_done', 'has_not_done'] as const).map(
    (op): PortedCase => ({
      // internal endpoint in the source
      source: src(`behavioral (has_done/has_not_done) filters › ${op} event:page filter`),
      fixture: {
        events: [
          ev('pageview', { user_id: 1, pathname: '/blog/post/1', timestamp: T0 }),
          ev('pageview', { user_id: 1, pathname: '/', timestamp: T0 }),
          ev('pageview', { user_id: 2, pathname: '/', timestamp: T0 }),
          ev('pageview', { user_id: 3, pathname: '/blog/post/1', timestamp: T0 }),
        ],
      },
      query: {
        metrics: ['visitors', 'pageviews'],
        date_range: 'all',
        filters: [[op, ['contains', 'event:page', ['/blog/']]]],
      },
      expect: ok([row([], op === 'has_done' ? [2, 3] : [1, 1])]),
      verdict: SAME,
    }),
  ),
  {
    // internal endpoint in the source
    source: src('behavioral (has_done/has_not_done) filters › has_done with complex event:props and event:name filters'),
    fixture: {
      events: [
        ev('Purchase', { user_id: 1, timestamp: '2021-01-01 00:00:00' }),
        ev('Purchase', { user_id: 1, timestamp: '2021-01-01 00:10:00' }),
        ev('Purchase', { user_id: 1, timestamp: '2021-01-01 00:20:00' }),
        ev('pageview', { user_id: 2, timestamp: '2021-01-01 00:00:00' }),
        ev('Purchase', { user_id: 2, timestamp: '2021-01-01 00:10:00' }),
        ev('Signup', { user_id: 3, props: { paid: 'true' }, timestamp: T0 }),
        ev('pageview', { user_id: 3, timestamp: T0 }),
        ev('Signup', { user_id: 4, props: { paid: 'true' }, timestamp: T0 }),
        ev('pageview', { user_id: 4, timestamp: T0 }),
        ev('Signup', { user_id: 5, props: { paid: 'false' }, timestamp: T0 }),
        ev('pageview', { user_id: 5, timestamp: T0 }),
      ],
    },
    query: {
      metrics: ['visitors', 'pageviews'],
      date_range: 'all',
      filters: [
        [
          'has_done',
          [
            'or',
            [
              ['is', 'event:name', ['Purchase']],
              [
                'and',
                [
                  ['is', 'event:name', ['Signup']],
                  ['is', 'event:props:paid', ['true']],
                ],
              ],
            ],
          ],
        ],
      ],
    },
    expect: ok([row([], [4, 3])]),
    verdict: SAME,
  },
  ...(['has_done', 'has_not_done'] as const).map(
    (op): PortedCase => ({
      // internal endpoint in the source
      source: src(`behavioral (has_done/has_not_done) filters › ${op} event:goal filter`),
      fixture: {
        goals: [{ event_name: 'Conversion' }],
        events: [
          ev('Conversion', { user_id: 1, timestamp: T0 }),
          ev('Conversion', { user_id: 1, timestamp: T0 }),
          ev('pageview', { user_id: 1, timestamp: T0 }),
          ev('pageview', { user_id: 1, timestamp: T0 }),
          ev('pageview', { user_id: 1, timestamp: T0 }),
          ev('Conversion', { user_id: 2, timestamp: T0 }),
          ev('pageview', { user_id: 2, timestamp: T0 }),
          ev('Conversion', { user_id: 3, timestamp: T0 }),
          ev('pageview', { user_id: 4, timestamp: T0 }),
        ],
      },
      query: {
        metrics: ['visitors', 'pageviews'],
        date_range: 'all',
        filters: [
          [op, ['is', 'event:goal', ['Conversion']]],
          ['is', 'event:name', ['pageview']],
        ],
      },
      expect: ok([row([], op === 'has_done' ? [2, 4] : [1, 1])]),
      verdict: SAME,
    }),
  ),
  {
    // internal endpoint in the source
    source: src('behavioral (has_done/has_not_done) filters › visit filters are not allowed with has_done/has_not_done filters'),
    fixture: { events: [] },
    query: {
      metrics: ['visitors'],
      date_range: 'all',
      dimensions: ['visit:browser'],
      filters: [['has_done', ['is', 'visit:browser', ['Chrome']]]],
    },
    expect: bad('Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters.'),
    verdict: SAME,
  },
  {
    source: src('segment filters › segment filters are (not yet) available in public API'),
    fixture: { events: [] },
    query: { filters: [['is', 'segment', [1]]], date_range: 'all', metrics: ['visitors'] },
    expect: bad('#/filters/0: Invalid filter ["is", "segment", [1]]'),
    // Segment filters work in our public v2: segment 1 is none of this site's.
    verdict: differs('error-wording', bad("filters[0]: Invalid filters. Some segments don't exist or aren't accessible.")),
  },
  {
    // internal endpoint in the source; the segment belongs to another site
    source: src("segment filters › site segments of other sites don't resolve"),
    fixture: { events: [] },
    query: { filters: [['is', 'segment', [1]]], date_range: 'all', metrics: ['events'] },
    expect: bad("Invalid filters. Some segments don't exist or aren't accessible."),
    verdict: SAME,
  },
  {
    // internal endpoint in the source; the segment (another user's, personal) filters event:name Signup
    source: src(
      'segment filters › even personal segments of other users of the same site resolve to filters, with segments expanded in response',
    ),
    fixture: {
      goals: [{ event_name: 'Signup' }],
      events: [
        ev('Signup', { timestamp: T0 }),
        ev('Signup', { user_id: U, timestamp: T0 }),
        ev('Signup', { user_id: U, timestamp: T0 }),
        ev('AnyOtherEvent', { timestamp: T0 }),
      ],
      // Our segments are the site's (no personal ones): one saved through the segments API.
      segments: [{ id: 1, filters: [['is', 'event:name', ['Signup']]] }],
    },
    query: { filters: [['is', 'segment', [1]]], date_range: 'all', metrics: ['events'] },
    expect: ok([row([], [3])]),
    verdict: SAME,
  },
];
