/**
 * What every EventStore (src/storage/storage.ts) must do, run on each backend's store
 * in-process (event-store-*.test.ts) against its real engine: rows appended are read back
 * exactly once, by site and range, through `read` and `stream`, across flushes, a clean
 * restart and a restart that replays the write-ahead log; the runner's dialect is the one
 * its engine speaks; the sites with stored rows are named and their events counted. Expected values come from the rows the test appends.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { raw, render, sql } from '../../src/query/sql.js';
import type { StoredRow } from '../../src/storage/columns.js';
import { siteActivity } from '../../src/storage/site-activity.js';
import type { EventStore, QueryRunner } from '../../src/storage/storage.js';
import { storedRow } from '../helpers/stored-row.js';

/**
 * Opens the backend's store on a data directory; `shared` names what outlives the process
 * (ClickHouse's database): the same name after a restart or a crash, a new one per test.
 */
export type OpenStore = (dataDir: string, shared: string) => Promise<EventStore>;

const at = (day: number, hour: number) => new Date(Date.UTC(2026, 0, day, hour));

/** Three days of two sites; seq is set by the store. */
const rows = (): StoredRow[] => [
  storedRow({ site_id: 'a.test', visitor_id: 1n, session_id: 1n, timestamp: at(10, 9), seq: 0n, pathname: '/' }),
  storedRow({ site_id: 'a.test', visitor_id: 1n, session_id: 1n, timestamp: at(10, 9), seq: 0n, pathname: '/x' }),
  storedRow({ site_id: 'a.test', visitor_id: 2n, session_id: 2n, timestamp: at(11, 23), seq: 0n, pathname: '/' }),
  storedRow({ site_id: 'b.test', visitor_id: 3n, session_id: 3n, timestamp: at(11, 1), seq: 0n, pathname: '/b' }),
  storedRow({ site_id: 'a.test', visitor_id: 4n, session_id: 4n, timestamp: at(12, 0), seq: 0n, pathname: '/y' }),
];

/** `pathname → count` of one site's events in [from, to), through the runner's own dialect. */
async function pages(q: QueryRunner, site: string, from?: Date, to?: Date): Promise<Record<string, number>> {
  const { text, params } = render(
    sql`SELECT pathname, count(*) AS n FROM ${raw(q.eventsFor(site, from, to))} WHERE site_id = ${site}
        GROUP BY pathname ORDER BY pathname`,
    q.dialect,
  );
  const got = await q.all<{ pathname: string; n: unknown }>(text, params);
  return Object.fromEntries(got.map((r) => [r.pathname, Number(r.n)]));
}

export function eventStoreContract(name: string, open: OpenStore): void {
  const dirs: string[] = [];
  const scratch = () => {
    const dir = mkdtempSync(join(tmpdir(), `mm-contract-${name}-`));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  let tests = 0;
  /** A data directory and a shared name of one test's own. */
  const fresh = () => ({ dir: scratch(), shared: `contract_${++tests}` });

  describe(`EventStore contract: ${name}`, () => {
    it('reads appended rows at once, per site and range, numbered in order', async () => {
      const { dir, shared } = fresh();
      const store = await open(dir, shared);
      try {
        const appended = rows();
        await store.append(appended);
        expect(appended.map((r) => r.seq)).toEqual([1n, 2n, 3n, 4n, 5n]);
        await store.read(async (q) => {
          expect(await pages(q, 'a.test')).toEqual({ '/': 2, '/x': 1, '/y': 1 });
          expect(await pages(q, 'b.test')).toEqual({ '/b': 1 });
          expect(await pages(q, 'a.test', at(11, 0), at(12, 0))).toEqual({ '/': 1 });
          expect(await pages(q, 'c.test')).toEqual({});
        });
      } finally {
        await store.close();
      }
    });

    it('keeps every row exactly once through a flush, a clean restart and more rows', async () => {
      const { dir, shared } = fresh();
      let store = await open(dir, shared);
      await store.append(rows());
      const flushed = await store.flush();
      expect(flushed.rows).toBe(5);
      await store.append([
        storedRow({ site_id: 'a.test', visitor_id: 5n, session_id: 5n, timestamp: at(12, 5), seq: 0n, pathname: '/z' }),
      ]);
      await store.close();
      store = await open(dir, shared);
      try {
        await store.read(async (q) => expect(await pages(q, 'a.test')).toEqual({ '/': 2, '/x': 1, '/y': 1, '/z': 1 }));
        // Numbering goes on after the highest stored number.
        const next = [storedRow({ site_id: 'b.test', visitor_id: 6n, session_id: 6n, timestamp: at(12, 6), seq: 0n })];
        await store.append(next);
        expect(next[0]?.seq).toBe(7n);
      } finally {
        await store.close();
      }
    });

    it('names its sites and counts the chosen ones, flushed and not, engagement rows left out', async () => {
      const { dir, shared } = fresh();
      const store = await open(dir, shared);
      try {
        await store.append(rows());
        await store.flush();
        // After the flush: one more event of a.test (the hot tier, on DuckDB) and a site with only an engagement row.
        await store.append([
          storedRow({ site_id: 'a.test', visitor_id: 5n, session_id: 5n, timestamp: at(13, 8), seq: 0n, pathname: '/z' }),
          storedRow({
            site_id: 'c.test',
            visitor_id: 6n,
            session_id: 6n,
            timestamp: at(13, 9),
            seq: 0n,
            event_name: 'engagement',
            engaged_ms: 4000,
            scroll_depth: 50,
          }),
        ]);
        expect(await store.siteIds()).toEqual(['a.test', 'b.test', 'c.test']);
        const all = () => true;
        // a.test: 4 events + 1 after the flush, the last 2026-01-13 08:00; b.test: 1 at 2026-01-11 01:00.
        expect(await siteActivity(store, all, 10)).toEqual([
          { siteId: 'a.test', events: 5, lastSeen: at(13, 8) },
          { siteId: 'b.test', events: 1, lastSeen: at(11, 1) },
        ]);
        expect(await siteActivity(store, all, 1)).toEqual([{ siteId: 'a.test', events: 5, lastSeen: at(13, 8) }]);
        expect(await siteActivity(store, (id) => id !== 'a.test', 10)).toEqual([
          { siteId: 'b.test', events: 1, lastSeen: at(11, 1) },
        ]);
        expect(await siteActivity(store, () => false, 10)).toEqual([]);
      } finally {
        await store.close();
      }
    });

    it('replays the write-ahead log after a crash: acknowledged rows once, flushed or not', async () => {
      const { dir, shared } = fresh();
      const first = await open(dir, shared);
      await first.append(rows().slice(0, 3));
      await first.flush();
      await first.append(rows().slice(3));
      // The directory as a kill -9 now would leave it (the log written, nothing closed).
      const crashed = scratch();
      cpSync(dir, crashed, { recursive: true });
      const store = await open(crashed, shared);
      try {
        await store.read(async (q) => {
          expect(await pages(q, 'a.test')).toEqual({ '/': 2, '/x': 1, '/y': 1 });
          expect(await pages(q, 'b.test')).toEqual({ '/b': 1 });
        });
      } finally {
        await store.close();
        await first.close();
      }
    });

    it('streams one statement chunk by chunk, in select order', async () => {
      const { dir, shared } = fresh();
      const store = await open(dir, shared);
      try {
        await store.append(rows());
        const got: unknown[][] = [];
        const n = await store.stream(
          (q) =>
            render(
              sql`SELECT pathname, seq FROM ${raw(q.eventsFor('a.test'))} WHERE site_id = ${'a.test'} ORDER BY seq`,
              q.dialect,
            ),
          async (chunk) => {
            for (const r of chunk) got.push([r[0], Number(r[1])]);
          },
        );
        expect(n).toBe(4);
        expect(got).toEqual([
          ['/', 1],
          ['/x', 2],
          ['/', 3],
          ['/y', 5],
        ]);
      } finally {
        await store.close();
      }
    });

    it('reports itself healthy, with nothing waiting after a flush', async () => {
      const { dir, shared } = fresh();
      const store = await open(dir, shared);
      try {
        await store.append(rows());
        await store.flush();
        const health = await store.health();
        expect(health.reachable).toBe(true);
        expect(health.problems).toEqual([]);
        expect(health.hotRows).toBe(0);
      } finally {
        await store.close();
      }
    });
  });
}
