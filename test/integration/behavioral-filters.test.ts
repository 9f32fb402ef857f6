/**
 * has_done / has_not_done (docs/METRICS.md, "Behavioral filters"): the visits that have (or
 * have not) an event in the period passing the inner filter, every event of which then counts.
 * Answered first from the hot tier (the events plan), then, after a restart has flushed the
 * events and built the days' derived tables, with the visit counts from the stored visit rows
 * (`X-Mallard-Plan: visits`): the same numbers.
 *
 * Fixture, site hd.test, UTC, no configured goals (a custom event name is a goal). A visitor
 * id is daily, so V1 on 04-02 is another visitor than V1 on 04-01.
 *
 *   2026-04-01  X1  V1 10:00 pageview /, 10:02 Signup on /signup (plan=pro), 10:05 pageview /thanks
 *                                                                  3 events, 2 page views, 300 s
 *               X2  V2 11:00 pageview /, 11:01 pageview /pricing    2 events, 2 page views, 60 s
 *   2026-04-02  X3  V3 09:00 pageview /blog                          a bounce
 *               X4  V1 12:00 pageview /pricing, 12:10 Signup on /pricing (plan=free)
 *                                                                  2 events, 1 page view, 600 s
 *   2026-04-03  (outside the period P = 04-01..04-02)
 *               X5  V4 08:00 pageview /, 08:01 Signup on /          2 events, 1 page view, 60 s
 *               X6  V2 09:00 Signup on /                            a bounce, no page view
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { answer, loadBatch, main, removeScratchDirs, scratchDir, statsUrl, UA, ZERO_MAIN } from './support.js';

const SITE = 'hd.test';
const HOST = `https://${SITE}`;
const V1 = { ip: '203.0.113.61', ua: UA.chromeWindows };
const V2 = { ip: '198.51.100.62', ua: UA.firefoxLinux };
const V3 = { ip: '203.0.113.63', ua: UA.safariIphone };
const V4 = { ip: '198.51.100.64', ua: UA.safariMac };

const ev = (who: { ip: string; ua: string }, t: string, path: string, name = 'pageview', p?: Record<string, string>) => ({
  d: SITE,
  n: name,
  u: `${HOST}${path}`,
  p,
  timestamp: t,
  ip: who.ip,
  user_agent: who.ua,
});

const EVENTS = [
  ev(V1, '2026-04-01T10:00:00Z', '/'),
  ev(V1, '2026-04-01T10:02:00Z', '/signup', 'Signup', { plan: 'pro' }),
  ev(V1, '2026-04-01T10:05:00Z', '/thanks'),
  ev(V2, '2026-04-01T11:00:00Z', '/'),
  ev(V2, '2026-04-01T11:01:00Z', '/pricing'),
  ev(V3, '2026-04-02T09:00:00Z', '/blog'),
  ev(V1, '2026-04-02T12:00:00Z', '/pricing'),
  ev(V1, '2026-04-02T12:10:00Z', '/pricing', 'Signup', { plan: 'free' }),
  ev(V4, '2026-04-03T08:00:00Z', '/'),
  ev(V4, '2026-04-03T08:01:00Z', '/', 'Signup'),
  ev(V2, '2026-04-03T09:00:00Z', '/', 'Signup'),
];

const P = { start_date: '2026-04-01', end_date: '2026-04-02' };
const D2 = { start_date: '2026-04-02', end_date: '2026-04-02' };
const D3 = { start_date: '2026-04-03', end_date: '2026-04-03' };
const ALL3 = { start_date: '2026-04-01', end_date: '2026-04-03' };
const SIGNUP = ['is', 'event:name', ['Signup']];
const f = (...filters: unknown[]) => ({ filters: JSON.stringify(filters) });

/** GET /api/stats/main cases: [name, params, main(visitors, visits, pageviews, views per visit, bounce rate, duration, events)]. */
const MAIN: [string, Record<string, string>, unknown][] = [
  // X1, X4: 2 daily visitors, 3 + 2 events, 2 + 1 page views, (300 + 600) / 2 s.
  ['has_done Signup', { ...P, ...f(['has_done', SIGNUP]) }, main(2, 2, 3, 1.5, 0, 450, 5)],
  // X2, X3: X3 a bounce, (60 + 0) / 2 s.
  ['has_not_done Signup', { ...P, ...f(['has_not_done', SIGNUP]) }, main(2, 2, 3, 1.5, 0.5, 30, 3)],
  ['not has_done Signup is has_not_done', { ...P, ...f(['not', ['has_done', SIGNUP]]) }, main(2, 2, 3, 1.5, 0.5, 30, 3)],
  // X1 and X4's page views only; visit counts over the visits with a kept event (X1, X4).
  [
    'has_done Signup, then page views only',
    { ...P, ...f(['has_done', SIGNUP], ['is', 'event:name', ['pageview']]) },
    main(2, 2, 3, 1.5, 0, 450, 3),
  ],
  // X2 (11:01), X4 (12:00): 2 + 2 events, 2 + 1 page views, (60 + 600) / 2 s.
  ['has_done page /pricing', { ...P, ...f(['has_done', ['is', 'event:page', ['/pricing']]]) }, main(2, 2, 3, 1.5, 0, 330, 4)],
  // The inner filter as an or of an and: Signup with plan=pro (X1) or a /blog page view (X3).
  [
    'has_done (Signup and plan pro) or page /blog',
    {
      ...P,
      ...f([
        'has_done',
        [
          'or',
          [
            ['and', [SIGNUP, ['is', 'event:props:plan', ['pro']]]],
            ['is', 'event:page', ['/blog']],
          ],
        ],
      ]),
    },
    main(2, 2, 3, 1.5, 0.5, 150, 4),
  ],
  // Beside a visit filter: X1 and X4 both entered on a page of their own; /pricing is X4's.
  [
    'has_done Signup and entry page /pricing',
    { ...P, ...f(['has_done', SIGNUP], ['is', 'visit:entry_page', ['/pricing']]) },
    main(1, 1, 1, 1, 0, 600, 2),
  ],
  // The period decides: X5 and X6 did sign up, on 04-03, outside P (the first case).
  ['has_done Signup, the day after', { ...D3, ...f(['has_done', SIGNUP]) }, main(2, 2, 1, 0.5, 0.5, 30, 3)],
  // X1, X4, X5, X6: 2 + 1 + 1 + 0 page views, 3 + 2 + 2 + 1 events, X6 a bounce, (300 + 600 + 60 + 0) / 4 s.
  ['has_done Signup, three days', { ...ALL3, ...f(['has_done', SIGNUP]) }, main(4, 4, 4, 1, 0.25, 240, 8)],
  // No page view of / on 04-02: the / of 04-01 and 04-03 are outside that period.
  ['has_done page /, a day without one', { ...D2, ...f(['has_done', ['is', 'event:page', ['/']]]) }, ZERO_MAIN],
  // Every visit of 04-02 has a page view: nothing is left.
  ['has_not_done pageview', { ...D2, ...f(['has_not_done', ['is', 'event:name', ['pageview']]]) }, ZERO_MAIN],
  // X6 alone on 04-03 has no page view.
  [
    'has_not_done pageview, the day after',
    { ...D3, ...f(['has_not_done', ['is', 'event:name', ['pageview']]]) },
    main(1, 1, 0, 0, 1, 0, 1),
  ],
];

let server: RunningServer;
let readKey: string;

beforeAll(async () => {
  server = await startServer({ dataDir: scratchDir('behavioral-filters'), env: { MALLARD_FLUSH_INTERVAL: '86400' } });
  const cookie = await login(server.url);
  readKey = await createKey(server.url, cookie, 'read');
  await loadBatch(server.url, await createKey(server.url, cookie, 'ingest'), EVENTS);
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

async function get(endpoint: string, params: Record<string, string>) {
  const res = await fetch(statsUrl(server.url, endpoint, { site_id: SITE, ...params }), {
    headers: { authorization: `Bearer ${readKey}` },
  });
  return { ...(await answer(res)), plan: res.headers.get('x-mallard-plan') };
}

async function v2(body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${readKey}` },
    body: JSON.stringify({ site_id: SITE, date_range: ['2026-04-01', '2026-04-02'], ...body }),
  });
  return answer<{ results: unknown; error: string }>(res);
}

/** The same answers whichever plan reads them. */
function answers(plan: 'events' | 'visits') {
  it.each(MAIN)('main: %s', async (_name, params, expected) => {
    const a = await get('main', params);
    expect(a.status, a.text).toBe(200);
    expect(a.json).toEqual(expected);
    // Visit counts come from stored visit rows once the days are built; the events are scanned.
    expect(a.plan?.split(',')).toContain(plan);
    expect(a.plan).not.toContain('rollup');
  });

  it('v2: has_done and has_not_done of a goal (a custom event name: no goals configured)', async () => {
    const metrics = ['visitors', 'visits', 'pageviews', 'events'];
    const done = await v2({ metrics, filters: [['has_done', ['is', 'event:goal', ['Signup']]]] });
    expect(done.status, done.text).toBe(200);
    expect(done.json?.results).toEqual([{ dimensions: [], metrics: [2, 2, 3, 5] }]);
    const notDone = await v2({ metrics, filters: [['has_not_done', ['is', 'event:goal', ['Signup']]]] });
    expect(notDone.json?.results).toEqual([{ dimensions: [], metrics: [2, 2, 3, 3] }]);
  });

  it('v2: the pages of the visits that signed up (X1: /, /signup with its Signup only, /thanks; X4: /pricing)', async () => {
    const a = await v2({
      metrics: ['visitors', 'pageviews'],
      dimensions: ['event:page'],
      filters: [['has_done', SIGNUP]],
      order_by: [['event:page', 'asc']],
    });
    expect(a.status, a.text).toBe(200);
    expect(a.json?.results).toEqual([
      { dimensions: ['/'], metrics: [1, 1] },
      { dimensions: ['/pricing'], metrics: [1, 1] },
      // A page row counts every event on the page: X1's Signup, no page view.
      { dimensions: ['/signup'], metrics: [1, 0] },
      { dimensions: ['/thanks'], metrics: [1, 1] },
    ]);
  });

  it('sources breakdown under has_not_done: X2 and X3, both Direct', async () => {
    const a = await get('breakdown/sources', { ...P, ...f(['has_not_done', SIGNUP]) });
    expect(a.status, a.text).toBe(200);
    expect(a.json).toEqual([
      { value: 'Direct / None', visitors: 2, visits: 2, pageviews: 3, bounce_rate: 0.5, visit_duration: 30, percentage: 100 },
    ]);
  });
}

describe('behavioral filters from the hot tier', () => {
  answers('events');

  it.each([
    [
      'a visit dimension inside',
      '[["has_done",["is","visit:country",["US"]]]]',
      'filters[0][1]: "has_done" takes filters of event:* dimensions only, not "visit:country"',
    ],
    [
      'a nested behavioral filter',
      '[["has_done",["has_done",["is","event:name",["a"]]]]]',
      'filters[0][1]: "has_done" cannot be inside "has_done"',
    ],
    ['no inner filter', '[["has_not_done"]]', 'filters[0]: "has_not_done" takes one filter'],
  ])('400 for %s', async (_name, filters, message) => {
    const a = await get('main', { ...P, filters });
    expect(a.status).toBe(400);
    expect((a.json as { error: string }).error).toContain(message);
  });

  it("v2: 400 naming the filter for a visit dimension inside, in Plausible's words first", async () => {
    const a = await v2({ metrics: ['visitors'], filters: [['has_done', ['is', 'visit:browser', ['Chrome']]]] });
    expect(a.status).toBe(400);
    expect(a.json?.error).toBe(
      'filters[0][1]: Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters. "has_done" takes filters of event:* dimensions only, not "visit:browser"',
    );
  });
});

describe('behavioral filters after the days are flushed and derived', () => {
  beforeAll(async () => {
    await server.stop();
    server = await startServer({ dataDir: server.dataDir, env: { MALLARD_ROLLUP_DELAY: '0' } });
    // A bound on the wait, not a speed check.
    for (let i = 0; i < 4000; i++) {
      const health = (await (await fetch(`${server.url}/health/detailed`)).json()) as {
        storage: { buffer_events: number; derived_pending: number };
      };
      if (health.storage.buffer_events === 0 && health.storage.derived_pending === 0) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('derived tables were not built');
  }, 240_000);

  answers('visits');
});
