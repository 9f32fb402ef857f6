/**
 * `mallard-metrics import` with the built CLI, real files and the real server reading what it
 * stored. Each file is generated here from a seeded random source, and the answers are
 * counted from the same records by this test, independently of the product: page views,
 * events, visitors (an identity is one visitor per UTC day, ids rotating daily), visits (a
 * pause of more than 30 minutes starts a new one; times lie on a 7-minute grid, so no pause
 * is exactly 30 minutes) and views per page. Records the product must reject are mixed in
 * with known counts: malformed lines, a crawler's User-Agent, no timestamp.
 */
import { createWriteStream, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/lib.js';
import { literal } from '../../src/storage/duckdb/database.js';
import { flushedEvents, storageEnv, TEST_STORAGE } from '../helpers/backends.js';
import { createKey, freePort, login, type RunningServer, startServer } from '../helpers/server.js';
import { cli, loadBatch, pageCounts, removeScratchDirs, scratchDir, stats, UA } from './support.js';

const SECRET = 'import-test-secret-0123456789';
const FIRST_DAY = Date.UTC(2026, 9, 1); // 2026-10-01
const DAYS = 10;
const RANGE = { start_date: '2026-10-01', end_date: '2026-10-10' };
const AGENTS = [UA.chromeWindows, UA.firefoxLinux, UA.safariMac, UA.safariIphone];

const running: RunningServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop('SIGKILL');
});
afterAll(removeScratchDirs);

interface Truth {
  pageviews: number;
  events: number;
  visitors: number;
  visits: number;
  pages: Map<string, number>;
  /** Records the import must reject, by reason. */
  rejected: Record<string, number>;
}

interface Generated {
  /** One per record: the event object, or a malformed line as text. */
  records: (Record<string, unknown> | string)[];
  truth: Truth;
}

function generate(n: number, seed: number, identities: number): Generated {
  const rand = mulberry32(seed); // the same records at every run
  const records: Generated['records'] = [];
  const times = new Map<string, number[]>(); // identity and day → event times
  const pages = new Map<string, number>();
  const rejected: Record<string, number> = {};
  const reject = (reason: string) => {
    rejected[reason] = (rejected[reason] ?? 0) + 1;
  };
  let pageviews = 0;
  let events = 0;
  for (let i = 0; i < n; i++) {
    if (i % 10_007 === 5000) {
      records.push('{"n": "pageview", "u": ');
      reject('invalid');
      continue;
    }
    const who = Math.floor(rand() ** 2 * identities);
    const day = Math.floor(rand() * DAYS);
    const at = FIRST_DAY + day * 86_400_000 + Math.floor(rand() * 205) * 7 * 60_000;
    const path = `/p${Math.floor(rand() ** 3 * 60)}`;
    const custom = rand() < 0.1;
    const event: Record<string, unknown> = {
      n: custom ? 'Signup' : 'pageview',
      u: `https://shop.example${path}?ref=x`,
      timestamp: new Date(at).toISOString(),
      ip: `10.${who >> 16}.${(who >> 8) & 255}.${who & 255}`,
      user_agent: AGENTS[who % AGENTS.length],
      w: 1280,
    };
    if (i % 20_011 === 7000) {
      event.user_agent = UA.googlebot;
      reject('bot');
    } else if (i % 30_011 === 9000) {
      delete event.timestamp;
      reject('invalid');
    } else {
      events++;
      if (!custom) {
        pageviews++;
        pages.set(path, (pages.get(path) ?? 0) + 1);
      }
      const key = `${who}/${day}`;
      const list = times.get(key) ?? [];
      list.push(at);
      times.set(key, list);
    }
    records.push(event);
  }
  let visits = 0;
  for (const list of times.values()) {
    list.sort((a, b) => a - b);
    visits += 1 + list.slice(1).filter((t, k) => t - (list[k] ?? t) > 30 * 60_000).length;
  }
  return { records, truth: { pageviews, events, visitors: times.size, visits, pages, rejected } };
}

const lines = (g: Generated) => g.records.map((r) => (typeof r === 'string' ? r : JSON.stringify(r)));

async function writeNdjson(path: string, g: Generated): Promise<void> {
  const text = `${lines(g).join('\n')}\n`;
  if (!path.endsWith('.gz')) return writeFileSync(path, text);
  await pipeline(
    (async function* () {
      yield text;
    })(),
    createGzip(),
    createWriteStream(path),
  );
}

/** The import's environment: the server's, on the backend the suite runs on (the same ClickHouse database). */
const importEnv = async (dataDir: string, port: number) => ({
  MALLARD_DATA_DIR: dataDir,
  MALLARD_HOST: '127.0.0.1',
  MALLARD_PORT: String(port),
  MALLARD_SECRET: SECRET,
  ...(await storageEnv(dataDir)),
});

/** A file of `count` generated records in a scratch directory, and the import's environment. */
async function scenario(label: string, count: number, seed: number, identities: number) {
  const dir = scratchDir(label);
  const g = generate(count, seed, identities);
  const file = join(dir, 'history.ndjson');
  await writeNdjson(file, g);
  const dataDir = join(dir, 'data');
  return { dir, g, file, dataDir, env: await importEnv(dataDir, await freePort()) };
}

/** The import of `file`, killed right after its `nth` batch is in the log, before that batch's checkpoint. */
async function killedImport(file: string, site: string, env: Record<string, string>, nth: number): Promise<void> {
  const killed = await cli(['import', file, '--site', site], {
    ...env,
    NODE_ENV: 'test',
    MALLARD_CRASH_AT: `import.appended:${nth}`,
  });
  expect(killed.signal).toBe('SIGKILL');
  expect(killed.stderr).toContain('crash point import.appended: killing the process');
}

async function boot(dataDir: string): Promise<RunningServer> {
  const s = await startServer({ dataDir, env: { MALLARD_SECRET: SECRET } });
  running.push(s);
  return s;
}

async function halt(s: RunningServer): Promise<void> {
  running.splice(running.indexOf(s), 1);
  expect(await s.stop('SIGTERM')).toBe(0);
}

/** What the server answers for the site over the generated days. */
async function answered(url: string, site: string) {
  const key = await createKey(url, await login(url), 'read');
  const m = await stats<Record<string, number>>(url, key, 'main', { site_id: site, ...RANGE });
  return {
    pageviews: m.total_pageviews,
    events: m.events,
    visitors: m.unique_visitors,
    visits: m.visits,
    pages: await pageCounts(url, key, { site_id: site, ...RANGE }),
  };
}

const expected = (t: Truth) => ({
  pageviews: t.pageviews,
  events: t.events,
  visitors: t.visitors,
  visits: t.visits,
  pages: t.pages,
});

const n = (x: number) => x.toLocaleString('en-US');
const rejectedText = (t: Truth) =>
  Object.entries(t.rejected)
    .sort((a, b) => b[1] - a[1])
    .map(([reason, k]) => `${reason}: ${n(k)}`)
    .join(', ');
const total = (t: Truth) => Object.values(t.rejected).reduce((a, b) => a + b, 0);

/**
 * Not on a terminal, stderr has progress lines only (one at the start, every 10 s, one at the
 * end), the last of them with every record of the file done.
 */
function expectProgressOnly(stderr: string, records: number): void {
  const lines = stderr.trimEnd().split('\n');
  for (const line of lines) expect(line).toMatch(/^import: \d+% \| [\d,]+ records \| [\d,]+ events\/s \| ETA \S+$/);
  expect(lines.at(-1)).toContain(`100% | ${n(records)} records`);
}

describe('mallard-metrics import', () => {
  it('stores a 1M-event gzip NDJSON file so that every answer equals the file’s own counts', async () => {
    const dir = scratchDir('import-1m');
    const g = generate(1_000_000, 1, 60_000);
    const file = join(dir, 'history.ndjson.gz');
    await writeNdjson(file, g);
    const dataDir = join(dir, 'data');
    const run = await cli(['import', file, '--site', 'shop.example'], await importEnv(dataDir, await freePort()));
    expectProgressOnly(run.stderr, 1_000_000);
    expect(run.code).toBe(0);
    const [summary, ...reported] = run.stdout.trimEnd().split('\n');
    expect(summary).toMatch(
      new RegExp(
        `^imported ${n(g.truth.events)} events of ${file} into shop\\.example in [\\d.]+ s \\([\\d,]+ records/s\\); ${n(total(g.truth))} rejected \\(${rejectedText(g.truth)}\\)$`,
      ),
    );
    // The first 20 rejected records one by one, each with its reason's message; the rest counted.
    expect(reported).toHaveLength(21);
    for (const line of reported.slice(0, 20)) {
      expect(line).toMatch(/^ {2}record [\d,]+: (malformed JSON|bot user agent|timestamp: required in an import)$/);
    }
    expect(reported[20]).toBe(`  … and ${n(total(g.truth) - 20)} more`);
    // When the command ends, its events are past the log: in Parquet files, or every one in ClickHouse.
    if (TEST_STORAGE === 'clickhouse') expect(await flushedEvents(dataDir)).toBe(g.truth.events);
    else expect(await flushedEvents(dataDir)).toBeGreaterThan(0);
    const server = await boot(dataDir);
    expect(await answered(server.url, 'shop.example')).toEqual(expected(g.truth));
  }, 240_000);

  it('goes on after a kill between a stored batch and its checkpoint without storing a record twice, and not again once done', async () => {
    const { g, file, dataDir, env } = await scenario('import-resume', 30_000, 2, 3_000);
    // Killed right after the second batch (records 10,001–20,000) is in the log.
    await killedImport(file, 'shop.example', env, 2);

    const resumed = await cli(['import', file, '--site', 'shop.example'], env);
    expectProgressOnly(resumed.stderr, 30_000);
    expect(resumed.stdout).toContain(`imported ${n(g.truth.events)} events of ${file} into shop.example`);
    // The second batch was found stored and counted, not sent again: the import went on after it.
    expect(resumed.stdout).toContain('resumed at record 10,000)');
    const again = await cli(['import', file, '--site', 'shop.example'], env);
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(
      `${file} was imported into shop.example before (${n(g.truth.events)} events, ${n(total(g.truth))} rejected); nothing to do\n`,
    );
    const server = await boot(dataDir);
    expect(await answered(server.url, 'shop.example')).toEqual(expected(g.truth));
  }, 120_000);

  it('refuses to go on when events it did not send were stored since it was interrupted', async () => {
    const { file, dataDir, env } = await scenario('import-stranger', 15_000, 3, 2_000);
    await killedImport(file, 'shop.example', env, 1);
    let server = await boot(dataDir);
    const ingest = await createKey(server.url, await login(server.url), 'ingest');
    await loadBatch(server.url, ingest, [
      { d: 'shop.example', n: 'pageview', u: 'https://shop.example/live', timestamp: '2026-10-03T12:00:00Z' },
    ]);
    await halt(server);
    const refused = await cli(['import', file, '--site', 'shop.example'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the data directory was written since this import of shop.example was interrupted');
    // Nothing more was stored: the first batch and the live event.
    server = await boot(dataDir);
    const stored = await answered(server.url, 'shop.example');
    const firstBatch = generate(15_000, 3, 2_000).records.slice(0, 10_000);
    const valid = firstBatch.filter((r) => typeof r !== 'string' && r.timestamp && r.user_agent !== UA.googlebot);
    expect(stored.events).toBe(valid.length + 1);
  }, 120_000);

  it('reads CSV (long column names, text cells) and Parquet (typed columns) into the same rows', async () => {
    const dir = scratchDir('import-csv');
    const g = generate(5_000, 4, 800);
    const columns = ['name', 'url', 'timestamp', 'ip', 'user_agent', 'screen_width', 'props'];
    const cell = (v: unknown) => (v === undefined ? '' : `"${String(v).replaceAll('"', '""')}"`);
    const rows = g.records
      .filter((r) => typeof r !== 'string') // CSV has no malformed lines of that kind
      .map((r, i) => {
        const e = r as Record<string, unknown>;
        const props = i % 3 === 0 ? JSON.stringify({ plan: i % 2 ? 'pro' : 'free' }) : undefined;
        return [e.n, e.u, e.timestamp, e.ip, e.user_agent, e.w, props].map(cell).join(',');
      });
    const csv = join(dir, 'history.csv');
    writeFileSync(csv, `${columns.join(',')}\n${rows.join('\n')}\n`);
    const parquet = join(dir, 'history.parquet');
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`COPY (SELECT name, url, timezone('UTC', "timestamp"::TIMESTAMPTZ) AS "timestamp", ip, user_agent,
        screen_width::INTEGER AS screen_width, props
      FROM read_csv(${literal(csv)}, header = true, all_varchar = true)) TO ${literal(parquet)} (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    const truth = { ...g.truth, rejected: { ...g.truth.rejected } };
    delete truth.rejected.invalid; // the malformed lines were left out; the records without a time stay
    const untimed = g.records.filter((r) => typeof r !== 'string' && r.timestamp === undefined).length;
    if (untimed > 0) truth.rejected.invalid = untimed;

    const dataDir = join(dir, 'data');
    const env = await importEnv(dataDir, await freePort());
    for (const [file, site] of [
      [csv, 'csv.example'],
      [parquet, 'parquet.example'],
    ] as const) {
      const run = await cli(['import', file, '--site', site], env);
      expectProgressOnly(run.stderr, rows.length);
      expect(run.stdout).toContain(`imported ${n(truth.events)} events of ${file} into ${site}`);
    }
    const server = await boot(dataDir);
    expect(await answered(server.url, 'csv.example')).toEqual(expected(truth));
    expect(await answered(server.url, 'parquet.example')).toEqual(expected(truth));
    // The props column, JSON text in both files, became properties.
    const key = await createKey(server.url, await login(server.url), 'read');
    for (const site of ['csv.example', 'parquet.example']) {
      const plans = await stats<{ value: string }[]>(server.url, key, 'breakdown/props/plan', { site_id: site, ...RANGE });
      expect(plans.map((r) => r.value).sort()).toEqual(['(none)', 'free', 'pro']);
    }
  }, 120_000);

  it('refuses while a server runs, a file it cannot name the format of, and a file changed since an interrupted import', async () => {
    const { dir, file, dataDir } = await scenario('import-refusals', 12_000, 5, 500);
    const server = await boot(dataDir);
    const busy = await cli(['import', file, '--site', 'a.example'], await importEnv(dataDir, Number(new URL(server.url).port)));
    expect(busy.code).toBe(1);
    expect(busy.stderr).toBe(
      `mallard-metrics: a server is running at ${server.url}; stop it before importing (or send the events to it with POST /api/events)\n`,
    );
    await halt(server);
    const env = await importEnv(dataDir, await freePort());
    const odd = await cli(['import', join(dir, 'history.txt'), '--site', 'a.example'], env);
    expect(odd.code).toBe(2);
    expect(odd.stderr).toContain('cannot tell the format of');
    const noSite = await cli(['import', file], env);
    expect(noSite.code).toBe(2);
    expect(noSite.stderr).toContain('import needs --site <id>');

    const killed = await cli(['import', file, '--site', 'a.example'], {
      ...env,
      NODE_ENV: 'test',
      MALLARD_CRASH_AT: 'import.appended:1',
    });
    expect(killed.signal).toBe('SIGKILL');
    await writeNdjson(file, generate(12_001, 5, 500));
    const changed = await cli(['import', file, '--site', 'a.example'], env);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toContain(`${file} changed since its import into a.example was interrupted at record 0`);
    expect(existsSync(join(dataDir, 'imports'))).toBe(true);
    expect(readdirSync(join(dataDir, 'imports'))).toHaveLength(1);
  }, 120_000);

  it.runIf(TEST_STORAGE === 'clickhouse')('refuses, naming the URL, when ClickHouse does not answer', async () => {
    const { file, dataDir, env } = await scenario('import-unreachable', 100, 6, 10);
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const run = await cli(['import', file, '--site', 'a.example'], { ...env, MALLARD_CLICKHOUSE_URL: nowhere });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^mallard-metrics: ClickHouse at ${nowhere} is unreachable or refused the schema \\(`));
    expect(run.stdout).toBe('');
    expect(existsSync(join(dataDir, 'imports'))).toBe(false); // nothing was begun
  });
});
