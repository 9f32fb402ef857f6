/**
 * A site's time zone through the real server: periods start at the site's local midnight
 * and time buckets, export days, v2 time dimensions and retention cohorts follow its
 * clock; a site without one stays on UTC. Expected values worked out by hand.
 *
 * The same five page views go to a New York site (UTC−5 in January) and a UTC site:
 *   E1 V1 01-10 03:00Z /a   (New York: 01-09 22:00)
 *   E2 V2 01-10 06:00Z /b   (01-10 01:00)
 *   E3 V2 01-10 06:10Z /c   (01-10 01:10; E2's visit, 600 s)
 *   E4 V3 01-11 04:30Z /d   (01-10 23:30)
 *   E5 V1 01-11 05:30Z /e   (01-11 00:30)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, type Ev, V1, V2, V3 } from './fixture.js';
import { bucket, loadBatch, removeScratchDirs, stats, statsUrl } from './support.js';

const NY = 'tz-ny.test';
const UTC = 'tz-utc.test';
const EVENTS: Ev[] = [
  { ...V1, t: '2026-01-10T03:00:00Z', path: '/a' },
  { ...V2, t: '2026-01-10T06:00:00Z', path: '/b' },
  { ...V2, t: '2026-01-10T06:10:00Z', path: '/c' },
  { ...V3, t: '2026-01-11T04:30:00Z', path: '/d' },
  { ...V1, t: '2026-01-11T05:30:00Z', path: '/e' },
];
const THREE_DAYS = { start_date: '2026-01-09', end_date: '2026-01-11' };
const DAY_10 = { period: 'day', date: '2026-01-10' };

let server: RunningServer;
let key: string;

beforeAll(async () => {
  server = await startServer();
  key = await createKey(server.url, await login(server.url), 'admin');
  const res = await fetch(`${server.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: NY, timezone: 'America/New_York' }),
  });
  expect(res.status, await res.text()).toBe(201);
  await loadBatch(server.url, key, [...EVENTS.map((e) => batchEvent(NY, e)), ...EVENTS.map((e) => batchEvent(UTC, e))]);
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

const pages = async (site: string, params: Record<string, string>) =>
  (await stats<{ value: string }[]>(server.url, key, 'breakdown/pages', { site_id: site, ...params })).map((r) => r.value).sort();

describe('periods start at the site’s midnight', () => {
  it.each([
    ['New York, day 01-10', NY, DAY_10, ['/b', '/c', '/d']],
    ['UTC, day 01-10', UTC, DAY_10, ['/a', '/b', '/c']],
    ['New York, custom 01-11..01-11', NY, { start_date: '2026-01-11', end_date: '2026-01-11' }, ['/e']],
    ['UTC, custom 01-11..01-11', UTC, { start_date: '2026-01-11', end_date: '2026-01-11' }, ['/d', '/e']],
    ['New York, month of January', NY, { period: 'month', date: '2026-01-20' }, ['/a', '/b', '/c', '/d', '/e']],
  ])('%s', async (_name, site, params, expected) => {
    expect(await pages(site, params)).toEqual(expected);
  });
});

describe('time buckets follow the site’s clock', () => {
  it('hours of New York’s 01-10', async () => {
    const filled: Record<number, ReturnType<typeof bucket>> = {
      1: bucket('2026-01-10 01:00:00', 1, 1, 2, 0, 600),
      23: bucket('2026-01-10 23:00:00', 1, 1, 1, 1, 0),
    };
    const expected = Array.from({ length: 24 }, (_, h) => filled[h] ?? bucket(`2026-01-10 ${String(h).padStart(2, '0')}:00:00`));
    expect(await stats(server.url, key, 'timeseries', { site_id: NY, ...DAY_10, interval: 'hour' })).toEqual(expected);
  });

  it('days, New York and UTC', async () => {
    expect(await stats(server.url, key, 'timeseries', { site_id: NY, ...THREE_DAYS, interval: 'day' })).toEqual([
      bucket('2026-01-09', 1, 1, 1, 1, 0),
      bucket('2026-01-10', 2, 2, 3, 0.5, 300),
      bucket('2026-01-11', 1, 1, 1, 1, 0),
    ]);
    expect(await stats(server.url, key, 'timeseries', { site_id: UTC, ...THREE_DAYS, interval: 'day' })).toEqual([
      bucket('2026-01-09'),
      bucket('2026-01-10', 2, 2, 3, 0.5, 300),
      bucket('2026-01-11', 2, 2, 2, 1, 0),
    ]);
  });

  it('export days and file name', async () => {
    const res = await fetch(statsUrl(server.url, 'export', { site_id: NY, ...THREE_DAYS, format: 'json' }), {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toContain('2026-01-09');
    expect(res.headers.get('content-disposition')).toContain('2026-01-11');
    const rows = (await res.json()) as { date: string; visitors: number; pageviews: number }[];
    expect(rows.map((r) => [r.date, r.visitors, r.pageviews])).toEqual([
      ['2026-01-09', 1, 1],
      ['2026-01-10', 2, 3],
      ['2026-01-11', 1, 1],
    ]);
  });

  it('v2 query time:day', async () => {
    const res = await fetch(`${server.url}/api/v2/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        site_id: NY,
        metrics: ['visitors', 'pageviews'],
        date_range: ['2026-01-09', '2026-01-11'],
        dimensions: ['time:day'],
      }),
    });
    const body = (await res.json()) as { results: unknown };
    expect(res.status).toBe(200);
    expect(body.results).toEqual([
      { dimensions: ['2026-01-09'], metrics: [1, 1] },
      { dimensions: ['2026-01-10'], metrics: [2, 3] },
      { dimensions: ['2026-01-11'], metrics: [1, 1] },
    ]);
  });

  it('retention cohorts by the local day', async () => {
    const body = await stats<{ cohorts: unknown }>(server.url, key, 'retention', {
      site_id: NY,
      ...THREE_DAYS,
      interval: 'day',
      periods: 1,
    });
    expect(body.cohorts).toEqual([
      { cohort_date: '2026-01-09', size: 1, retained: [1, 0], rate: [1, 0] },
      { cohort_date: '2026-01-10', size: 2, retained: [2, 0], rate: [1, 0] },
      { cohort_date: '2026-01-11', size: 1, retained: [1, null], rate: [1, null] },
    ]);
  });
});
