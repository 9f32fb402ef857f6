/**
 * Page rows count every event on the page, custom events included, as Plausible's
 * `event:page` does (docs/METRICS.md, "Pages and entry pages"), on every plan: the scan of a
 * day not built yet, then the same day's rollups, visit rows and their page lists once it is
 * built (a restart builds it: MALLARD_ROLLUP_DELAY keeps a running server from doing so).
 * Expected numbers worked out by hand.
 *
 * Day 2026-03-10, site page-rows.test (V1, V2, V4 direct; V3 from Google):
 *   V1 10:00 pv /, 10:05 signup on /pricing, 10:10 pv /docs    visit A: entry /, 3 events, 600 s
 *   V2 11:00 pv /pricing, 11:01 signup on /pricing              visit B: entry /pricing, 2 events, 60 s
 *   V3 12:00 download on /docs (no page view)                   visit C: no entry page, a bounce
 *   V4 13:00 pv /pricing                                        visit D: entry /pricing, a bounce
 * Pages (visitors, visits, page views, events; bounce rate and duration of the visits that entered there):
 *   /pricing  V1 V2 V4: 3, 3, 2, 4; entered by B and D: 1 bounce of 2, (60 + 0) / 2 = 30 s
 *   /docs     V1 V3:    2, 2, 1, 2; entered by none: 0, 0 s
 *   /         V1:       1, 1, 1, 1; entered by A: 0, 600 s
 * Page goals count page views only: "Visit /pricing" V2 V4 (2 visitors, 2 page views),
 * "Visit /docs" V1 (1, 1; V3's download on /docs is no page view).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, type Ev, GOOGLE, V1, V2, V3, V4 } from './fixture.js';
import { loadBatch, removeScratchDirs, row, statsUrl } from './support.js';

const SITE = 'page-rows.test';
const DAY = { start_date: '2026-03-10', end_date: '2026-03-10' };
const EVENTS: Ev[] = [
  { ...V1, t: '2026-03-10T10:00:00Z', path: '/' },
  { ...V1, t: '2026-03-10T10:05:00Z', path: '/pricing', n: 'signup' },
  { ...V1, t: '2026-03-10T10:10:00Z', path: '/docs' },
  { ...V2, t: '2026-03-10T11:00:00Z', path: '/pricing' },
  { ...V2, t: '2026-03-10T11:01:00Z', path: '/pricing', n: 'signup' },
  { ...V3, t: '2026-03-10T12:00:00Z', path: '/docs', r: GOOGLE, n: 'download' },
  { ...V4, t: '2026-03-10T13:00:00Z', path: '/pricing' },
];
const ENV = { MALLARD_FLUSH_COUNT: '1', MALLARD_FLUSH_INTERVAL: '86400', MALLARD_ROLLUP_DELAY: '86400' };

let server: RunningServer;
let key: string;

async function derivedPending(): Promise<{ buffer_events: number; derived_pending: number }> {
  const health = (await (await fetch(`${server.url}/health/detailed`)).json()) as {
    storage: { buffer_events: number; derived_pending: number };
  };
  return health.storage;
}

async function waitFor(done: (s: { buffer_events: number; derived_pending: number }) => boolean, what: string) {
  for (let i = 0; i < 1200; i++) {
    if (done(await derivedPending())) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(what);
}

/** A stats answer and the plans its statements used (X-Mallard-Plan). */
async function ask(endpoint: string, params: Record<string, string>): Promise<{ body: unknown; plan: string | null }> {
  const res = await fetch(statsUrl(server.url, endpoint, { site_id: SITE, ...DAY, ...params }), {
    headers: { authorization: `Bearer ${key}` },
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { body: JSON.parse(text), plan: res.headers.get('x-mallard-plan') };
}

/** A v2 answer's rows and plans. */
async function askV2(body: Record<string, unknown>): Promise<{ body: unknown; plan: string | null }> {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ site_id: SITE, date_range: ['2026-03-10', '2026-03-10'], dimensions: ['event:page'], ...body }),
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { body: (JSON.parse(text) as { results: unknown }).results, plan: res.headers.get('x-mallard-plan') };
}

const filters = (f: unknown[]) => ({ filters: JSON.stringify(f) });
const goal = (value: string, visitors: number, events: number, conversion_rate: number) => ({
  value,
  visitors,
  events,
  conversion_rate,
});
const COUNTS = ['visitors', 'visits', 'pageviews', 'events'];
const v2row = (page: string, counts: number[]) => ({ dimensions: [page], metrics: counts });

/** [name, question, expected answer, plan once the day is built]; unbuilt, every question is a scan (`events`). */
type Case = [string, () => Promise<{ body: unknown; plan: string | null }>, unknown, string];
const CASES: Case[] = [
  [
    'breakdown/pages',
    () => ask('breakdown/pages', {}),
    [row('/pricing', 3, 3, 2, 0.5, 30, 75), row('/docs', 2, 2, 1, 0, 0, 50), row('/', 1, 1, 1, 0, 600, 25)],
    'rollup,rollup',
  ],
  [
    'breakdown/pages of one source (a click on a Sources row)',
    () => ask('breakdown/pages', filters([['is', 'visit:source', ['Google']]])),
    [row('/docs', 1, 1, 0, 0, 0, 100)],
    // No rollup set has entry pages by source: the entering visits come from visit rows.
    'rollup,visits',
  ],
  [
    'breakdown/pages of the visits from other sources (page lists of visit rows)',
    () => ask('breakdown/pages', filters([['is_not', 'visit:source', ['Google']]])),
    [row('/pricing', 3, 3, 2, 0.5, 30, 100), row('/', 1, 1, 1, 0, 600, 33.3), row('/docs', 1, 1, 1, 0, 0, 33.3)],
    'pages,visits',
  ],
  [
    'breakdown/pages of one page (a click on a Top pages row)',
    () => ask('breakdown/pages', filters([['is', 'event:page', ['/docs']]])),
    [row('/docs', 2, 2, 1, 0, 0, 100)],
    'rollup,rollup',
  ],
  [
    'the Goals panel: page goals',
    () => ask('breakdown/events', {}),
    [goal('Visit /pricing', 2, 2, 50), goal('Visit /docs', 1, 1, 25)],
    'rollup,rollup',
  ],
  [
    'the Goals panel of one source: page goals',
    () => ask('breakdown/events', filters([['is', 'visit:source', ['Direct / None']]])),
    [goal('Visit /pricing', 2, 2, 66.7), goal('Visit /docs', 1, 1, 33.3)],
    'rollup,rollup',
  ],
  [
    'v2 by event:page',
    () => askV2({ metrics: COUNTS }),
    [v2row('/pricing', [3, 3, 2, 4]), v2row('/docs', [2, 2, 1, 2]), v2row('/', [1, 1, 1, 1])],
    'rollup',
  ],
  [
    'v2 by event:page of the visits not from Google',
    () => askV2({ metrics: COUNTS, filters: [['is_not', 'visit:source', ['Google']]] }),
    [v2row('/pricing', [3, 3, 2, 4]), v2row('/', [1, 1, 1, 1]), v2row('/docs', [1, 1, 1, 1])],
    'pages',
  ],
  [
    'v2 by event:page of the signups (custom events only)',
    () => askV2({ metrics: COUNTS, filters: [['is', 'event:name', ['signup']]] }),
    [v2row('/pricing', [2, 2, 0, 2])],
    'visits',
  ],
];

beforeAll(async () => {
  server = await startServer({ env: ENV });
  key = await createKey(server.url, await login(server.url), 'admin');
  const post = (path: string, body: unknown) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify(body),
    });
  expect((await post('/api/sites', { id: SITE })).status).toBe(201);
  for (const page_path of ['/pricing', '/docs']) expect((await post(`/api/sites/${SITE}/goals`, { page_path })).status).toBe(201);
  await loadBatch(
    server.url,
    key,
    EVENTS.map((e) => batchEvent(SITE, e)),
  );
  await waitFor((s) => s.buffer_events === 0, 'the batch was not flushed');
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('page rows count every event on the page', () => {
  it.each(CASES)('%s, scanned before the day is built', async (_name, question, expected) => {
    const answer = await question();
    expect(answer.body).toEqual(expected);
    expect(answer.plan?.split(',').every((p) => p === 'events')).toBe(true);
  });

  it('(the day is built)', async () => {
    await server.stop();
    server = await startServer({ dataDir: server.dataDir, env: ENV });
    await waitFor((s) => s.derived_pending === 0, 'the day was not built');
  });

  it.each(CASES)('%s, from the derived tables', async (_name, question, expected, plan) => {
    expect(await question()).toEqual({ body: expected, plan });
  });
});
