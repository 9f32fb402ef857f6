/**
 * Damaged files degrade one site's answers, never the server: a truncated events file at
 * start-up, an events file and a rollup damaged inside (found only when a query reads them)
 * are moved to `data/quarantine/`, listed in /health/detailed and /metrics, and the site
 * answers 200 with what is readable while another site answers exactly as before; derived
 * tables are rebuilt from the events. A damaged or missing metadata database stops start-up
 * with one line saying what to do.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, pageCounts, removeScratchDirs, scratchDir, UA } from './support.js';

const A = 'a.damaged.test';
const B = 'b.damaged.test';
const DAY = 86_400_000;
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
const day = (n: number) => new Date(today - n * DAY).toISOString().slice(0, 10);
const [D1, D2, D3] = [day(3), day(2), day(1)];
const ENV = { MALLARD_ROLLUP_DELAY: '0', MALLARD_FLUSH_INTERVAL: '86400', MALLARD_LOG_LEVEL: 'warn' };

afterAll(removeScratchDirs);

/** Four page views a day on A (days 1–3), three on B (day 2), each on its own path. */
function fixture(): { site: string; date: string; path: string }[] {
  const out: { site: string; date: string; path: string }[] = [];
  for (const date of [D1, D2, D3]) for (let k = 0; k < 4; k++) out.push({ site: A, date, path: `/a/${date}/${k}` });
  for (let k = 0; k < 3; k++) out.push({ site: B, date: D2, path: `/b/${D2}/${k}` });
  return out;
}
const expected = (site: string, dates: string[]) =>
  new Map(fixture().flatMap((e) => (e.site === site && dates.includes(e.date) ? [[e.path, 1] as const] : [])));

interface Detailed {
  status: string;
  quarantined: string[];
  storage: { derived_pending: number };
}
const detailed = async (url: string) => (await (await fetch(`${url}/health/detailed`)).json()) as Detailed;

/** The site's pages over the three days: from the rollups (unfiltered), and scanned from events (a page filter). */
async function answers(url: string, key: string, site: string) {
  const range = { site_id: site, start_date: D1, end_date: D3 };
  return {
    rollups: await pageCounts(url, key, range),
    scanned: await pageCounts(url, key, { ...range, filters: JSON.stringify([['contains', 'event:page', ['/']]]) }),
  };
}

/** The only Parquet file of a directory. */
function onlyFile(dir: string, prefix = ''): string {
  const files = readdirSync(dir).filter((n) => n.endsWith('.parquet') && n.startsWith(prefix));
  expect(files).toHaveLength(1);
  return join(dir, files[0] ?? '');
}

/** Scrambles the first half of a file, past its leading magic: the ends still look whole. */
function scrambleInside(path: string): void {
  const bytes = readFileSync(path);
  for (let i = 4; i < bytes.length / 2; i++) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
  writeFileSync(path, bytes);
}

describe('damaged Parquet files', () => {
  it('are quarantined at start-up and at query time; the site answers what is readable, others exactly', async () => {
    const dataDir = scratchDir('damaged');
    let server: RunningServer = await startServer({ dataDir, env: ENV });
    try {
      const cookie = await login(server.url);
      const ingestKey = await createKey(server.url, cookie, 'ingest');
      const readKey = await createKey(server.url, cookie, 'read');
      await loadBatch(
        server.url,
        ingestKey,
        fixture().map((e, i) => ({
          d: e.site,
          n: 'pageview',
          u: `https://${e.site}${e.path}`,
          timestamp: `${e.date}T10:${String(i).padStart(2, '0')}:00Z`,
          ip: `198.51.100.${i + 1}`,
          user_agent: UA.firefoxLinux,
        })),
      );
      expect(await server.stop('SIGTERM')).toBe(0);
      server = await startServer({ dataDir, env: ENV });
      await expect.poll(async () => (await detailed(server.url)).storage.derived_pending, { timeout: 20_000 }).toBe(0);
      const all = expected(A, [D1, D2, D3]);
      expect(await answers(server.url, readKey, A)).toEqual({ rollups: all, scanned: all });
      const b = expected(B, [D2]);
      expect(await answers(server.url, readKey, B)).toEqual({ rollups: b, scanned: b });
      expect(await server.stop('SIGTERM')).toBe(0);

      // Day 1 cut short (as a full disk or a bad copy leaves it), day 2 damaged inside, day 3's rollup damaged inside.
      const events = (site: string, date: string) => join(dataDir, 'events', `site_id=${site}`, `date=${date}`);
      const d1 = onlyFile(events(A, D1));
      truncateSync(d1, 100);
      const d2 = onlyFile(events(A, D2));
      scrambleInside(d2);
      const rollup = onlyFile(join(dataDir, 'derived', `site_id=${A}`, `date=${D3}`), 'rollup.');
      scrambleInside(rollup);
      const rel = (path: string) => path.slice(dataDir.length + 1);

      server = await startServer({ dataDir, env: ENV });
      // The cut file is set aside before anything reads it (start-up's own reads may find day 2 too).
      expect((await detailed(server.url)).quarantined[0]).toBe(rel(d1));
      expect(existsSync(join(dataDir, 'quarantine', rel(d1)))).toBe(true);
      // The others are found by the queries that read them; the site answers with day 3.
      const day3 = expected(A, [D3]);
      expect(await answers(server.url, readKey, A)).toEqual({ rollups: day3, scanned: day3 });
      expect(await answers(server.url, readKey, B)).toEqual({ rollups: b, scanned: b });
      const health = await detailed(server.url);
      expect(health.status).toBe('degraded');
      expect([...health.quarantined].sort()).toEqual([rel(d1), rel(d2), rel(rollup)].sort());
      for (const f of [d1, d2, rollup]) {
        expect(existsSync(f)).toBe(false);
        expect(existsSync(join(dataDir, 'quarantine', rel(f)))).toBe(true); // kept for the operator
      }
      expect(await (await fetch(`${server.url}/metrics`)).text()).toMatch(/^mallard_quarantined_files 3$/m);
      expect(server.logs()).toContain('damaged file moved to quarantine');
      // Day 3's visits and rollup are rebuilt from its events: the same answers from them.
      await expect.poll(async () => (await detailed(server.url)).storage.derived_pending, { timeout: 20_000 }).toBe(0);
      expect(await answers(server.url, readKey, A)).toEqual({ rollups: day3, scanned: day3 });

      // A restart: nothing more to set aside, nothing else lost.
      expect(await server.stop('SIGTERM')).toBe(0);
      server = await startServer({ dataDir, env: ENV });
      expect(await detailed(server.url)).toMatchObject({ status: 'ok', quarantined: [] });
      expect(await answers(server.url, readKey, A)).toEqual({ rollups: day3, scanned: day3 });
      expect(await answers(server.url, readKey, B)).toEqual({ rollups: b, scanned: b });

      // Damaged while running: B's only events file. B answers (nothing left to show), A exactly as before.
      const bFile = onlyFile(events(B, D2));
      scrambleInside(bFile);
      expect((await answers(server.url, readKey, B)).scanned).toEqual(new Map());
      expect(await answers(server.url, readKey, A)).toEqual({ rollups: day3, scanned: day3 });
      expect((await detailed(server.url)).quarantined).toEqual([rel(bFile)]);
      expect(existsSync(join(dataDir, 'quarantine', rel(bFile)))).toBe(true);
    } finally {
      await server.stop('SIGKILL');
    }
  }, 120_000);
});

describe('the metadata database', () => {
  /** Runs `serve` until it exits (it must, at start-up); its exit code and stderr. */
  function serveOnce(dataDir: string, args: string[] = []) {
    const r = spawnSync(process.execPath, [join(import.meta.dirname, '../../dist/main.js'), 'serve', ...args], {
      env: { PATH: process.env.PATH ?? '', MALLARD_DATA_DIR: dataDir, MALLARD_PORT: '0', MALLARD_ADMIN_PASSWORD: ADMIN_PASSWORD },
      timeout: 20_000,
      encoding: 'utf8',
    });
    return { status: r.status, stderr: r.stderr };
  }

  it('damaged or missing (with events on disk) stops start-up with one line saying what to do', async () => {
    const dataDir = scratchDir('metadata');
    const server = await startServer({ dataDir, env: ENV });
    const cookie = await login(server.url);
    await loadBatch(server.url, await createKey(server.url, cookie, 'ingest'), [{ d: A, n: 'pageview', u: `https://${A}/` }]);
    expect(await server.stop('SIGTERM')).toBe(0);
    const db = join(dataDir, 'mallard.duckdb');

    writeFileSync(db, 'not a database');
    const damaged = serveOnce(dataDir);
    expect(damaged.status).toBe(1);
    expect(damaged.stderr).toBe(
      `mallard-metrics: ${db} (sites, API keys, settings) cannot be opened: IO Error: The file "${db}" exists, but it is not a valid DuckDB database file!. Restore it from a backup (mallard-metrics restore <dir>); the events in ${join(dataDir, 'events')} are not affected\n`,
    );

    rmSync(db);
    const missing = serveOnce(dataDir);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe(
      `mallard-metrics: ${db} is missing but ${dataDir} holds events: it kept the sites, API keys and settings. Restore it from a backup (mallard-metrics restore <dir>), or start with none of them: mallard-metrics serve --new-metadata\n`,
    );

    // Starting over on purpose keeps the events.
    const fresh = await startServer({ dataDir, env: ENV, args: ['--new-metadata'] });
    try {
      const key = await createKey(fresh.url, await login(fresh.url), 'read');
      expect(await pageCounts(fresh.url, key, { site_id: A, period: 'all' })).toEqual(new Map([['/', 1]]));
    } finally {
      await fresh.stop('SIGKILL');
    }
  }, 60_000);
});
