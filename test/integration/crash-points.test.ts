/**
 * A crash at each named step of the write path (src/storage/crash-points.ts): the server is
 * armed to kill itself there (`NODE_ENV=test`, `MALLARD_CRASH_AT`), fed one request at a
 * time until it dies, restarted, and must then count every acknowledged event exactly
 * once, and nothing that was never sent; then once more after a graceful restart (which
 * flushes whatever the crash left in the log) and after another flush on top.
 *
 * The traffic is built to reach every step: batches with timestamps over four days (several
 * partitions per flush), a few visitors whose events arrive out of order (visits re-drawn on
 * disk: a rewrite), small flushes (many files: compaction), single live events, derived
 * tables built at once; and, for retention, events on days past the retention period.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/lib.js';
import { CLICKHOUSE_CRASH_POINTS, CRASH_POINTS, type CrashPoint } from '../../src/storage/crash-points.js';
import { TEST_STORAGE } from '../helpers/backends.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { pageCounts, removeScratchDirs, scratchDir, sendEvent, UA } from './support.js';

const SITE = 'crash.test';
const DAY = 86_400_000;
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
const FIRST_DAY = new Date(today - 3 * DAY).toISOString().slice(0, 10);
const LAST_DAY = new Date(today).toISOString().slice(0, 10);
const BASE_ENV = {
  MALLARD_FLUSH_COUNT: '40',
  MALLARD_FLUSH_INTERVAL: '86400',
  MALLARD_COMPACT_MIN_FILES: '2',
  MALLARD_ROLLUP_DELAY: '0',
  MALLARD_LOG_LEVEL: 'warn',
};

interface Request {
  paths: string[];
  send: (url: string, ingestKey: string) => Promise<boolean>;
}

/** The i-th request: a batch over four days (and old days, for retention) or a single live event. */
function request(i: number, rand: () => number, withOldDays: boolean): Request {
  if (i % 3 === 2) {
    const path = `/s${i}`;
    return {
      paths: [path],
      send: async (url) =>
        (await sendEvent(url, { d: SITE, n: 'pageview', u: `https://${SITE}${path}` }, { ua: UA.firefoxLinux })).status === 202,
    };
  }
  const days = withOldDays ? [0, 1, 2, 3, 40, 41] : [0, 1, 2, 3];
  const events = Array.from({ length: 24 }, (_, k) => {
    const day = days[k % days.length] ?? 0;
    // Four visitors a day, events up to two hours apart in random order: visits are joined and re-drawn.
    const at = Math.min(today - day * DAY + 8 * 3_600_000 + Math.floor(rand() * 7_200_000), Date.now());
    return {
      d: SITE,
      n: 'pageview',
      u: `https://${SITE}/b${i}/${k}`,
      timestamp: at,
      ip: `198.51.100.${k % 4}`,
      user_agent: UA.safariMac,
    };
  });
  return {
    paths: events.map((e) => new URL(e.u).pathname),
    send: async (url, ingestKey) => {
      const res = await fetch(`${url}/api/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
        body: JSON.stringify(events),
      });
      return res.status === 200 && ((await res.json()) as { accepted: number }).accepted === events.length;
    },
  };
}

/** The recent days' events (the retention scenario's old days are deleted by design). */
const recent = (url: string, readKey: string) =>
  pageCounts(url, readKey, { site_id: SITE, start_date: FIRST_DAY, end_date: LAST_DAY });
const isRecent = (path: string, withOldDays: boolean) => {
  const m = /^\/b\d+\/(\d+)$/.exec(path);
  return !withOldDays || !m || Number(m[1]) % 6 < 4;
};

async function crashAt(point: CrashPoint): Promise<void> {
  const withOldDays = point === 'retention.deleted-one';
  const env = { ...BASE_ENV, ...(withOldDays ? { MALLARD_RETENTION_DAYS: '30' } : {}) };
  const dataDir = scratchDir(`crash-${point}`);
  const rand = mulberry32(7); // a failure replays the same traffic
  const acked = new Set<string>();
  const sent = new Set<string>();
  const deliver = async (r: Request): Promise<boolean> => {
    for (const p of r.paths) sent.add(p);
    const ok = await r.send(server.url, ingestKey).catch(() => false);
    if (ok) for (const p of r.paths) acked.add(p);
    return ok;
  };
  // First an unflushed batch and a kill: the armed server starts with a log to replay, so
  // its first flush also releases an older segment.
  let server: RunningServer = await startServer({ dataDir, env });
  const cookie = await login(server.url);
  const ingestKey = await createKey(server.url, cookie, 'ingest');
  const readKey = await createKey(server.url, cookie, 'read');
  expect(await deliver(request(0, rand, withOldDays))).toBe(true);
  expect(await server.stop('SIGKILL')).toBeNull();

  server = await startServer({ dataDir, env: { ...env, NODE_ENV: 'test', MALLARD_CRASH_AT: point } });
  let cutOff: string[] = []; // the request the crash interrupted
  try {
    for (let i = 1; server.proc.exitCode === null && server.proc.signalCode === null; i++) {
      expect(i, `crash point ${point} was never reached`).toBeLessThan(200);
      const r = request(i, rand, withOldDays);
      if (!(await deliver(r))) {
        cutOff = r.paths;
        break; // the server is dying: nothing after this request reached it
      }
      // Derived tables are built in the background after a flush: give them a moment.
      if ((point.startsWith('derived.') || point === 'clickhouse.rollups-inserted') && i % 10 === 9)
        await new Promise((res) => setTimeout(res, 300));
    }
    expect(await server.stop('SIGKILL')).toBeNull();
    expect(server.logs()).toContain(`crash point ${point}: killing the process`);
    expect(acked.size).toBeGreaterThan(0);

    const check = async (label: string) => {
      const counts = await recent(server.url, readKey);
      for (const p of acked) if (isRecent(p, withOldDays)) expect(counts.get(p), `${label}: acknowledged ${p}`).toBe(1);
      for (const [p, n] of counts) {
        expect(sent.has(p), `${label}: stored ${p} was never sent`).toBe(true);
        expect(n, `${label}: stored ${p} ${n} times`).toBe(1);
        // Only the request the crash cut off may be stored without its answer.
        if (!acked.has(p)) expect(cutOff, `${label}: stored ${p} was not acknowledged`).toContain(p);
      }
      return counts;
    };
    server = await startServer({ dataDir, env });
    const afterCrash = await check('after the crash');
    expect(await server.stop('SIGTERM')).toBe(0);
    server = await startServer({ dataDir, env });
    expect(await check('after a graceful restart')).toEqual(afterCrash);
    // More traffic through the same steps, unarmed: still exactly once.
    for (let i = 1000; i < 1012; i++) expect(await deliver(request(i, rand, withOldDays))).toBe(true);
    expect(await server.stop('SIGTERM')).toBe(0);
    server = await startServer({ dataDir, env });
    await check('after more traffic and a flush');
  } finally {
    await server.stop('SIGKILL');
  }
}

describe('a crash at each step of the write path', () => {
  // The import command's own point is armed by test/integration/import.test.ts.
  const serverPoints =
    TEST_STORAGE === 'clickhouse'
      ? CLICKHOUSE_CRASH_POINTS
      : CRASH_POINTS.filter((p) => !p.startsWith('import.') && !p.startsWith('clickhouse.'));
  it.each(serverPoints.map((p) => [p]))('%s: every acknowledged event is stored exactly once', crashAt, 60_000);
  it('cleans up', removeScratchDirs);
});
