/**
 * The embedded store against real DuckDB and real Parquet files: durability across
 * restarts, crash windows of the flush, out-of-order sessions, compaction, retention.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { VISIT_GAP_SET } from '../../src/query/behavioral/sessions.js';
import { derivedTables as DERIVED } from '../../src/query/derived-tables.js';
import type { StoredRow } from '../../src/storage/columns.js';
import { resetFailPoints } from '../../src/storage/crash-points.js';
import type { DuckDbEventStore } from '../../src/storage/duckdb/event-store.js';
import { type DuckDbStoreOptions, openTestDuckDbStore } from '../helpers/duckdb-store.js';
import { storedRow } from '../helpers/stored-row.js';

/** The derived files' format number in their names. */
const F = DERIVED.format;

const log = pino({ level: 'silent' });
const open: DuckDbEventStore[] = [];

async function openStore(dataDir: string, extra: Partial<DuckDbStoreOptions> = {}) {
  const store = await openTestDuckDbStore(dataDir, { log, ...extra });
  open.push(store);
  return store;
}

async function closeStore(store: DuckDbEventStore) {
  open.splice(open.indexOf(store), 1);
  await store.close();
}

const dirs: string[] = [];
/** A fresh data directory, removed after the test. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function row(store: DuckDbEventStore, site: string, visitor: bigint, iso: string, path = '/'): StoredRow {
  const at = new Date(iso);
  return storedRow({
    site_id: site,
    visitor_id: visitor,
    session_id: store.sessions.assign(visitor, at.getTime()),
    timestamp: at,
    pathname: path,
    seq: 0n,
  });
}

async function counts(store: DuckDbEventStore, site: string) {
  const [r] = await store.read((q) =>
    q.all<{ events: bigint; visits: bigint }>(
      `SELECT count(*) AS events, count(DISTINCT session_id) AS visits FROM ${q.events} WHERE site_id = $1`,
      [site],
    ),
  );
  return { events: Number(r?.events), visits: Number(r?.visits) };
}

const parquetFiles = (dataDir: string, site: string, date: string) => {
  const dir = join(dataDir, 'events', `site_id=${site}`, `date=${date}`);
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

describe('DuckDbEventStore', () => {
  it('loses nothing when the hot table refuses rows (engine out of memory): the flush writes them from the log', async () => {
    const dir = scratch();
    const store = await openStore(dir);
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z')]);
    expect(await store.hotLoad()).toBe(true);
    resetFailPoints();
    process.env.MALLARD_FAIL_AT = 'hot.append:*'; // every load into the hot table fails
    try {
      await store.append([row(store, 'a.com', 2n, '2026-01-10T11:00:00Z'), row(store, 'a.com', 3n, '2026-01-10T12:00:00Z')]);
      expect(await store.hotLoad()).toBe(false); // refused: not loaded, not lost, no exception
      expect(store.hotPending).toBe(2);
      // The flush takes every acknowledged row from the log, the refused ones too, and the
      // hot table lets go of them: none is loaded later to be counted twice.
      await store.flush();
      expect(parquetFiles(dir, 'a.com', '2026-01-10')).toEqual(['00000000000000000003.parquet']);
      expect(store.hotPending).toBe(0);
    } finally {
      delete process.env.MALLARD_FAIL_AT;
    }
    expect((await store.health()).hotRows).toBe(0);
    expect(await counts(store, 'a.com')).toEqual({ events: 3, visits: 3 });
    const crashed = scratch();
    cpSync(dir, crashed, { recursive: true }); // as after kill -9: the file, and no log left to replay
    const reopened = await openStore(crashed);
    expect(await counts(reopened, 'a.com')).toEqual({ events: 3, visits: 3 });
  });

  it('answers a query with the rows whose first load the engine refused', async () => {
    const store = await openStore(scratch());
    resetFailPoints();
    process.env.MALLARD_FAIL_AT = 'hot.append:1';
    try {
      await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z'), row(store, 'a.com', 2n, '2026-01-10T11:00:00Z')]);
      // The query's first load is refused; it tries again before it answers.
      expect(await counts(store, 'a.com')).toEqual({ events: 2, visits: 2 });
    } finally {
      delete process.env.MALLARD_FAIL_AT;
    }
    expect(store.hotPending).toBe(0);
  });

  it('loads rows again when the table does not hold all of a load, and loses nothing', async () => {
    const dir = scratch();
    const store = await openStore(dir);
    resetFailPoints();
    // The first load is refused; the second commits without its last row; the third holds.
    process.env.MALLARD_FAIL_AT = 'hot.append:1,hot.short-commit:1';
    try {
      await store.append([1n, 2n, 3n].map((v) => row(store, 'a.com', v, '2026-01-10T10:00:00Z')));
      expect(await counts(store, 'a.com')).toEqual({ events: 3, visits: 3 });
    } finally {
      delete process.env.MALLARD_FAIL_AT;
    }
    await store.flush();
    // Nothing left hot: the three are in the Parquet file, once each.
    expect((await store.health()).hotRows).toBe(0);
    expect(await counts(store, 'a.com')).toEqual({ events: 3, visits: 3 });
    expect(parquetFiles(dir, 'a.com', '2026-01-10')).toEqual(['00000000000000000003.parquet']);
  });

  it('numbers rows in the order they reach the log, whatever number they came with', async () => {
    const dir = scratch();
    const store = await openStore(dir);
    const late = row(store, 'a.com', 1n, '2026-01-10T10:00:00Z');
    late.seq = 99n;
    await store.append([row(store, 'a.com', 2n, '2026-01-10T09:00:00Z'), late]);
    await store.append([row(store, 'a.com', 3n, '2026-01-10T11:00:00Z')]);
    const seqs = await store.read((q) =>
      q.all<{ seq: bigint; visitor_id: bigint }>(`SELECT seq, visitor_id FROM ${q.events} ORDER BY seq`, []),
    );
    expect(seqs.map((r) => [Number(r.seq), Number(r.visitor_id)])).toEqual([
      [1, 2],
      [2, 1],
      [3, 3],
    ]);
  });

  it('runs flushes one after another, however many are asked for while one runs', async () => {
    const dir = scratch();
    const store = await openStore(dir);
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z')]);
    // Three flushes asked at once (a timer firing twice during a slow flush, and shutdown);
    // rows arriving meanwhile. Run together, the second and third would both take those rows.
    const flushes = [store.flush(), store.flush(), store.flush()];
    await store.append([row(store, 'a.com', 2n, '2026-01-10T11:00:00Z'), row(store, 'a.com', 3n, '2026-01-10T12:00:00Z')]);
    const moved = (await Promise.all(flushes)).map((r) => r.rows);
    expect(moved.reduce((a, b) => a + b, 0)).toBe(3);
    expect(await counts(store, 'a.com')).toEqual({ events: 3, visits: 3 });
    await closeStore(store);
    const again = await openStore(dir);
    expect(await counts(again, 'a.com')).toEqual({ events: 3, visits: 3 });
  });

  it('keeps every appended row across flush and restart, once', async () => {
    const dir = scratch();
    let store = await openStore(dir);
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z'), row(store, 'a.com', 1n, '2026-01-10T10:05:00Z')]);
    await store.append([row(store, 'b.com', 2n, '2026-01-11T09:00:00Z')]);
    expect(await counts(store, 'a.com')).toEqual({ events: 2, visits: 1 });
    await store.flush();
    expect(parquetFiles(dir, 'a.com', '2026-01-10')).toEqual(['00000000000000000003.parquet']);
    expect(parquetFiles(dir, 'b.com', '2026-01-11')).toEqual(['00000000000000000003.parquet']);
    expect(await counts(store, 'a.com')).toEqual({ events: 2, visits: 1 });
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:10:00Z')]);
    await closeStore(store);
    store = await openStore(dir);
    expect(await counts(store, 'a.com')).toEqual({ events: 3, visits: 1 });
    expect(await counts(store, 'b.com')).toEqual({ events: 1, visits: 1 });
  });

  it("gives exactly a site's events in a range, from whole days, cut days and the hot table", async () => {
    const dir = scratch();
    const store = await openStore(dir);
    const at = ['2026-01-09T23:59:59Z', '2026-01-10T00:00:00Z', '2026-01-10T12:00:00Z', '2026-01-11T05:59:59Z'];
    const cold = [...at, '2026-01-11T06:00:00Z', '2026-01-11T18:00:00Z'];
    await store.append([...cold.map((t) => row(store, 'a.com', 1n, t)), row(store, 'b.com', 2n, '2026-01-10T12:00:00Z')]);
    await store.flush();
    // Hot rows, on both sides of the range's end, and another site's inside it.
    await store.append([
      row(store, 'a.com', 1n, '2026-01-11T05:00:00Z'),
      row(store, 'a.com', 1n, '2026-01-11T07:00:00Z'),
      row(store, 'b.com', 2n, '2026-01-11T05:00:00Z'),
    ]);
    const inRange = (from: string, to: string) =>
      store.read(async (q) =>
        (
          await q.all<{ ts: string; site_id: string }>(
            `SELECT strftime(timestamp, '%Y-%m-%dT%H:%M:%SZ') AS ts, site_id FROM ${q.eventsFor('a.com', new Date(from), new Date(to))} ORDER BY ts`,
            [],
          )
        ).map((r) => `${r.site_id} ${r.ts}`),
      );
    // 2026-01-10 is whole (read unfiltered); 2026-01-11 is cut at 06:00 (file and hot rows filtered).
    expect(await inRange('2026-01-10T00:00:00Z', '2026-01-11T06:00:00Z')).toEqual([
      'a.com 2026-01-10T00:00:00Z',
      'a.com 2026-01-10T12:00:00Z',
      'a.com 2026-01-11T05:00:00Z',
      'a.com 2026-01-11T05:59:59Z',
    ]);
    await closeStore(store);
  });

  it('replays acknowledged rows that were never flushed (as after kill -9)', async () => {
    const dir = scratch();
    const store = await openStore(dir);
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z'), row(store, 'a.com', 2n, '2026-01-10T10:00:00Z')]);
    // Copy the data dir as it is now: the log holds the rows, no Parquet exists.
    const crashed = scratch();
    cpSync(join(dir, 'wal'), join(crashed, 'wal'), { recursive: true });
    const reopened = await openStore(crashed, { newMetadata: true }); // only the log was copied;
    expect(await counts(reopened, 'a.com')).toEqual({ events: 2, visits: 2 });
  });

  it('counts once when a crash left both the Parquet file and the log segment', async () => {
    const dir = scratch();
    const store = await openStore(dir);
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z'), row(store, 'a.com', 1n, '2026-01-10T10:01:00Z')]);
    const walBefore = scratch();
    cpSync(join(dir, 'wal'), walBefore, { recursive: true });
    await store.append([row(store, 'a.com', 3n, '2026-01-10T11:00:00Z')]);
    await closeStore(store); // flushes all three rows and deletes the log
    // Put back the segment as if the process died between rename and log deletion.
    cpSync(walBefore, join(dir, 'wal'), { recursive: true });
    const reopened = await openStore(dir);
    expect(await counts(reopened, 'a.com')).toEqual({ events: 3, visits: 2 });
    await reopened.flush();
    expect(await counts(reopened, 'a.com')).toEqual({ events: 3, visits: 2 });
  });

  it('ignores a torn last line in the log', async () => {
    const dir = scratch();
    const store = await openStore(dir);
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z')]);
    const crashed = scratch();
    cpSync(join(dir, 'wal'), join(crashed, 'wal'), { recursive: true });
    const segment = readdirSync(join(crashed, 'wal'))[0] ?? '';
    const path = join(crashed, 'wal', segment);
    writeFileSync(path, `${readFileSync(path, 'utf8')}["a.com","12`);
    const reopened = await openStore(crashed, { newMetadata: true });
    expect(await counts(reopened, 'a.com')).toEqual({ events: 1, visits: 1 });
  });

  it('renumbers visits already on disk when a late event bridges them', async () => {
    const dir = scratch();
    const store = await openStore(dir);
    await store.append([
      row(store, 'a.com', 7n, '2026-01-10T10:00:00Z'),
      row(store, 'a.com', 7n, '2026-01-10T10:40:00Z'),
      row(store, 'a.com', 8n, '2026-01-10T09:00:00Z'),
      row(store, 'a.com', 8n, '2026-01-10T09:10:00Z'),
    ]);
    await store.flush();
    expect(await counts(store, 'a.com')).toEqual({ events: 4, visits: 3 });
    // 10:20 is within 30 minutes of both: one visit of three events.
    const late = new DuckDbEventStoreRow(store).at('a.com', 7n, '2026-01-10T10:20:00Z');
    await store.append([late]);
    await store.flush();
    expect(await counts(store, 'a.com')).toEqual({ events: 5, visits: 2 });
    // A rewrite replaces every earlier file: its range starts at 0.
    expect(parquetFiles(dir, 'a.com', '2026-01-10')).toEqual(['00000000000000000005.c00000000000000000000.parquet']);
    // A visit id is the identity XOR its first event's epoch milliseconds: visitor 7's one
    // visit starts at 10:00, and visitor 8's, which the late event did not touch, is unchanged.
    const ids = await store.read((q) =>
      q.all<{ visitor_id: bigint; session_id: bigint }>(
        `SELECT DISTINCT visitor_id, session_id FROM ${q.events} WHERE site_id = 'a.com' ORDER BY visitor_id`,
        [],
      ),
    );
    expect(ids).toEqual([
      { visitor_id: 7n, session_id: 7n ^ BigInt(Date.parse('2026-01-10T10:00:00Z')) },
      { visitor_id: 8n, session_id: 8n ^ BigInt(Date.parse('2026-01-10T09:00:00Z')) },
    ]);
  });

  it('groups the events of late batches, flushed one by one, into the visits of a computation from scratch', async () => {
    // 6 batches of 60 events of 12 visitors over 2 days, at random minutes (seeded): each
    // flush starts, extends and bridges visits already on disk. Expected visits by the rule
    // itself (docs/BEHAVIORAL.md §2), computed here over all events at once; a visit's id is
    // its identity XOR its first event's time: checked for every visit.
    let seed = 42;
    const rand = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const store = await openStore(scratch());
    const late = new DuckDbEventStoreRow(store);
    const used = new Set<string>();
    const all: { visitor: bigint; ms: number }[] = [];
    for (let batch = 0; batch < 6; batch++) {
      const rows: StoredRow[] = [];
      while (rows.length < 60) {
        const visitor = BigInt(1 + Math.floor(rand() * 12));
        const ms = Date.parse('2026-03-01T00:00:00Z') + Math.floor(rand() * 2 * 24 * 60) * 60_000;
        if (used.has(`${visitor}@${ms}`)) continue;
        used.add(`${visitor}@${ms}`);
        all.push({ visitor, ms });
        rows.push(late.at('a.com', visitor, new Date(ms).toISOString()));
      }
      await store.append(rows);
      await store.flush();
    }
    const visitOf = new Map<string, string>(); // event → expected visit (identity and first event)
    const sorted = [...all].sort((a, b) => (a.visitor === b.visitor ? a.ms - b.ms : a.visitor < b.visitor ? -1 : 1));
    let first = 0;
    for (const [i, e] of sorted.entries()) {
      const prev = sorted[i - 1];
      const sameDay = prev && Math.floor(prev.ms / 86_400_000) === Math.floor(e.ms / 86_400_000);
      if (!prev || prev.visitor !== e.visitor || !sameDay || e.ms - prev.ms > 30 * 60_000) first = e.ms;
      visitOf.set(`${e.visitor}@${e.ms}`, `${e.visitor}@${first}`);
    }
    const stored = await store.read((q) =>
      q.all<{ visitor_id: bigint; timestamp: Date; session_id: bigint }>(
        `SELECT visitor_id, timestamp, session_id FROM ${q.events} WHERE site_id = 'a.com'`,
        [],
      ),
    );
    expect(stored).toHaveLength(360);
    const idsOfVisit = new Map<string, Set<bigint>>();
    const visitsOfId = new Map<bigint, Set<string>>();
    for (const r of stored) {
      const ms = new Date(r.timestamp).getTime();
      const visit = visitOf.get(`${r.visitor_id}@${ms}`) ?? 'unknown event';
      idsOfVisit.set(visit, (idsOfVisit.get(visit) ?? new Set()).add(r.session_id));
      visitsOfId.set(r.session_id, (visitsOfId.get(r.session_id) ?? new Set()).add(visit));
      expect(`${r.visitor_id}@${Number(r.session_id ^ r.visitor_id)}`).toBe(visit);
    }
    // One id per expected visit, one expected visit per id.
    expect([...idsOfVisit.values()].filter((ids) => ids.size !== 1)).toEqual([]);
    expect([...visitsOfId.values()].filter((visits) => visits.size !== 1)).toEqual([]);
    expect(idsOfVisit.size).toBe(new Set(visitOf.values()).size);
  });

  it('treats a gap of exactly the timeout as the same visit and one second more as a new one', async () => {
    const dir = scratch();
    const store = await openStore(dir);
    const at = ['2026-01-10T10:00:00Z', '2026-01-10T10:29:59Z', '2026-01-10T10:59:59Z', '2026-01-10T11:30:00Z'];
    // Arrive in reverse so ingest-time ids are wrong and the flush must fix them.
    await store.append(at.reverse().map((t) => new DuckDbEventStoreRow(store).at('a.com', 9n, t)));
    await store.flush();
    expect(await counts(store, 'a.com')).toEqual({ events: 4, visits: 2 });
  });

  it('keeps serving when a flush rotates the log while a batch waits for its sync', async () => {
    const dir = scratch();
    const store = await openStore(dir, { walFsync: true, flushCount: 10 });
    const batch = (from: number) =>
      Array.from({ length: 50 }, (_, i) => row(store, 'a.com', BigInt(from + i), '2026-01-10T10:00:00Z'));
    // The batch is written by the flush's rotation and acknowledged after it: it must not be counted twice.
    await Promise.all([store.append(batch(0)), store.flush()]);
    await store.append(batch(100));
    // A flush loop that never yields would keep this timer from firing: the test would time out.
    await new Promise((r) => setTimeout(r, 50));
    await store.flush();
    expect(await counts(store, 'a.com')).toEqual({ events: 100, visits: 100 });
    expect((await store.health()).hotRows).toBe(0);
  });

  it('holds appends back while a flush runs and the rows waiting for Parquet are over the limit', async () => {
    const dir = scratch();
    const store = await openStore(dir, { maxUnflushed: 20 });
    const batch = (from: number) =>
      Array.from({ length: 10 }, (_, i) => row(store, 'a.com', BigInt(from + i), '2026-01-10T10:00:00Z'));
    await store.append(batch(0));
    await store.append(batch(100));
    // A reader holds the store's lock: the flush writes its files, then waits to install them.
    let release = () => {};
    const reading = store.read(() => new Promise<void>((r) => (release = r)));
    const flushing = store.flush();
    await new Promise((r) => setTimeout(r, 100));
    const order: string[] = [];
    const held = store.append(batch(200)).then(() => order.push('append'));
    await new Promise((r) => setTimeout(r, 100));
    order.push('released');
    release();
    await Promise.all([reading, flushing, held]);
    // Twenty rows were in the flush: the third batch waited for it.
    expect(order).toEqual(['released', 'append']);
    await store.flush();
    expect(await counts(store, 'a.com')).toEqual({ events: 30, visits: 30 });
  });

  it('compacts a partition with many small files into one', async () => {
    const dir = scratch();
    const store = await openStore(dir, { compactMinFiles: 3 });
    for (let i = 0; i < 3; i++) {
      await store.append([row(store, 'a.com', BigInt(100 + i), `2026-01-10T1${i}:00:00Z`)]);
      await store.flush();
    }
    expect(parquetFiles(dir, 'a.com', '2026-01-10')).toEqual(['00000000000000000003.c00000000000000000001.parquet']);
    expect(await counts(store, 'a.com')).toEqual({ events: 3, visits: 3 });
  });

  it('deletes partitions older than the retention period', async () => {
    const dir = scratch();
    const store = await openStore(dir, { retentionDays: 30 });
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    const recent = new Date(Date.now() - 2 * 86_400_000).toISOString();
    await store.append([row(store, 'a.com', 1n, old), row(store, 'a.com', 2n, recent)]);
    await store.flush();
    expect(parquetFiles(dir, 'a.com', old.slice(0, 10))).toEqual([]);
    expect(parquetFiles(dir, 'a.com', recent.slice(0, 10))).toHaveLength(1);
    expect(await counts(store, 'a.com')).toEqual({ events: 1, visits: 1 });
  });
});

/** Builds rows without the ingest-time session shortcut (session id 0), as a late batch would. */
class DuckDbEventStoreRow {
  constructor(private readonly store: DuckDbEventStore) {}
  at(site: string, visitor: bigint, iso: string): StoredRow {
    return { ...row(this.store, site, visitor, iso), session_id: 0n };
  }
}

describe('derived tables (visits and rollup per partition)', () => {
  /** The stored visit rows and rollup totals of one partition, read straight from its derived files. */
  async function derived(store: DuckDbEventStore, dataDir: string, site: string, date: string) {
    const dir = join(dataDir, 'derived', `site_id=${site}`, `date=${date}`);
    const names = existsSync(dir) ? readdirSync(dir).sort() : [];
    const file = (kind: string) => names.find((n) => n.startsWith(`${kind}.`));
    const visits = file('visits');
    const rollup = file('rollup');
    if (!visits || !rollup) return { names, visits: [], totals: null, longestPauseMs: null };
    return store.read(async (q) => ({
      names,
      visits: (
        await q.all<{ session_id: bigint; s_events: bigint; v_entry_page: string; v_exit_page: string }>(
          `SELECT session_id, s_events, v_entry_page, v_exit_page FROM read_parquet('${join(dir, visits)}') ORDER BY session_id`,
          [],
        )
      ).map((r) => ({ events: Number(r.s_events), entry: r.v_entry_page, exit: r.v_exit_page })),
      totals: (
        await q.all<{ visitors: bigint; visits: bigint; pageviews: bigint; bounces: bigint; duration_ms: bigint }>(
          `SELECT visitors, visits, pageviews, bounces, duration_ms FROM read_parquet('${join(dir, rollup)}') WHERE dim = ''`,
          [],
        )
      ).map((r) => ({
        visitors: Number(r.visitors),
        visits: Number(r.visits),
        pageviews: Number(r.pageviews),
        bounces: Number(r.bounces),
        durationMs: Number(r.duration_ms),
      }))[0],
      longestPauseMs: Number(
        (
          await q.all<{ duration_ms: bigint }>(
            `SELECT duration_ms FROM read_parquet('${join(dir, rollup)}') WHERE dim = '${VISIT_GAP_SET}'`,
            [],
          )
        )[0]?.duration_ms,
      ),
    }));
  }

  it('are built per partition, in slices of whole visits, and replaced when a late event re-draws a visit', async () => {
    const dir = scratch();
    const { derivedTables } = await import('../../src/query/derived-tables.js');
    // Two events per slice: the day's 6 events are grouped into visits in 3 statements (4 after the late one).
    const store = await openStore(dir, { derived: derivedTables, deriveSliceEvents: 2 });
    const day = '2026-01-10';
    // Visitor 1: / then /a (a 10-minute visit); visitor 2: /b, then 40 minutes later /c and /d; visitor 3: one page.
    await store.append(
      [
        row(store, 'a.com', 1n, `${day}T10:00:00Z`, '/'),
        row(store, 'a.com', 1n, `${day}T10:10:00Z`, '/a'),
        row(store, 'a.com', 2n, `${day}T11:00:00Z`, '/b'),
        row(store, 'a.com', 2n, `${day}T11:40:00Z`, '/c'),
        row(store, 'a.com', 2n, `${day}T11:45:00Z`, '/d'),
        row(store, 'a.com', 3n, `${day}T12:00:00Z`, '/'),
      ],
      { live: false },
    );
    await store.flush();
    await store.derivedIdle();
    const first = await derived(store, dir, 'a.com', day);
    expect(first.names).toEqual([`rollup.00000000000000000006.f${F}.parquet`, `visits.00000000000000000006.f${F}.parquet`]);
    expect(first.visits.map((v) => [v.events, v.entry, v.exit]).sort()).toEqual([
      [1, '/', '/'],
      [1, '/b', '/b'],
      [2, '/', '/a'],
      [2, '/c', '/d'],
    ]);
    expect(first.totals).toEqual({ visitors: 3, visits: 4, pageviews: 6, bounces: 2, durationMs: 10 * 60_000 + 5 * 60_000 });
    expect(first.longestPauseMs).toBe(10 * 60_000); // visitor 1's / → /a

    // A late event at 11:20 bridges visitor 2's two visits into one of 45 minutes.
    await store.append([row(store, 'a.com', 2n, `${day}T11:20:00Z`, '/late')], { live: false });
    await store.flush();
    await store.derivedIdle();
    const second = await derived(store, dir, 'a.com', day);
    expect(second.names).toEqual([`rollup.00000000000000000007.f${F}.parquet`, `visits.00000000000000000007.f${F}.parquet`]);
    expect(second.visits.map((v) => [v.events, v.entry, v.exit]).sort()).toEqual([
      [1, '/', '/'],
      [2, '/', '/a'],
      [4, '/b', '/d'],
    ]);
    expect(second.totals).toEqual({ visitors: 3, visits: 3, pageviews: 7, bounces: 1, durationMs: 10 * 60_000 + 45 * 60_000 });
    expect(second.longestPauseMs).toBe(20 * 60_000); // visitor 2's /late → /c
  });

  it('are pending, as health reports it, from the moment a flush takes its rows out of the buffer', async () => {
    const dir = scratch();
    const { derivedTables } = await import('../../src/query/derived-tables.js');
    // Two files make the partition compact during the second flush: the flush's slowest step
    // after its rows leave the buffer, which is where health once said "nothing pending".
    const store = await openStore(dir, { derived: derivedTables, compactMinFiles: 2, deriveQuietMs: 0 });
    const day = '2026-01-10';
    await store.append([row(store, 'a.com', 1n, `${day}T10:00:00Z`)], { live: false });
    await store.flush();
    await store.derivedIdle();
    await store.append(
      Array.from({ length: 50 }, (_, i) => row(store, 'a.com', BigInt(i + 2), `${day}T11:${String(i).padStart(2, '0')}:00Z`)),
      { live: false },
    );
    const derivedDir = join(dir, 'derived', 'site_id=a.com', `date=${day}`);
    // Built for the second flush: its files are named by the partition's highest id, 51.
    const built = () => readdirSync(derivedDir).some((n) => n.startsWith('rollup.00000000000000000051.'));
    let done = false;
    const flushed = store.flush().finally(() => {
      done = true;
    });
    const told: string[] = [];
    let samples = 0;
    while (!done) {
      const h = await store.health();
      samples++;
      if (h.hotRows === 0 && h.derivedPending === 0 && !built()) told.push(`sample ${samples}`);
    }
    await flushed;
    await store.derivedIdle();
    expect(samples).toBeGreaterThan(1);
    expect(told).toEqual([]);
    expect(built()).toBe(true);
  });

  it('that fail every attempt are named in health and built again later, not dropped', async () => {
    const dir = scratch();
    const { derivedTables } = await import('../../src/query/derived-tables.js');
    const store = await openStore(dir, { derived: derivedTables, deriveQuietMs: 0, deriveRetryMs: 300 });
    const day = '2026-01-10';
    const derivedDir = join(dir, 'derived', 'site_id=a.com', `date=${day}`);
    const built = () => existsSync(derivedDir) && readdirSync(derivedDir).some((n) => n.startsWith('rollup.'));
    process.env.MALLARD_FAIL_AT = 'derived.build:*';
    try {
      resetFailPoints();
      await store.append([row(store, 'a.com', 1n, `${day}T10:00:00Z`)], { live: false });
      await store.flush();
      await store.derivedIdle();
      const failed = await store.health();
      expect(failed.derivedPending).toBe(0);
      expect(built()).toBe(false);
      expect(failed.problems).toHaveLength(1);
      expect(failed.problems[0]).toContain(`the visits and rollup of a.com ${day} cannot be built (fail point derived.build)`);
    } finally {
      delete process.env.MALLARD_FAIL_AT;
    }
    // The retry, 300 ms later, succeeds: the day is built and the problem gone.
    for (let i = 0; i < 100 && !built(); i++) await new Promise((r) => setTimeout(r, 100));
    await store.derivedIdle();
    expect(built()).toBe(true);
    expect((await store.health()).problems).toEqual([]);
  });

  it('set aside a damaged events file that only a build reads (through its links to the file)', async () => {
    const dir = scratch();
    const { derivedTables } = await import('../../src/query/derived-tables.js');
    // A long quiet time: the partition is not built before the store closes.
    let store = await openStore(dir, { derived: derivedTables, deriveQuietMs: 600_000 });
    const day = '2026-01-10';
    await store.append([row(store, 'a.com', 1n, `${day}T10:00:00Z`), row(store, 'a.com', 2n, `${day}T11:00:00Z`, '/b')]);
    await store.flush();
    await closeStore(store);
    const part = join(dir, 'events', 'site_id=a.com', `date=${day}`);
    const [name] = readdirSync(part).filter((n) => n.endsWith('.parquet'));
    const file = join(part, name ?? '');
    // Only the page paths damaged: start-up (both ends) and the visits it restores (identities,
    // times) read the file fine; the build, which reads every column, does not.
    const engine = await DuckDBInstance.create(':memory:');
    const conn = await engine.connect();
    const chunk = (
      await conn.runAndReadAll(
        `SELECT min(coalesce(dictionary_page_offset, data_page_offset)) AS start, sum(total_compressed_size) AS size
         FROM parquet_metadata('${file}') WHERE path_in_schema = 'pathname'`,
      )
    ).getRowObjectsJS()[0] as { start: bigint; size: bigint };
    conn.closeSync();
    engine.closeSync();
    const bytes = readFileSync(file);
    for (let i = Number(chunk.start); i < Number(chunk.start + chunk.size); i++) bytes[i] = (bytes[i] ?? 0) ^ 0x5a;
    writeFileSync(file, bytes);
    store = await openStore(dir, { derived: derivedTables });
    await store.derivedIdle();
    expect((await store.health()).quarantined).toEqual([`events/site_id=a.com/date=${day}/${name}`]);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(join(dir, 'tmp')).filter((n) => n.startsWith('derive-'))).toEqual([]);
  });

  it('are deleted at start-up when stale or half-written, and rebuilt', async () => {
    const dir = scratch();
    const { derivedTables } = await import('../../src/query/derived-tables.js');
    let store = await openStore(dir, { derived: derivedTables });
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z'), row(store, 'a.com', 1n, '2026-01-10T10:05:00Z')]);
    await store.flush();
    await store.derivedIdle();
    await closeStore(store);
    const part = join(dir, 'derived', 'site_id=a.com', 'date=2026-01-10');
    // As a crash or an older version could leave them: a temp file, an older build, a visits file
    // without its rollup, and files of another format.
    writeFileSync(join(part, `.visits.00000000000000000002.f${F}.parquet.tmp`), 'partial');
    cpSync(join(part, `visits.00000000000000000002.f${F}.parquet`), join(part, `visits.00000000000000000001.f${F}.parquet`));
    writeFileSync(join(part, `rollup.00000000000000000001.f${F}.parquet`), 'stale');
    rmSync(join(part, `rollup.00000000000000000002.f${F}.parquet`)); // the current visits file loses its rollup
    // A pair of the current id written by a build whose files held something else (format 1).
    writeFileSync(join(part, 'visits.00000000000000000002.parquet'), 'format 1');
    writeFileSync(join(part, 'rollup.00000000000000000002.f1.parquet'), 'format 1');
    const orphan = join(dir, 'derived', 'site_id=a.com', 'date=2026-01-11');
    cpSync(part, orphan, { recursive: true });
    store = await openStore(dir, { derived: derivedTables });
    await store.derivedIdle();
    expect(readdirSync(part).sort()).toEqual([
      `rollup.00000000000000000002.f${F}.parquet`,
      `visits.00000000000000000002.f${F}.parquet`,
    ]);
    expect(existsSync(orphan)).toBe(false); // no events partition for that day
    const d = await derived(store, dir, 'a.com', '2026-01-10');
    expect(d.totals).toEqual({ visitors: 1, visits: 1, pageviews: 2, bounces: 0, durationMs: 5 * 60_000 });
  });
});
