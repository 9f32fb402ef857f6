/**
 * Day totals reused across requests (src/query/rollups.ts) must never serve stale numbers:
 * a late batch for a day already flushed changes that day's answer after its flush, and
 * events still in the hot tier count at once. The server flushes after every batch here
 * (MALLARD_FLUSH_COUNT=1); expected numbers worked out by hand.
 *
 * Day 2026-02-10, site roll.test:
 *   batch A: V1 10:00 /, V1 10:05 /x (a 300 s visit); V2 11:00 / (a bounce)
 *   batch B (late): V2 11:10 /y (joins V2's visit: 600 s); V3 12:00 / (a bounce)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, type Ev, V1, V2, V3 } from './fixture.js';
import { bucket, loadBatch, main, removeScratchDirs, sendEvent, stats } from './support.js';

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

let server: RunningServer;
let key: string;

/** Loads a batch and waits until its flush has emptied the hot tier. */
async function loadAndFlush(events: Ev[]): Promise<void> {
  await loadBatch(
    server.url,
    key,
    events.map((e) => batchEvent(SITE, e)),
  );
  for (let i = 0; i < 200; i++) {
    const health = (await (await fetch(`${server.url}/health/detailed`)).json()) as { storage: { buffer_events: number } };
    if (health.storage.buffer_events === 0) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the batch was not flushed');
}

beforeAll(async () => {
  server = await startServer({ env: { MALLARD_FLUSH_COUNT: '1', MALLARD_FLUSH_INTERVAL: '86400' } });
  key = await createKey(server.url, await login(server.url), 'admin');
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('reused day totals', () => {
  it('answer a flushed day, again and again', async () => {
    await loadAndFlush(A);
    const expected = main(2, 2, 3, 1.5, 0.5, 150, 3);
    expect(await stats(server.url, key, 'main', { site_id: SITE, ...DAY })).toEqual(expected);
    expect(await stats(server.url, key, 'main', { site_id: SITE, ...DAY })).toEqual(expected);
  });

  it('change when a late batch lands on that day', async () => {
    await loadAndFlush(B);
    expect(await stats(server.url, key, 'main', { site_id: SITE, ...DAY })).toEqual(main(3, 3, 5, 1.67, 0.3333, 300, 5));
    expect(
      await stats(server.url, key, 'timeseries', {
        site_id: SITE,
        start_date: '2026-02-09',
        end_date: '2026-02-11',
        interval: 'day',
      }),
    ).toEqual([bucket('2026-02-09'), bucket('2026-02-10', 3, 3, 5, 0.3333, 300), bucket('2026-02-11')]);
    expect(
      await stats(server.url, key, 'timeseries', {
        site_id: SITE,
        start_date: '2026-02-09',
        end_date: '2026-02-15',
        interval: 'week',
      }),
    ).toEqual([bucket('2026-02-09', 3, 3, 5, 0.3333, 300)]);
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
