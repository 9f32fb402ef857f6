/**
 * Upgrades (docs/DEPLOY.md, "Upgrades"): today's server started on a data directory that
 * release 0.1.0 wrote and was killed in (test/fixtures/upgrade/: its metadata database at
 * migration 3, Parquet files and derived tables of two days, three events only in its
 * write-ahead log). Everything it held must be answered as before, and it must take, flush
 * and answer new events beside the old files.
 *
 * By hand, from test/fixtures/upgrade/events.ts, 2026-03-01..03 in Europe/Berlin:
 *   visitors 7 (A, B; C, D, B again; E, F — one id per visitor and day), visits 7,
 *   page views 11, events 13 (two Signups);
 *   bounces: the visits of one event, B, B, F: 3/7 = 0.4286;
 *   durations A 180 s, C 600, D 60, E 120, others 0: 960/7 = 137 s;
 *   goals: Visit /pricing A D E (3 of 7 = 42.9 %), Sign up A D (2, 28.6 %, 25.50 EUR, mean 12.75);
 *   segment Firefox: B, B, F — 3 visitors, 3 page views.
 * Then G (2026-03-04, Edge) views / ten times and /admin/x once: the shield on /admin/* drops the last.
 */
import { cpSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURE_ENV, SITE } from '../fixtures/upgrade/events.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { removeScratchDirs, scratchDir, sendBatch, stats, UA } from './support.js';

const FIXTURE = join(import.meta.dirname, '../fixtures/upgrade/datadir-0.1.0');
const RANGE = { site_id: SITE, start_date: '2026-03-01', end_date: '2026-03-03' };

let server: RunningServer;
let key: string;

async function get(path: string): Promise<unknown> {
  const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });
  expect(res.status, path).toBe(200);
  return res.json();
}

const main = (params: Record<string, string> = {}) =>
  stats<Record<string, number>>(server.url, key, 'main', { ...RANGE, ...params });

beforeAll(async () => {
  const dataDir = scratchDir('upgrade');
  cpSync(FIXTURE, dataDir, { recursive: true });
  server = await startServer({ dataDir, env: FIXTURE_ENV });
  key = await createKey(server.url, await login(server.url), 'admin');
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('a data directory of release 0.1.0', () => {
  it('answers every event it held: flushed, derived and only logged', async () => {
    expect(await main()).toMatchObject({
      unique_visitors: 7,
      visits: 7,
      total_pageviews: 11,
      events: 13,
      bounce_rate: 0.4286,
      avg_visit_duration_secs: 137,
    });
  });

  it('keeps its sites, shields, goals, segments and share links', async () => {
    const site = (await get(`/api/sites/${SITE}`)) as Record<string, unknown>;
    expect(site).toMatchObject({ id: SITE, timezone: 'Europe/Berlin', shields: { pages: ['/admin/*'] } });
    const goals = (await get(`/api/sites/${SITE}/goals`)) as { display_name: string }[];
    expect(goals.map((g) => g.display_name).sort()).toEqual(['Sign up', 'Visit /pricing']);
    const panel = await stats(server.url, key, 'breakdown/events', RANGE);
    expect(panel).toEqual([
      { value: 'Visit /pricing', visitors: 3, events: 3, conversion_rate: 42.9 },
      {
        value: 'Sign up',
        visitors: 2,
        events: 2,
        conversion_rate: 28.6,
        currency: 'EUR',
        total_revenue: 25.5,
        average_revenue: 12.75,
        revenue_skipped: 0,
      },
    ]);
    const segments = (await get(`/api/sites/${SITE}/segments`)) as { id: string; name: string }[];
    expect(segments.map((s) => s.name)).toEqual(['Firefox']);
    expect(await main({ segment: segments[0]?.id ?? '' })).toMatchObject({ unique_visitors: 3, total_pageviews: 3 });
    const shares = (await get(`/api/sites/${SITE}/shares`)) as { label: string }[];
    expect(shares.map((s) => s.label)).toEqual(['public']);
  });

  it('takes new events beside the old files, flushes them and still answers the old ones', async () => {
    const g = { d: SITE, n: 'pageview', ip: '203.0.113.7', user_agent: UA.edgeWindows };
    // Ten stored: the fixture's flush count, so this batch goes to Parquet beside the old files.
    const events = [
      ...Array.from({ length: 10 }, (_, i) => ({ ...g, u: `https://${SITE}/`, timestamp: `2026-03-04T10:${10 + i}:00Z` })),
      { ...g, u: `https://${SITE}/admin/x`, timestamp: '2026-03-04T10:30:00Z' },
    ];
    const res = await sendBatch(server.url, key, events);
    expect(res.status, res.text).toBe(200);
    const dayFiles = () => {
      const dir = join(server.dataDir, 'events', `site_id=${SITE}`, 'date=2026-03-04');
      return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.parquet')).length : 0;
    };
    await expect.poll(dayFiles).toBeGreaterThan(0);
    const all = { ...RANGE, end_date: '2026-03-04' };
    // G's ten page views of / count; the one on /admin/x is shielded.
    expect(await stats<Record<string, number>>(server.url, key, 'main', all)).toMatchObject({
      unique_visitors: 8,
      total_pageviews: 21,
      events: 23,
    });
  });
});
