/**
 * Engagement events (time on page `e`, scroll depth `sd`; docs/METRICS.md, "Engagement"): stored
 * apart from the events, they give each page its `time_on_page` and `scroll_depth` and change no
 * count. Two sites get the same fixture (fixture.ts); one also gets the engagement events below,
 * each placed where, counted as an event, it would change an answer: after a visit's last event
 * (longer visit), between two visits less than the timeout apart (one visit instead of two),
 * after a bounce (no bounce), on a day the visitor has no page view (one more visitor). Every
 * answer but the engagement fields must be the same for both sites, before a flush and after.
 *
 * Engagement by page over 2026-01-10 … 12, worked out by hand (visitor ids change daily, so
 * V1 on the 10th and V1 on the 11th are two visitors):
 *   /              V1@10 30 s 40 %, V2@10 10 s 100 %, V3@10 5 s (no sd), V1@11 20 s 90 %, V2@11 1 s 10 %
 *                  → (30+10+5+20+1)/5 = 13.2 → 13 s; (40+100+90+10)/4 = 60 %
 *   /pricing       V1@10 12 s + 8 s = 20 s, max(80, 60) = 80 %; V5@12 60 s 50 %
 *                  → (20+60)/2 = 40 s; (80+50)/2 = 65 %
 *   /blog/post-1   V2@12 45 s 70 %                           → 45 s, 70 %
 *   /docs          V4@11 25 % (no e)                         → null, 25 %
 *   /blog          none                                      → null, null
 * With the filter visit:browser is Chrome (V1 only): / (30+20)/2 = 25 s, (40+90)/2 = 65 %;
 * /pricing 20 s, 80 %.
 */
import { readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDED_COLUMNS, encodeRow, LINE_LENGTHS } from '../../src/storage/columns.js';
import { TEST_STORAGE } from '../helpers/backends.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { storedRow } from '../helpers/stored-row.js';
import { batchEvent, EVENTS, type Ev, GOOGLE, HN, PAGES, V1, V2, V3, V4, V5 } from './fixture.js';
import { apiRequest, listFiles, loadBatch, main, removeScratchDirs, sendBatch, sendEvent, stats, UA } from './support.js';

const ENG = 'eng.test';
const PLAIN = 'plain.test';
const RANGE = { start_date: '2026-01-10', end_date: '2026-01-12' };

const engagement = (site: string, e: Ev, ms: number | null, sd: number | null) => ({
  ...batchEvent(site, { ...e, n: 'engagement' }),
  ...(ms === null ? {} : { e: ms }),
  ...(sd === null ? {} : { sd }),
});

const ENGAGEMENT = [
  engagement(ENG, { ...V1, t: '2026-01-10T10:09:00Z', path: '/' }, 30_000, 40),
  engagement(ENG, { ...V1, t: '2026-01-10T10:20:00Z', path: '/pricing' }, 12_000, 80),
  engagement(ENG, { ...V1, t: '2026-01-10T10:25:00Z', path: '/pricing' }, 8_000, 60),
  // Between V2's visits of 10:30 and 11:01: as an event it would join them into one.
  engagement(ENG, { ...V2, t: '2026-01-10T10:35:00Z', path: '/' }, 10_000, 100),
  engagement(ENG, { ...V3, t: '2026-01-10T23:40:00Z', path: '/' }, 5_000, null),
  // V2 has no page view on the 11th: as an event it would be an eighth visitor.
  engagement(ENG, { ...V2, t: '2026-01-11T05:00:00Z', path: '/' }, 1_000, 10),
  // After V1's bounce of the 11th and V5's of the 12th: as events they would end the bounces.
  engagement(ENG, { ...V1, t: '2026-01-11T09:05:00Z', path: '/' }, 20_000, 90),
  engagement(ENG, { ...V4, t: '2026-01-11T14:50:00Z', path: '/docs' }, null, 25),
  engagement(ENG, { ...V5, t: '2026-01-12T08:20:00Z', path: '/pricing' }, 60_000, 50),
  engagement(ENG, { ...V2, t: '2026-01-12T12:20:00Z', path: '/blog/post-1' }, 45_000, 70),
];

const BY_PAGE: Record<string, { time_on_page: number | null; scroll_depth: number | null }> = {
  '/': { time_on_page: 13, scroll_depth: 60 },
  '/pricing': { time_on_page: 40, scroll_depth: 65 },
  '/blog/post-1': { time_on_page: 45, scroll_depth: 70 },
  '/docs': { time_on_page: null, scroll_depth: 25 },
  '/blog': { time_on_page: null, scroll_depth: null },
};

let server: RunningServer;
let readKey: string;
let ingestKey: string;

const ask = (site: string, endpoint: string, params: Record<string, string> = RANGE) =>
  stats(server.url, readKey, endpoint, { site_id: site, ...params });

async function v2(body: Record<string, unknown>): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${server.url}/api/v2/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${readKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ date_range: ['2026-01-10', '2026-01-12'], ...body }),
  });
  return { status: res.status, json: await res.json() };
}

beforeAll(async () => {
  server = await startServer();
  const cookie = await login(server.url);
  readKey = await createKey(server.url, cookie, 'read');
  ingestKey = await createKey(server.url, cookie, 'ingest');
  for (const site of [ENG, PLAIN]) {
    await loadBatch(
      server.url,
      ingestKey,
      EVENTS.map((e) => batchEvent(site, e)),
    );
  }
  await loadBatch(server.url, ingestKey, ENGAGEMENT);
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

/** Every assertion on the two sites, run before and after the flush. */
function sameAnswers(): void {
  it('main stats, timeseries and every panel but the pages are those of the site without engagement', async () => {
    expect(await ask(ENG, 'main')).toEqual(main(7, 8, 13, 1.63, 0.375, 806, 16));
    expect(await ask(PLAIN, 'main')).toEqual(main(7, 8, 13, 1.63, 0.375, 806, 16));
    for (const endpoint of ['timeseries', 'breakdown/sources', 'breakdown/entry-pages', 'breakdown/exit-pages']) {
      expect(await ask(ENG, endpoint), endpoint).toEqual(await ask(PLAIN, endpoint));
    }
    const goals = await ask(ENG, 'breakdown/events');
    expect(goals).toEqual(await ask(PLAIN, 'breakdown/events'));
    expect((goals as { value: string }[]).map((g) => g.value)).not.toContain('engagement');
  });

  it('the pages breakdown gives each page its time on page and scroll depth', async () => {
    expect(await ask(ENG, 'breakdown/pages')).toEqual(PAGES.map((r) => ({ ...r, ...BY_PAGE[r.value] })));
    // A site without engagement keeps the answer it had before engagement existed.
    expect(await ask(PLAIN, 'breakdown/pages')).toEqual(PAGES);
  });

  it('a filter on a visit attribute keeps the engagement of the visitors it keeps', async () => {
    const chrome = await ask(ENG, 'breakdown/pages', {
      ...RANGE,
      filters: JSON.stringify([['is', 'visit:browser', ['Chrome']]]),
    });
    const byValue = new Map((chrome as { value: string; time_on_page: number; scroll_depth: number }[]).map((r) => [r.value, r]));
    expect(byValue.get('/')).toMatchObject({ visitors: 2, time_on_page: 25, scroll_depth: 65 });
    expect(byValue.get('/pricing')).toMatchObject({ visitors: 1, time_on_page: 20, scroll_depth: 80 });
  });

  it('v2: time_on_page and scroll_depth by event:page, and for the pages a filter picks', async () => {
    const byPage = await v2({ site_id: ENG, metrics: ['visitors', 'time_on_page', 'scroll_depth'], dimensions: ['event:page'] });
    expect(byPage.status).toBe(200);
    expect((byPage.json as { results: unknown[] }).results).toEqual([
      { metrics: [5, 13, 60], dimensions: ['/'] },
      { metrics: [3, null, null], dimensions: ['/blog'] },
      { metrics: [2, 45, 70], dimensions: ['/blog/post-1'] },
      { metrics: [2, 40, 65], dimensions: ['/pricing'] },
      { metrics: [1, null, 25], dimensions: ['/docs'] },
    ]);
    const onePage = await v2({
      site_id: ENG,
      metrics: ['visitors', 'time_on_page', 'scroll_depth'],
      filters: [['is', 'event:page', ['/pricing']]],
    });
    expect((onePage.json as { results: unknown[] }).results).toEqual([{ metrics: [2, 40, 65], dimensions: [] }]);
  });
}

describe('before a flush (hot tier, or the write-ahead log on ClickHouse)', sameAnswers);

describe('after a flush (Parquet, or ClickHouse)', () => {
  beforeAll(async () => {
    await server.stop('SIGTERM');
    server = await startServer({ dataDir: server.dataDir });
  });
  sameAnswers();
});

describe('ingest and query validation', () => {
  it('sd and e must be integers in range: 400 naming the field', async () => {
    const base = { d: ENG, n: 'engagement', u: `https://${ENG}/` };
    for (const [body, field] of [
      [{ ...base, sd: '50' }, 'sd: '],
      [{ ...base, sd: 101 }, 'sd: '],
      [{ ...base, sd: 5.5 }, 'sd: '],
      [{ ...base, e: -1 }, 'e: '],
      [{ ...base, e: 'long' }, 'e: '],
    ] as const) {
      const res = await sendEvent(server.url, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect((res.json as { error: string }).error.startsWith(field), res.text).toBe(true);
    }
    const batch = await sendBatch(server.url, ingestKey, [{ ...base, sd: -3 }]);
    expect(batch.json?.errors[0]?.error.startsWith('sd: ')).toBe(true);
  });

  it('an engagement event without e and sd is accepted and dropped; a live one creates no visitor', async () => {
    const live = 'live.eng.test';
    expect(
      (await sendEvent(server.url, { d: live, n: 'engagement', u: `https://${live}/` }, { ua: UA.firefoxLinux })).status,
    ).toBe(202);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^mallard_events_dropped_total\{reason="engagement"\} 1$/m);
    const sent = await sendEvent(
      server.url,
      { d: live, n: 'engagement', u: `https://${live}/`, e: 4000, sd: 30 },
      { ua: UA.firefoxLinux },
    );
    expect(sent.status).toBe(202);
    expect(await stats(server.url, readKey, 'realtime', { site_id: live })).toEqual({ visitors: 0 });
    expect(await stats(server.url, readKey, 'main', { site_id: live, period: 'day' })).toEqual(main(0, 0, 0, 0, 0, 0, 0));
  });

  it("v2: a property filter keeps the engagement rows that carry it (the page view's props, as the script sends them)", async () => {
    // Its own site: V1 views / as author john (engaged 5 s, 60 %), V2 views / without props (10 s, 80 %).
    const site = 'eng-props.test';
    const view = (v: Pick<Ev, 'ip' | 'ua' | 'w'>, p?: Record<string, string>) => ({
      ...v,
      t: '2026-01-10T10:00:00Z',
      path: '/',
      p,
    });
    const report = (v: Pick<Ev, 'ip' | 'ua' | 'w'>, ms: number, sd: number, p?: Record<string, string>) =>
      engagement(site, { ...view(v, p), t: '2026-01-10T10:01:00Z' }, ms, sd);
    const john = { author: 'john' };
    await loadBatch(server.url, ingestKey, [
      batchEvent(site, view(V1, john)),
      batchEvent(site, view(V2)),
      report(V1, 5_000, 60, john),
      report(V2, 10_000, 80),
    ]);
    const body = { site_id: site, metrics: ['visitors', 'time_on_page', 'scroll_depth'] };
    const page = ['is', 'event:page', ['/']];
    const results = async (prop: unknown[]) => {
      const r = await v2({ ...body, filters: [page, prop] });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      return (r.json as { results: unknown[] }).results;
    };
    expect(await results(['is', 'event:props:author', ['john']])).toEqual([{ metrics: [1, 5, 60], dimensions: [] }]);
    expect(await results(['is_not', 'event:props:author', ['john']])).toEqual([{ metrics: [1, 10, 80], dimensions: [] }]);
  });

  it('v2: the engagement metrics need event:page, and group only by what an engagement row has', async () => {
    const noPage = await v2({ site_id: ENG, metrics: ['time_on_page'] });
    expect(noPage).toEqual({
      status: 400,
      json: { error: 'metrics: time_on_page can only be queried with an event:page filter or dimension' },
    });
    const other = await v2({
      site_id: ENG,
      metrics: ['scroll_depth'],
      dimensions: ['event:page', 'visit:entry_page', 'event:name'],
    });
    expect(other).toEqual({
      status: 400,
      json: {
        error: 'metrics: scroll_depth cannot be grouped by visit:entry_page, event:name (not a value of an engagement row)',
      },
    });
  });
});

/**
 * v2 engagement grouped by other dimensions and ordered by, on a New York site (UTC−5), over
 * its 2026-01-10 … 11. Each engagement row comes with its page view's referrer, as the script
 * sends it. By (page, visitor; V1 on the 10th and on the 11th are two visitors):
 *   /         V1@10 Google 20 s 40 %, V2@10 Google 40 s + 5 s = 45 s, max(80, 60) = 80 %,
 *             V3 HN 30 s 20 % (02:01 UTC on the 11th: 21:01 on the 10th in New York),
 *             V4@11 direct 60 s 100 %               → 155/4 = 38.75 → 39 s; 240/4 = 60 %
 *   /pricing  V1@10 Google 10 s 92 %, V1@11 Google 30 s 48 %   → 20 s; 70 %
 *   /docs     V4@11 direct 8 s 60 %                            → 8 s; 60 % (ties with /)
 *   /blog     V2@10 Google, no engagement                      → null, null
 * By source: Google (20+10+45+30)/4 = 26.25 → 26 s, (40+92+80+48)/4 = 65 %; Hacker News 30 s,
 * 20 %; Direct / None (60+8)/2 = 34 s, (100+60)/2 = 80 %.
 * By New York day: the 10th V1 /, V1 /pricing, V2 /, V3 / → 105/4 = 26.25 → 26 s,
 * (40+92+80+20)/4 = 58 %; the 11th V4 /, V4 /docs, V1 /pricing → 98/3 = 32.7 → 33 s,
 * (100+60+48)/3 = 69.3 → 69 %. (By UTC day V3 would be on the 11th.)
 */
describe('v2: engagement grouped by any dimension an engagement row has, and ordered by', () => {
  const ZONED = 'eng-zoned.test';
  const HOME = '/';
  const visit = (v: Pick<Ev, 'ip' | 'ua' | 'w'>, t: string, path: string, r?: string) => ({ ...v, t, path, r });
  const both = (e: Ev, ms: number, sd: number, after: string) => [
    batchEvent(ZONED, e),
    engagement(ZONED, { ...e, t: after }, ms, sd),
  ];

  beforeAll(async () => {
    const admin = await createKey(server.url, await login(server.url), 'admin');
    const site = await apiRequest(server.url, 'POST', '/api/sites', { key: admin }, { id: ZONED, timezone: 'America/New_York' });
    expect(site.status, site.text).toBe(201);
    await loadBatch(server.url, ingestKey, [
      ...both(visit(V1, '2026-01-10T15:00:00Z', HOME, GOOGLE), 20_000, 40, '2026-01-10T15:01:00Z'),
      ...both(visit(V1, '2026-01-10T15:05:00Z', '/pricing', GOOGLE), 10_000, 92, '2026-01-10T15:06:00Z'),
      ...both(visit(V2, '2026-01-10T16:00:00Z', HOME, GOOGLE), 40_000, 80, '2026-01-10T16:01:00Z'),
      engagement(ZONED, visit(V2, '2026-01-10T16:10:00Z', HOME, GOOGLE), 5_000, 60),
      batchEvent(ZONED, visit(V2, '2026-01-10T16:20:00Z', '/blog', GOOGLE)),
      ...both(visit(V3, '2026-01-11T02:00:00Z', HOME, HN), 30_000, 20, '2026-01-11T02:01:00Z'),
      ...both(visit(V4, '2026-01-11T15:00:00Z', HOME), 60_000, 100, '2026-01-11T15:01:00Z'),
      ...both(visit(V4, '2026-01-11T15:10:00Z', '/docs'), 8_000, 60, '2026-01-11T15:11:00Z'),
      ...both(visit(V1, '2026-01-11T16:00:00Z', '/pricing', GOOGLE), 30_000, 48, '2026-01-11T16:01:00Z'),
    ]);
  });

  const results = async (body: Record<string, unknown>) => {
    const r = await v2({ site_id: ZONED, date_range: ['2026-01-10', '2026-01-11'], ...body });
    expect(r.status, JSON.stringify(r.json)).toBe(200);
    return (r.json as { results: unknown[] }).results;
  };
  const anyPage = [['contains', 'event:page', ['/']]];

  it('by source: the engagement rows of each source, each (page, visitor) once', async () => {
    expect(
      await results({ metrics: ['visitors', 'time_on_page', 'scroll_depth'], dimensions: ['visit:source'], filters: anyPage }),
    ).toEqual([
      { metrics: [3, 26, 65], dimensions: ['Google'] },
      { metrics: [1, 34, 80], dimensions: ['Direct / None'] },
      { metrics: [1, 30, 20], dimensions: ['Hacker News'] },
    ]);
    // The first metric orders by default.
    expect(await results({ metrics: ['scroll_depth', 'visitors'], dimensions: ['visit:source'], filters: anyPage })).toEqual([
      { metrics: [80, 1], dimensions: ['Direct / None'] },
      { metrics: [65, 3], dimensions: ['Google'] },
      { metrics: [20, 1], dimensions: ['Hacker News'] },
    ]);
  });

  it("by day: the site's days, in its time zone", async () => {
    expect(
      await results({ metrics: ['visitors', 'time_on_page', 'scroll_depth'], dimensions: ['time:day'], filters: anyPage }),
    ).toEqual([
      { metrics: [3, 26, 58], dimensions: ['2026-01-10'] },
      { metrics: [2, 33, 69], dimensions: ['2026-01-11'] },
    ]);
  });

  it('ordered by scroll_depth either way: ties by page, ascending; null last; paged after', async () => {
    const order = async (dir: string, pagination?: object) =>
      results({
        metrics: ['scroll_depth', 'time_on_page'],
        dimensions: ['event:page'],
        order_by: [['scroll_depth', dir]],
        ...(pagination ? { pagination } : {}),
      });
    expect(await order('asc')).toEqual([
      { metrics: [60, 39], dimensions: ['/'] },
      { metrics: [60, 8], dimensions: ['/docs'] },
      { metrics: [70, 20], dimensions: ['/pricing'] },
      { metrics: [null, null], dimensions: ['/blog'] },
    ]);
    expect(await order('desc')).toEqual([
      { metrics: [70, 20], dimensions: ['/pricing'] },
      { metrics: [60, 39], dimensions: ['/'] },
      { metrics: [60, 8], dimensions: ['/docs'] },
      { metrics: [null, null], dimensions: ['/blog'] },
    ]);
    expect(await order('desc', { limit: 2, offset: 1 })).toEqual([
      { metrics: [60, 39], dimensions: ['/'] },
      { metrics: [60, 8], dimensions: ['/docs'] },
    ]);
    // time_on_page orders too, after another key: the tie on scroll depth broken by it.
    expect(
      await results({
        metrics: ['scroll_depth', 'time_on_page'],
        dimensions: ['event:page'],
        order_by: [
          ['scroll_depth', 'asc'],
          ['time_on_page', 'asc'],
        ],
      }),
    ).toEqual([
      { metrics: [60, 8], dimensions: ['/docs'] },
      { metrics: [60, 39], dimensions: ['/'] },
      { metrics: [70, 20], dimensions: ['/pricing'] },
      { metrics: [null, null], dimensions: ['/blog'] },
    ]);
  });
});

/**
 * A data directory of the release before the engagement columns: a Parquet file and a log
 * line without them. Both still read, engagement rows added later land beside them, and the
 * partition holding old and new files compacts into one.
 */
describe.skipIf(TEST_STORAGE === 'clickhouse')('a data directory written before the engagement columns', () => {
  const OLD = 'old.test';
  const ENV = { MALLARD_COMPACT_MIN_FILES: '2' };
  const period = { start_date: '2026-02-01', end_date: '2026-02-02' };
  let old: RunningServer;
  let key: string;

  afterAll(async () => {
    await old?.stop('SIGTERM');
  });

  beforeAll(async () => {
    old = await startServer({ env: ENV });
    const cookie = await login(old.url);
    key = await createKey(old.url, cookie, 'admin');
    await loadBatch(old.url, key, [
      batchEvent(OLD, { ...V1, t: '2026-02-01T10:00:00Z', path: '/a' }),
      batchEvent(OLD, { ...V2, t: '2026-02-01T11:00:00Z', path: '/a' }),
    ]);
    await old.stop('SIGTERM');
    // The file as the release before wrote it: without the engagement columns (nor those added since).
    const files = listFiles(join(old.dataDir, 'events')).filter((f) => f.endsWith('.parquet'));
    expect(files).toHaveLength(1);
    const file = files[0] as string;
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    await c.run(
      `COPY (SELECT * EXCLUDE (${ADDED_COLUMNS.map((c) => c.name).join(', ')}) FROM read_parquet('${file}')) TO '${file}.old' (FORMAT parquet)`,
    );
    const columns = (await c.runAndReadAll(`SELECT name FROM parquet_schema('${file}.old')`))
      .getRowObjectsJS()
      .map((r) => r.name);
    expect(columns).not.toContain('engaged_ms');
    c.closeSync();
    instance.closeSync();
    renameSync(`${file}.old`, file);
    // A log line of the release before: without the columns added since.
    const line = (
      JSON.parse(
        encodeRow(
          storedRow({
            site_id: OLD,
            visitor_id: 77n,
            session_id: 77n,
            timestamp: new Date('2026-02-02T09:00:00Z'),
            pathname: '/b',
            seq: 5000n,
          }),
        ),
      ) as unknown[]
    ).slice(0, LINE_LENGTHS[0]);
    writeFileSync(join(old.dataDir, 'wal', '9000000000.log'), `${JSON.stringify(line)}\n`);
    old = await startServer({ dataDir: old.dataDir, env: ENV });
  });

  const ask = (endpoint: string) => stats(old.url, key, endpoint, { site_id: OLD, ...period });

  it('reads the old file and the old log line, and adds engagement beside them, before and after a flush and compaction', async () => {
    expect(await ask('main')).toEqual(main(3, 3, 3, 1, 1, 0, 3));
    const pages = (eng: { time_on_page: number | null; scroll_depth: number | null }) => [
      { value: '/a', visitors: 2, visits: 2, pageviews: 2, bounce_rate: 1, visit_duration: 0, percentage: 66.7, ...eng },
      {
        value: '/b',
        visitors: 1,
        visits: 1,
        pageviews: 1,
        bounce_rate: 1,
        visit_duration: 0,
        percentage: 33.3,
        time_on_page: null,
        scroll_depth: null,
      },
    ];
    expect(await ask('breakdown/pages')).toEqual(
      pages({ time_on_page: null, scroll_depth: null }).map(({ time_on_page: _, scroll_depth: __, ...r }) => r),
    );
    await loadBatch(old.url, key, [engagement(OLD, { ...V1, t: '2026-02-01T10:05:00Z', path: '/a' }, 15_000, 55)]);
    expect(await ask('breakdown/pages')).toEqual(pages({ time_on_page: 15, scroll_depth: 55 }));
    await old.stop('SIGTERM');
    old = await startServer({ dataDir: old.dataDir, env: ENV });
    const day = readdirSync(join(old.dataDir, 'events', `site_id=${OLD}`, 'date=2026-02-01'));
    expect(day).toHaveLength(1);
    expect(day[0]).toMatch(/^\d{20}\.c\d{20}\.parquet$/);
    expect(await ask('main')).toEqual(main(3, 3, 3, 1, 1, 0, 3));
    expect(await ask('breakdown/pages')).toEqual(pages({ time_on_page: 15, scroll_depth: 55 }));
  });
});
