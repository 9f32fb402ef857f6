/**
 * Stats answers over a fixed multi-day data set, loaded through POST /api/events the way
 * history is imported, checked from the hot tier, again from Parquet after a graceful
 * restart, and against a copy of the same data imported out of order in several batches
 * across two flushes. Every expected number below is worked out by hand from the fixture.
 *
 * Fixture, site stats-a.test (all times UTC):
 *   V1 203.0.113.10 Chrome/Windows w=1920, from Google
 *     01-10 10:00 pv /, 10:10 pv /pricing, 10:12 signup           visit A1: 3 events, 720 s
 *   V2 198.51.100.20 Firefox/Linux w=1280, direct
 *     01-10 10:30 pv /                                              visit A2: bounce
 *     01-10 11:01 pv /blog (31 min later), 11:11 pv /blog/post-1    visit A3: 2 events, 600 s
 *   V3 203.0.113.30 Safari/iPhone w=390, from Hacker News
 *     01-10 23:00 pv /blog, 23:30 pv / (exactly 1800 s)             visit A4: 2 events, 1800 s
 *   V1 again on 01-11 (a new visitor: new day), from Google
 *     01-11 09:00 pv /                                              visit A5: bounce
 *   V4 198.51.100.40 Safari/Mac w=800, utm_source=newsletter&utm_medium=email
 *     01-11 14:00 pv /, 14:20 download /docs, 14:40 pv /docs        visit A6: 3 events, 2400 s
 *   V5 203.0.113.50 Edge/Windows, no width, direct
 *     01-12 08:00 pv /pricing                                       visit A7: bounce
 *   V2 again on 01-12, from Google
 *     01-12 12:00 pv /blog, 12:15 pv /blog/post-1, 12:15:30 signup  visit A8: 3 events, 930 s
 * Totals: 7 visitors, 8 visits, 13 pageviews, 16 events, 3 bounces, durations sum 6450 s.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseConnection } from '../../src/storage/clickhouse/connection.js';
import { clickhouseOf, TEST_STORAGE } from '../helpers/backends.js';
import { buildCityMmdb } from '../helpers/geo-fixture.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, EVENTS, type Ev, PAGES, V1, V2, V4, V5 } from './fixture.js';
import {
  bucket,
  listFiles,
  loadBatch,
  main,
  removeScratchDirs,
  row,
  scratchDir,
  sendEvent,
  stats,
  UA,
  ZERO_MAIN,
} from './support.js';

const SITE = 'stats-a.test';
const OTHER = 'stats-b.test';
const REVERSED = 'stats-rev.test';
const EMPTY = 'stats-empty.test';
const ONE = 'stats-one.test';
const LIVE = 'stats-live.test';
const USERS = 'stats-user.test';
const NAV = 'stats-nav.test';

const RANGE = { start_date: '2026-01-10', end_date: '2026-01-12' };
const DAY1 = { start_date: '2026-01-10', end_date: '2026-01-10' };
const hours = (day: string, filled: Record<number, ReturnType<typeof bucket>>) =>
  Array.from({ length: 24 }, (_, h) => filled[h] ?? bucket(`${day} ${String(h).padStart(2, '0')}:00:00`));

/** [name, endpoint, params, expected] for the fixture site; the reversed copy must answer the same. */
type Case = [string, string, Record<string, string | number>, unknown];
const FIXTURE_CASES: Case[] = [
  ['main, whole range', 'main', RANGE, main(7, 8, 13, 1.63, 0.375, 806, 16)],
  [
    'main, one day (custom range)',
    'main',
    { start_date: '2026-01-11', end_date: '2026-01-11' },
    main(2, 2, 3, 1.5, 0.5, 1200, 4),
  ],
  ['main, last two days', 'main', { start_date: '2026-01-11', end_date: '2026-01-12' }, main(4, 4, 6, 1.5, 0.5, 833, 8)],
  ['main, period=day&date=', 'main', { period: 'day', date: '2026-01-10' }, main(3, 4, 7, 1.75, 0.25, 780, 8)],
  ['main, period=month&date=', 'main', { period: 'month', date: '2026-01-20' }, main(7, 8, 13, 1.63, 0.375, 806, 16)],
  ['main, a range without data', 'main', { start_date: '2025-12-01', end_date: '2025-12-31' }, ZERO_MAIN],
  [
    'main, compare=previous_period',
    'main',
    { start_date: '2026-01-11', end_date: '2026-01-12', compare: 'previous_period' },
    {
      ...main(4, 4, 6, 1.5, 0.5, 833, 8),
      previous: main(3, 4, 7, 1.75, 0.25, 780, 8),
      change: {
        unique_visitors: 33.3,
        visits: 0,
        total_pageviews: -14.3,
        views_per_visit: -14.3,
        bounce_rate: 25, // points: 50 % against 25 %
        avg_visit_duration_secs: 6.8,
        events: 0,
      },
    },
  ],
  [
    'timeseries by day',
    'timeseries',
    { ...RANGE, interval: 'day' },
    [bucket('2026-01-10', 3, 4, 7, 0.25, 780), bucket('2026-01-11', 2, 2, 3, 0.5, 1200), bucket('2026-01-12', 2, 2, 3, 0.5, 465)],
  ],
  [
    'timeseries by hour',
    'timeseries',
    { ...DAY1, interval: 'hour' },
    hours('2026-01-10', {
      10: bucket('2026-01-10 10:00:00', 2, 2, 3, 0.5, 360),
      11: bucket('2026-01-10 11:00:00', 1, 1, 2, 0, 600),
      23: bucket('2026-01-10 23:00:00', 1, 1, 2, 0, 1800),
    }),
  ],
  [
    'timeseries, period=day defaults to hours',
    'timeseries',
    { period: 'day', date: '2026-01-11' },
    hours('2026-01-11', {
      9: bucket('2026-01-11 09:00:00', 1, 1, 1, 1, 0),
      14: bucket('2026-01-11 14:00:00', 1, 1, 2, 0, 2400),
    }),
  ],
  [
    'timeseries by week (Monday weeks)',
    'timeseries',
    { ...RANGE, interval: 'week' },
    [bucket('2026-01-05', 5, 6, 10, 0.3333, 920), bucket('2026-01-12', 2, 2, 3, 0.5, 465)],
  ],
  ['timeseries by month', 'timeseries', { ...RANGE, interval: 'month' }, [bucket('2026-01-01', 7, 8, 13, 0.375, 806)]],
  ['breakdown pages', 'breakdown/pages', RANGE, PAGES],
  ['breakdown pages, limit=2 page=1', 'breakdown/pages', { ...RANGE, limit: 2, page: 1 }, PAGES.slice(0, 2)],
  ['breakdown pages, limit=2 page=2', 'breakdown/pages', { ...RANGE, limit: 2, page: 2 }, PAGES.slice(2, 4)],
  ['breakdown pages, limit=2 page=3', 'breakdown/pages', { ...RANGE, limit: 2, page: 3 }, PAGES.slice(4)],
  ['breakdown pages, past the end', 'breakdown/pages', { ...RANGE, limit: 2, page: 4 }, []],
  [
    'breakdown pages, one day',
    'breakdown/pages',
    { start_date: '2026-01-12', end_date: '2026-01-12' },
    // A8 entered on /blog (930 s), A7 on /pricing (a bounce); nobody on /blog/post-1.
    [row('/blog', 1, 1, 1, 0, 930, 50), row('/blog/post-1', 1, 1, 1, 0, 0, 50), row('/pricing', 1, 1, 1, 1, 0, 50)],
  ],
  [
    'breakdown sources',
    'breakdown/sources',
    RANGE,
    [
      row('Google', 3, 3, 5, 0.3333, 550, 42.9),
      row('Direct / None', 2, 3, 4, 0.6667, 200, 28.6),
      row('Hacker News', 1, 1, 2, 0, 1800, 14.3),
      row('newsletter', 1, 1, 2, 0, 2400, 14.3),
    ],
  ],
  [
    'breakdown channels',
    'breakdown/channels',
    RANGE,
    [
      row('Organic Search', 3, 3, 5, 0.3333, 550, 42.9),
      row('Direct', 2, 3, 4, 0.6667, 200, 28.6),
      row('Email', 1, 1, 2, 0, 2400, 14.3),
      row('Organic Social', 1, 1, 2, 0, 1800, 14.3),
    ],
  ],
  [
    'breakdown utm-source',
    'breakdown/utm-source',
    RANGE,
    [row('(not set)', 6, 7, 11, 0.4286, 579, 85.7), row('newsletter', 1, 1, 2, 0, 2400, 14.3)],
  ],
  [
    'breakdown browsers',
    'breakdown/browsers',
    RANGE,
    [
      row('Chrome', 2, 2, 3, 0.5, 360, 28.6),
      row('Firefox', 2, 3, 5, 0.3333, 510, 28.6),
      row('Safari', 2, 2, 4, 0, 2100, 28.6),
      row('Microsoft Edge', 1, 1, 1, 1, 0, 14.3),
    ],
  ],
  [
    'breakdown devices',
    'breakdown/devices',
    RANGE,
    [
      row('Desktop', 3, 3, 4, 0.6667, 240, 42.9),
      row('Laptop', 2, 3, 5, 0.3333, 510, 28.6),
      row('Mobile', 1, 1, 2, 0, 1800, 14.3),
      row('Tablet', 1, 1, 2, 0, 2400, 14.3),
    ],
  ],
  [
    'breakdown countries',
    'breakdown/countries',
    RANGE,
    [row('US', 4, 4, 6, 0.5, 630, 57.1), row('DE', 3, 4, 7, 0.25, 983, 42.9)],
  ],
  [
    'breakdown regions',
    'breakdown/regions',
    RANGE,
    [row('California', 4, 4, 6, 0.5, 630, 57.1), row('Berlin', 3, 4, 7, 0.25, 983, 42.9)],
  ],
  [
    'breakdown cities',
    'breakdown/cities',
    RANGE,
    [row('San Francisco', 4, 4, 6, 0.5, 630, 57.1), row('Berlin', 3, 4, 7, 0.25, 983, 42.9)],
  ],
  ['breakdown hostnames', 'breakdown/hostnames', RANGE, [row(SITE, 7, 8, 13, 0.375, 806, 100)]],
  ['realtime (all data is old)', 'realtime', {}, { visitors: 0 }],
];

/** The other sites: isolation, nothing at all, a single event. */
const OTHER_CASES: Case[] = [
  ['other site: main', 'main', { ...RANGE, site_id: OTHER }, main(1, 1, 2, 2, 0, 60, 2)],
  ['other site: pages', 'breakdown/pages', { ...RANGE, site_id: OTHER }, [row('/only-b', 1, 1, 2, 0, 60, 100)]],
  ['empty site: main', 'main', { ...RANGE, site_id: EMPTY }, ZERO_MAIN],
  ['empty site: main, period=all', 'main', { period: 'all', site_id: EMPTY }, ZERO_MAIN],
  [
    'empty site: timeseries by day',
    'timeseries',
    { ...RANGE, site_id: EMPTY, interval: 'day' },
    [bucket('2026-01-10'), bucket('2026-01-11'), bucket('2026-01-12')],
  ],
  ['empty site: timeseries by hour', 'timeseries', { ...DAY1, site_id: EMPTY, interval: 'hour' }, hours('2026-01-10', {})],
  ['empty site: pages', 'breakdown/pages', { ...RANGE, site_id: EMPTY }, []],
  ['empty site: realtime', 'realtime', { site_id: EMPTY }, { visitors: 0 }],
  ['one-event site: main', 'main', { ...RANGE, site_id: ONE }, main(1, 1, 1, 1, 1, 0, 1)],
  [
    'one-event site: timeseries',
    'timeseries',
    { ...RANGE, site_id: ONE, interval: 'day' },
    [bucket('2026-01-10'), bucket('2026-01-11', 1, 1, 1, 1, 0), bucket('2026-01-12')],
  ],
  ['one-event site: pages', 'breakdown/pages', { ...RANGE, site_id: ONE }, [row('/', 1, 1, 1, 1, 0, 100)]],
  ['one-event site: browsers', 'breakdown/browsers', { ...RANGE, site_id: ONE }, [row('Microsoft Edge', 1, 1, 1, 1, 0, 100)]],
  ['live site: main, period=all', 'main', { period: 'all', site_id: LIVE }, main(1, 1, 1, 1, 1, 0, 1)],
];

/**
 * Signed-in users (user_id): a visit follows the user, not the daily visitor id — within a
 * UTC day. Visits end at UTC midnight (a day is one storage partition; both tiers agree):
 * u-1: 01-10 23:50 and 01-11 00:10 (20 min apart across midnight): 2 visitors, 2 one-event visits.
 * u-2: 01-10 12:00 on Chrome, 12:05 on Safari from another IP: 2 visitors, 1 visit, 300 s.
 */
const USER_EVENTS: readonly Ev[] = [
  { ...V1, t: '2026-01-10T23:50:00Z', path: '/a', user: 'u-1' },
  { ...V1, t: '2026-01-11T00:10:00Z', path: '/b', user: 'u-1' },
  { ...V2, t: '2026-01-10T12:00:00Z', path: '/a', user: 'u-2' },
  { ...V4, t: '2026-01-10T12:05:00Z', path: '/b', user: 'u-2' },
];
const USER_CASES: Case[] = [
  [
    'users: main',
    'main',
    { start_date: '2026-01-10', end_date: '2026-01-11', site_id: USERS },
    main(4, 3, 4, 1.33, 0.6667, 100, 4),
  ],
];

/**
 * Source and channel belong to the visit (its landing event), as in Plausible: one visit that
 * lands from a tweet (utm_source=twitter, referred by google.com) and then navigates
 * internally (referrer = own pages) is one Twitter / Organic Social visit, 3 pageviews, 120 s.
 */
const NAV_EVENTS: readonly Ev[] = [
  { ...V1, t: '2026-01-10T10:00:00Z', path: '/', q: '?utm_source=twitter', r: 'https://www.google.com/' },
  { ...V1, t: '2026-01-10T10:01:00Z', path: '/pricing', r: `https://${NAV}/?utm_source=twitter` },
  { ...V1, t: '2026-01-10T10:02:00Z', path: '/signup', r: `https://${NAV}/pricing` },
];
const NAV_CASES: Case[] = [
  ['visit attribution: sources', 'breakdown/sources', { ...DAY1, site_id: NAV }, [row('Twitter', 1, 1, 3, 0, 120, 100)]],
  ['visit attribution: channels', 'breakdown/channels', { ...DAY1, site_id: NAV }, [row('Organic Social', 1, 1, 3, 0, 120, 100)]],
];

// The reversed copy is imported newest-first in batches of three, half before the first
// restart and half after it, so visits already in Parquet are re-drawn by late events.
const reversed = [...EVENTS].reverse().map((e) => batchEvent(REVERSED, e));
const REV_PART_1 = reversed.filter((_, i) => i % 2 === 0);
const REV_PART_2 = reversed.filter((_, i) => i % 2 === 1);
const chunks = <T>(xs: readonly T[], n: number) =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

let server: RunningServer;
let dataDir: string;
let geoDb: string;
let readKey: string;
let ingestKey: string;

const start = async () => {
  server = await startServer({ dataDir, env: { MALLARD_GEOIP_DB: geoDb, MALLARD_FLUSH_INTERVAL: '86400' } });
};
const restart = async () => {
  expect(await server.stop('SIGTERM')).toBe(0);
  await start();
};
const ask = (endpoint: string, params: Record<string, string | number>, site: string) =>
  stats(server.url, readKey, endpoint, { site_id: site, ...params });

beforeAll(async () => {
  geoDb = buildCityMmdb(scratchDir('geo'));
  dataDir = scratchDir('stats');
  await start();
  const cookie = await login(server.url);
  readKey = await createKey(server.url, cookie, 'read');
  ingestKey = await createKey(server.url, cookie, 'ingest');
  await loadBatch(
    server.url,
    ingestKey,
    EVENTS.map((e) => batchEvent(SITE, e)),
  );
  await loadBatch(server.url, ingestKey, [
    batchEvent(OTHER, { ...V1, t: '2026-01-10T10:00:00Z', path: '/only-b' }),
    batchEvent(OTHER, { ...V1, t: '2026-01-10T10:01:00Z', path: '/only-b' }),
  ]);
  await loadBatch(server.url, ingestKey, [batchEvent(ONE, { ...V5, t: '2026-01-11T06:00:00Z', path: '/' })]);
  await loadBatch(
    server.url,
    ingestKey,
    USER_EVENTS.map((e) => batchEvent(USERS, e)),
  );
  await loadBatch(
    server.url,
    ingestKey,
    NAV_EVENTS.map((e) => batchEvent(NAV, e)),
  );
  for (const batch of chunks(REV_PART_1, 3)) await loadBatch(server.url, ingestKey, batch);
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

describe('before any flush (hot tier, or the write-ahead log on ClickHouse)', () => {
  it('an event sent to POST /api/event counts as soon as it is answered 202; a bot does not', async () => {
    const sent = await sendEvent(
      server.url,
      { d: LIVE, n: 'pageview', u: `https://${LIVE}/live`, w: 500 },
      { ua: UA.firefoxLinux },
    );
    expect(sent.status).toBe(202);
    expect(sent.text).toBe('');
    expect(await ask('main', { period: 'all' }, LIVE)).toEqual(main(1, 1, 1, 1, 1, 0, 1));
    expect(await ask('realtime', {}, LIVE)).toEqual({ visitors: 1 });
    expect(await ask('breakdown/devices', { period: 'all' }, LIVE)).toEqual([row('Mobile', 1, 1, 1, 1, 0, 100)]);

    const bot = await sendEvent(server.url, { d: LIVE, n: 'pageview', u: `https://${LIVE}/bot` }, { ua: UA.googlebot });
    expect(bot.status).toBe(202);
    expect(await ask('main', { period: 'all' }, LIVE)).toEqual(main(1, 1, 1, 1, 1, 0, 1));
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^mallard_events_dropped_total\{reason="bot"\} 1$/m);
  });

  it.each(FIXTURE_CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params, SITE)).toEqual(expected);
  });

  it.each(OTHER_CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params, String(params.site_id))).toEqual(expected);
  });

  it.each([...USER_CASES, ...NAV_CASES])('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params, String(params.site_id))).toEqual(expected);
  });
});

describe('after SIGTERM and a restart on the same data dir (from Parquet, or from ClickHouse)', () => {
  beforeAll(restart);

  if (TEST_STORAGE === 'clickhouse') {
    it('shipped every event to ClickHouse once, with its site and day', async () => {
      const conn = new ClickHouseConnection(await clickhouseOf(dataDir));
      try {
        const rows = await conn.all<{ site: string; day: string; n: bigint }>(
          `SELECT site_id AS site, toString(toDate(timestamp)) AS day, count() AS n FROM events
           WHERE site_id IN ({p1:String}, {p2:String}, {p3:String}) GROUP BY site, day ORDER BY site, day`,
          [SITE, OTHER, ONE],
        );
        expect(rows.map((r) => [r.site, r.day, Number(r.n)])).toEqual([
          [SITE, '2026-01-10', 8],
          [SITE, '2026-01-11', 4],
          [SITE, '2026-01-12', 4],
          [OTHER, '2026-01-10', 2],
          [ONE, '2026-01-11', 1],
        ]);
      } finally {
        await conn.close();
      }
    });
  }

  if (TEST_STORAGE === 'duckdb')
    it('wrote ZSTD Parquet files, sorted by time, under events/site_id=<site>/date=<day>/', async () => {
      const events = join(dataDir, 'events');
      const partitions = (site: string) => readdirSync(join(events, `site_id=${site}`)).sort();
      expect(partitions(SITE)).toEqual(['date=2026-01-10', 'date=2026-01-11', 'date=2026-01-12']);
      expect(partitions(OTHER)).toEqual(['date=2026-01-10']);
      expect(partitions(ONE)).toEqual(['date=2026-01-11']);
      expect(readdirSync(events)).not.toContain(`site_id=${EMPTY}`);
      const files = listFiles(events);
      for (const f of files) expect(f).toMatch(/\/site_id=[a-z0-9.-]+\/date=\d{4}-\d{2}-\d{2}\/\d{20}(\.c)?\.parquet$/);

      const db = await DuckDBInstance.create(':memory:');
      const conn = await db.connect();
      try {
        const siteFiles = files.filter((f) => f.includes(`/site_id=${SITE}/`));
        let rows = 0;
        for (const f of siteFiles) {
          const times = (await conn.runAndReadAll(`SELECT epoch_ms(timestamp) AS t FROM read_parquet('${f}')`))
            .getRowObjectsJS()
            .map((r) => Number(r.t));
          expect(times).toEqual([...times].sort((a, b) => a - b));
          rows += times.length;
          const codecs = (await conn.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${f}')`))
            .getRowObjectsJS()
            .map((r) => String(r.compression));
          expect(codecs).toEqual(['ZSTD']);
        }
        expect(rows).toBe(16);
      } finally {
        conn.closeSync();
        db.closeSync();
      }
    });

  it.each(FIXTURE_CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params, SITE)).toEqual(expected);
  });

  it.each(OTHER_CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params, String(params.site_id))).toEqual(expected);
  });

  it.each([...USER_CASES, ...NAV_CASES])('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params, String(params.site_id))).toEqual(expected);
  });
});

describe('many requests at once', () => {
  it('24 concurrent stats requests with the same key all answer 200 with the same numbers', async () => {
    const answers = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const res = await fetch(`${server.url}/api/stats/main?site_id=${SITE}&start_date=2026-01-10&end_date=2026-01-12`, {
          headers: { authorization: `Bearer ${readKey}` },
        });
        return { status: res.status, body: await res.json() };
      }),
    );
    for (const a of answers) expect(a).toEqual({ status: 200, body: main(7, 8, 13, 1.63, 0.375, 806, 16) });
  });
});

describe('the same data imported newest-first, in batches, across two flushes', () => {
  beforeAll(async () => {
    for (const batch of chunks(REV_PART_2, 3)) await loadBatch(server.url, ingestKey, batch);
    await restart();
  });

  it.each(FIXTURE_CASES.filter(([name]) => !name.startsWith('breakdown hostnames')))(
    '%s',
    async (_name, endpoint, params, expected) => {
      expect(await ask(endpoint, params, REVERSED)).toEqual(expected);
    },
  );

  it('hostnames name the reversed site', async () => {
    expect(await ask('breakdown/hostnames', RANGE, REVERSED)).toEqual([row(REVERSED, 7, 8, 13, 0.375, 806, 100)]);
  });

  it('the original site is unchanged by the second import and restart', async () => {
    expect(await ask('main', RANGE, SITE)).toEqual(main(7, 8, 13, 1.63, 0.375, 806, 16));
    expect(await ask('main', RANGE, OTHER)).toEqual(main(1, 1, 2, 2, 0, 60, 2));
  });
});
