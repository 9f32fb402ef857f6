/**
 * Embedded storage: write-ahead log → in-memory hot table → ZSTD Parquet partitions.
 *
 * Flush (by count, interval, shutdown): rotate the log, write each touched partition's
 * rows to a temp file, then — holding the lock queries share — rename the files into
 * place and delete those rows from the hot table. A partition's file name is the highest
 * sequence number it covers, which is what start-up uses to drop replayed log rows that
 * already reached Parquet (a crash between rename and log deletion). Sessions are
 * recomputed on write; if a late event changes the sessions of rows already on disk, the
 * whole partition is rewritten as one compacted file. This module opens the store and
 * orders a flush's steps under the locks (store-parts.ts: what its modules share);
 * flush-writer.ts writes the files, partition-index.ts installs and finds them, reads.ts
 * runs queries, maintenance.ts compacts and applies retention, damaged-files.ts sets a
 * damaged file aside, deriver.ts keeps each partition's visits and rollup, rollup-cache.ts
 * serves the rollups.
 */
import { statfsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { timestampText, utcDate } from '../../utc-days.js';
import type { StoredRow } from '../columns.js';
import { crashPoint } from '../crash-points.js';
import { RwLock } from '../rw-lock.js';
import { Sessionizer } from '../sessionizer.js';
import type { AppendOptions, DerivedTables, EventStore, FlushResult, QueryRunner, SqlValue, StorageHealth } from '../storage.js';
import { WriteAheadLog } from '../wal.js';
import {
  coveredRowsSql,
  eventsRelation,
  maxId,
  type Partition,
  partitionBytes,
  partitionKey,
  scanPartitions,
} from './cold-layout.js';
import { filesOf, setAsideAfter } from './damaged-files.js';
import { Database, type EngineLimits, HOT_TABLE, refusedForMemory } from './database.js';
import { scanDerived } from './derived-layout.js';
import { Deriver } from './deriver.js';
import { returningFreedMemory } from './engine-options.js';
import { type FlushTarget, type PlannedFile, writeFlushFiles } from './flush-writer.js';
import { HotTable } from './hot-table.js';
import * as maintenance from './maintenance.js';
import { PartitionIndex } from './partition-index.js';
import { looksWhole, Quarantine } from './quarantine.js';
import { StoreReads } from './reads.js';
import { RollupCache } from './rollup-cache.js';
import type { StoreParts } from './store-parts.js';

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
  /** How long after a derived build failed every attempt it is tried again (tests make it short). */
  deriveRetryMs?: number;
  /** Events of a partition grouped into visits per statement (tests make it small). */
  deriveSliceEvents?: number;
  /** Rows waiting for Parquet before appends wait for the flush in progress (default: `unflushedLimit`). */
  maxUnflushed?: number;
}

/** The last flush at shutdown, refused for memory, is tried again this often, a second apart. */
const CLOSING_FLUSH_ATTEMPTS = 3;

/**
 * How many rows may wait for Parquet (in the log and the hot tier, including those of the
 * flush in progress) before an append waits for that flush: ingest cannot outrun the
 * flushes by more than this, so their memory is bounded (400k batch events spread over 30
 * days, sent without pause, made flushes of 150–190k rows and the server's peak 600–700 MB;
 * with this bound ~480 MB). A flush's cost is mostly per partition touched, so a lower bound
 * (40k) only made smaller flushes: batches 27k → 18k events/s, no less memory in bench:ingest.
 */
const unflushedLimit = (flushCount: number): number => Math.max(100_000, 4 * flushCount);
/** The longest an append waits for a flush: a failing flush (a full disk) slows ingest, never stops it. */
const ADMIT_WAIT_MS = 10_000;

export class DuckDbEventStore implements EventStore {
  /** The last flush asked for; each flush starts only after the one before it has ended. */
  private flushTail: Promise<unknown> = Promise.resolve();
  /** Flushes asked for and not yet ended. */
  private flushesQueued = 0;
  /** Rows the flush in progress took from the log. */
  private flushingRows = 0;
  /** After a failed flush (a full disk): no automatic flush before `retryAt`. */
  private flushFailure: { message: string; since: Date; failures: number; retryAt: number } | null = null;
  private seq = 0n;
  private lastFlushAt: Date | null = null;
  /** Partitions whose pending rows may be out of order (batches, replayed log). */
  private needsCheck = new Set<string>();
  private closing = false;
  readonly sessions: Sessionizer;
  private readonly reads: StoreReads;

  private constructor(
    private readonly parts: StoreParts,
    private wal: WriteAheadLog,
    private readonly eventsDir: string,
    private readonly opts: DuckDbStoreOptions,
  ) {
    this.sessions = new Sessionizer(opts.sessionTimeoutSecs * 1000);
    this.reads = new StoreReads(parts);
  }

  get db(): Database {
    return this.parts.db;
  }

  get quarantine(): Quarantine {
    return this.parts.quarantine;
  }

  static async open(opts: DuckDbStoreOptions): Promise<DuckDbEventStore> {
    const eventsDir = join(opts.dataDir, 'events');
    const db = await Database.open(opts.dataDir, opts.limits, undefined, opts.newMetadata);
    const quarantine = new Quarantine(opts.dataDir, opts.log);
    // Truncated or foreign files are set aside before anything trusts them.
    const setAside = (path: string) => !looksWhole(path) && quarantine.move(path, 'not a whole Parquet file');
    const partitions = scanPartitions(eventsDir, setAside);
    let hot: HotTable | null = null;
    const { wal, replayed, tornLines } = await WriteAheadLog.open(join(opts.dataDir, 'wal'), opts.walFsync, (rows) =>
      hot?.note(rows),
    );
    hot = new HotTable(await db.instance.connect(), opts.log, wal);
    const parts: StoreParts = {
      db,
      hot,
      partitions: new PartitionIndex(partitions),
      lock: new RwLock(),
      derivedLock: new RwLock(),
      rollupCache: new RollupCache(db, opts.derived?.uncachedPrefix ?? ''),
      quarantine,
      deriver: null,
      dataDir: opts.dataDir,
      log: opts.log,
    };
    const store = new DuckDbEventStore(parts, wal, eventsDir, opts);
    // Rows already in a Parquet file (crash after rename, before the log was cleared) are skipped.
    const covered = new Set<Partition>();
    const pending = replayed.filter((r) => {
      const p = partitions.get(partitionKey(r.site_id, utcDate(r.timestamp)));
      if (p && r.seq <= maxId(p)) {
        covered.add(p);
        return false;
      }
      return true;
    });
    hot.note(pending);
    hot.skipAtStart(covered.size === 0 ? null : [...covered].map(coveredRowsSql).join(' OR '));
    for (const r of pending) store.needsCheck.add(partitionKey(r.site_id, utcDate(r.timestamp)));
    let top = 0n;
    for (const r of replayed) if (r.seq > top) top = r.seq;
    for (const p of partitions.values()) if (maxId(p) > top) top = maxId(p);
    store.seq = top;
    await store.restoreVisits();
    if (opts.derived) {
      const root = join(opts.dataDir, 'derived');
      const current = scanDerived(root, opts.derived.format, partitions, setAside);
      parts.deriver = new Deriver({
        db,
        root,
        tables: opts.derived,
        partitions,
        lock: parts.derivedLock,
        log: opts.log,
        current,
        onReplaced: (p) => parts.rollupCache.evict(p.siteId, p.date),
        onFailed: (p, err) => setAsideAfter(parts, err, [p]).then(() => undefined),
        quietMs: opts.deriveQuietMs,
        retryAfterMs: opts.deriveRetryMs,
        eventsPerSlice: opts.deriveSliceEvents,
        limits: opts.limits,
        tempDir: join(opts.dataDir, 'tmp'),
      });
      // Partitions written before derived tables existed, or whose build a crash interrupted: at once.
      parts.deriver.schedule(
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

  /** The highest sequence number given out: after a restart, the highest stored. */
  get lastSeq(): bigint {
    return this.seq;
  }

  /** Every stored row after `seq`, in order (what a resumed import checks against its file: ingest/import). */
  async rowsAfter(seq: bigint): Promise<{ site_id: string; timestamp: Date; event_name: string; pathname: string }[]> {
    // Every row, engagement rows included: an import stores those too.
    const all = () => eventsRelation([...this.parts.partitions.values()], undefined, 'all');
    return this.read((q) =>
      q.all(`SELECT site_id, timestamp, event_name, pathname FROM ${all()} WHERE seq > $1 ORDER BY seq`, [seq]),
    );
  }

  async append(rows: StoredRow[], opts: AppendOptions = {}): Promise<void> {
    // Checked first: an append that need not wait (nearly all) costs no extra turn.
    if (this.backedUp()) await this.admit();
    // Numbered here, in the order rows reach the log, never earlier: a flush treats a row
    // whose number a file of its partition already covers as a copy. Numbered before a wait
    // (for a flush, or for a batch's last slice), a batch's rows could reach the log after a
    // later-numbered row of the same day was flushed, and be dropped as copies.
    for (const r of rows) {
      this.seq += 1n;
      r.seq = this.seq;
    }
    if (!opts.live) for (const r of rows) this.needsCheck.add(partitionKey(r.site_id, utcDate(r.timestamp)));
    await this.wal.append(rows);
    this.flushIfDue();
  }

  /**
   * Back-pressure (see `unflushedLimit`): whether a flush runs and the rows waiting for
   * Parquet are over the limit, while flushes are not failing.
   */
  private backedUp(): boolean {
    const limit = this.opts.maxUnflushed ?? unflushedLimit(this.opts.flushCount);
    return this.wal.unrotatedRows + this.flushingRows >= limit && this.flushesQueued > 0 && !this.flushFailure && !this.closing;
  }

  /** Waits while `backedUp`, at most ADMIT_WAIT_MS. */
  private async admit(): Promise<void> {
    const deadline = Date.now() + ADMIT_WAIT_MS;
    while (this.backedUp() && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.flushTail.catch(() => undefined),
        new Promise((r) => (timer = setTimeout(r, deadline - Date.now()))),
      ]);
      clearTimeout(timer);
      // The next flush, if due, starts (and takes the log's rows) before this looks again.
      await new Promise((r) => setImmediate(r));
    }
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
    await this.parts.deriver?.idle();
  }

  get hotPending(): number {
    return this.parts.hot.size;
  }

  /** Makes durable rows queryable now; false when the engine refused them. Tests. */
  hotLoad(): Promise<boolean> {
    return this.parts.hot.settle();
  }

  /** See EventStore.read and reads.ts. */
  read<T>(fn: (q: QueryRunner) => Promise<T>): Promise<T> {
    return this.reads.read(fn);
  }

  /** See EventStore.stream and reads.ts. */
  stream(
    build: (q: Pick<QueryRunner, 'dialect' | 'events' | 'eventsFor'>) => { text: string; params: readonly SqlValue[] },
    onRows: (rows: readonly (readonly unknown[])[]) => Promise<void>,
  ): Promise<number> {
    return this.reads.stream(build, onRows);
  }

  /** See EventStore.siteIds: the partition index and the hot tier's, no SQL. */
  async siteIds(): Promise<string[]> {
    return [...new Set([...this.parts.partitions.sites(), ...this.parts.hot.sites()])].sort();
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
        this.flushingRows = 0;
      });
    this.flushTail = p;
    return p;
  }

  private async flushOnce(): Promise<FlushResult> {
    const started = performance.now();
    // How long writing the files, installing them and the upkeep after (compaction, retention) took: the log line says.
    const phases = { write: 0, install: 0 };
    const check = this.needsCheck;
    this.needsCheck = new Set();
    const closed = await this.wal.rotate();
    this.flushingRows = closed.rows;
    // The rows come from the closed log segments themselves (wal-rows.ts), not from the hot
    // table: what was acknowledged is what gets written, whatever the engine did to its
    // in-memory copy. The hot table only lets go of them once they are in Parquet.
    const upTo = closed.maxSeq;
    let planned: PlannedFile[] = [];
    if (closed.rows > 0) {
      try {
        planned = await this.db.background((c) =>
          returningFreedMemory(c, () => writeFlushFiles(c, this.flushTarget(), closed, check)),
        );
      } catch (err) {
        for (const k of check) this.needsCheck.add(k); // the rows stay in the log; check them next time
        // A damaged file the flush had to read (visits re-drawn with earlier rows) is set aside; the retry goes on without it.
        await setAsideAfter(
          this.parts,
          err,
          [...check].flatMap((k) => this.parts.partitions.get(k) ?? []),
        );
        throw err;
      }
      crashPoint('flush.temp-written');
      phases.write = performance.now() - started;
      const { lock, partitions, hot, db, derivedLock, rollupCache } = this.parts;
      await lock.write(async () => {
        partitions.install(planned);
        // Queued before the rows leave the hot tier, not after the compaction below: in
        // between, /health/detailed showed no buffered rows and no derived work pending
        // while these days had no derived tables yet (a reader waiting for both then read
        // events). A compaction keeps a day's highest id: what is built meanwhile stays current.
        this.parts.deriver?.schedule(planned.map((f) => partitionKey(f.partition.siteId, f.partition.date)));
        crashPoint('flush.installed');
        hot.forget(upTo);
        await db.run(`DELETE FROM ${HOT_TABLE} WHERE seq <= $1`, [upTo]);
        crashPoint('flush.hot-deleted');
        await derivedLock.write(() => rollupCache.trim());
      });
    }
    await this.wal.release(closed.paths);
    phases.install = performance.now() - started - phases.write;
    // Only partitions this flush added a file to can have crossed the threshold.
    await this.compact(new Set(planned.map((f) => f.partition)));
    await this.applyRetention();
    this.sessions.sweep();
    this.lastFlushAt = new Date();
    const result = { rows: closed.rows, files: planned.length, ms: performance.now() - started };
    if (closed.rows > 0) {
      const upkeepMs = Math.round(result.ms - phases.write - phases.install);
      this.opts.log.info(
        { ...result, write_ms: Math.round(phases.write), install_ms: Math.round(phases.install), upkeep_ms: upkeepMs },
        'flushed to parquet',
      );
      this.opts.onFlush?.(result);
    }
    return result;
  }

  private flushTarget(): FlushTarget {
    return {
      partitions: this.parts.partitions.byKey,
      eventsDir: this.eventsDir,
      sessionTimeoutMs: this.opts.sessionTimeoutSecs * 1000,
    };
  }

  /** Compacts the partitions whose run of small files has grown long enough (maintenance.ts). */
  compact(candidates: Iterable<Partition> = this.parts.partitions.values()): Promise<number> {
    return maintenance.compact(this.parts, candidates, this.opts.compactMinFiles);
  }

  /** Deletes partitions older than the retention period (0 keeps everything). */
  applyRetention(today = new Date()): Promise<number> {
    return maintenance.applyRetention(this.parts, this.opts.retentionDays, today);
  }

  /** Flushes (so the log keeps none of the site's rows), then deletes the site's partitions. */
  async removeSite(siteId: string): Promise<void> {
    await this.flush();
    await maintenance.removeSite(this.parts, this.eventsDir, join(this.parts.dataDir, 'derived'), siteId);
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
      Number((await this.db.all<{ n: bigint }>(`SELECT count(*) AS n FROM ${HOT_TABLE}`))[0]?.n ?? 0) + this.parts.hot.size;
    let diskBytes = 0;
    for (const p of this.parts.partitions.values()) diskBytes += partitionBytes(p);
    return {
      reachable,
      hotRows,
      walSegments: this.wal.pendingSegments,
      partitions: this.parts.partitions.size,
      diskBytes,
      lastFlushAt: this.lastFlushAt?.toISOString() ?? null,
      derivedPending: this.parts.deriver?.pending ?? 0,
      derivedBuildPeakRssBytes: this.parts.deriver?.peakRssBytes ?? 0,
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
    const deriver = this.parts.deriver;
    for (const b of deriver?.failures ?? []) {
      const ms = deriver?.retryAfterMs ?? 0;
      const every = ms < 60_000 ? `${Math.max(1, Math.round(ms / 1000))} s` : `${Math.round(ms / 60_000)} minutes`;
      out.push(
        `since ${b.since.toISOString()}: the visits and rollup of ${b.siteId} ${b.date} cannot be built ` +
          `(${b.message.slice(0, 200)}); tried again every ${every}, and queries read that day's events meanwhile`,
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
    await this.parts.deriver?.stop();
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
    const parts = this.parts;
    return parts.lock.read(() =>
      parts.derivedLock.read(() => {
        return fn([...parts.partitions.values()].flatMap((p) => filesOf(parts, p)));
      }),
    );
  }
}
