/**
 * Rollups (each site's UTC day summed into stored rows: derived-tables.ts, and on ClickHouse
 * src/storage/clickhouse/rollups.ts) must never serve stale numbers: a late batch for a day
 * already built changes that day's answer at once, before the day is built again, and
 * events still in the hot tier count at once. The server flushes after every batch here
 * (MALLARD_FLUSH_COUNT=1); expected numbers worked out by hand.
 *
 * Builds are made deterministic: with MALLARD_ROLLUP_DELAY at a day, a day that gets events
 * while the server runs is never built during the test, while a server starting up builds
 * the days it finds stale at once (both stores). So the day is first asked unbuilt, then
 * built (a restart), then asked after a late batch with its rollups (and, on DuckDB, their
 * in-memory copy: rollup-cache.ts) in place but stale, and once more after a rebuild.
 *
 * Day 2026-02-10, site roll.test:
 *   batch A: V1 10:00 /, V1 10:05 /x (a 300 s visit); V2 11:00 / (a bounce)
 *   batch B (late): V2 11:10 /y (joins V2's visit: 600 s); V3 12:00 / (a bounce)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseConnection } from '../../src/storage/clickhouse/connection.js';
import { clickhouseOf, TEST_STORAGE } from '../helpers/backends.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, type Ev, V1, V2, V3 } from './fixture.js';
import { bucket, loadBatch, main, removeScratchDirs, sendEvent, stats, statsUrl } from './support.js';

const SITE = 'roll.test';
const DAY = { start_date: '2026-02-10', end_date: '2026-02-10' };
const A: Ev[] = [
  { ...V1, t: '2026-02-10T10:00:00Z', path: '/' },
  { ...V1, t: '2026-02-10T10:05:00Z', path: '/x' },
  { ...V2, t: '2026-02-10T11:00:00Z', path: '/' },
];
const B: Ev[] = [
  { ...V2, t: '2026-02-10T11:10:00Z', path: '/y' },
  { ...V3, t: '2026-02-10T12:00:00Z', path: '/' },
];
/** A: V1, V2; 2 visits, 3 views, 1.5 per visit, one bounce of two, (300 + 0) / 2 s. */
const AFTER_A = main(2, 2, 3, 1.5, 0.5, 150, 3);
/** A + B: V1, V2, V3; 3 visits, 5 views, 5/3 per visit, one bounce of three, (300 + 600 + 0) / 3 s. */
const AFTER_B = main(3, 3, 5, 1.67, 0.3333, 300, 5);
const ENV = { MALLARD_FLUSH_COUNT: '1', MALLARD_FLUSH_INTERVAL: '86400', MALLARD_ROLLUP_DELAY: '86400' };

let server: RunningServer;
let key: string;

async function storage(): Promise<{ buffer_events: number; derived_pending: number }> {
  const health = (await (await fetch(`${server.url}/health/detailed`)).json()) as {
    storage: { buffer_events: number; derived_pending: number };
  };
  return health.storage;
}

/** Loads a batch and waits until its flush has emptied the hot tier. */
async function loadAndFlush(events: Ev[]): Promise<void> {
  await loadBatch(
    server.url,
    key,
    events.map((e) => batchEvent(SITE, e)),
  );
  for (let i = 0; i < 200; i++) {
    if ((await storage()).buffer_events === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the batch was not flushed');
}

/** Restarts the server on its data directory and waits until it has built every stale day. */
async function restartAndBuild(): Promise<void> {
  await server.stop();
  server = await startServer({ dataDir: server.dataDir, env: ENV });
  // A bound on the wait, not a speed check: a ClickHouse build of a day runs ~50 statements.
  for (let i = 0; i < 1200; i++) {
    if ((await storage()).derived_pending === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the day was not built');
}

/** A stats answer and the plans its statements used (X-Mallard-Plan). */
async function ask(endpoint: string, params: Record<string, string>): Promise<{ body: unknown; plan: string | null }> {
  const res = await fetch(statsUrl(server.url, endpoint, { site_id: SITE, ...params }), {
    headers: { authorization: `Bearer ${key}` },
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { body: JSON.parse(text), plan: res.headers.get('x-mallard-plan') };
}

const DAYS = { start_date: '2026-02-09', end_date: '2026-02-11', interval: 'day' };
const WEEK = { start_date: '2026-02-09', end_date: '2026-02-15', interval: 'week' };

beforeAll(async () => {
  server = await startServer({ env: ENV });
  key = await createKey(server.url, await login(server.url), 'admin');
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('rollups of a day', () => {
  it('answer a flushed day before it is built, again and again', async () => {
    await loadAndFlush(A);
    const first = await ask('main', DAY);
    const second = await ask('main', DAY);
    expect([first, second]).toEqual([
      { body: AFTER_A, plan: 'events' },
      { body: AFTER_A, plan: 'events' },
    ]);
  });

  it('answer the same from rollups once built, again and again', async () => {
    await restartAndBuild();
    const first = await ask('main', DAY);
    const second = await ask('main', DAY);
    expect([first, second]).toEqual([
      { body: AFTER_A, plan: 'rollup' },
      { body: AFTER_A, plan: 'rollup' },
    ]);
    expect(await ask('timeseries', DAYS)).toEqual({
      body: [bucket('2026-02-09'), bucket('2026-02-10', 2, 2, 3, 0.5, 150), bucket('2026-02-11')],
      plan: 'rollup',
    });
  });

  it('change at once when a late batch lands on the built day', async () => {
    await loadAndFlush(B);
    // Not built again (a day of quiet first): its rollups are stale, the day is scanned.
    expect(await ask('main', DAY)).toEqual({ body: AFTER_B, plan: 'events' });
    expect((await ask('timeseries', DAYS)).body).toEqual([
      bucket('2026-02-09'),
      bucket('2026-02-10', 3, 3, 5, 0.3333, 300),
      bucket('2026-02-11'),
    ]);
    expect((await ask('timeseries', WEEK)).body).toEqual([bucket('2026-02-09', 3, 3, 5, 0.3333, 300)]);
  });

  it('answer the late batch from rollups once the day is built again', async () => {
    await restartAndBuild();
    expect(await ask('main', DAY)).toEqual({ body: AFTER_B, plan: 'rollup' });
    expect(await ask('timeseries', WEEK)).toEqual({ body: [bucket('2026-02-09', 3, 3, 5, 0.3333, 300)], plan: 'rollup' });
  });

  it('count events of today at once, flushed or not', async () => {
    const before = await stats<{ unique_visitors: number }>(server.url, key, 'main', { site_id: SITE, period: 'today' });
    expect((await sendEvent(server.url, { n: 'pageview', u: `https://${SITE}/now`, d: SITE })).status).toBe(202);
    const after = await stats<{ unique_visitors: number; total_pageviews: number }>(server.url, key, 'main', {
      site_id: SITE,
      period: 'today',
    });
    expect([before.unique_visitors, after.unique_visitors, after.total_pageviews]).toEqual([0, 1, 1]);
  });
});

describe.runIf(TEST_STORAGE === 'clickhouse')('rows of builds never recorded (ClickHouse)', () => {
  const ON_DAY = `site_id = '${SITE}' AND day = '2026-02-10'`;
  const rowsOf = async (conn: ClickHouseConnection, table: string, where = ON_DAY) => {
    const [row] = await conn.all<{ n: bigint }>(`SELECT count() AS n FROM ${table} WHERE ${where}`);
    return Number(row?.n ?? 0);
  };
  /** Copies the day's rows of `table` under each of `ids`, as builds that crashed before their record would leave them. */
  const copyAs = async (conn: ClickHouseConnection, table: string, ids: readonly bigint[]) => {
    for (const id of ids) {
      await conn.command(`INSERT INTO ${table} SELECT site_id, day, ${id} AS id, * EXCEPT (site_id, day, build_id)
        FROM ${table} WHERE ${ON_DAY} AND build_id NOT IN (${ids.join(', ')})`);
    }
  };

  it('are deleted at start-up once an hour old; younger ones (a build may still run) and the recorded build stay', async () => {
    const conn = new ClickHouseConnection(await clickhouseOf(server.dataDir));
    try {
      // The day's latest build summed A + B: 3 visits (its first build's, of A, are still there too).
      const latest = `${ON_DAY} AND build_id = (SELECT argMax(build_id, built_at) FROM derived_builds WHERE ${ON_DAY})`;
      expect(await rowsOf(conn, 'visits', latest)).toBe(3);
      const kept = { rollups: await rowsOf(conn, 'rollups'), visits: await rowsOf(conn, 'visits') };
      expect(kept.rollups).toBeGreaterThan(0);
      const twoHoursAgo = BigInt(Date.now() - 2 * 3_600_000) << 20n;
      const justNow = BigInt(Date.now()) << 20n;
      for (const table of ['rollups', 'visits']) await copyAs(conn, table, [twoHoursAgo, justNow]);
      expect(await rowsOf(conn, 'visits')).toBe(kept.visits * 3);
      await restartAndBuild();
      expect({ rollups: await rowsOf(conn, 'rollups'), visits: await rowsOf(conn, 'visits') }).toEqual({
        rollups: kept.rollups * 2,
        visits: kept.visits * 2,
      });
      expect(await ask('main', DAY)).toEqual({ body: AFTER_B, plan: 'rollup' });
    } finally {
      await conn.close();
    }
  });
});
