/**
 * `mallard-metrics import --format umami`: Umami's `website_event` CSV (its data export) with
 * the built CLI, then the real server answering for what it stored. The file is written here
 * by hand, and every number below is counted from it:
 *
 *   session s1 (Chrome, Windows 10, desktop 1920x1080, US, US-CA, San Francisco), 2026-11-02:
 *     10:00 page / from google.com · 10:05 page /pricing?utm_source=news · 10:06 event signup
 *   session s2 (iOS Safari, mobile 390x844, DE, DE-BE, Berlin): 2026-11-02 11:00 page /blog/a
 *     from news.ycombinator.com/item; 2026-11-03 09:00 page /
 *   session s3 (Firefox, Linux, laptop 1366x768, FR): 2026-11-02 12:00 page /, 12:45 page /
 *   two bad rows: event_type 3; created_at "yesterday"
 *
 * Page views 6, events 7. Visitors rotate daily: s1, s2, s3 on the 2nd, s2 on the 3rd → 4.
 * Visits: s1 1, s2 2 (one per day), s3 2 (45 minutes apart) → 5. Browsers: Safari 2 (s2 both
 * days), Chrome 1, Firefox 1; OS: iOS 2, GNU/Linux 1, Windows 1; devices by screen width:
 * Mobile 2, Desktop 1, Laptop 1; countries DE 2, FR 1, US 1; sources (a visit's first event):
 * Direct / None 2 (s3, s2's second day), Google 1, Hacker News 1; goal signup 1 visitor.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { UMAMI_SESSIONS, umamiCsv } from '../fixtures/umami.js';
import { storageEnv } from '../helpers/backends.js';
import { createKey, freePort, login, type RunningServer, startServer } from '../helpers/server.js';
import { cli, removeScratchDirs, scratchDir, stats } from './support.js';

const SITE = 'umami.example';
const RANGE = { site_id: SITE, start_date: '2026-11-02', end_date: '2026-11-03' };
const [S1, S2, S3] = UMAMI_SESSIONS;

const running: RunningServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop('SIGKILL');
});
afterAll(removeScratchDirs);

/** Every regular file under `dir`. */
const filesUnder = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [],
  );

describe('import --format umami', () => {
  it("stores Umami's raw events with their visitors' browsers, systems, devices and places", async () => {
    const dir = scratchDir('import-umami');
    const file = join(dir, 'website_event.csv');
    writeFileSync(file, umamiCsv(SITE));
    const dataDir = join(dir, 'data');
    const env = {
      MALLARD_DATA_DIR: dataDir,
      MALLARD_HOST: '127.0.0.1',
      MALLARD_PORT: String(await freePort()),
      MALLARD_SECRET: 'umami-import-secret-0123456789',
      ...(await storageEnv(dataDir)),
    };
    const run = await cli(['import', file, '--site', SITE, '--format', 'umami'], env);
    expect(run.code, run.stderr).toBe(0);
    const [summary, ...errors] = run.stdout.trimEnd().split('\n');
    expect(summary).toMatch(new RegExp(`^imported 7 events of ${file} into ${SITE} in .*; 2 rejected \\(invalid: 2\\)$`));
    // Each bad row named by its number in the file (the header is not one) and its problem.
    expect(errors).toEqual([
      '  record 7: event_type: 3 is not 1 (page view) or 2 (custom event)',
      '  record 8: created_at: not a time',
    ]);

    const server = await startServer({ dataDir, env: { MALLARD_SECRET: env.MALLARD_SECRET } });
    running.push(server);
    const key = await createKey(server.url, await login(server.url), 'read');
    const get = <T>(endpoint: string) => stats<T>(server.url, key, endpoint, RANGE);
    const rows = async (dim: string) =>
      (await get<{ value: string; visitors: number }[]>(`breakdown/${dim}`)).map((r) => [r.value, r.visitors]);

    expect(await get('main')).toMatchObject({ total_pageviews: 6, events: 7, unique_visitors: 4, visits: 5 });
    expect(await rows('browsers')).toEqual([
      ['Safari', 2],
      ['Chrome', 1],
      ['Firefox', 1],
    ]);
    expect(await rows('os')).toEqual([
      ['iOS', 2],
      ['GNU/Linux', 1],
      ['Windows', 1],
    ]);
    expect(await rows('os-versions')).toEqual([
      ['iOS (not set)', 2],
      ['GNU/Linux (not set)', 1],
      ['Windows 10', 1],
    ]);
    expect(await rows('devices')).toEqual([
      ['Mobile', 2],
      ['Desktop', 1],
      ['Laptop', 1],
    ]);
    expect(await rows('countries')).toEqual([
      ['DE', 2],
      ['FR', 1],
      ['US', 1],
    ]);
    expect(await rows('cities')).toEqual([
      ['Berlin', 2],
      ['(not set)', 1],
      ['San Francisco', 1],
    ]);
    expect(await rows('sources')).toEqual([
      ['Direct / None', 2],
      ['Google', 1],
      ['Hacker News', 1],
    ]);
    expect(await rows('pages')).toEqual([
      ['/', 3],
      ['/blog/a', 1],
      ['/pricing', 1],
    ]);
    expect(await get('breakdown/events')).toEqual([{ value: 'signup', visitors: 1, events: 1, conversion_rate: 25 }]);
    await server.stop();
    running.splice(0);

    // Umami's session ids were only hashed: no stored file holds one.
    for (const path of filesUnder(dataDir)) {
      if (statSync(path).size > 50_000_000) continue;
      const bytes = readFileSync(path);
      for (const id of [S1, S2, S3]) expect(bytes.includes(id), `${id} in ${path}`).toBe(false);
    }
  }, 120_000);

  it('refuses a file that is not an Umami export, naming what is missing', async () => {
    const dir = scratchDir('import-umami-bad');
    const file = join(dir, 'other.csv');
    writeFileSync(file, 'n,u,timestamp\npageview,https://x.example/,2026-11-02T10:00:00Z\n');
    const dataDir = join(dir, 'data');
    const run = await cli(['import', file, '--site', SITE, '--format', 'umami'], {
      MALLARD_DATA_DIR: dataDir,
      MALLARD_HOST: '127.0.0.1',
      MALLARD_PORT: String(await freePort()),
      ...(await storageEnv(dataDir)),
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `${file} is not an Umami website_event export: it lacks the columns session_id, url_path, event_type, created_at`,
    );
  }, 60_000);
});
