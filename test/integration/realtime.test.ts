/**
 * Realtime (`period=realtime`): the last 30 whole minutes as 30 one-minute buckets, the
 * breakdowns of those minutes, and "visitors now" (the last 5 minutes), through the real
 * server. Events go through POST /api/events with timestamps relative to the current minute
 * M, each in the middle of its minute (`at(k, s)` = second s of the minute k minutes before M):
 *
 *   V5 US  at(31, 30) /gone      google    — before the window (it starts at M − 29 min)
 *   V1 US  at(29, 30) /pricing   google    — first bucket: 1 visitor, a bounce
 *   V2 DE  at(10, 30) /          direct    ┐ one visit of 12 s, two page views
 *   V2 DE  at(10, 42) /blog      direct    ┘
 *   V3 US  at(2, 30)  /          HN        — bounce
 *   V4 DE  at(2, 30)  /pricing   direct    — bounce
 *
 * In the window: 4 visitors, 4 visits, 5 page views, 3 bounces, durations 0 + 12 + 0 + 0.
 * Visitors now (events after now − 5 min): V3 and V4.
 *
 * Minute boundaries: which minute is "current" decides every expected label and whether
 * V1's event (29 minutes back) is in. The scenario starts only in the first 40 s of a
 * minute (otherwise it waits for the next one), sends its events, reads every answer, and
 * then checks the clock is still in M; if the minute turned meanwhile, it runs again on a
 * fresh site with a new M. Expected values are then worked out from M alone. The same
 * events also go to a site in Asia/Kolkata (UTC+05:30): same instants, labels 5:30 later.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCityMmdb } from '../helpers/geo-fixture.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, type Ev, GOOGLE, HN, V1, V2, V3, V4, V5 } from './fixture.js';
import { bucket, loadBatch, removeScratchDirs, row, scratchDir, statsUrl } from './support.js';

const MINUTE = 60_000;
const minuteOf = (t: number) => Math.floor(t / MINUTE) * MINUTE;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RunningServer;
let key: string;

interface Got {
  status: number;
  plan: string | null;
  json: unknown;
}
interface Run {
  /** The current minute while every request ran (epoch ms). */
  m: number;
  utc: string;
  kolkata: string;
  got: Record<string, Got>;
}
let run: Run;

const get = async (endpoint: string, params: Record<string, string>): Promise<Got> => {
  const res = await fetch(statsUrl(server.url, endpoint, params), { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, plan: res.headers.get('x-mallard-plan'), json: await res.json() };
};

async function scenario(attempt: number): Promise<Run | null> {
  if (Date.now() % MINUTE > 40_000) await sleep(MINUTE - (Date.now() % MINUTE) + 200);
  const m = minuteOf(Date.now());
  const at = (k: number, s: number) => new Date(m - k * MINUTE + s * 1000).toISOString();
  const utc = `rt-${attempt}.test`;
  const kolkata = `rt-kolkata-${attempt}.test`;
  const created = await fetch(`${server.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: kolkata, timezone: 'Asia/Kolkata' }),
  });
  expect(created.status, await created.text()).toBe(201);
  const events: Ev[] = [
    { ...V5, t: at(31, 30), path: '/gone', r: GOOGLE },
    { ...V1, t: at(29, 30), path: '/pricing', r: GOOGLE },
    { ...V2, t: at(10, 30), path: '/' },
    { ...V2, t: at(10, 42), path: '/blog' },
    { ...V3, t: at(2, 30), path: '/', r: HN },
    { ...V4, t: at(2, 30), path: '/pricing' },
  ];
  await loadBatch(server.url, key, [...events.map((e) => batchEvent(utc, e)), ...events.map((e) => batchEvent(kolkata, e))]);

  const rt = { period: 'realtime' };
  const got: Record<string, Got> = {
    timeseries: await get('timeseries', { site_id: utc, ...rt }),
    timeseriesMinute: await get('timeseries', { site_id: utc, ...rt, interval: 'minute' }),
    timeseriesKolkata: await get('timeseries', { site_id: kolkata, ...rt }),
    pages: await get('breakdown/pages', { site_id: utc, ...rt }),
    sources: await get('breakdown/sources', { site_id: utc, ...rt }),
    countries: await get('breakdown/countries', { site_id: utc, ...rt }),
    main: await get('main', { site_id: utc, ...rt }),
    now: await get('realtime', { site_id: utc }),
  };
  return minuteOf(Date.now()) === m ? { m, utc, kolkata, got } : null;
}

beforeAll(async () => {
  server = await startServer({ env: { MALLARD_GEOIP_DB: buildCityMmdb(scratchDir('geo')) } });
  key = await createKey(server.url, await login(server.url), 'admin');
  for (let attempt = 1; ; attempt++) {
    const done = await scenario(attempt);
    if (done) {
      run = done;
      break;
    }
    if (attempt === 3) throw new Error('the minute turned during three runs in a row');
  }
}, 240_000);

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

/** "YYYY-MM-DD HH:MM:00" of the minute k before M, on a clock `offsetMin` ahead of UTC. */
const label = (k: number, offsetMin = 0) => {
  const iso = new Date(run.m - k * MINUTE + offsetMin * MINUTE).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)}:00`;
};
const expectedBuckets = (offsetMin = 0) => {
  const filled: Record<number, ReturnType<typeof bucket>> = {
    29: bucket(label(29, offsetMin), 1, 1, 1, 1, 0),
    10: bucket(label(10, offsetMin), 1, 1, 2, 0, 12),
    2: bucket(label(2, offsetMin), 2, 2, 2, 1, 0),
  };
  return Array.from({ length: 30 }, (_, i) => filled[29 - i] ?? bucket(label(29 - i, offsetMin)));
};
const answer = (name: string) => {
  const g = run.got[name] as Got;
  expect(g.status, JSON.stringify(g.json)).toBe(200);
  return g.json;
};

describe('timeseries?period=realtime', () => {
  it('30 one-minute buckets ending with the current minute, empty minutes as zero', () => {
    expect(answer('timeseries')).toEqual(expectedBuckets());
  });
  it('interval=minute is the same answer', () => {
    expect(answer('timeseriesMinute')).toEqual(expectedBuckets());
  });
  it('a site in Asia/Kolkata: the same minutes, labelled on its clock (UTC+05:30)', () => {
    expect(answer('timeseriesKolkata')).toEqual(expectedBuckets(330));
  });
  it('read from the events, never from derived tables', () => {
    expect(run.got.timeseries?.plan).toBe('events');
  });
});

describe('breakdowns and top stats of the last 30 minutes', () => {
  it('pages', () => {
    expect(answer('pages')).toEqual([
      row('/', 2, 2, 2, 0.5, 6, 50),
      row('/pricing', 2, 2, 2, 1, 0, 50),
      // Nobody entered on /blog: a page row's bounce rate and duration are its entering visits'.
      row('/blog', 1, 1, 1, 0, 0, 25),
    ]);
    // The pages, and their entering visits (docs/METRICS.md, "Pages and entry pages").
    expect(run.got.pages?.plan).toBe('events,events');
  });
  it('sources', () => {
    expect(answer('sources')).toEqual([
      row('Direct / None', 2, 2, 3, 0.5, 6, 50),
      row('Google', 1, 1, 1, 1, 0, 25),
      row('Hacker News', 1, 1, 1, 1, 0, 25),
    ]);
  });
  it('countries', () => {
    expect(answer('countries')).toEqual([row('DE', 2, 2, 3, 0.5, 6, 50), row('US', 2, 2, 2, 1, 0, 50)]);
  });
  it('main', () => {
    expect(answer('main')).toEqual({
      unique_visitors: 4,
      visits: 4,
      total_pageviews: 5,
      views_per_visit: 1.25,
      bounce_rate: 0.75,
      avg_visit_duration_secs: 3,
      events: 5,
    });
  });
  it('visitors now: the last 5 minutes', () => {
    expect(answer('now')).toEqual({ visitors: 2 });
  });
});

describe('bad combinations', () => {
  it.each([
    [{ period: 'day', interval: 'minute' }, 'interval: minute is for period=realtime only'],
    [{ start_date: '2026-01-10', end_date: '2026-01-10', interval: 'minute' }, 'interval: minute is for period=realtime only'],
    [{ period: 'realtime', interval: 'hour' }, 'interval: period=realtime has only minute buckets'],
    [{ period: 'realtime', interval: 'second' }, 'interval: must be one of minute, hour, day, week, month'],
  ])('%o → 400', async (params, error) => {
    const g = await get('timeseries', { site_id: run.utc, ...params });
    expect([g.status, g.json]).toEqual([400, { error }]);
  });
});
