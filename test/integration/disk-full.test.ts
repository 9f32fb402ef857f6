/**
 * A full disk, for real: the data directory lives on a small tmpfs that the test fills to
 * the last byte. Ingest must answer 503 with Retry-After (nothing acknowledged that is not
 * durable), the failing flush must back off and say so in /health/detailed, and once space
 * returns everything resumes by itself with every acknowledged event counted exactly once.
 * On ClickHouse the write-ahead log is local too, so all of that holds there; a full Parquet
 * volume is the embedded store's alone (ClickHouse keeps the events on its own server).
 * Needs root (mount); where mounting is refused the test says so and is skipped.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_STORAGE } from '../helpers/backends.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { pageCounts, sendEvent, UA } from './support.js';

const SITE = 'full.test';
// The data directory on one small filesystem, its `events` (Parquet) on a second one: the
// first tests a disk full for everything, the second a full Parquet volume while the log
// still has room.
const mountPoint = mkdtempSync(join(tmpdir(), 'mallard-tmpfs-'));
const dataDir = join(mountPoint, 'data');
const eventsDir = join(dataDir, 'events');
const mounts: string[] = [];
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48m', 'tmpfs', mountPoint], { stdio: 'pipe' });
  mounts.push(mountPoint);
  mkdirSync(eventsDir, { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', eventsDir], { stdio: 'pipe' });
  mounts.unshift(eventsDir);
} catch (err) {
  process.stderr.write(`disk-full.test.ts SKIPPED: cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})\n`);
}
const mounted = mounts.length === 2;

afterAll(() => {
  for (const m of mounts) execFileSync('umount', ['-l', m]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** Writes a file until the filesystem refuses another byte; returns its path. */
function fill(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  try {
    for (let chunk = 1 << 20; chunk >= 512; ) {
      try {
        writeSync(fd, Buffer.alloc(chunk, 1));
      } catch {
        chunk >>= 1;
      }
    }
  } finally {
    closeSync(fd);
  }
  return path;
}

const track = (url: string, path: string) =>
  sendEvent(url, { d: SITE, n: 'pageview', u: `https://${SITE}${path}` }, { ua: UA.firefoxLinux });

interface Detailed {
  status: string;
  problems: string[];
  storage: { buffer_events: number };
}
const detailed = async (url: string) => (await (await fetch(`${url}/health/detailed`)).json()) as Detailed;

describe.skipIf(!mounted)('a full disk', () => {
  const env = { MALLARD_FLUSH_INTERVAL: '1', MALLARD_FLUSH_COUNT: '1000000', MALLARD_LOG_LEVEL: 'warn' };
  let server: RunningServer | undefined;
  let readKey = '';
  /** Paths of every event acknowledged (202), each stored exactly once. */
  const acked: string[] = [];

  afterAll(async () => {
    await server?.stop('SIGKILL');
  });

  it('answers 503 with Retry-After, backs off, says why, and resumes by itself when space returns', async () => {
    let s = await startServer({ dataDir, env });
    server = s;
    const cookie = await login(s.url);
    readKey = await createKey(s.url, cookie, 'read');
    const ingestKey = await createKey(s.url, cookie, 'ingest');
    for (let i = 0; i < 20; i++) {
      expect((await track(s.url, `/before/${i}`)).status).toBe(202);
      acked.push(`/before/${i}`);
    }
    // Let the flush timer move them out of the log (to Parquet, or ClickHouse), then keep ten
    // more in the log only.
    await expect.poll(async () => (await detailed(s.url)).storage.buffer_events, { timeout: 10_000 }).toBe(0);
    for (let i = 0; i < 10; i++) {
      expect((await track(s.url, `/hot/${i}`)).status).toBe(202);
      acked.push(`/hot/${i}`);
    }

    const filler = fill(mountPoint);
    const eventsFiller = fill(eventsDir);
    // A batch bigger than what is left: written in part, then cut back (a partial line left
    // in the log would swallow the next acknowledged one at replay).
    const batch = await fetch(`${s.url}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 300 }, (_, k) => ({ d: SITE, n: 'pageview', u: `https://${SITE}/batch/${k}` }))),
    });
    expect(batch.status).toBe(503);
    expect(batch.headers.get('retry-after')).toBe('30');
    // The log segment's last page may still hold a few lines; then it cannot take another:
    // refused, with a time to come back.
    let refused = await track(s.url, '/tail/0');
    for (let i = 1; refused.status === 202 && i < 500; i++) {
      acked.push(`/tail/${i - 1}`);
      refused = await track(s.url, `/tail/${i}`);
    }
    expect(refused.status).toBe(503);
    expect(refused.json).toEqual({
      error: 'event not stored: the disk is full; the write-ahead log cannot be written. Retry later',
    });
    const again = await fetch(`${s.url}/api/event`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': UA.firefoxLinux },
      body: JSON.stringify({ d: SITE, n: 'pageview', u: `https://${SITE}/refused/1` }),
    });
    expect(again.status).toBe(503);
    expect(again.headers.get('retry-after')).toBe('30');
    const degraded = await detailed(s.url);
    expect(degraded.status).toBe('degraded');
    expect(degraded.problems.join('\n')).toMatch(
      /^since \S+: event not stored: the disk is full; the write-ahead log cannot be written/,
    );
    // Queries still answer, from what is stored.
    expect((await pageCounts(s.url, readKey, { site_id: SITE, period: 'all' })).size).toBe(acked.length);

    rmSync(filler);
    rmSync(eventsFiller);
    // Space is back: ingest resumes at once. A crash right after must not lose that event
    // (a partial line left by the refused batch would swallow it at replay).
    expect((await track(s.url, '/after/0')).status).toBe(202);
    acked.push('/after/0');
    expect(await s.stop('SIGKILL')).toBeNull();
    s = await startServer({ dataDir, env });
    server = s;
    await expect.poll(async () => (await detailed(s.url)).storage.buffer_events, { timeout: 15_000 }).toBe(0);
    expect(await detailed(s.url)).toMatchObject({ status: 'ok', problems: [] });
    const expected = new Map(acked.map((p) => [p, 1]));
    expect(await pageCounts(s.url, readKey, { site_id: SITE, period: 'all' })).toEqual(expected);
  }, 120_000);

  // The same server, its events all flushed and counted once.
  it.skipIf(TEST_STORAGE === 'clickhouse')(
    'a full Parquet volume (DuckDB only: ClickHouse keeps no Parquet files) delays the flush, not ingest',
    async () => {
      const s = server;
      if (!s) throw new Error('the server of the test before did not start');
      // The Parquet volume alone full: events are still taken (the log has room), the flush
      // fails, backs off and says so, then succeeds by itself once space returns.
      const filler2 = fill(eventsDir);
      expect((await track(s.url, '/after/1')).status).toBe(202);
      acked.push('/after/1');
      await expect
        .poll(async () => (await detailed(s.url)).problems.join('\n'), { timeout: 15_000 })
        .toMatch(/writing events to Parquet fails .*; \d+ attempts, next in \d+ s; events stay in the write-ahead log meanwhile/);
      expect((await detailed(s.url)).storage.buffer_events).toBe(1);
      expect((await pageCounts(s.url, readKey, { site_id: SITE, period: 'all' })).get('/after/1')).toBe(1);
      rmSync(filler2);
      await expect.poll(async () => (await detailed(s.url)).storage.buffer_events, { timeout: 70_000 }).toBe(0);
      expect(await detailed(s.url)).toMatchObject({ status: 'ok', problems: [] });
      expect(await pageCounts(s.url, readKey, { site_id: SITE, period: 'all' })).toEqual(new Map(acked.map((p) => [p, 1])));
    },
    120_000,
  );
});
