/**
 * The behavioral endpoints (sessions, funnel, retention, sequences, flow) over a fixed
 * data set loaded through POST /api/events: answered from the hot tier, from Parquet after
 * a graceful restart, and for a copy imported in reverse order across two batches. Every
 * expected number below is worked out by hand from the fixture and docs/BEHAVIORAL.md.
 *
 * Fixture, site beh-a.test, 2026-03-02 (a Monday) .. 03-22, all times UTC.
 * Signed-in users (user_id, one identity across days):
 *   U1  03-02 10:00:00 pv /, 10:05:00 pv /pricing, 10:10:00 signup (signups happen on /welcome)
 *       03-09 09:00 pv /          03-16 09:00 pv /docs
 *   U2  03-02 12:00:00 pv /, 12:00:00 pv /pricing (same second, arrives after /),
 *       13:00:01 signup (3601 s after /)          03-10 08:00 pv /blog
 *   U3  03-03 15:00:00 pv /pricing (arrives first), 15:00:00 pv /, 15:00:50 signup
 *   U4  03-09 11:00:00 pv /, 11:30:00 pv /blog (exactly 1800 s)     03-16 10:00 pv /
 * Cookieless visitors (a new id every UTC day):
 *   A1  03-04 09:00:00 pv /, 09:00:30 click (on /features), 09:45:00 pv /pricing
 *   A2  03-05 20:00 pv /blog
 *   A1' 03-11 10:00 pv /pricing (A1's IP and browser, a week later: another identity)
 * 7 identities: U1..U4 identified, A1, A2, A1' anonymous.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_STORAGE } from '../helpers/backends.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, type Ev, V1, V2, V3, V4, V5 } from './fixture.js';
import { loadBatch, removeScratchDirs, stats, statsUrl } from './support.js';

const SITE = 'beh-a.test';
const REVERSED = 'beh-rev.test';
const OTHER = 'beh-other.test';
const RANGE = { start_date: '2026-03-02', end_date: '2026-03-22' };

const U = (user: string, base: { ip: string; ua: string }) => ({ ...base, user });
const U1 = U('user-1', V1);
const U2 = U('user-2', V2);
const U3 = U('user-3', V3);
const U4 = U('user-4', V4);

const BEHAVIOR_EVENTS: readonly Ev[] = [
  { ...U1, t: '2026-03-02T10:00:00Z', path: '/' },
  { ...U1, t: '2026-03-02T10:05:00Z', path: '/pricing' },
  { ...U1, t: '2026-03-02T10:10:00Z', path: '/welcome', n: 'signup' },
  { ...U1, t: '2026-03-09T09:00:00Z', path: '/' },
  { ...U1, t: '2026-03-16T09:00:00Z', path: '/docs' },
  { ...U2, t: '2026-03-02T12:00:00Z', path: '/' },
  { ...U2, t: '2026-03-02T12:00:00Z', path: '/pricing' },
  { ...U2, t: '2026-03-02T13:00:01Z', path: '/welcome', n: 'signup' },
  { ...U2, t: '2026-03-10T08:00:00Z', path: '/blog' },
  { ...U3, t: '2026-03-03T15:00:00Z', path: '/pricing' },
  { ...U3, t: '2026-03-03T15:00:00Z', path: '/' },
  { ...U3, t: '2026-03-03T15:00:50Z', path: '/welcome', n: 'signup' },
  { ...U4, t: '2026-03-09T11:00:00Z', path: '/' },
  { ...U4, t: '2026-03-09T11:30:00Z', path: '/blog' },
  { ...U4, t: '2026-03-16T10:00:00Z', path: '/' },
  { ...V1, t: '2026-03-04T09:00:00Z', path: '/' },
  { ...V1, t: '2026-03-04T09:00:30Z', path: '/features', n: 'click' },
  { ...V1, t: '2026-03-04T09:45:00Z', path: '/pricing' },
  { ...V5, t: '2026-03-05T20:00:00Z', path: '/blog' },
  { ...V1, t: '2026-03-11T10:00:00Z', path: '/pricing' },
];

const funnelStep = (step: number, label: string, visitors: number, first: number, previous: number) => ({
  step,
  label,
  visitors,
  conversion_rate: first === 0 ? 0 : Math.round((visitors / first) * 10_000) / 10_000,
  dropoff: previous - visitors,
  dropoff_rate: previous === 0 ? 0 : Math.round(((previous - visitors) / previous) * 10_000) / 10_000,
});
/** Funnel rows from the visitors per step alone: rates and drop-offs follow from them. */
const funnelOf = (labels: string[], visitors: number[]) =>
  labels.map((l, i) =>
    funnelStep(i + 1, l, visitors[i] ?? 0, visitors[0] ?? 0, i === 0 ? (visitors[0] ?? 0) : (visitors[i - 1] ?? 0)),
  );
const FUNNEL3 = ['page:/', 'page:/pricing', 'event:signup'];
const steps3 = FUNNEL3.join(',');

const NOTE_START = 'Visitors are followed by user_id';

/** [name, endpoint, params, expected]; `ties` marks answers that depend on arrival order within a second. */
type Case = [string, string, Record<string, string | number>, unknown, { ties?: boolean }?];
const CASES: Case[] = [
  // Sessions, gap 1800: U1 3 (600 s, bounce, bounce), U2 3 (0 s pair, signup bounce, bounce),
  // U3 1 (50 s), U4 2 (1800 s exactly: one session; bounce), A1 2 (30 s; bounce), A2 1, A1' 1.
  [
    'sessions, default gap',
    'sessions',
    RANGE,
    {
      total_sessions: 13,
      avg_session_duration_secs: Math.round(2480 / 13),
      avg_pages_per_session: 1.23,
      bounce_rate: 0.6154,
      gap_secs: 1800,
    },
  ],
  // gap 3601: U2's signup joins (3601 s is not longer than the gap), A1's two sessions merge.
  [
    'sessions, gap=3601',
    'sessions',
    { ...RANGE, gap: 3601 },
    { total_sessions: 11, avg_session_duration_secs: 796, avg_pages_per_session: 1.45, bounce_rate: 0.5455, gap_secs: 3601 },
  ],
  [
    'sessions, gap as a duration',
    'sessions',
    { ...RANGE, gap: '1 hour' },
    // 3600 < 3601: as the default gap except A1's 2670 s gap joins: 12 sessions.
    {
      total_sessions: 12,
      avg_session_duration_secs: Math.round((600 + 50 + 1800 + 2700) / 12),
      avg_pages_per_session: 1.33,
      bounce_rate: 0.5833,
      gap_secs: 3600,
    },
  ],
  [
    'sessions, empty period',
    'sessions',
    { start_date: '2025-01-01', end_date: '2025-01-31' },
    { total_sessions: 0, avg_session_duration_secs: 0, avg_pages_per_session: 0, bounce_rate: 0, gap_secs: 1800 },
  ],
  // Funnel /, /pricing, signup within 1 hour: U1 3; U2 2 (signup 3601 s after /); U3 3 (the
  // same-second tie is ordered by step); U4 1; A1 2 (/pricing 2700 s later); A2, A1' 0.
  ['funnel, window 1 hour', 'funnel', { ...RANGE, steps: steps3, window: '1 hour' }, funnelOf(FUNNEL3, [5, 4, 2])],
  ['funnel, window at the edge (3601 s)', 'funnel', { ...RANGE, steps: steps3, window: 3601 }, funnelOf(FUNNEL3, [5, 4, 3])],
  // strict_order: the /blog row after U2's step 2 and U4's step 1 stops them, and A1's click stops A1 at 1.
  [
    'funnel, strict_order',
    'funnel',
    { ...RANGE, steps: steps3, window: '1 hour', mode: 'strict_order' },
    funnelOf(FUNNEL3, [5, 3, 2]),
  ],
  // strict_increase: same-second steps do not count (U2 and U3 stay at 1).
  [
    'funnel, strict_increase',
    'funnel',
    { ...RANGE, steps: steps3, window: '1 hour', mode: 'strict_increase' },
    funnelOf(FUNNEL3, [5, 2, 1]),
  ],
  // A filter removing the /pricing rows removes step 2, so no chain reaches step 3 either.
  [
    'funnel, a filter removes steps',
    'funnel',
    { ...RANGE, steps: steps3, window: '1 hour', filters: JSON.stringify([['is_not', 'event:page', ['/pricing']]]) },
    funnelOf(FUNNEL3, [5, 0, 0]),
  ],
  // Wildcards: /b* matches /blog; only U4 reaches it within a day of /. `_` is literal.
  ['funnel, wildcard step', 'funnel', { ...RANGE, steps: 'page:/,page:/b*' }, funnelOf(['page:/', 'page:/b*'], [5, 1])],
  ['funnel, _ is literal', 'funnel', { ...RANGE, steps: 'page:/,page:/_log' }, funnelOf(['page:/', 'page:/_log'], [5, 0])],
  [
    'funnel, steps as a JSON list',
    'funnel',
    { ...RANGE, steps: JSON.stringify(['page:/', 'event:signup']), window: '30m' },
    // Within 1800 s of /: U1 (600 s), U3 (50 s); U2's signup is 3601 s later.
    funnelOf(['page:/', 'event:signup'], [5, 2]),
  ],
  [
    'funnel, empty period',
    'funnel',
    { start_date: '2025-01-01', end_date: '2025-01-31', steps: steps3 },
    funnelOf(FUNNEL3, [0, 0, 0]),
  ],
  // Weekly cohorts: 03-02 = {U1, U2, U3, A1, A2}; 03-09 = {U4, A1'}. Last week with data: 03-16.
  [
    'retention, weeks=2',
    'retention',
    { ...RANGE, weeks: 2 },
    {
      interval: 'week',
      periods: 2,
      identified_visitors: 4,
      anonymous_visitors: 3,
      cohorts: [
        { cohort_date: '2026-03-02', size: 5, retained: [5, 2, 1], rate: [1, 0.4, 0.2] },
        { cohort_date: '2026-03-09', size: 2, retained: [2, 1, null], rate: [1, 0.5, null] },
      ],
    },
  ],
  [
    'retention, daily',
    'retention',
    { start_date: '2026-03-02', end_date: '2026-03-03', interval: 'day', periods: 1 },
    {
      interval: 'day',
      periods: 1,
      identified_visitors: 3,
      anonymous_visitors: 0,
      cohorts: [
        { cohort_date: '2026-03-02', size: 2, retained: [2, 0], rate: [1, 0] },
        { cohort_date: '2026-03-03', size: 1, retained: [1, null], rate: [1, null] },
      ],
    },
  ],
  [
    'retention, monthly',
    'retention',
    { ...RANGE, interval: 'month', periods: 1 },
    {
      interval: 'month',
      periods: 1,
      identified_visitors: 4,
      anonymous_visitors: 3,
      cohorts: [{ cohort_date: '2026-03-01', size: 7, retained: [7, null], rate: [1, null] }],
    },
  ],
  // /pricing then signup: U1, U2, U3 (A1 and A1' never sign up) of 7 identities.
  [
    'sequences, no time limit',
    'sequences',
    { ...RANGE, steps: 'page:/pricing,event:signup' },
    { pattern: '(?1).*(?2)', converting_visitors: 3, total_visitors: 7, conversion_rate: 0.4286, sequence_count: 3 },
  ],
  [
    'sequences, within 1 hour',
    'sequences',
    { ...RANGE, steps: 'page:/pricing,event:signup', within: '1 hour' },
    { pattern: '(?1)(?t<=3600)(?2)', converting_visitors: 2, total_visitors: 7, conversion_rate: 0.2857, sequence_count: 2 },
  ],
  // With / as a third condition, / rows become visible: U3's /pricing is followed by / (same
  // second, arrived later), so only U1 and U2 have signup right after /pricing.
  [
    'sequences, raw pattern, adjacency',
    'sequences',
    { ...RANGE, steps: 'page:/pricing,event:signup,page:/', pattern: '(?1)(?2)' },
    { pattern: '(?1)(?2)', converting_visitors: 2, total_visitors: 7, conversion_rate: 0.2857, sequence_count: 2 },
    { ties: true },
  ],
  [
    'sequences, raw pattern with one any',
    'sequences',
    { ...RANGE, steps: 'page:/pricing,event:signup,page:/', pattern: '(?1).(?2)' },
    { pattern: '(?1).(?2)', converting_visitors: 1, total_visitors: 7, conversion_rate: 0.1429, sequence_count: 1 },
    { ties: true },
  ],
  // Page views after each identity's first /, ties ordered by pathname:
  // U1 /pricing / /docs; U2 /pricing /blog; U3 /pricing; U4 /blog /; A1 /pricing.
  [
    'flow forward, depth 1',
    'flow',
    { ...RANGE, page: '/' },
    [
      { next_page: '/pricing', visitors: 4 },
      { next_page: '/blog', visitors: 1 },
    ],
  ],
  [
    'flow forward, depth 3',
    'flow',
    { ...RANGE, page: '/', depth: 3 },
    [
      {
        next_page: '/pricing',
        visitors: 4,
        children: [
          { next_page: '/', visitors: 1, children: [{ next_page: '/docs', visitors: 1 }] },
          { next_page: '/blog', visitors: 1, children: [] },
        ],
      },
      { next_page: '/blog', visitors: 1, children: [{ next_page: '/', visitors: 1, children: [] }] },
    ],
  ],
  ['flow, limit 1', 'flow', { ...RANGE, page: '/', limit: 1 }, [{ next_page: '/pricing', visitors: 4 }]],
  // Before the first /pricing: / for U1, U2, U3 (/ sorts before /pricing in the tie), A1; A1' has nothing before.
  [
    'flow backward',
    'flow',
    { ...RANGE, page: '/pricing', direction: 'backward', depth: 2 },
    [{ next_page: '/', visitors: 4, children: [] }],
  ],
  ['flow, a page nobody saw', 'flow', { ...RANGE, page: '/nowhere' }, []],
];

let server: RunningServer;
let key: string;

const check = async (site: string, c: Case) => {
  const [, endpoint, params, expected] = c;
  const body = await stats<Record<string, unknown>>(server.url, key, endpoint, { site_id: site, ...params });
  if (endpoint === 'retention') {
    expect(String(body.note)).toContain(NOTE_START);
    delete body.note;
  }
  expect(body).toEqual(expected);
};

beforeAll(async () => {
  server = await startServer();
  key = await createKey(server.url, await login(server.url), 'admin');
  await loadBatch(
    server.url,
    key,
    BEHAVIOR_EVENTS.map((e) => batchEvent(SITE, e)),
  );
  // The same events, reversed, in two batches: out-of-order ingestion must not change answers.
  const reversed = [...BEHAVIOR_EVENTS].reverse().map((e) => batchEvent(REVERSED, e));
  await loadBatch(server.url, key, reversed.slice(0, 9));
  await loadBatch(server.url, key, reversed.slice(9));
  // Another site's events on the same pages must never leak into the answers.
  await loadBatch(
    server.url,
    key,
    BEHAVIOR_EVENTS.map((e) => batchEvent(OTHER, { ...e, user: e.user && `${e.user}-x` })),
  );
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('behavioral endpoints, hot tier', () => {
  it.each(CASES)('%s', async (...c) => check(SITE, c));
});

describe('behavioral endpoints, reversed import', () => {
  it.each(CASES.filter((c) => !c[4]?.ties))('%s', async (...c) => check(REVERSED, c));
});

describe('behavioral endpoints, from Parquet after a restart', () => {
  beforeAll(async () => {
    await server.stop();
    server = await startServer({ dataDir: server.dataDir });
  });
  it.each(CASES)('%s', async (...c) => check(SITE, c));
});

/**
 * Without filters, sessions chain the stored visits instead of scanning events whenever no
 * pause inside a stored visit is longer than the gap (the plan header says which was used).
 * Worked out by hand like CASES; the longest pause inside a visit is U4's 1800 s on 03-09,
 * U1's 300 s on 03-02.
 */
describe('sessions from the stored visits', () => {
  const DAY2 = { start_date: '2026-03-02', end_date: '2026-03-02' };
  const sessions = (total: number, seconds: number, pageviews: number, bounces: number, gap: number) => ({
    total_sessions: total,
    avg_session_duration_secs: Math.round(seconds / total),
    avg_pages_per_session: Math.round((pageviews / total) * 100) / 100,
    bounce_rate: Math.round((bounces / total) * 10_000) / 10_000,
    gap_secs: gap,
  });
  const cases: [string, Record<string, string | number>, unknown, 'visits' | 'events'][] = [
    // A period without stored days (the empty one) has nothing to chain; ClickHouse counts a
    // whole day without events as built, with no rows (docs/CLICKHOUSE.md), so it reads none.
    ...CASES.filter((c) => c[1] === 'sessions').map(
      ([name, , params, expected]) =>
        [name, params, expected, name.includes('empty') && TEST_STORAGE === 'duckdb' ? 'events' : 'visits'] as [
          string,
          Record<string, string | number>,
          unknown,
          'visits' | 'events',
        ],
    ),
    // Seven days: U1's three days chain into one session (6d 22h 50m, then exactly 7 days), so
    // do U4's (7d less 1.5 h); U2's 03-10 view is 7d 19h after its signup.
    // Durations: U1 14d - 1h, U2 3601, U3 50, U4 7d - 1h, A1 2700; bounces U2's last, A2, A1'.
    [
      'sessions, gap of seven days',
      { ...RANGE, gap: '7 days' },
      sessions(8, 1_206_000 + 3601 + 50 + 601_200 + 2700, 16, 3, 604_800),
      'visits',
    ],
    // 600 s splits U4's 1800 s visit: the stored visits cannot serve it. U1 600 s + 2 bounces,
    // U2 0 s pair + 2 bounces, U3 50 s, U4 3 bounces, A1 30 s + bounce, A2, A1'.
    ['sessions, gap shorter than a stored visit', { ...RANGE, gap: 600 }, sessions(14, 680, 16, 10, 600), 'events'],
    // 03-02 alone: no pause inside a visit is longer than 300 s, so 300 s is served from visits;
    // U1 one session of 600 s, U2 a 0 s pair and its signup 3601 s later.
    ['sessions, one day, gap equal to its longest pause', { ...DAY2, gap: 300 }, sessions(3, 600, 4, 1, 300), 'visits'],
    // 299 s: U1's three events are three sessions.
    ['sessions, one day, gap just under it', { ...DAY2, gap: 299 }, sessions(5, 0, 4, 4, 299), 'events'],
  ];

  beforeAll(async () => {
    await server.stop();
    server = await startServer({ dataDir: server.dataDir, env: { MALLARD_ROLLUP_DELAY: '0' } });
    // A bound on the wait, not a speed check (a build waits behind whatever else the machine runs).
    for (let i = 0; i < 4000; i++) {
      const health = (await (await fetch(`${server.url}/health/detailed`)).json()) as { storage: { derived_pending: number } };
      if (health.storage.derived_pending === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('derived tables were not built');
  }, 240_000);

  it.each(cases)('%s', async (_name, params, expected, plan) => {
    const res = await fetch(statsUrl(server.url, 'sessions', { site_id: SITE, ...params }), {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(expected);
    expect(res.headers.get('x-mallard-plan')).toBe(plan);
  });

  it('a filter always scans events', async () => {
    const res = await fetch(
      statsUrl(server.url, 'sessions', { site_id: SITE, ...RANGE, filters: '[["is","event:page",["/blog"]]]' }),
      { headers: { authorization: `Bearer ${key}` } },
    );
    // Only the three /blog views remain: U2 03-10, U4 03-09 11:30, A2 — three one-event sessions.
    expect(await res.json()).toEqual(sessions(3, 0, 3, 3, 1800));
    expect(res.headers.get('x-mallard-plan')).toBe('events');
  });
});

describe('behavioral endpoints refuse bad input with a 400 naming the parameter', () => {
  const bad: [string, string, Record<string, string>, string][] = [
    ['funnel without steps', 'funnel', {}, 'steps'],
    ['funnel with one step', 'funnel', { steps: 'page:/' }, 'steps'],
    ['funnel with nine steps', 'funnel', { steps: Array(9).fill('page:/').join(',') }, 'steps'],
    ['funnel step of unknown kind', 'funnel', { steps: 'page:/,visit:/x' }, 'steps[1]'],
    ['funnel step without a value', 'funnel', { steps: 'page:/,event:' }, 'steps[1]'],
    ['funnel step JSON not a list', 'funnel', { steps: '[1,' }, 'steps'],
    ['funnel window not a duration', 'funnel', { steps: steps3, window: 'soon' }, 'window'],
    ['funnel window zero', 'funnel', { steps: steps3, window: '0' }, 'window'],
    ['funnel window over a year', 'funnel', { steps: steps3, window: '400 days' }, 'window'],
    ['funnel mode strict (renamed)', 'funnel', { steps: steps3, mode: 'strict' }, 'strict_deduplication'],
    ['funnel mode unknown', 'funnel', { steps: steps3, mode: 'fastest' }, 'mode'],
    ['funnel allow_reentry alone', 'funnel', { steps: steps3, mode: 'allow_reentry' }, 'mode'],
    ['retention interval unknown', 'retention', { interval: 'year' }, 'interval'],
    ['retention weeks zero', 'retention', { weeks: '0' }, 'weeks'],
    ['retention weeks 53', 'retention', { weeks: '53' }, 'weeks'],
    ['retention weeks with interval=day', 'retention', { weeks: '2', interval: 'day' }, 'weeks'],
    ['retention periods not a number', 'retention', { interval: 'day', periods: '1;DROP' }, 'periods'],
    ['sequences one step', 'sequences', { steps: 'page:/' }, 'steps'],
    ['sequences condition out of range', 'sequences', { steps: 'page:/,page:/a', pattern: '(?3)' }, 'pattern'],
    ['sequences != operator', 'sequences', { steps: 'page:/,page:/a', pattern: '(?1)(?t!=5)(?2)' }, 'pattern'],
    ['sequences unbalanced', 'sequences', { steps: 'page:/,page:/a', pattern: '(?1' }, 'pattern'],
    ['sequences stray character', 'sequences', { steps: 'page:/,page:/a', pattern: '(?1) (?2)' }, 'pattern'],
    ['sequences too many .*', 'sequences', { steps: 'page:/,page:/a', pattern: '(?1)'.concat('.*(?2)'.repeat(9)) }, 'pattern'],
    ['sequences pattern too long', 'sequences', { steps: 'page:/,page:/a', pattern: '(?1)'.repeat(100) }, 'pattern'],
    ['sequences within count', 'sequences', { steps: 'page:/,page:/a,page:/b', within: '60' }, 'within'],
    ['sequences within not a duration', 'sequences', { steps: 'page:/,page:/a', within: 'x' }, 'within[0]'],
    ['sequences within with pattern', 'sequences', { steps: 'page:/,page:/a', within: '60', pattern: '(?1)(?2)' }, 'within'],
    ['flow without page', 'flow', {}, 'page'],
    ['flow depth 6', 'flow', { page: '/', depth: '6' }, 'depth'],
    ['flow direction sideways', 'flow', { page: '/', direction: 'sideways' }, 'direction'],
    ['flow limit 0', 'flow', { page: '/', limit: '0' }, 'limit'],
    ['sessions gap zero', 'sessions', { gap: '0' }, 'gap'],
    ['sessions gap words', 'sessions', { gap: 'long' }, 'gap'],
    ['an invalid regular expression in filters', 'sessions', { filters: '[["matches","event:page",["(("]]]' }, 'filters'],
    ['an unknown filter dimension', 'funnel', { steps: steps3, filters: '[["is","visit:nope",["x"]]]' }, 'filters'],
  ];
  it.each(bad)('%s', async (_name, endpoint, params, mention) => {
    const res = await fetch(statsUrl(server.url, endpoint, { site_id: SITE, ...RANGE, ...params }), {
      headers: { authorization: `Bearer ${key}` },
    });
    const body = (await res.json()) as { error: string };
    expect(res.status, body.error).toBe(400);
    expect(body.error).toContain(mention);
  });

  it('binds step values: SQL in a step is a page name that nobody visited', async () => {
    const evil = "page:/' OR 1=1 --";
    const body = await stats(server.url, key, 'funnel', { site_id: SITE, ...RANGE, steps: `${evil},event:signup; DROP TABLE x` });
    expect(body).toEqual(funnelOf([evil, 'event:signup; DROP TABLE x'], [0, 0]));
    expect(await stats(server.url, key, 'flow', { site_id: SITE, ...RANGE, page: "/' UNION SELECT 1 --" })).toEqual([]);
  });

  it('a key for another site cannot read these answers', async () => {
    const other = await createKey(server.url, await login(server.url), 'read', [OTHER]);
    for (const endpoint of ['sessions', 'funnel', 'retention', 'sequences', 'flow']) {
      const res = await fetch(statsUrl(server.url, endpoint, { site_id: SITE, steps: steps3, page: '/' }), {
        headers: { authorization: `Bearer ${other}` },
      });
      expect(res.status, endpoint).toBe(403);
    }
    const unauthenticated = await fetch(statsUrl(server.url, 'funnel', { site_id: SITE, steps: steps3 }));
    expect(unauthenticated.status).toBe(401);
  });
});
