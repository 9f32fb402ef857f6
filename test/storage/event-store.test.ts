/**
 * The embedded store against real DuckDB and real Parquet files: durability across
 * restarts, crash windows of the flush, out-of-order sessions, compaction, retention.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { StoredRow } from '../../src/storage/columns.js';
import { DuckDbEventStore } from '../../src/storage/duckdb/event-store.js';

const log = pino({ level: 'silent' });
const open: DuckDbEventStore[] = [];

async function openStore(dataDir: string, extra: Partial<Parameters<typeof DuckDbEventStore.open>[0]> = {}) {
  const store = await DuckDbEventStore.open({
    dataDir,
    walFsync: false,
    sessionTimeoutSecs: 1800,
    compactMinFiles: 100,
    retentionDays: 0,
    flushCount: 0,
    log,
    ...extra,
  });
  open.push(store);
  return store;
}

async function closeStore(store: DuckDbEventStore) {
  open.splice(open.indexOf(store), 1);
  await store.close();
}

afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

function row(store: DuckDbEventStore, site: string, visitor: bigint, iso: string, path = '/'): StoredRow {
  const at = new Date(iso);
  return {
    site_id: site,
    visitor_id: visitor,
    session_id: store.sessions.assign(visitor, at.getTime()),
    user_key: null,
    timestamp: at,
    event_name: 'pageview',
    pathname: path,
    hostname: site,
    referrer: null,
    referrer_source: null,
    channel: 'Direct',
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_content: null,
    utm_term: null,
    browser: 'Firefox',
    browser_version: '120.0',
    os: 'GNU/Linux',
    os_version: null,
    device_type: 'Desktop',
    screen_width: 1920,
    country_code: null,
    region: null,
    city: null,
    props: null,
    revenue_amount: null,
    revenue_currency: null,
    seq: store.nextSeq(),
  };
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
  it('keeps every appended row across flush and restart, once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
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

  it('replays acknowledged rows that were never flushed (as after kill -9)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
    const store = await openStore(dir);
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z'), row(store, 'a.com', 2n, '2026-01-10T10:00:00Z')]);
    // Copy the data dir as it is now: the log holds the rows, no Parquet exists.
    const crashed = mkdtempSync(join(tmpdir(), 'mm-crash-'));
    cpSync(join(dir, 'wal'), join(crashed, 'wal'), { recursive: true });
    const reopened = await openStore(crashed);
    expect(await counts(reopened, 'a.com')).toEqual({ events: 2, visits: 2 });
  });

  it('counts once when a crash left both the Parquet file and the log segment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
    const store = await openStore(dir);
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z'), row(store, 'a.com', 1n, '2026-01-10T10:01:00Z')]);
    const walBefore = mkdtempSync(join(tmpdir(), 'mm-wal-'));
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
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
    const store = await openStore(dir);
    await store.append([row(store, 'a.com', 1n, '2026-01-10T10:00:00Z')]);
    const crashed = mkdtempSync(join(tmpdir(), 'mm-crash-'));
    cpSync(join(dir, 'wal'), join(crashed, 'wal'), { recursive: true });
    const segment = readdirSync(join(crashed, 'wal'))[0] ?? '';
    const path = join(crashed, 'wal', segment);
    writeFileSync(path, `${readFileSync(path, 'utf8')}["a.com","12`);
    const reopened = await openStore(crashed);
    expect(await counts(reopened, 'a.com')).toEqual({ events: 1, visits: 1 });
  });

  it('renumbers visits already on disk when a late event bridges them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
    const store = await openStore(dir);
    await store.append([row(store, 'a.com', 7n, '2026-01-10T10:00:00Z'), row(store, 'a.com', 7n, '2026-01-10T10:40:00Z')]);
    await store.flush();
    expect(await counts(store, 'a.com')).toEqual({ events: 2, visits: 2 });
    // 10:20 is within 30 minutes of both: one visit of three events.
    const late = new DuckDbEventStoreRow(store).at('a.com', 7n, '2026-01-10T10:20:00Z');
    await store.append([late]);
    await store.flush();
    expect(await counts(store, 'a.com')).toEqual({ events: 3, visits: 1 });
    // A rewrite replaces every earlier file: its range starts at 0.
    expect(parquetFiles(dir, 'a.com', '2026-01-10')).toEqual(['00000000000000000003.c00000000000000000000.parquet']);
  });

  it('treats a gap of exactly the timeout as the same visit and one second more as a new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
    const store = await openStore(dir);
    const at = ['2026-01-10T10:00:00Z', '2026-01-10T10:29:59Z', '2026-01-10T10:59:59Z', '2026-01-10T11:30:00Z'];
    // Arrive in reverse so ingest-time ids are wrong and the flush must fix them.
    await store.append(at.reverse().map((t) => new DuckDbEventStoreRow(store).at('a.com', 9n, t)));
    await store.flush();
    expect(await counts(store, 'a.com')).toEqual({ events: 4, visits: 2 });
  });

  it('keeps serving when a flush rotates the log while a batch waits for its sync', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
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

  it('compacts a partition with many small files into one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
    const store = await openStore(dir, { compactMinFiles: 3 });
    for (let i = 0; i < 3; i++) {
      await store.append([row(store, 'a.com', BigInt(100 + i), `2026-01-10T1${i}:00:00Z`)]);
      await store.flush();
    }
    expect(parquetFiles(dir, 'a.com', '2026-01-10')).toEqual(['00000000000000000003.c00000000000000000001.parquet']);
    expect(await counts(store, 'a.com')).toEqual({ events: 3, visits: 3 });
  });

  it('deletes partitions older than the retention period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-store-'));
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
