/**
 * `mallard-metrics backup` and `restore` with the built CLI against the real server and real
 * files. A registered site gets the shared fixture (16 events over 2026-01-10..12, through
 * POST /api/events; its answers are worked out by hand in stats.test.ts) and three live page
 * views through POST /api/event; the backup is taken while the server runs (the live events
 * still in the hot tier, the fixture days flushed and their visits and rollups built), more
 * events follow it, and a restore into a fresh data directory must answer exactly what the
 * server answered when the backup began, with the same sites and keys.
 *
 * Hand-worked answers: the fixture alone (RANGE) is main(7, 8, 13, 1.63, 0.375, 806, 16);
 * with the live visit (one visitor, one visit of three page views, today), period=all has
 * 8 visitors, 9 visits, 16 page views, 19 events and 3 bounces in 9 visits (0.3333).
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createKey, freePort, getJson, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, EVENTS, PAGES, V5 } from './fixture.js';
import { cli, listFiles, loadBatch, main, removeScratchDirs, scratchDir, sendEvent, stats, statsUrl, UA } from './support.js';

const SITE = 'backup.test';
const RANGE = { site_id: SITE, start_date: '2026-01-10', end_date: '2026-01-12' };
const ALL = { site_id: SITE, period: 'all' };
const SERVER_ENV = { MALLARD_FLUSH_COUNT: '10', MALLARD_FLUSH_INTERVAL: '86400', MALLARD_ROLLUP_DELAY: '0' };

const running: RunningServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop('SIGKILL');
});
const elsewhereDirs: string[] = [];
afterAll(() => {
  removeScratchDirs();
  for (const dir of elsewhereDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function boot(dataDir: string): Promise<RunningServer> {
  const s = await startServer({ dataDir, env: SERVER_ENV });
  running.push(s);
  return s;
}

async function halt(s: RunningServer): Promise<void> {
  running.splice(running.indexOf(s), 1);
  expect(await s.stop('SIGTERM')).toBe(0);
}

/** The environment that points the CLI at a server's address and data directory. */
const envOf = (s: RunningServer, extra: Record<string, string> = {}) => ({
  MALLARD_HOST: '127.0.0.1',
  MALLARD_PORT: new URL(s.url).port,
  MALLARD_DATA_DIR: s.dataDir,
  MALLARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
  ...extra,
});

async function storage(url: string): Promise<{ buffer_events: number; derived_pending: number }> {
  return (
    (await (await fetch(`${url}/health/detailed`)).json()) as { storage: { buffer_events: number; derived_pending: number } }
  ).storage;
}

async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting: ${what}`);
}

interface Manifest {
  format: string;
  version: number;
  events: number;
  files: { path: string; bytes: number }[];
}
const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'backup.json'), 'utf8')) as Manifest;

/** Everything the test compares before the backup and after the restore. */
async function answers(url: string, key: string) {
  const res = await fetch(statsUrl(url, 'main', RANGE), { headers: { authorization: `Bearer ${key}` } });
  return {
    range: await stats(url, key, 'main', RANGE),
    rangePlan: res.headers.get('x-mallard-plan'),
    pages: await stats(url, key, 'breakdown/pages', { ...RANGE, limit: 100 }),
    all: await stats(url, key, 'main', ALL),
    allPages: await stats(url, key, 'breakdown/pages', { ...ALL, limit: 100 }),
    sources: await stats(url, key, 'breakdown/sources', { ...ALL, limit: 100 }),
    timeseries: await stats(url, key, 'timeseries', { ...RANGE, interval: 'day' }),
  };
}

const state: {
  dataDir: string;
  backupDir: string;
  readKey: string;
  adminKey: string;
  laterKey: string;
  siteJson: unknown;
  before: Awaited<ReturnType<typeof answers>> | null;
} = { dataDir: '', backupDir: '', readKey: '', adminKey: '', laterKey: '', siteJson: null, before: null };

describe('backup while the server runs, restore into a fresh data directory', () => {
  it('backs up a running server through the CLI', async () => {
    state.dataDir = scratchDir('backup-data');
    const server = await boot(state.dataDir);
    const cookie = await login(server.url);
    state.readKey = await createKey(server.url, cookie, 'read');
    state.adminKey = await createKey(server.url, cookie, 'admin');
    const ingestKey = await createKey(server.url, cookie, 'ingest');
    const created = await fetch(`${server.url}/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${state.adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: SITE, origins: [`https://${SITE}`], timezone: 'UTC', rate_limit: 100 }),
    });
    expect(created.status).toBe(201);
    state.siteJson = await created.json();

    // The fixture: flushed (16 ≥ MALLARD_FLUSH_COUNT) and its days' visits and rollups built.
    await loadBatch(
      server.url,
      ingestKey,
      EVENTS.map((e) => batchEvent(SITE, e)),
    );
    await until('the fixture flushed and derived', async () => {
      const s = await storage(server.url);
      return s.buffer_events === 0 && s.derived_pending === 0;
    });
    // Three live page views from one browser: still in the hot tier when the backup starts.
    for (const path of ['/live-a', '/live-b', '/live-c']) {
      const res = await sendEvent(
        server.url,
        { d: SITE, n: 'pageview', u: `https://${SITE}${path}` },
        {
          ua: UA.firefoxLinux,
          headers: { origin: `https://${SITE}` },
        },
      );
      expect(res.status).toBe(202);
    }
    expect((await storage(server.url)).buffer_events).toBe(3);

    const before = await answers(server.url, state.readKey);
    expect(before.range).toEqual(main(7, 8, 13, 1.63, 0.375, 806, 16));
    expect(before.rangePlan).toBe('rollup');
    expect(before.pages).toEqual(PAGES);
    expect(before.all).toMatchObject({ unique_visitors: 8, visits: 9, total_pageviews: 16, events: 19, bounce_rate: 0.3333 });
    state.before = before;

    // The backup: a directory that does not exist yet, asked of the running server with the admin password.
    state.backupDir = join(scratchDir('backup-target'), 'nightly', 'one');
    const made = await cli(['backup', state.backupDir], envOf(server));
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(made.stdout).toMatch(new RegExp(`^backup written to ${state.backupDir}: 19 events, \\d+ files, \\d+ bytes`));
    const manifest = manifestOf(state.backupDir);
    expect(manifest).toMatchObject({ format: 'mallard-metrics-backup', version: 1, events: 19 });
    const paths = manifest.files.map((f) => f.path);
    expect(paths).toContain('mallard.duckdb');
    for (const day of ['2026-01-10', '2026-01-11', '2026-01-12']) {
      expect(paths.some((p) => p.startsWith(`events/site_id=${SITE}/date=${day}/`))).toBe(true);
      expect(
        paths.some((p) => new RegExp(`^derived/site_id=${SITE}/date=${day}/rollup\\.\\d{20}\\.f\\d+\\.parquet$`).test(p)),
      ).toBe(true);
      expect(
        paths.some((p) => new RegExp(`^derived/site_id=${SITE}/date=${day}/visits\\.\\d{20}\\.f\\d+\\.parquet$`).test(p)),
      ).toBe(true);
    }
    // On the data directory's file system the Parquet files are hard links to the server's own.
    const eventFile = paths.find((p) => p.startsWith('events/')) ?? '';
    expect(statSync(join(state.backupDir, eventFile)).nlink).toBe(2);
    // No log segment, no staging left behind, nothing but what the manifest names.
    expect(
      listFiles(state.backupDir)
        .map((f) => f.slice(state.backupDir.length + 1))
        .sort(),
    ).toEqual([...paths, 'backup.json'].sort());
    expect(readdirSync(state.dataDir).filter((n) => n.includes('staging'))).toEqual([]);
    // The backup flushed the hot tier; the server answers as before.
    expect((await storage(server.url)).buffer_events).toBe(0);
    expect(await stats(server.url, state.readKey, 'main', ALL)).toEqual(before.all);

    // On another file system (tmpfs, where there is one) the files are copied; asked with an admin key.
    if (existsSync('/dev/shm') && statSync('/dev/shm').dev !== statSync(state.dataDir).dev) {
      const elsewhere = mkdtempSync('/dev/shm/mallard-itest-backup-');
      elsewhereDirs.push(elsewhere);
      const copied = await cli(
        ['backup', elsewhere],
        envOf(server, { MALLARD_API_KEY: state.adminKey, MALLARD_ADMIN_PASSWORD: '' }),
      );
      expect([copied.code, copied.stderr]).toEqual([0, '']);
      const other = manifestOf(elsewhere);
      expect(other.events).toBe(19);
      // The same event files (today's visits and rollup may have been built in between).
      const eventFiles = (m: Manifest) => m.files.filter((f) => f.path.startsWith('events/'));
      expect(eventFiles(other)).toEqual(eventFiles(manifest));
      expect(statSync(join(elsewhere, eventFile)).nlink).toBe(1);
    }

    // After the backup: a late event on a backed-up day, two more live page views, a new key.
    await loadBatch(server.url, ingestKey, [batchEvent(SITE, { ...V5, t: '2026-01-11T16:00:00Z', path: '/late' })]);
    for (const path of ['/after-a', '/after-b']) {
      expect(
        (await sendEvent(server.url, { d: SITE, n: 'pageview', u: `https://${SITE}${path}` }, { ua: UA.safariMac })).status,
      ).toBe(202);
    }
    state.laterKey = await createKey(server.url, await login(server.url), 'read');
    expect(await stats(server.url, state.readKey, 'main', ALL)).toMatchObject({ events: 22 });
    expect(await stats(server.url, state.readKey, 'main', RANGE)).toMatchObject({ events: 17 });

    // Refusals, each a clear 4xx / one line and exit 1: a non-empty target (asked with an admin key) …
    const full = scratchDir('backup-full');
    writeFileSync(join(full, 'keep.txt'), 'mine');
    const refused = await cli(['backup', full], envOf(server, { MALLARD_API_KEY: state.adminKey, MALLARD_ADMIN_PASSWORD: '' }));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      `mallard-metrics: the server at ${server.url} did not make the backup: dir: ${full} exists and is not empty\n`,
    );
    expect(readdirSync(full)).toEqual(['keep.txt']);
    // … a target inside the data directory …
    const inside = await cli(['backup', join(state.dataDir, 'copy')], envOf(server));
    expect(inside.code).toBe(1);
    expect(inside.stderr).toContain('dir: must not be inside the data directory');
    expect(existsSync(join(state.dataDir, 'copy'))).toBe(false);
    // … and the route itself: no credentials, a read key, a relative path, no body.
    const post = (headers: Record<string, string>, body?: string) =>
      fetch(`${server.url}/api/admin/backup`, { method: 'POST', headers, body });
    const json = { 'content-type': 'application/json' };
    const never = JSON.stringify({ dir: join(scratchDir('backup-never'), 'x') }); // a refused request makes nothing
    expect((await post(json, never)).status).toBe(401);
    const readOnly = await post({ ...json, authorization: `Bearer ${state.readKey}` }, never);
    expect([readOnly.status, await readOnly.json()]).toEqual([
      403,
      { error: 'this API key\'s scope "read" does not allow this' },
    ]);
    const relative = await post({ ...json, authorization: `Bearer ${state.adminKey}` }, JSON.stringify({ dir: 'backups/today' }));
    expect([relative.status, await relative.json()]).toEqual([400, { error: 'dir: must be an absolute path' }]);
    const limited = await createKey(server.url, cookie, 'admin', [SITE]);
    const forSite = await post({ ...json, authorization: `Bearer ${limited}` }, never);
    expect([forSite.status, await forSite.json()]).toEqual([
      403,
      { error: 'a backup holds every site: it needs an admin key that is not limited to sites' },
    ]);
    const crossSite = await post({ ...json, cookie, origin: 'https://evil.example' }, never);
    expect(crossSite.status).toBe(403);
    expect(existsSync(JSON.parse(never).dir)).toBe(false);
    const noBody = await post({ authorization: `Bearer ${state.adminKey}` });
    expect([noBody.status, await noBody.json()]).toEqual([400, { error: 'body: expected {"dir": "/absolute/path"}' }]);

    await halt(server);
  });

  it('backs up a stopped server from its data directory', async () => {
    // A name with a quote and glob characters: nothing in it is read as SQL or as a pattern.
    const dir = join(scratchDir('backup-offline'), "it's [a] *");
    const port = String(await freePort()); // nothing listens there
    const made = await cli(['backup', dir], { MALLARD_PORT: port, MALLARD_DATA_DIR: state.dataDir });
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    expect(manifestOf(dir).events).toBe(22);
    // It restores too (checked there: the copied metadata database opens, the events count 22).
    const fresh = join(scratchDir('restore-offline'), 'data');
    const restored = await cli(['restore', dir], { MALLARD_PORT: port, MALLARD_DATA_DIR: fresh });
    expect([restored.code, restored.stderr]).toEqual([0, '']);
    expect(restored.stdout).toMatch(/^restored 22 events /);
  });

  it('restores into a fresh data directory: the same answers, sites and keys', async () => {
    const fresh = join(scratchDir('restore'), 'data');
    const port = String(await freePort());
    const restored = await cli(['restore', state.backupDir], { MALLARD_PORT: port, MALLARD_DATA_DIR: fresh });
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(new RegExp(`^restored 19 events \\(\\d+ files, \\d+ bytes\\) into ${fresh}\\n$`));

    const server = await boot(fresh);
    // Keys made before the backup work; the one made after it does not exist here.
    expect((await getJson(statsUrl(server.url, 'main', RANGE), state.readKey)).status).toBe(200);
    expect((await getJson(statsUrl(server.url, 'main', RANGE), state.laterKey)).status).toBe(401);
    expect(await getJson(`${server.url}/api/sites/${SITE}`, state.adminKey)).toEqual({ status: 200, body: state.siteJson });

    const after = await answers(server.url, state.readKey);
    expect(after).toEqual(state.before);
    // Hand-worked, independently of the answers before: the fixture's days come from the restored rollups.
    expect(after.range).toEqual(main(7, 8, 13, 1.63, 0.375, 806, 16));
    expect(after.rangePlan).toBe('rollup');
    expect(after.pages).toEqual(PAGES);
    expect(after.all).toMatchObject({ unique_visitors: 8, visits: 9, total_pageviews: 16, events: 19, bounce_rate: 0.3333 });
    expect((after.allPages as { value: string }[]).map((r) => r.value)).not.toContain('/late');

    // A restore while a server holds the data directory is refused, --force or not: found at
    // its address, or, asked with another port, by the lock on its metadata database.
    const env = envOf(server);
    const atAddress = await cli(['restore', state.backupDir, '--force'], env);
    expect([atAddress.code, atAddress.stderr]).toEqual([
      1,
      `mallard-metrics: a server is running at ${server.url}; stop it before restoring\n`,
    ]);
    const byLock = await cli(['restore', state.backupDir, '--force'], { ...env, MALLARD_PORT: String(await freePort()) });
    expect(byLock.code).toBe(1);
    expect(byLock.stderr).toBe(`mallard-metrics: the data directory ${fresh} is in use by another process (a running server?)\n`);
    // The server was not disturbed.
    expect(await stats(server.url, state.readKey, 'main', ALL)).toEqual(state.before?.all);
    await halt(server);

    // Stopped, the data directory still has data: refused without --force, replaced with it.
    const again = await cli(['restore', state.backupDir], { MALLARD_PORT: port, MALLARD_DATA_DIR: fresh });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`the data directory ${fresh} already has data`);
    const forced = await cli(['restore', state.backupDir, '--force'], { MALLARD_PORT: port, MALLARD_DATA_DIR: fresh });
    expect([forced.code, forced.stderr]).toEqual([0, '']);
  });

  it('refuses a damaged or unfinished backup, naming what is wrong, and leaves the data directory alone', async () => {
    const damaged = join(scratchDir('damaged'), 'copy');
    cpSync(state.backupDir, damaged, { recursive: true });
    const victim = manifestOf(damaged).files.find((f) => f.path.startsWith('events/'))?.path ?? '';
    rmSync(join(damaged, victim));
    const target = join(scratchDir('restore-damaged'), 'data');
    const env = { MALLARD_PORT: String(await freePort()), MALLARD_DATA_DIR: target };
    const missing = await cli(['restore', damaged], env);
    expect([missing.code, missing.stderr]).toEqual([1, `mallard-metrics: the backup is damaged: ${victim} is missing\n`]);
    expect(existsSync(target)).toBe(false);

    // A truncated file: its size no longer matches the manifest.
    cpSync(join(state.backupDir, victim), join(damaged, victim));
    const meta = join(damaged, 'mallard.duckdb');
    writeFileSync(meta, readFileSync(meta).subarray(0, 4096));
    const truncated = await cli(['restore', damaged], env);
    expect(truncated.code).toBe(1);
    expect(truncated.stderr).toMatch(
      /^mallard-metrics: the backup is damaged: mallard\.duckdb has 4096 bytes, backup\.json says \d+\n$/,
    );

    // No manifest: an unfinished backup.
    rmSync(join(damaged, 'backup.json'));
    const unfinished = await cli(['restore', damaged], env);
    expect([unfinished.code, unfinished.stderr]).toEqual([
      1,
      `mallard-metrics: ${damaged} is not a finished backup: it has no backup.json\n`,
    ]);
    expect(existsSync(target)).toBe(false);

    // Usage mistakes exit 2.
    mkdirSync(target, { recursive: true });
    expect((await cli(['restore'], env)).code).toBe(2);
    expect((await cli(['backup', 'one', 'two'], env)).code).toBe(2);
    expect((await cli(['backup', 'one', '--force'], env)).code).toBe(2);
    expect(readdirSync(target)).toEqual([]);
  });
});
