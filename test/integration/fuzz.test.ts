/**
 * Property tests of the GET stats API against the real server (fast-check, fixed seeds).
 *
 * One server holds two sites: A (fuzz-a.test: 4 visitors, 4 visits, 6 page views, 8 events,
 * all from the US, one page and one property value in non-ASCII letters) and B (fuzz-b.test:
 * 10 visitors from France on Microsoft Edge whose every page, hostname, referrer, utm tag,
 * goal and property says "only-on-b"). Every request carries a read key restricted to site A.
 *
 * 1. Hostile query strings, per endpoint (main, timeseries, breakdown/{dim}, realtime): mixes
 *    of valid values and random/unicode strings, SQL injection fragments, prototype keys, path
 *    traversal, huge and negative numbers, repeated parameters, and filters that are nested
 *    deeply, oversized, malformed, or use unknown operators and dimensions. For every answer:
 *    never a 5xx or a dropped connection; a non-200 answer is JSON `{"error": string}` and
 *    nothing else; a 200 comes only for `site_id=A`, is well formed for its endpoint, and holds
 *    no trace of site B (no "only-on-b", "Microsoft Edge" or "FR", no count above A's totals).
 * 2. Consistency under random valid filters: main, timeseries and breakdowns agree with each
 *    other (sums, shares), F ∨ ¬F keeps everything and F ∧ ¬F nothing.
 * 3. A breakdown filtered by one of its own values (is / contains / anchored matches, with and
 *    without case_sensitive) keeps that row's numbers.
 * 4. Raw URLs with malformed percent-escapes and unencoded metacharacters; framework-level
 *    rejections (bad URL, oversized headers) must keep the `{"error"}` contract too.
 * After the runs the server is healthy and site A's numbers are unchanged.
 *
 * Reproduce a failure with FUZZ_SEED=<seed printed in the failure> (and FUZZ_RUNS=<n>); each
 * property uses FUZZ_SEED + its index. FUZZ_STATS=1 prints how often each status was seen.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCityMmdb } from '../helpers/geo-fixture.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, main, removeScratchDirs, scratchDir, stats, UA } from './support.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_260_322);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/**
 * How long a property may run: a bound on the wait, not a speed check. On ClickHouse the test
 * engine takes about 80 ms a query (visits drawn with window functions): the consistency
 * property's 750 requests took 9 s on DuckDB, 60–80 s on ClickHouse, others 10–30 s there.
 */
const PROPERTY_BOUND = 240_000;

const A = 'fuzz-a.test';
const B = 'fuzz-b.test';
/** Site A's totals over all time: no 200 answer may count more. */
const A_MAX = { visitors: 4, visits: 4, pageviews: 6, events: 8 };
const B_TRACE = /only-on-b|fuzz-b|Microsoft Edge/i;

// --------------------------------------------------------------------------------------
// Data
const pv = (site: string, t: string, u: string, who: { ip: string; ua: string }, extra: object = {}) => ({
  d: site,
  n: 'pageview',
  u,
  timestamp: t,
  ip: who.ip,
  user_agent: who.ua,
  ...extra,
});
const A1 = { ip: '203.0.113.11', ua: UA.chromeWindows };
const A2 = { ip: '203.0.113.12', ua: UA.firefoxLinux };
const A3 = { ip: '203.0.113.13', ua: UA.safariIphone };
const A_EVENTS = [
  pv(A, '2026-03-02T10:00:00Z', `https://${A}/`, A1),
  pv(A, '2026-03-02T10:05:00Z', `https://${A}/pricing`, A1),
  pv(A, '2026-03-02T10:06:00Z', `https://${A}/pricing`, A1, { n: 'Signup', p: { plan: 'pro' } }),
  pv(A, '2026-03-02T11:00:00Z', `https://${A}/blog`, A2, { r: 'https://www.google.com/' }),
  pv(A, '2026-03-02T11:01:00Z', `https://${A}/Straße/ΟΔΟΣ/İ`, A2),
  pv(A, '2026-03-03T09:00:00Z', `https://${A}/?utm_source=newsletter`, A1),
  pv(A, '2026-03-03T12:00:00Z', `https://${A}/docs`, A3, { w: 390 }),
  pv(A, '2026-03-03T12:10:00Z', `https://${A}/docs`, A3, { n: 'Download', p: { file: 'Übersicht-ΟΔΟΣ.pdf' } }),
];
const B_EVENTS = Array.from({ length: 10 }, (_, i) => {
  const who = { ip: `192.0.2.${i + 1}`, ua: UA.edgeWindows };
  const day = `2026-03-0${(i % 4) + 1}`;
  const u = `https://only-on-b.example/only-on-b/${i}?utm_source=only-on-b-src&utm_medium=only-on-b-med&utm_campaign=only-on-b-camp&utm_content=only-on-b-content&utm_term=only-on-b-term`;
  return [
    pv(B, `${day}T10:00:00Z`, u, who, { r: 'https://only-on-b-referrer.example/x', w: 1500 }),
    pv(B, `${day}T10:01:00Z`, u, who, { n: 'only-on-b-goal', p: { plan: 'only-on-b-plan', file: 'only-on-b-file' } }),
  ];
}).flat();

// --------------------------------------------------------------------------------------
// Generators
const DIMENSIONS = [
  'event:page',
  'event:hostname',
  'event:name',
  'event:goal',
  'event:props:plan',
  'event:props:file',
  'visit:source',
  'visit:referrer',
  'visit:channel',
  'visit:utm_source',
  'visit:utm_medium',
  'visit:utm_campaign',
  'visit:utm_content',
  'visit:utm_term',
  'visit:browser',
  'visit:browser_version',
  'visit:os',
  'visit:os_version',
  'visit:device',
  'visit:screen',
  'visit:country',
  'visit:region',
  'visit:city',
  'visit:entry_page',
  'visit:exit_page',
  'time:day',
  'time:hour',
];
const OPERATORS = ['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not'];
const BREAKDOWNS = [
  'pages',
  'entry-pages',
  'exit-pages',
  'hostnames',
  'sources',
  'referrers',
  'channels',
  'utm-source',
  'utm-medium',
  'utm-campaign',
  'utm-content',
  'utm-term',
  'browsers',
  'browser-versions',
  'os',
  'os-versions',
  'devices',
  'screen-sizes',
  'countries',
  'regions',
  'cities',
  'events',
  'props/plan',
  'props/file',
];

const HOSTILE = [
  "' OR 1=1 --",
  "' OR '1'='1",
  '"; DROP TABLE events; --',
  "'; DROP TABLE events; --",
  '1 UNION SELECT * FROM events',
  "' UNION SELECT site_id, pathname FROM events --",
  `${A}' OR site_id = '${B}`,
  `${A}" OR "1"="1`,
  `${A},${B}`,
  `${A}%00`,
  `${A}\u0000${B}`,
  '$1',
  '?',
  ':1',
  "\\'",
  '\\',
  '%',
  '%%',
  '_',
  '*',
  "'",
  '"',
  ';',
  '--',
  '/*',
  '*/',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '../',
  '../../etc/passwd',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f',
  '/etc/passwd',
  'file:///etc/passwd',
  '\u0000',
  '\ud800',
  '\udfff',
  '\u202e',
  '\ufeff',
  '🦆',
  '日本語',
  'İ',
  'ß',
  'a\u0301',
  '\n',
  '\r\n',
  '\t',
  '0',
  '-1',
  '-0',
  '1e309',
  '-1e309',
  '9007199254740993',
  '99999999999999999999999',
  '1.5',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '+5',
  ' 5',
  '5 ',
  '１２',
  'true',
  'null',
  'undefined',
  '[]',
  '{}',
  '[[]]',
  '{"__proto__":{"polluted":1}}',
  '',
  ' ',
  'x'.repeat(1500),
  '/only-on-b',
  B,
  'only-on-b-goal',
  'only-on-b-plan',
  'FR',
  'Microsoft Edge',
];

const hostile: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.string({ maxLength: 30 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 20 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 10 }) },
  { weight: 1, arbitrary: fc.integer().map(String) },
  { weight: 1, arbitrary: fc.double().map(String) },
  { weight: 1, arbitrary: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map(String) },
);

const DAYS = [
  '2026-03-01',
  '2026-03-02',
  '2026-03-03',
  '2026-03-04',
  '1970-01-01',
  '1969-12-31',
  '9998-12-31',
  '9999-12-31',
  '2024-02-29',
  '2026-02-29',
  '2026-02-30',
  '2026-13-01',
  '2026-00-10',
  '0000-01-01',
  '99999-01-01',
  '2026-3-2',
  '2026-03-02T00:00:00Z',
  '2026-03-02 ',
];
const anyDay = fc
  .date({ min: new Date('1960-01-01T00:00:00Z'), max: new Date('9999-12-31T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const dateValue = fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...DAYS) }, { weight: 2, arbitrary: anyDay }, hostile);
const periodValue = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.constantFrom('realtime', 'day', 'today', '7d', '30d', 'month', '6mo', '12mo', 'year', 'all', 'custom'),
  },
  { weight: 1, arbitrary: fc.constantFrom('DAY', ' 7d', '7D', 'all ', '-1d', '99999d') },
  hostile,
);
const intervalValue = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom('hour', 'day', 'week', 'month') },
  { weight: 1, arbitrary: fc.constantFrom('minute', 'year', 'HOUR', 'second') },
  hostile,
);
const intValue = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: -5, max: 1200 }).map(String) },
  {
    weight: 2,
    arbitrary: fc.constantFrom('1', '1000', '1001', '100000', '100001', '0', '007', '1e2', '2.0', '999999999', '9999999999'),
  },
  hostile,
);
const compareValue = fc.oneof({ weight: 3, arbitrary: fc.constant('previous_period') }, hostile);

// Filters: structured trees (valid and not), raw JSON, extremes, and non-JSON.
const filterScalar: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: hostile },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '/',
      '/pricing',
      'US',
      'pro',
      'Chrome',
      'Google',
      '(not set)',
      '(none)',
      'Direct / None',
      '.*',
      '^/',
      '(',
      '[',
      ')',
      'a{1000}{1000}',
      '(?P<x>a)',
      '(?<x>a)',
      '(a+)+$',
      '\\p{Greek}',
      '\\',
      '(?i)PRICING',
    ),
  },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(true, null, {}, [], 1e21, -0) },
);
const dimArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...DIMENSIONS) },
  { weight: 1, arbitrary: hostile.map((s) => `event:props:${s}`) },
  { weight: 1, arbitrary: hostile.map((s) => `visit:${s}`) },
  { weight: 1, arbitrary: hostile },
  { weight: 1, arbitrary: fc.constantFrom(1, null, [], {}, ['event:page']) },
);
const opArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...OPERATORS) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'and',
      'or',
      'not',
      'IS',
      'like',
      'in',
      'eq',
      '= 1 OR 1=1',
      '__proto__',
      'constructor',
      'toString',
    ),
  },
  { weight: 1, arbitrary: hostile },
  { weight: 1, arbitrary: fc.constantFrom(1, null, [], {}) },
);
const modifiersArb: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.constantFrom({ case_sensitive: false }, { case_sensitive: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { case_sensitive: 'no' },
      { case_sensitive: null },
      JSON.parse('{"__proto__": {"case_sensitive": false}}'),
      JSON.parse('{"constructor": {"prototype": {"polluted": true}}}'),
      null,
      [],
      'i',
      0,
    ),
  },
);
const leafArb: fc.Arbitrary<unknown> = fc
  .tuple(
    opArb,
    dimArb,
    fc.oneof({ weight: 5, arbitrary: fc.array(filterScalar, { maxLength: 4 }) }, filterScalar),
    modifiersArb,
    fc.nat(9),
  )
  .map(([op, dim, values, mods, shape]) => {
    const full = mods === undefined ? [op, dim, values] : [op, dim, values, mods];
    if (shape === 0) return full.slice(0, 2);
    if (shape === 1) return [...full, 'extra', 1];
    if (shape === 2) return { op, dim, values };
    return full;
  });
const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', maxDepth: 8, withCrossShrink: true },
    leafArb,
    fc.tuple(fc.constantFrom('and', 'or'), fc.array(tie('tree'), { maxLength: 3 })),
    fc.tuple(fc.constant('not'), tie('tree')),
    fc.tuple(fc.constantFrom('and', 'or', 'not'), tie('tree'), tie('tree')),
  ),
}));
const nestedNot = (n: number) => {
  let f: unknown = ['is', 'event:page', ['/']];
  for (let i = 0; i < n; i++) f = ['not', f];
  return JSON.stringify([f]);
};
const nestedAnd = (n: number) => {
  let f: unknown = ['is', 'visit:country', ['US']];
  for (let i = 0; i < n; i++) f = [i % 2 ? 'and' : 'or', [f, ['is', 'event:page', ['/']]]];
  return JSON.stringify([f]);
};
const filtersValue: fc.Arbitrary<string> = fc.oneof(
  { weight: 10, arbitrary: fc.array(tree, { maxLength: 3 }).map((x) => JSON.stringify(x)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((x) => JSON.stringify(x)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 300 }).map(nestedNot) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 60 }).map(nestedAnd) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 1500 }).map((n) => '['.repeat(n) + ']'.repeat(n)) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 90, max: 130 })
      .map((n) => JSON.stringify(Array.from({ length: n }, () => ['contains', 'event:page', ['/']]))),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1, max: 140 }), fc.constantFrom(...OPERATORS))
      .map(([n, op]) => JSON.stringify([[op, 'event:page', Array.from({ length: n }, (_, i) => `/p${i}`)]])),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 1990, max: 2010 }), fc.constantFrom(...OPERATORS))
      .map(([n, op]) => JSON.stringify([[op, 'event:page', ['x'.repeat(n)]]])),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '[',
      '[[',
      '{"a":',
      'null',
      '[null]',
      '[[]]',
      '[["is"]]',
      '[["is","event:page"]]',
      '[["is","event:page",[]]]',
      '[["and",[]]]',
      '[["not"]]',
      '[["not",[]]]',
      '{"0":["is","event:page",["/"]],"length":1}',
      '[["is","event:page",["/"]]] trailing',
      '[["is","event:page",["\\ud800"]]]',
      '[["matches","event:page",["\\u0000"]]]',
      '[["is","visit:country",[1e400]]]',
      '[["is","__proto__",["x"]]]',
      '{"__proto__":[["is","event:page",["/"]]]}',
    ),
  },
  { weight: 2, arbitrary: hostile },
);

const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'toString',
  'hasOwnProperty',
  'site_id[]',
  'site_id[0]',
  'filters[0]',
  'SITE_ID',
  'site_id ',
];
type Pair = [string, string];
const knownPair: fc.Arbitrary<Pair> = fc.oneof(
  fc.tuple(fc.constant('site_id'), fc.oneof({ weight: 3, arbitrary: fc.constantFrom(A, B, 'other.test') }, hostile)),
  fc.tuple(fc.constant('period'), periodValue),
  fc.tuple(fc.constantFrom('date', 'start_date', 'end_date'), dateValue),
  fc.tuple(fc.constant('filters'), filtersValue),
  fc.tuple(fc.constant('compare'), compareValue),
  fc.tuple(fc.constant('interval'), intervalValue),
  fc.tuple(fc.constantFrom('limit', 'page'), intValue),
);
const pairArb: fc.Arbitrary<Pair> = fc.oneof(
  { weight: 8, arbitrary: knownPair },
  { weight: 1, arbitrary: fc.tuple(hostile, hostile) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...PROTO_KEYS), fc.oneof(fc.constant(A), hostile)) },
);
const nearDay = fc
  .date({ min: new Date('2026-02-01T00:00:00Z'), max: new Date('2026-04-01T00:00:00Z'), noInvalidDate: true })
  .map((d) => d.toISOString().slice(0, 10));
const addDays = (day: string, n: number) => new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
/** How the period is given: not at all, a name (with or without `date`), or a custom range (mostly ordered). */
const periodSpec: fc.Arbitrary<Pair[]> = fc.oneof(
  { weight: 2, arbitrary: fc.constant<Pair[]>([]) },
  { weight: 3, arbitrary: periodValue.map((p): Pair[] => [['period', p]]) },
  {
    weight: 2,
    arbitrary: fc.tuple(periodValue, dateValue).map(([p, d]): Pair[] => [
      ['period', p],
      ['date', d],
    ]),
  },
  {
    weight: 4,
    arbitrary: fc
      .tuple(nearDay, fc.oneof(fc.integer({ min: -2, max: 40 }), fc.integer({ min: 0, max: 4000 })))
      .map(([from, n]): Pair[] => [
        ['start_date', from],
        ['end_date', addDays(from, n)],
      ]),
  },
  {
    weight: 2,
    arbitrary: fc.tuple(dateValue, dateValue).map(([a, b]): Pair[] => [
      ['start_date', a],
      ['end_date', b],
    ]),
  },
);
const optional = (key: string, arb: fc.Arbitrary<string>): fc.Arbitrary<Pair[]> =>
  fc.option(arb, { nil: undefined, freq: 2 }).map((v): Pair[] => (v === undefined ? [] : [[key, v]]));
/**
 * Mostly `site_id=A` (so most requests reach the query layer), a period, optional filters,
 * compare, interval, limit and page, then up to a few noise pairs (repeated keys, hostile keys).
 */
const queryArb: fc.Arbitrary<Pair[]> = fc
  .tuple(
    fc.oneof(
      { weight: 12, arbitrary: fc.constant<Pair[]>([['site_id', A]]) },
      { weight: 1, arbitrary: fc.constant<Pair[]>([['site_id', B]]) },
      { weight: 1, arbitrary: fc.constant<Pair[]>([]) },
      { weight: 1, arbitrary: hostile.map((s): Pair[] => [['site_id', s]]) },
    ),
    periodSpec,
    optional('filters', filtersValue),
    optional('compare', compareValue),
    optional('interval', intervalValue),
    optional('limit', intValue),
    optional('page', intValue),
    fc.oneof({ weight: 3, arbitrary: fc.constant<Pair[]>([]) }, { weight: 1, arbitrary: fc.array(pairArb, { maxLength: 3 }) }),
  )
  .map((parts) => parts.flat());

const wellFormed = (s: string) => s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
const breakdownPath: fc.Arbitrary<string> = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...BREAKDOWNS) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(fc.constantFrom('plan', 'file', '__proto__', 'constructor', 'a.b', 'a b', 'only-on-b-key'), hostile)
      .map((k) => `props/${encodeURIComponent(wellFormed(k))}`),
  },
  { weight: 2, arbitrary: hostile.map((s) => encodeURIComponent(wellFormed(s))) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '',
      '/',
      '../main',
      '../timeseries',
      './pages',
      'pages/',
      'pages/..',
      'pages/../../realtime',
      '%2e%2e/main',
      '..%2fmain',
      '..%2F..%2Fmain',
      'props/',
      'props/../pages',
      'props/..%2f..%2fmain',
      'PAGES',
      'pages%00',
      'events/..',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'props/plan/extra',
    ),
  },
);

// --------------------------------------------------------------------------------------
let server: RunningServer;
let readKey: string;
let cookie: string;
const BASELINE_PARAMS: Record<string, string>[] = [{ period: 'all' }, { start_date: '2026-03-02', end_date: '2026-03-03' }];
let baseline: unknown[];

beforeAll(async () => {
  const geoDb = buildCityMmdb(scratchDir('fuzz-geo'));
  server = await startServer({
    dataDir: scratchDir('fuzz'),
    env: { MALLARD_GEOIP_DB: geoDb, MALLARD_FLUSH_INTERVAL: '86400' },
  });
  cookie = await login(server.url);
  readKey = await createKey(server.url, cookie, 'read', [A]);
  const ingestKey = await createKey(server.url, cookie, 'ingest');
  await loadBatch(server.url, ingestKey, A_EVENTS);
  await loadBatch(server.url, ingestKey, B_EVENTS);
  baseline = await Promise.all(BASELINE_PARAMS.map((p) => stats(server.url, readKey, 'main', { site_id: A, ...p })));
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

// --------------------------------------------------------------------------------------
// Checks
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const MAIN_KEYS = [
  'unique_visitors',
  'visits',
  'total_pageviews',
  'views_per_visit',
  'bounce_rate',
  'avg_visit_duration_secs',
  'events',
];

function checkMain(m: Record<string, unknown>) {
  for (const k of MAIN_KEYS) expect(isNum(m[k]), k).toBe(true);
  expect(m.unique_visitors).toBeLessThanOrEqual(A_MAX.visitors);
  expect(m.visits).toBeLessThanOrEqual(A_MAX.visits);
  expect(m.total_pageviews).toBeLessThanOrEqual(A_MAX.pageviews);
  expect(m.events).toBeLessThanOrEqual(A_MAX.events);
  expect(m.bounce_rate).toBeGreaterThanOrEqual(0);
  expect(m.bounce_rate).toBeLessThanOrEqual(1);
}

function checkOk(endpoint: string, body: unknown, query: URLSearchParams) {
  if (endpoint === 'main') {
    const m = body as Record<string, unknown>;
    expect(m).toBeTypeOf('object');
    checkMain(m);
    if ('previous' in m) {
      checkMain(m.previous as Record<string, unknown>);
      for (const k of MAIN_KEYS) {
        const c = (m.change as Record<string, unknown>)[k];
        expect(c === null || isNum(c), `change.${k}`).toBe(true);
      }
    }
  } else if (endpoint === 'timeseries') {
    expect(Array.isArray(body)).toBe(true);
    const rows = body as Record<string, unknown>[];
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThanOrEqual(5001);
    for (const r of rows) {
      // Minute labels (HH:MM:00) for period=realtime only.
      expect(r.date).toMatch(
        query.get('period') === 'realtime' ? /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:00$/ : /^\d{4}-\d{2}-\d{2}( \d{2}:00:00)?$/,
      );
      expect(r.visitors).toBeLessThanOrEqual(A_MAX.visitors);
      expect(r.visits).toBeLessThanOrEqual(A_MAX.visits);
      expect(r.pageviews).toBeLessThanOrEqual(A_MAX.pageviews);
      for (const k of ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration']) expect(isNum(r[k]), k).toBe(true);
    }
  } else if (endpoint === 'realtime') {
    expect(Object.keys(body as object)).toEqual(['visitors']);
    expect((body as { visitors: number }).visitors).toBeLessThanOrEqual(A_MAX.visitors);
  } else {
    expect(Array.isArray(body)).toBe(true);
    const rows = body as Record<string, unknown>[];
    const limit = Number(query.get('limit') ?? 100);
    expect(rows.length).toBeLessThanOrEqual(limit);
    for (const r of rows) {
      expect(r.value).toBeTypeOf('string');
      expect(r.value).not.toBe('FR');
      expect(isNum(r.visitors)).toBe(true);
      expect(r.visitors).toBeLessThanOrEqual(A_MAX.visitors);
      if ('conversion_rate' in r) {
        expect(r.events).toBeLessThanOrEqual(A_MAX.events);
        expect(r.conversion_rate).toBeLessThanOrEqual(100);
      } else {
        expect(r.visits).toBeLessThanOrEqual(A_MAX.visits);
        expect(r.pageviews).toBeLessThanOrEqual(A_MAX.pageviews);
        expect(r.percentage).toBeLessThanOrEqual(100);
      }
    }
  }
}

interface Seen {
  status: number;
  text: string;
}

const tally = new Map<string, number>();
const errors = new Map<string, number>();
afterAll(() => {
  if (process.env.FUZZ_STATS) {
    console.log(
      [...tally]
        .sort()
        .map(([k, v]) => `${k}: ${v}`)
        .join('\n'),
    );
    console.log(
      [...errors]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 60)
        .map(([k, v]) => `${v} ${k}`)
        .join('\n'),
    );
  }
});

/** GETs `url` with the site-A key and checks the properties every answer must have. */
async function request(url: string): Promise<Seen & { body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${readKey}` } });
  } catch (err) {
    throw new Error(`no answer (connection error) for ${url}: ${String(err)}`);
  }
  const text = await res.text();
  if (process.env.FUZZ_STATS) {
    const k = `${url.slice(server.url.length).split('?')[0]?.split('/').slice(0, 4).join('/')} ${res.status}`;
    tally.set(k, (tally.get(k) ?? 0) + 1);
    if (res.status !== 200) errors.set(text.slice(0, 60), (errors.get(text.slice(0, 60)) ?? 0) + 1);
  }
  const where = `GET ${url.slice(server.url.length)} → ${res.status} ${text.slice(0, 500)}`;
  expect(res.status, where).toBeLessThan(500);
  expect(res.headers.get('content-type') ?? '', where).toMatch(/^application\/json/);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`not JSON: ${where}`);
  }
  if (res.status !== 200) {
    expect(body, where).toBeTypeOf('object');
    expect(Object.keys(body as object), where).toEqual(['error']);
    const message = (body as { error: unknown }).error;
    expect(message, where).toBeTypeOf('string');
    expect(message, where).not.toMatch(/\n\s+at |\.(js|ts):\d+|(Binder|Parser|Conversion|Catalog|Invalid Input|INTERNAL) Error/);
  } else {
    expect(text, where).not.toMatch(B_TRACE);
  }
  return { status: res.status, text, body };
}

/** Status codes a stats request may answer with a valid key. */
const STATUSES = [200, 400, 403, 404];

async function checkQuery(endpoint: string, pairs: Pair[]) {
  const query = new URLSearchParams(pairs);
  const url = `${server.url}/api/stats/${endpoint}?${query}`;
  fc.pre(url.length <= 14_000); // Node's own header limit (16 KiB) is tested below, not here
  const { status, text, body } = await request(url);
  const where = `GET /api/stats/${endpoint}?${query} → ${status} ${text.slice(0, 300)}`;
  expect(STATUSES, where).toContain(status);
  const sites = query.getAll('site_id');
  const path = new URL(url).pathname;
  if (sites.length === 1 && sites[0] === A) expect(status, where).not.toBe(403);
  if (status === 200) {
    expect(sites, `a 200 for another site: ${where}`).toEqual([A]);
    const kind = path.replace(/^\/api\/stats\//, '');
    checkOk(kind.startsWith('breakdown/') ? 'breakdown' : kind, body, query);
  }
}

/** Runs a property with its own seed and names the seed on failure. */
async function run<T>(index: number, arb: fc.Arbitrary<T>, check: (x: T) => Promise<void>, runs = RUNS) {
  const seed = SEED + index;
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (x) => {
        await check(x);
      }),
      { seed, numRuns: runs, includeErrorInReport: true },
    );
  } catch (err) {
    throw new Error(
      `property failed — reproduce with FUZZ_SEED=${SEED} (this property's seed ${seed})\n${(err as Error).message}`,
    );
  }
}

describe('the fixture', () => {
  it('site B really holds the traces the properties look for (an unrestricted key sees them)', async () => {
    const params = { site_id: B, period: 'all' };
    const all = await createKey(server.url, cookie, 'read');
    expect(JSON.stringify(await stats(server.url, all, 'breakdown/pages', params))).toMatch(/only-on-b/);
    expect(await stats(server.url, all, 'breakdown/browsers', params)).toMatchObject([{ value: 'Microsoft Edge', visitors: 10 }]);
    expect(await stats(server.url, all, 'breakdown/countries', params)).toMatchObject([{ value: 'FR', visitors: 10 }]);
    // Site A: A1 on 03-02 (3 events, 360 s), A2 (2 events, 60 s), A1 on 03-03 (bounce), A3 (2 events, 600 s).
    expect(baseline).toEqual([main(4, 4, 6, 1.5, 0.25, 255, 8), main(4, 4, 6, 1.5, 0.25, 255, 8)]);
  });
});

describe('GET stats with generated query strings (key restricted to site A)', () => {
  it(
    'main',
    async () => {
      await run(1, queryArb, (q) => checkQuery('main', q));
    },
    PROPERTY_BOUND,
  );

  it(
    'timeseries',
    async () => {
      await run(2, queryArb, (q) => checkQuery('timeseries', q));
    },
    PROPERTY_BOUND,
  );

  it(
    'breakdown/{dim}',
    async () => {
      await run(3, fc.tuple(breakdownPath, queryArb), ([dim, q]) => checkQuery(`breakdown/${dim}`, q));
    },
    PROPERTY_BOUND,
  );

  it(
    'realtime',
    async () => {
      await run(4, queryArb, (q) => checkQuery('realtime', q));
    },
    PROPERTY_BOUND,
  );

  it(
    'any endpoint, valid-looking filters only (reaching the query layer)',
    async () => {
      const validLeaf = fc
        .tuple(
          fc.constantFrom(...OPERATORS),
          fc.constantFrom(...DIMENSIONS.filter((d) => !d.startsWith('time:'))),
          fc.array(
            filterScalar.filter((v) => typeof v === 'string' && v.length <= 2000),
            { minLength: 1, maxLength: 4 },
          ),
          fc.boolean(),
        )
        .map(([op, dim, values, cs]) => (cs ? [op, dim, values] : [op, dim, values, { case_sensitive: false }]));
      const { node } = fc.letrec<{ node: unknown }>((tie) => ({
        node: fc.oneof(
          { depthSize: 'small', maxDepth: 4 },
          validLeaf,
          fc.tuple(fc.constantFrom('and', 'or'), fc.array(tie('node'), { minLength: 1, maxLength: 3 })),
          fc.tuple(fc.constant('not'), tie('node')),
        ),
      }));
      const endpoint = fc.oneof(
        fc.constantFrom('main', 'timeseries'),
        breakdownPath.map((d) => `breakdown/${d}`),
      );
      const period = fc.constantFrom<Pair[]>(
        [['period', 'all']],
        [
          ['start_date', '2026-03-02'],
          ['end_date', '2026-03-03'],
        ],
        [
          ['period', 'day'],
          ['date', '2026-03-02'],
        ],
        [
          ['period', 'month'],
          ['date', '2026-03-02'],
          ['compare', 'previous_period'],
        ],
      );
      await run(5, fc.tuple(endpoint, period, fc.array(node, { minLength: 1, maxLength: 3 })), ([ep, p, filters]) =>
        checkQuery(ep, [['site_id', A], ...p, ['filters', JSON.stringify(filters)]]),
      );
    },
    PROPERTY_BOUND,
  );
});

// Consistency under random valid filters over site A's real values: the answers of the
// endpoints must agree with each other, whatever the filter.
const A_VALUES = [
  '/',
  '/pricing',
  '/blog',
  '/docs',
  'Signup',
  'Download',
  'pageview',
  'pro',
  'Übersicht-ΟΔΟΣ.pdf',
  '/Straße/ΟΔΟΣ/İ',
  'ΟΔΟΣ',
  'οδος',
  'İ',
  'i',
  'STRASSE',
  'straße',
  'Google',
  'google.com',
  'newsletter',
  'Direct / None',
  'Direct',
  'Email',
  'Organic Search',
  'US',
  'California',
  'San Francisco',
  'Chrome',
  'Firefox',
  'Safari',
  'iOS',
  'Windows',
  'Mobile',
  '120.0',
  '(not set)',
  '(none)',
  A,
  '^/',
  'p',
  'O',
  '.*',
  '^$',
  '/only-on-b',
  'FR',
];
const consistentLeaf = fc
  .tuple(
    fc.constantFrom(...OPERATORS),
    fc.constantFrom(...DIMENSIONS.filter((d) => !d.startsWith('time:'))),
    fc.array(fc.constantFrom(...A_VALUES), { minLength: 1, maxLength: 3 }),
    fc.boolean(),
  )
  .map(([op, dim, values, cs]) => (cs ? [op, dim, values] : [op, dim, values, { case_sensitive: false }]));
const { consistentTree } = fc.letrec<{ consistentTree: unknown }>((tie) => ({
  consistentTree: fc.oneof(
    { depthSize: 'small', maxDepth: 2 },
    consistentLeaf,
    fc.tuple(fc.constantFrom('and', 'or'), fc.array(tie('consistentTree'), { minLength: 1, maxLength: 3 })),
    fc.tuple(fc.constant('not'), tie('consistentTree')),
  ),
}));
const VISIT_BREAKDOWNS = BREAKDOWNS.filter((b) => !['pages', 'hostnames', 'events'].includes(b) && !b.startsWith('props/'));
const depth = (f: unknown): number =>
  Array.isArray(f) && (f[0] === 'and' || f[0] === 'or')
    ? 1 + Math.max(...(f[1] as unknown[]).map(depth))
    : Array.isArray(f) && f[0] === 'not'
      ? 1 + depth(f[1])
      : 1;
const round1 = (x: number) => Math.round(x * 10) / 10;
const WEEK = { start_date: '2026-03-01', end_date: '2026-03-05' };

describe('consistency of the answers under random valid filters (site A)', () => {
  it(
    'totals, breakdown sums, percentages, timeseries sums and F ∨ ¬F agree',
    async () => {
      const ask = async (endpoint: string, filters: unknown[] | null, extra: Record<string, string> = {}) => {
        const params: Record<string, string> = { site_id: A, ...WEEK, ...extra };
        if (filters) params.filters = JSON.stringify(filters);
        const res = await request(`${server.url}/api/stats/${endpoint}?${new URLSearchParams(params)}`);
        expect(res.status, `${endpoint} ${params.filters ?? ''} → ${res.text}`).toBe(200);
        return res.body as never;
      };
      const unfiltered: Record<string, number> = await ask('main', null);
      await run(
        7,
        fc.tuple(consistentTree, fc.constantFrom(...BREAKDOWNS)),
        async ([f, dim]) => {
          // Wrapped in or/not below, a tree may be 3 levels deep (the server allows 5).
          fc.pre(depth(f) <= 3);
          const where = `filters=${JSON.stringify([f])} breakdown/${dim}`;
          const total: Record<string, number> = await ask('main', [f]);
          expect(total.unique_visitors, where).toBeLessThanOrEqual(unfiltered.unique_visitors as number);
          expect(total.events, where).toBeLessThanOrEqual(unfiltered.events as number);
          // F or not F keeps everything; F and not F keeps nothing.
          expect(await ask('main', [['or', [f, ['not', f]]]]), where).toEqual(unfiltered);
          expect(await ask('main', [['and', [f, ['not', f]]]]), where).toEqual(main(0, 0, 0, 0, 0, 0, 0));
          // Daily visitor ids: per-day visitors add up to the period's visitors; visits start in one day.
          const days: Record<string, number>[] = await ask('timeseries', [f], { interval: 'day' });
          const sum = (rows: Record<string, number>[], k: string) => rows.reduce((a, r) => a + (r[k] as number), 0);
          expect(
            { visitors: sum(days, 'visitors'), visits: sum(days, 'visits'), pageviews: sum(days, 'pageviews') },
            where,
          ).toEqual({ visitors: total.unique_visitors, visits: total.visits, pageviews: total.total_pageviews });
          // Breakdown rows against the filtered totals.
          const rows: Record<string, number>[] = await ask(`breakdown/${dim}`, [f]);
          for (const r of rows) {
            const share = round1(((r.visitors as number) * 100) / (total.unique_visitors as number));
            expect(dim === 'events' ? r.conversion_rate : r.percentage, `${where} row ${JSON.stringify(r)}`).toBe(share);
          }
          if (dim === 'events') {
            expect(sum(rows, 'events'), where).toBe((total.events as number) - (total.total_pageviews as number));
          } else {
            expect(sum(rows, 'pageviews'), where).toBe(total.total_pageviews);
          }
          if (VISIT_BREAKDOWNS.includes(dim)) expect(sum(rows, 'visits'), where).toBe(total.visits);
        },
        Math.max(1, Math.round(RUNS / 2)),
      );
    },
    PROPERTY_BOUND,
  );
});

// Filtering a breakdown by one of its own values keeps that value's row unchanged, whether
// the filter is `is`, `contains` or an anchored `matches`, case-sensitive or not (a property's
// "(none)" row: by `is` only).
const BREAKDOWN_DIMENSION: Record<string, string> = {
  pages: 'event:page',
  'entry-pages': 'visit:entry_page',
  'exit-pages': 'visit:exit_page',
  hostnames: 'event:hostname',
  sources: 'visit:source',
  referrers: 'visit:referrer',
  channels: 'visit:channel',
  'utm-source': 'visit:utm_source',
  'utm-medium': 'visit:utm_medium',
  'utm-campaign': 'visit:utm_campaign',
  'utm-content': 'visit:utm_content',
  'utm-term': 'visit:utm_term',
  browsers: 'visit:browser',
  os: 'visit:os',
  devices: 'visit:device',
  'screen-sizes': 'visit:screen',
  countries: 'visit:country',
  regions: 'visit:region',
  cities: 'visit:city',
  events: 'event:goal',
  'props/plan': 'event:props:plan',
  'props/file': 'event:props:file',
};
const escapeRegex = (v: string) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('a breakdown filtered by one of its own values', () => {
  it(
    'keeps that row (is / contains / matches, with and without case_sensitive)',
    async () => {
      const ask = async (endpoint: string, extra: Record<string, string>) => {
        const params = new URLSearchParams({ site_id: A, start_date: '2026-03-01', end_date: '2026-03-05', ...extra });
        const res = await request(`${server.url}/api/stats/${endpoint}?${params}`);
        expect(res.status, `${endpoint}?${params} → ${res.text}`).toBe(200);
        return res.body as Record<string, unknown>[];
      };
      const rowsOf = new Map<string, Record<string, unknown>[]>();
      for (const name of Object.keys(BREAKDOWN_DIMENSION)) rowsOf.set(name, await ask(`breakdown/${name}`, {}));
      const cases = [...rowsOf].flatMap(([name, rows]) => rows.map((r) => [name, r] as const));
      await run(
        8,
        fc.tuple(fc.constantFrom(...cases), fc.constantFrom('is', 'contains', 'matches'), fc.boolean()),
        async ([[name, r], op, caseSensitive]) => {
          const value = String(r.value);
          const filter: unknown[] = [op, BREAKDOWN_DIMENSION[name], [op === 'matches' ? `^${escapeRegex(value)}$` : value]];
          if (!caseSensitive) filter.push({ case_sensitive: false });
          const filters = JSON.stringify([filter]);
          const got = (await ask(`breakdown/${name}`, { filters })).find((x) => x.value === value);
          // A property's "(none)" row stands for events without the key, which only `is`
          // selects: a pattern holds only where the key is (docs/API.md, as in Plausible).
          if (name.startsWith('props/') && value === '(none)' && op !== 'is') {
            expect(got, `breakdown/${name} filtered by ${filters}`).toBeUndefined();
            return;
          }
          // Shares are over the filtered visitors, so only the counts must be equal.
          const counts = (x: Record<string, unknown> | undefined) =>
            x && Object.fromEntries(Object.entries(x).filter(([k]) => k !== 'percentage' && k !== 'conversion_rate'));
          expect(counts(got), `breakdown/${name} filtered by ${filters}`).toEqual(counts(r));
        },
        Math.min(RUNS, 200),
      );
    },
    PROPERTY_BOUND,
  );
});

// Raw URLs: malformed percent-encoding, unencoded metacharacters, oversized query strings.
const RAW_PIECES = [
  '%',
  '%zz',
  '%0',
  '%00',
  '%u0041',
  '%E0%A4%A',
  '%C0%AF',
  '%FF',
  '+',
  '&',
  '=',
  '==',
  '&&',
  ';',
  '[',
  ']',
  '{',
  '}',
  '|',
  '\\',
  '^',
  '`',
  '"',
  "'",
  '<',
  '>',
  ' ',
  '%20',
  '%2F',
  '..',
  '/',
  '?',
  '%3F',
  'é',
  'filters=',
  'filters=[',
  'site_id=',
  `site_id=${B}`,
  'period=all',
];
const rawQuery = fc.array(
  fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...RAW_PIECES) }, { weight: 1, arbitrary: fc.string({ maxLength: 10 }) }),
  { maxLength: 12 },
);
const rawPath = fc.constantFrom(
  'main',
  'timeseries',
  'realtime',
  'breakdown/pages',
  'breakdown/props/plan',
  'breakdown/..%2f..%2fmain',
  'breakdown/%2e%2e',
);

describe('GET stats with raw, malformed URLs', () => {
  it(
    'never a 5xx, always JSON {error} or a clean 200 without site B',
    async () => {
      await run(
        6,
        fc.tuple(rawPath, rawQuery),
        async ([path, pieces]) => {
          const url = `${server.url}/api/stats/${path}?site_id=${A}&${pieces.join('')}`;
          const { status, body } = await request(url);
          if (status === 200) expect(body).not.toBeNull();
        },
        200,
      );
    },
    PROPERTY_BOUND,
  );

  // Framework-level rejections, each answered outside the app's error handler today.
  it.each([
    ['a malformed percent-escape in the path', () => `/api/stats/breakdown/%zz?site_id=${A}`, 400],
    ['a malformed percent-escape in the endpoint name', () => `/api/stats/main%?site_id=${A}`, 400],
    ['a query string over the 16 KiB header limit', () => `/api/stats/main?site_id=${A}&x=${'a'.repeat(20_000)}`, 431],
  ])('%s: answered with exactly {"error": string}', async (_name, path, status) => {
    const res = await fetch(`${server.url}${path()}`, { headers: { authorization: `Bearer ${readKey}` } });
    const text = await res.text();
    expect(res.status, text).toBe(status);
    expect(res.headers.get('content-type') ?? '').toMatch(/^application\/json/);
    const body = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(body), text).toEqual(['error']);
    expect(body.error).toBeTypeOf('string');
  });
});

describe('after the runs', () => {
  it('the server is healthy and site A answers exactly as before', async () => {
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(200);
    expect(await health.text()).toBe('ok');
    const after = await Promise.all(BASELINE_PARAMS.map((p) => stats(server.url, readKey, 'main', { site_id: A, ...p })));
    expect(after).toEqual(baseline);
    expect(server.proc.exitCode).toBeNull();
    expect(server.logs()).not.toMatch(/"level":(50|60)/);
  });
});
