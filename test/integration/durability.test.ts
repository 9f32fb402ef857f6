/**
 * Durability: an event answered 202/200 survives `kill -9`, is counted exactly once, and
 * stays counted through later crashes, a graceful flush and restarts. Flushes run
 * mid-stream (MALLARD_FLUSH_COUNT=50), so kills land before, during and after them.
 * Every event has its own path, so the pages breakdown says exactly which ones were stored.
 */
import { appendFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { flushedEvents } from '../helpers/backends.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { type main, pageCounts, removeScratchDirs, scratchDir, sendEvent, stats, UA } from './support.js';

const storedCounts = (url: string, readKey: string) => pageCounts(url, readKey, { site_id: SITE, period: 'all' });

const SITE = 'dur.test';
const SINGLES_PER_ROUND = 400;
const BATCHES_PER_ROUND = 10;
const BATCH_SIZE = 20;
const PER_ROUND = SINGLES_PER_ROUND + BATCHES_PER_ROUND * BATCH_SIZE; // 600
const KILL_AFTER_ACKS = 450;
const CONCURRENCY = 24;

const running: RunningServer[] = [];
afterEach(async () => {
  for (const s of running.splice(0)) await s.stop('SIGKILL');
});
afterAll(removeScratchDirs);

async function boot(dataDir: string, env: Record<string, string>): Promise<RunningServer> {
  const s = await startServer({ dataDir, env });
  running.push(s);
  return s;
}

async function halt(s: RunningServer, signal: NodeJS.Signals): Promise<number | null> {
  running.splice(running.indexOf(s), 1);
  return s.stop(signal);
}

interface Job {
  kind: 'single' | 'batch';
  paths: string[];
}

function roundJobs(round: number): Job[] {
  const jobs: Job[] = [];
  for (let i = 0; i < SINGLES_PER_ROUND; i++) jobs.push({ kind: 'single', paths: [`/r${round}/s${i}`] });
  for (let b = 0; b < BATCHES_PER_ROUND; b++) {
    // Spread the batches through the stream.
    const at = Math.floor(((b + 0.5) * jobs.length) / BATCHES_PER_ROUND);
    jobs.splice(at, 0, { kind: 'batch', paths: Array.from({ length: BATCH_SIZE }, (_, k) => `/r${round}/b${b}/${k}`) });
  }
  return jobs;
}

/**
 * Sends the jobs from CONCURRENCY workers; after `killAfter` acknowledged events, kills
 * the server with SIGKILL while the other workers' requests are in flight, and stops.
 */
async function blast(server: RunningServer, ingestKey: string, jobs: Job[], killAfter: number) {
  const sent = new Set<string>();
  const acked = new Set<string>();
  let next = 0;
  let killed = false;
  const send = async (job: Job): Promise<boolean> => {
    if (job.kind === 'single') {
      const path = job.paths[0] ?? '';
      const res = await sendEvent(server.url, { d: SITE, n: 'pageview', u: `https://${SITE}${path}` }, { ua: UA.firefoxLinux });
      return res.status === 202;
    }
    const res = await fetch(`${server.url}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/x-ndjson' },
      body: job.paths
        .map((p) => JSON.stringify({ d: SITE, n: 'pageview', u: `https://${SITE}${p}`, user_agent: UA.firefoxLinux }))
        .join('\n'),
    });
    const body = (await res.json()) as { accepted: number };
    return res.status === 200 && body.accepted === job.paths.length;
  };
  const worker = async () => {
    while (!killed && next < jobs.length) {
      const job = jobs[next++] as Job;
      for (const p of job.paths) sent.add(p);
      let ok = false;
      try {
        ok = await send(job);
      } catch {
        ok = false; // connection reset by the kill: not acknowledged
      }
      if (!ok) continue;
      for (const p of job.paths) acked.add(p);
      if (!killed && acked.size >= killAfter) {
        killed = true;
        server.proc.kill('SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { sent, acked };
}

async function totalEvents(url: string, readKey: string): Promise<number> {
  return (await stats<{ events: number }>(url, readKey, 'main', { site_id: SITE, period: 'all' })).events;
}

describe('kill -9 while requests are in flight', () => {
  it('every acknowledged event is counted exactly once, through three crashes, a flush and restarts', async () => {
    const dataDir = scratchDir('durability');
    const env = { MALLARD_FLUSH_COUNT: '50', MALLARD_FLUSH_INTERVAL: '86400' };
    let server = await boot(dataDir, env);
    const cookie = await login(server.url);
    const readKey = await createKey(server.url, cookie, 'read');
    const ingestKey = await createKey(server.url, cookie, 'ingest');

    const sent = new Set<string>();
    const acked = new Set<string>();
    let seen = new Map<string, number>(); // what the previous restart showed

    for (let round = 0; round < 3; round++) {
      const result = await blast(server, ingestKey, roundJobs(round), KILL_AFTER_ACKS);
      expect(await halt(server, 'SIGKILL')).toBeNull(); // died by the signal, no clean exit
      for (const p of result.sent) sent.add(p);
      for (const p of result.acked) acked.add(p);
      expect(result.acked.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
      expect(result.acked.size).toBeLessThan(PER_ROUND);

      server = await boot(dataDir, env);
      const counts = await storedCounts(server.url, readKey);
      for (const p of acked) expect(counts.get(p), `acknowledged ${p}`).toBe(1);
      for (const [p, n] of counts) {
        expect(sent.has(p), `stored ${p} was never sent`).toBe(true);
        expect(n, `stored ${p} ${n} times`).toBe(1);
      }
      // Whatever was visible after an earlier crash is still there, no more, no less.
      for (const [p, n] of seen) expect(counts.get(p), `earlier ${p}`).toBe(n);
      const total = await totalEvents(server.url, readKey);
      expect(total).toBe(counts.size);
      expect(total).toBeGreaterThanOrEqual(acked.size);
      expect(total).toBeLessThanOrEqual(sent.size);
      seen = counts;
    }

    // Flushes ran mid-stream: events were stored (in Parquet files, or shipped to ClickHouse)
    // before any graceful shutdown.
    expect(await flushedEvents(dataDir)).toBeGreaterThan(0);

    // A graceful stop flushes everything; the answers do not change, nothing is doubled.
    expect(await halt(server, 'SIGTERM')).toBe(0);
    server = await boot(dataDir, env);
    expect(await storedCounts(server.url, readKey)).toEqual(seen);
    expect(await totalEvents(server.url, readKey)).toBe(seen.size);
    const detailed = (await (await fetch(`${server.url}/health/detailed`)).json()) as { storage: { buffer_events: number } };
    expect(detailed.storage.buffer_events).toBe(0);

    // And once more, now entirely from Parquet.
    expect(await halt(server, 'SIGTERM')).toBe(0);
    server = await boot(dataDir, env);
    expect(await storedCounts(server.url, readKey)).toEqual(seen);
    expect(await totalEvents(server.url, readKey)).toBe(seen.size);
    expect(await halt(server, 'SIGTERM')).toBe(0);
  });
});

describe('kill -9 at random moments under concurrent load, with flushes every second', () => {
  const ROUNDS = 6;
  const UNITS = ['/api/events', '/api/events', '/api/events', '/api/event'] as const;

  it(`stores every acknowledged event once, and only unanswered ones besides, through ${ROUNDS} crashes`, async () => {
    const dataDir = scratchDir('random-kill');
    const env = { MALLARD_FLUSH_COUNT: '300', MALLARD_FLUSH_INTERVAL: '1', MALLARD_ROLLUP_DELAY: '0', MALLARD_LOG_LEVEL: 'warn' };
    let server = await boot(dataDir, env);
    const cookie = await login(server.url);
    const readKey = await createKey(server.url, cookie, 'read');
    const ingestKey = await createKey(server.url, cookie, 'ingest');
    let seed = 20261204;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const totals: number[] = []; // stored events per round's site, as first seen after its crash

    for (let round = 0; round < ROUNDS; round++) {
      const site = `r${round}.${SITE}`;
      const acked = new Set<string>();
      const unanswered = new Set<string>();
      let n = 0;
      let dead = false;
      // Three clients sending batches of 50–250 events over the last three days (late events
      // re-draw visits on disk), one sending single live events; all until the kill.
      const client = async (endpoint: (typeof UNITS)[number]) => {
        while (!dead) {
          const size = endpoint === '/api/event' ? 1 : 50 + Math.floor(rand() * 201);
          const now = Date.now();
          const events = Array.from({ length: size }, (_, k) => ({
            d: site,
            n: 'pageview',
            u: `https://${site}/e${n++}`,
            ...(endpoint === '/api/events'
              ? { ip: `203.0.113.${k % 16}`, user_agent: UA.firefoxLinux, timestamp: now - Math.floor(rand() * 3 * 86_400_000) }
              : {}),
          }));
          const paths = events.map((e) => new URL(e.u).pathname);
          for (const p of paths) unanswered.add(p);
          let ok = false;
          try {
            if (endpoint === '/api/event') {
              ok = (await sendEvent(server.url, events[0], { ua: UA.firefoxLinux })).status === 202;
            } else {
              const res = await fetch(`${server.url}/api/events`, {
                method: 'POST',
                headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
                body: JSON.stringify(events),
              });
              ok = res.status === 200 && ((await res.json()) as { accepted: number }).accepted === size;
            }
          } catch {
            ok = false; // cut off by the kill
          }
          if (!ok) continue;
          for (const p of paths) {
            acked.add(p);
            unanswered.delete(p);
          }
        }
      };
      const clients = UNITS.map(client);
      await new Promise((r) => setTimeout(r, 1000 + rand() * 2000));
      dead = true;
      server.proc.kill('SIGKILL');
      await Promise.all(clients);
      expect(await halt(server, 'SIGKILL')).toBeNull();
      expect(acked.size).toBeGreaterThan(1000);

      server = await boot(dataDir, env);
      const counts = await pageCounts(server.url, readKey, { site_id: site, period: 'all' });
      for (const p of acked) expect(counts.get(p), `round ${round}: acknowledged ${p}`).toBe(1);
      for (const [p, c] of counts) {
        expect(c, `round ${round}: ${p} stored ${c} times`).toBe(1);
        if (!acked.has(p)) expect(unanswered.has(p), `round ${round}: stored ${p} was never sent`).toBe(true);
      }
      totals.push(counts.size);
      // Earlier rounds' sites lost nothing and gained nothing through this crash.
      for (let r = 0; r <= round; r++) {
        expect(
          (await stats<{ events: number }>(server.url, readKey, 'main', { site_id: `r${r}.${SITE}`, period: 'all' })).events,
        ).toBe(totals[r]);
      }
    }
    expect(await halt(server, 'SIGTERM')).toBe(0);
  }, 240_000);
});

describe('a graceful stop with a request in flight on a keep-alive connection', () => {
  it('answers it, flushes, and exits without waiting for the connection to go idle', async () => {
    const dataDir = scratchDir('stop-in-flight');
    const server = await boot(dataDir, { MALLARD_FLUSH_INTERVAL: '86400' });
    const cookie = await login(server.url);
    const ingestKey = await createKey(server.url, cookie, 'ingest');
    const readKey = await createKey(server.url, cookie, 'read');
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    const events = Array.from({ length: 5000 }, (_, k) => ({ d: SITE, n: 'pageview', u: `https://${SITE}/stop/${k}` }));
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(
        `${server.url}/api/events`,
        { method: 'POST', agent, headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' } },
        (res) => {
          let body = '';
          res.on('data', (d: Buffer) => {
            body += d.toString();
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(events), () => server.proc.kill('SIGTERM')); // stop while the server works on it
    });
    const started = Date.now();
    const { status, body } = await answer;
    const code = await halt(server, 'SIGTERM');
    agent.destroy();
    expect(code).toBe(0);
    // Keep-alive would hold the socket for 65 s; the stop must not wait for it.
    expect(Date.now() - started).toBeLessThan(30_000);
    const again = await boot(dataDir, { MALLARD_FLUSH_INTERVAL: '86400' });
    const stored = (await stats<{ events: number }>(again.url, readKey, 'main', { site_id: SITE, period: 'all' })).events;
    // Answered 200: all of it stored; refused (503 while closing): none.
    expect(status === 200 ? JSON.parse(body) : status).toEqual(
      status === 200 ? { accepted: 5000, rejected: 0, errors: [] } : 503,
    );
    expect(stored).toBe(status === 200 ? 5000 : 0);
    expect(await halt(again, 'SIGTERM')).toBe(0);
  }, 90_000);
});

describe('a torn line at the end of the write-ahead log', () => {
  it('is skipped at start-up; every acknowledged event is counted once', async () => {
    const dataDir = scratchDir('torn');
    const env = { MALLARD_FLUSH_INTERVAL: '86400' };
    let server = await boot(dataDir, env);
    const cookie = await login(server.url);
    const readKey = await createKey(server.url, cookie, 'read');
    const ingestKey = await createKey(server.url, cookie, 'ingest');

    for (let i = 0; i < 30; i++) {
      const res = await sendEvent(server.url, { d: SITE, n: 'pageview', u: `https://${SITE}/t/${i}` }, { ua: UA.firefoxLinux });
      expect(res.status).toBe(202);
    }
    const batch = await fetch(`${server.url}/api/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ingestKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(Array.from({ length: 10 }, (_, k) => ({ d: SITE, n: 'pageview', u: `https://${SITE}/tb/${k}` }))),
    });
    expect(await batch.json()).toEqual({ accepted: 10, rejected: 0, errors: [] });
    expect(await halt(server, 'SIGKILL')).toBeNull();

    // Cut the newest segment's first line in half and append it, as a write cut off by a crash would leave it.
    const walDir = join(dataDir, 'wal');
    const segments = readdirSync(walDir)
      .filter((n) => /^\d+\.log$/.test(n))
      .sort();
    const newest = join(walDir, segments.at(-1) ?? '');
    expect(statSync(newest).size).toBeGreaterThan(0);
    const firstLine = readFileSync(newest, 'utf8').split('\n')[0] ?? '';
    expect(firstLine.length).toBeGreaterThan(20);
    appendFileSync(newest, firstLine.slice(0, Math.floor(firstLine.length / 2)));

    server = await boot(dataDir, env);
    const expected = new Map<string, number>([
      ...Array.from({ length: 30 }, (_, i): [string, number] => [`/t/${i}`, 1]),
      ...Array.from({ length: 10 }, (_, k): [string, number] => [`/tb/${k}`, 1]),
    ]);
    expect(await storedCounts(server.url, readKey)).toEqual(expected);
    expect(await stats(server.url, readKey, 'main', { site_id: SITE, period: 'all' })).toMatchObject({
      events: 40,
      total_pageviews: 40,
    });

    // The server keeps working: a new event counts, and a clean restart changes nothing.
    expect(
      (await sendEvent(server.url, { d: SITE, n: 'pageview', u: `https://${SITE}/after` }, { ua: UA.firefoxLinux })).status,
    ).toBe(202);
    expected.set('/after', 1);
    expect(await storedCounts(server.url, readKey)).toEqual(expected);
    expect(await halt(server, 'SIGTERM')).toBe(0);
    server = await boot(dataDir, env);
    expect(await storedCounts(server.url, readKey)).toEqual(expected);
    const totals = await stats<ReturnType<typeof main>>(server.url, readKey, 'main', { site_id: SITE, period: 'all' });
    expect(totals.events).toBe(41);
    expect(await halt(server, 'SIGTERM')).toBe(0);
  });
});
