/**
 * Embedded storage: write-ahead log → in-memory hot table → ZSTD Parquet partitions.
 *
 * Flush (by count, interval, shutdown): rotate the log, write each touched partition's
 * rows to a temp file, then — holding the lock queries share — rename the files into
 * place and delete those rows from the hot table. A partition's file name is the highest
 * sequence number it covers, which is what start-up uses to drop replayed log rows that
 * already reached Parquet (a crash between rename and log deletion). Sessions are
 * recomputed on write; if a late event changes the sessions of rows already on disk, the
 * whole partition is rewritten as one compacted file. This module orders the steps and
 * holds the locks; flush-writer.ts writes the files, compaction.ts merges them, deriver.ts
 * keeps each partition's visits and rollup, rollup-cache.ts serves the rollups.
 */
import { renameSync, rmSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { sizeBytes } from '../../config.js';
import { DomainError } from '../../errors.js';
import { DAY_MS, timestampText, utcDate } from '../../utc-days.js';
import type { StoredRow } from '../columns.js';
import { crashPoint } from '../crash-points.js';
import { RwLock } from '../rw-lock.js';
import type {
  AppendOptions,
  DerivedTables,
  DerivedView,
  EventStore,
  FlushResult,
  QueryRunner,
  SqlValue,
  StorageHealth,
} from '../storage.js';
import { WriteAheadLog } from '../wal.js';
import {
  dropSuperseded,
  eventsRelation,
  maxId,
  type Partition,
  partitionBytes,
  partitionKey,
  scanPartitions,
} from './cold-layout.js';
import { compactionRun, writeCompactedFile } from './compaction.js';
import { Database, type EngineLimits, HOT_TABLE, literal, OUT_OF_MEMORY_MESSAGE } from './database.js';
import { scanDerived } from './derived-layout.js';
import { Deriver } from './deriver.js';
import { type FlushTarget, type PlannedFile, writeFlushFiles } from './flush-writer.js';
import { HotTable } from './hot-table.js';
import { looksDamaged, looksWhole, namedFile, Quarantine } from './quarantine.js';
import { ROLLUP_CACHE, RollupCache, type RollupFile } from './rollup-cache.js';
import { Sessionizer } from './sessionize.js';

export interface DuckDbStoreOptions {
  dataDir: string;
  walFsync: boolean;
  sessionTimeoutSecs: number;
  compactMinFiles: number;
  retentionDays: number;
  /** Flush once this many events are waiting (0 = only by timer/shutdown). */
  flushCount: number;
  log: Logger;
  onFlush?: (r: FlushResult) => void;
  /** Per-partition visits and rollups to keep (none: queries always scan events). */
  derived?: DerivedTables;
  /** DuckDB's memory limit and threads. */
  limits?: EngineLimits;
  /** Start without a metadata database even though events exist (`serve --new-metadata`). */
  newMetadata?: boolean;
  /** How long a partition must be left unchanged before its derived tables are rebuilt. */
  deriveQuietMs?: number;
  /** Events of a partition grouped into visits per statement (tests make it small). */
  deriveSliceEvents?: number;
}

/** How many damaged files one read may set aside before its error is passed on. */
const MAX_QUARANTINE_RETRIES = 5;
/**
 * A read refused for memory is tried again this often, after 250 ms, 500 ms, 1 s, 2 s: a
 * flush, a derived build or a burst of queries holds the memory only for a while.
 */
const MEMORY_RETRIES = 4;
const MEMORY_RETRY_MS = 250;
/** The last flush at shutdown, refused for memory, is tried again this often, a second apart. */
const CLOSING_FLUSH_ATTEMPTS = 3;
/** Grouping events into visits keeps about this much state per event (measured: ~150 MB for 500k events). */
const DERIVE_BYTES_PER_EVENT = 300;

/**
 * Reads (stats and behavioral queries) that run at once; more wait their turn. Each already
 * uses every engine thread, so a third only shares the cores with the first two: the
 * filtered overview's eight parallel queries at 10M events took 6 % (country), 17 % (page)
 * and 20 % (source) less time with two at a time than with four. Not the pool size: raw
 * exports stream on a connection of their own while a slow client reads, and other
 * statements (sign-in, flushes) must still find one.
 */
const CONCURRENT_READS = 2;

const refusedForMemory = (err: unknown) => err instanceof DomainError && err.message === OUT_OF_MEMORY_MESSAGE;

export class DuckDbEventStore implements EventStore {
  private readonly lock = new RwLock();
  /** See CONCURRENT_READS. */
  private readonly reads = pLimit(CONCURRENT_READS);
  /** Guards derived files and cached rollup rows (see `derived`); taken inside `lock` when both are. */
  private readonly derivedLock = new RwLock();
  /** The last flush asked for; each flush starts only after the one before it has ended. */
  private flushTail: Promise<unknown> = Promise.resolve();
  /** Flushes asked for and not yet ended. */
  private flushesQueued = 0;
  /** After a failed flush (a full disk): no automatic flush before `retryAt`. */
  private flushFailure: { message: string; since: Date; failures: number; retryAt: number } | null = null;
  private seq = 0n;
  private lastFlushAt: Date | null = null;
  /** Partitions whose pending rows may be out of order (batches, replayed log). */
  private needsCheck = new Set<string>();
  private closing = false;
  readonly sessions: Sessionizer;
  /** The same partitions by site, then date: a query opens only its own site's files. */
  private readonly bySite = new Map<string, Map<string, Partition>>();
  private deriver: Deriver | null = null;
  private readonly rollupCache: RollupCache;
  readonly quarantine: Quarantine;

  private constructor(
    readonly db: Database,
    private readonly hot: HotTable,
    private wal: WriteAheadLog,
    private readonly partitions: Map<string, Partition>,
    private readonly eventsDir: string,
    private readonly opts: DuckDbStoreOptions,
    quarantine: Quarantine,
  ) {
    this.quarantine = quarantine;
    this.sessions = new Sessionizer(opts.sessionTimeoutSecs * 1000);
    for (const p of partitions.values()) this.index(p);
    this.rollupCache = new RollupCache(db);
  }

  private index(p: Partition): void {
    const dates = this.bySite.get(p.siteId) ?? new Map<string, Partition>();
    this.bySite.set(p.siteId, dates);
    dates.set(p.date, p);
  }

  private unindex(p: Partition): void {
    this.partitions.delete(partitionKey(p.siteId, p.date));
    this.bySite.get(p.siteId)?.delete(p.date);
  }

  /** The site's partitions whose day lies in [from, to) (all of them without a range). */
  private sitePartitions(siteId: string, from?: Date, to?: Date): Partition[] {
    const dates = this.bySite.get(siteId);
    if (!dates) return [];
    const first = from ? utcDate(from) : '';
    const last = to ? utcDate(new Date(to.getTime() - 1)) : '\uffff';
    return [...dates.values()].filter((p) => p.date >= first && p.date <= last);
  }

  static async open(opts: DuckDbStoreOptions): Promise<DuckDbEventStore> {
    const eventsDir = join(opts.dataDir, 'events');
    const db = await Database.open(opts.dataDir, opts.limits, undefined, opts.newMetadata);
    const appenderConn = await db.instance.connect();
    const hot = await HotTable.open(appenderConn, opts.log);
    const quarantine = new Quarantine(opts.dataDir, opts.log);
    // Truncated or foreign files are set aside before anything trusts them.
    const setAside = (path: string) => !looksWhole(path) && quarantine.move(path, 'not a whole Parquet file');
    const partitions = scanPartitions(eventsDir, setAside);
    const { wal, replayed, tornLines } = await WriteAheadLog.open(join(opts.dataDir, 'wal'), opts.walFsync, (rows) =>
      hot.enqueue(rows),
    );
    const store = new DuckDbEventStore(db, hot, wal, partitions, eventsDir, opts, quarantine);
    // Rows already in a Parquet file (crash after rename, before the log was cleared) are skipped.
    const pending = replayed.filter((r) => {
      const p = partitions.get(partitionKey(r.site_id, utcDate(r.timestamp)));
      return !p || r.seq > maxId(p);
    });
    hot.enqueue(pending);
    hot.drain();
    for (const r of pending) store.needsCheck.add(partitionKey(r.site_id, utcDate(r.timestamp)));
    let top = 0n;
    for (const r of replayed) if (r.seq > top) top = r.seq;
    for (const p of partitions.values()) if (maxId(p) > top) top = maxId(p);
    store.seq = top;
    await store.restoreVisits();
    if (opts.derived) {
      const root = join(opts.dataDir, 'derived');
      const current = scanDerived(root, opts.derived.format, partitions, setAside);
      store.deriver = new Deriver(
        db,
        root,
        opts.derived,
        partitions,
        store.derivedLock,
        opts.log,
        current,
        (p) => store.rollupCache.evict(p.siteId, p.date),
        (p, err) => store.setAsideAfter(err, [p]).then(() => undefined),
        opts.deriveQuietMs ?? 0,
        // A quarter of the engine's memory for a slice's visits; queries and flushes share the rest.
        opts.deriveSliceEvents ??
          (opts.limits
            ? Math.max(10_000, Math.floor(sizeBytes(opts.limits.memoryLimit) / 4 / DERIVE_BYTES_PER_EVENT))
            : undefined),
      );
      // Partitions written before derived tables existed, or whose build a crash interrupted: at once.
      store.deriver.schedule(
        [...partitions.keys()].filter((k) => !current.has(k)),
        false,
      );
    }
    opts.log.info(
      { replayed: pending.length, skipped: replayed.length - pending.length, tornLines, partitions: partitions.size },
      'storage opened',
    );
    return store;
  }

  nextSeq(): bigint {
    this.seq += 1n;
    return this.seq;
  }

  async append(rows: StoredRow[], opts: AppendOptions = {}): Promise<void> {
    if (!opts.live) for (const r of rows) this.needsCheck.add(partitionKey(r.site_id, utcDate(r.timestamp)));
    await this.wal.append(rows);
    this.flushIfDue();
  }

  /** Starts a flush when enough events wait; re-checked after each flush, as events arrive during one. */
  private flushIfDue(): void {
    // The log's own count of rows since the last rotation decides; a flush that moved
    // nothing never re-triggers itself.
    if (this.opts.flushCount > 0 && this.wal.unrotatedRows >= this.opts.flushCount && this.flushesQueued === 0 && !this.closing) {
      this.scheduledFlush().then((r) => {
        if (r && r.rows > 0) this.flushIfDue();
      });
    }
  }

  /**
   * A flush the store or its timer decides on: skipped while backing off after a failure
   * (a full disk would otherwise be retried at every request), never throws.
   */
  async scheduledFlush(): Promise<FlushResult | null> {
    if (this.flushFailure && Date.now() < this.flushFailure.retryAt) return null;
    try {
      return await this.flush();
    } catch {
      return null; // logged and recorded by flush()
    }
  }

  /** Resolves once no derived tables are being built (tests, benchmarks). */
  async derivedIdle(): Promise<void> {
    await this.deriver?.idle();
  }

  get hotPending(): number {
    return this.hot.size;
  }

  /** Makes pending rows queryable now; false when the engine refused them (retried soon). Tests. */
  hotDrain(): boolean {
    return this.hot.drain();
  }

  /**
   * Runs `fn` under the read lock. When it fails on a damaged file, the file is set aside
   * (quarantine.ts) and `fn` runs again on what is left, so one bad file costs its own
   * events, not the site's answers. Refused for memory, it is tried again a few times over
   * about four seconds (background work and other queries hold memory only for a while);
   * then the 503 stands.
   */
  async read<T>(fn: (q: QueryRunner) => Promise<T>): Promise<T> {
    for (let attempt = 0, memoryRetries = 0; ; attempt++) {
      const touched = new Set<Partition>();
      try {
        return await this.readOnce(fn, touched);
      } catch (err) {
        if (refusedForMemory(err) && memoryRetries++ < MEMORY_RETRIES) {
          await new Promise((r) => setTimeout(r, MEMORY_RETRY_MS * 2 ** (memoryRetries - 1)));
          continue;
        }
        if (attempt >= MAX_QUARANTINE_RETRIES || !(await this.setAsideAfter(err, touched))) throw err;
      }
    }
  }

  private readOnce<T>(fn: (q: QueryRunner) => Promise<T>, touched: Set<Partition>): Promise<T> {
    const store = this;
    const touch = (parts: Partition[]) => {
      for (const p of parts) touched.add(p);
      return parts;
    };
    return this.lock.read(async () => {
      await this.hot.settle();
      const runner: QueryRunner = {
        // Every site's files: built only for the rare caller that asks (start-up, tests).
        get events() {
          return eventsRelation(touch([...store.partitions.values()]));
        },
        eventsFor: (siteId, from, to) => eventsRelation(touch(this.sitePartitions(siteId, from, to)), { siteId, from, to }),
        all: <R>(sql: string, params: readonly SqlValue[]) => this.reads(() => this.db.all<R>(sql, params as DuckDBValue[])),
        derived: (siteId, from, to, fn) => {
          touch(this.sitePartitions(siteId, from, to));
          return this.derived(siteId, from, to, fn);
        },
        // DuckDB's streaming result, one chunk (~2048 rows) at a time, on a pooled connection.
        stream: (sql, params, onRows) =>
          this.db.with(async (c) => {
            const result = await c.stream(sql, params as DuckDBValue[]);
            let n = 0;
            for await (const rows of result.yieldRowsJs()) {
              n += rows.length;
              await onRows(rows);
            }
            return n;
          }),
      };
      return fn(runner);
    });
  }

  /**
   * See QueryRunner.derived. Under the read lock; holds the derived lock shared while `fn`
   * runs, so a rebuilt day's old files and cached rows stay until it is done. Derived
   * files have a lock of their own so that a long reader that does not use them (a stalled
   * export) never holds up their installation, nor, behind it, every other query.
   */
  private derived<T>(siteId: string, from: Date, to: Date, fn: (view: DerivedView) => Promise<T>): Promise<T> {
    return this.derivedLock.read(async () => {
      const days = await this.derivedDays(siteId, from, to);
      return fn({
        days,
        rollups: (ds) => this.rollups(siteId, ds),
        visits: (ds) => this.visitsRelation(siteId, ds),
      });
    });
  }

  /** The site's days in [from, to) whose derived files are current and that have no hot rows. */
  private async derivedDays(siteId: string, from: Date, to: Date): Promise<Set<string>> {
    const days = new Set<string>();
    const deriver = this.deriver;
    if (!deriver) return days;
    for (const p of this.sitePartitions(siteId, from, to)) if (deriver.isCurrent(p)) days.add(p.date);
    if (days.size === 0) return days;
    const hot = await this.db.all<{ day: string }>(
      `SELECT DISTINCT strftime(timestamp::DATE, '%Y-%m-%d') AS day FROM ${HOT_TABLE}
       WHERE site_id = $1 AND timestamp >= $2::TIMESTAMP AND timestamp < $3::TIMESTAMP`,
      [siteId, timestampText(from), timestampText(to)],
    );
    for (const { day } of hot) days.delete(day);
    return days;
  }

  /** The current derived files of a kind for the given days of a site (days derivedDays returned). */
  private derivedFiles(siteId: string, days: readonly string[], kind: 'visits' | 'rollup'): RollupFile[] {
    const deriver = this.deriver;
    const dates = this.bySite.get(siteId);
    if (!deriver || !dates) return [];
    return days.flatMap((date) => {
      const p = dates.get(date);
      return p && deriver.isCurrent(p) ? [{ siteId, date, id: maxId(p), path: deriver.path(p, kind) }] : [];
    });
  }

  /** See QueryRunner.rollups: loads the days into the in-memory rollup table. Under the read lock. */
  private async rollups(siteId: string, days: readonly string[]): Promise<string> {
    await this.rollupCache.ensure(this.derivedFiles(siteId, days, 'rollup'));
    return ROLLUP_CACHE;
  }

  /** See QueryRunner.visits. */
  private visitsRelation(siteId: string, days: readonly string[]): string {
    const paths = this.derivedFiles(siteId, days, 'visits').map((f) => literal(f.path));
    return `read_parquet([${paths.join(', ')}])`;
  }

  /** See EventStore.stream: one statement under the read lock. */
  async stream(
    build: (q: Pick<QueryRunner, 'events' | 'eventsFor'>) => { text: string; params: readonly SqlValue[] },
    onRows: (rows: readonly (readonly unknown[])[]) => Promise<void>,
  ): Promise<number> {
    for (let attempt = 0; ; attempt++) {
      const touched = new Set<Partition>();
      let sent = false;
      try {
        return await this.readOnce((q) => {
          const { text, params } = build(q);
          return q.stream(text, params, (rows) => {
            sent = true;
            return onRows(rows);
          });
        }, touched);
      } catch (err) {
        // Rows already sent cannot be taken back: the file is set aside for the next request, this one fails.
        const setAside = attempt < MAX_QUARANTINE_RETRIES && (await this.setAsideAfter(err, touched));
        if (!setAside || sent) throw err;
      }
    }
  }

  /** Sets aside the damaged file behind an engine error, if that is what it is; true when one was moved. */
  private async setAsideAfter(err: unknown, touched: Iterable<Partition>): Promise<boolean> {
    if (!looksDamaged(err)) return false;
    const named = namedFile(err, this.opts.dataDir);
    const suspects = named ? [named] : await this.unreadable([...touched].flatMap((p) => this.filesOf(p)));
    let moved = false;
    for (const path of suspects) if (await this.setAside(path)) moved = true;
    return moved;
  }

  /** A partition's Parquet files: its events, and its derived files when current. */
  private filesOf(p: Partition): string[] {
    const derived = this.deriver?.isCurrent(p) ? [this.deriver.path(p, 'visits'), this.deriver.path(p, 'rollup')] : [];
    return [...p.files.map((f) => join(p.dir, f.name)), ...derived];
  }

  /** The files that cannot be read to the end (when the engine's error named none). */
  private async unreadable(paths: readonly string[]): Promise<string[]> {
    const bad: string[] = [];
    for (const path of paths) {
      try {
        await this.db.run(`COPY (SELECT * FROM read_parquet(${literal(path)})) TO '/dev/null' (FORMAT csv)`);
      } catch {
        bad.push(path); // a lone file that cannot be read whole is damaged, whatever the engine calls it
      }
    }
    return bad;
  }

  /**
   * Moves one damaged file to quarantine and forgets it: an events file leaves its
   * partition (whose derived files are rebuilt from what is left), a derived file is rebuilt.
   */
  private setAside(path: string): Promise<boolean> {
    return this.lock.write(async () => {
      for (const p of this.partitions.values()) {
        const file = p.files.find((f) => join(p.dir, f.name) === path);
        const derived = !file && this.filesOf(p).includes(path);
        if (!file && !derived) continue;
        if (!this.quarantine.move(path, 'unreadable')) return false;
        if (file) {
          p.files = p.files.filter((f) => f !== file);
          if (p.files.length === 0) this.unindex(p);
        }
        await this.derivedLock.write(async () => {
          this.deriver?.forget(p);
          await this.rollupCache.evict(p.siteId, p.date);
        });
        if (p.files.length > 0) this.deriver?.schedule([partitionKey(p.siteId, p.date)], false);
        return true;
      }
      return false;
    });
  }

  flush(): Promise<FlushResult> {
    // Strictly one at a time, in the order asked: two flushes running together would both
    // take the hot rows up to their own rotation and write the same events twice. (Waiting
    // for "the current flush" is not enough: two callers waiting for it would then both run.)
    this.flushesQueued++;
    const p = this.flushTail
      .catch(() => undefined)
      .then(() => this.flushOnce())
      .then(
        (r) => {
          if (this.flushFailure) this.opts.log.info({ failures: this.flushFailure.failures }, 'flush succeeded again');
          this.flushFailure = null;
          return r;
        },
        (err: Error) => {
          // Back off 1 s, 2 s, 4 s … up to a minute (a full disk); the rows stay in the hot
          // table and the log. Memory comes back within seconds, and waiting longer only
          // lets the hot table grow: then at most 5 s.
          const failures = (this.flushFailure?.failures ?? 0) + 1;
          const delayMs = refusedForMemory(err)
            ? Math.min(5000, 500 * 2 ** (failures - 1))
            : Math.min(60_000, 1000 * 2 ** (failures - 1));
          this.flushFailure = {
            message: err.message,
            since: this.flushFailure?.since ?? new Date(),
            failures,
            retryAt: Date.now() + delayMs,
          };
          // Out of memory for a moment (queries running) is a warning; anything else (a full disk) an error.
          const level = refusedForMemory(err) ? 'warn' : 'error';
          this.opts.log[level]({ err, failures, retry_in_ms: delayMs }, 'flush failed');
          throw err;
        },
      )
      .finally(() => {
        this.flushesQueued--;
      });
    this.flushTail = p;
    return p;
  }

  private async flushOnce(): Promise<FlushResult> {
    const started = performance.now();
    const check = this.needsCheck;
    this.needsCheck = new Set();
    const closed = await this.wal.rotate();
    // The rows come from the closed log segments themselves (wal-rows.ts), not from the hot
    // table: what was acknowledged is what gets written, whatever the engine did to its
    // in-memory copy. The hot table only lets go of them once they are in Parquet.
    const upTo = closed.maxSeq;
    let planned: PlannedFile[] = [];
    if (closed.rows > 0) {
      try {
        planned = await this.db.background((c) => writeFlushFiles(c, this.flushTarget(), closed, check));
      } catch (err) {
        for (const k of check) this.needsCheck.add(k); // the rows stay in the log; check them next time
        // A damaged file the flush had to read (visits re-drawn with earlier rows) is set aside; the retry goes on without it.
        await this.setAsideAfter(
          err,
          [...check].flatMap((k) => this.partitions.get(k) ?? []),
        );
        throw err;
      }
      crashPoint('flush.temp-written');
      await this.lock.write(async () => {
        this.install(planned);
        crashPoint('flush.installed');
        this.hot.forget(upTo);
        await this.db.run(`DELETE FROM ${HOT_TABLE} WHERE seq <= $1`, [upTo]);
        crashPoint('flush.hot-deleted');
        await this.derivedLock.write(() => this.rollupCache.trim());
      });
    }
    await this.wal.release(closed.paths);
    // Only partitions this flush added a file to can have crossed the threshold.
    await this.compact(new Set(planned.map((f) => f.partition)));
    await this.applyRetention();
    this.deriver?.schedule(planned.map((f) => partitionKey(f.partition.siteId, f.partition.date)));
    this.sessions.sweep();
    this.lastFlushAt = new Date();
    const result = { rows: closed.rows, files: planned.length, ms: performance.now() - started };
    if (closed.rows > 0) {
      this.opts.log.info(result, 'flushed to parquet');
      this.opts.onFlush?.(result);
    }
    return result;
  }

  private flushTarget(): FlushTarget {
    return { partitions: this.partitions, eventsDir: this.eventsDir, sessionTimeoutMs: this.opts.sessionTimeoutSecs * 1000 };
  }

  /** Renames written files into place and retires what they replace. Caller holds the write lock. */
  private install(planned: readonly PlannedFile[]): void {
    for (const f of planned) {
      renameSync(f.tmp, join(f.partition.dir, f.name));
      if (planned.length > 1) crashPoint('flush.renamed-one');
      if (f.from !== null) crashPoint('install.before-drop');
      f.partition.files.push({ name: f.name, id: f.id, from: f.from });
      dropSuperseded(f.partition);
      this.partitions.set(partitionKey(f.partition.siteId, f.partition.date), f.partition);
      this.index(f.partition);
    }
  }

  /** Compacts the partitions whose run of small files has grown long enough (compaction.ts). */
  async compact(candidates: Iterable<Partition> = this.partitions.values()): Promise<number> {
    let merged = 0;
    for (const p of candidates) {
      const run = compactionRun(p, this.opts.compactMinFiles);
      if (!run) continue;
      let planned: PlannedFile;
      try {
        planned = await this.db.background((c) => writeCompactedFile(c, p, run));
      } catch (err) {
        // Compaction only saves reads later: a failure (a damaged file, set aside here) waits for the next flush.
        await this.setAsideAfter(err, [p]);
        this.opts.log.warn({ err, site_id: p.siteId, date: p.date }, 'compaction failed');
        continue;
      }
      crashPoint('compaction.temp-written');
      await this.lock.write(async () => this.install([planned]));
      this.opts.log.info({ site_id: p.siteId, date: p.date, files: run.length }, 'compacted partition');
      merged++;
    }
    return merged;
  }

  /** Deletes partitions older than the retention period (0 keeps everything). */
  async applyRetention(today = new Date()): Promise<number> {
    if (this.opts.retentionDays <= 0) return 0;
    const cutoff = utcDate(new Date(today.getTime() - this.opts.retentionDays * DAY_MS));
    const old = [...this.partitions.values()].filter((p) => p.date < cutoff);
    if (old.length === 0) return 0;
    await this.lock.write(async () => {
      for (const p of old) {
        rmSync(p.dir, { recursive: true, force: true });
        if (old.length > 1) crashPoint('retention.deleted-one');
        this.unindex(p);
        await this.derivedLock.write(async () => {
          this.deriver?.forget(p);
          await this.rollupCache.evict(p.siteId, p.date);
        });
        this.opts.log.info({ site_id: p.siteId, date: p.date }, 'retention: deleted partition');
      }
      await this.db.run(`DELETE FROM ${HOT_TABLE} WHERE timestamp < $1::DATE`, [cutoff]);
    });
    return old.length;
  }

  /** Re-learns visits still open at start-up, so live traffic continues them after a restart. */
  private async restoreVisits(): Promise<void> {
    const since = new Date(Date.now() - this.opts.sessionTimeoutSecs * 1000);
    const rows = await this.read((q) =>
      q.all<{ ident: bigint; start: Date; last: Date; session_id: bigint }>(
        `SELECT coalesce(user_key, visitor_id) AS ident, min(timestamp) AS start, max(timestamp) AS last, session_id
         FROM ${q.events} WHERE timestamp >= $1::TIMESTAMP AND timestamp::DATE >= $1::TIMESTAMP::DATE GROUP BY ALL`,
        [timestampText(since)],
      ),
    );
    for (const r of rows) this.sessions.remember(BigInt(r.ident), r.start.getTime(), r.last.getTime(), BigInt(r.session_id));
  }

  async health(): Promise<StorageHealth> {
    let reachable = true;
    try {
      await this.db.all('SELECT 1');
    } catch {
      reachable = false;
    }
    const hotRows =
      Number((await this.db.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${HOT_TABLE}`))[0]?.n ?? 0) + this.hot.size;
    let diskBytes = 0;
    for (const p of this.partitions.values()) diskBytes += partitionBytes(p);
    return {
      reachable,
      hotRows,
      walSegments: this.wal.pendingSegments,
      partitions: this.partitions.size,
      diskBytes,
      lastFlushAt: this.lastFlushAt?.toISOString() ?? null,
      derivedPending: this.deriver?.pending ?? 0,
      problems: this.problems(),
      quarantined: [...this.quarantine.files],
    };
  }

  /** What keeps the store from working fully right now, in words for an operator. */
  private problems(): string[] {
    const out: string[] = [];
    const wal = this.wal.writeProblem;
    if (wal) out.push(`since ${wal.since.toISOString()}: ${wal.message}`);
    const f = this.flushFailure;
    if (f) {
      const inSecs = Math.max(0, Math.ceil((f.retryAt - Date.now()) / 1000));
      out.push(
        `since ${f.since.toISOString()}: writing events to Parquet fails (${f.message.slice(0, 200)}); ` +
          `${f.failures} attempts, next in ${inSecs} s; events stay in the write-ahead log meanwhile`,
      );
    }
    return out;
  }

  freeDiskBytes(): number {
    const s = statfsSync(this.opts.dataDir);
    return s.bavail * s.bsize;
  }

  async close(): Promise<void> {
    this.closing = true;
    // Derived builds first: one still running holds memory the last flush may need.
    await this.deriver?.stop();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.flush();
        break;
      } catch (err) {
        // Nothing is lost either way (the rows are in the log), but a clean stop leaves none there.
        if (!refusedForMemory(err) || attempt === CLOSING_FLUSH_ATTEMPTS) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
    await this.wal.close();
    this.hot.close();
    this.db.close();
  }

  /**
   * For backups (backup.ts): flushes, so every event acknowledged before the call is in a
   * Parquet file, then runs `fn` with the paths of every current event file and every
   * current derived file while holding both locks shared: no flush, compaction, rewrite,
   * retention or derived build renames or deletes one of them until `fn` resolves. `fn`
   * should be quick (hard links): a flush waiting for the lock holds up the queries behind it.
   */
  async withCurrentFiles<T>(fn: (files: readonly string[]) => Promise<T>): Promise<T> {
    await this.flush();
    return this.lock.read(() =>
      this.derivedLock.read(() => {
        return fn([...this.partitions.values()].flatMap((p) => this.filesOf(p)));
      }),
    );
  }
}
