/**
 * Builds the derived tier (one row per visit, the day's rollup; see derived-layout.ts) of
 * partitions whose events changed, one partition at a time, in the background: a flush
 * never waits for it, and until a partition's files are current, queries scan its events.
 * A partition is built once it has been left alone for `quietMs`, so a bulk import that
 * touches the same days at every flush rebuilds each of them once, after it. The grouping
 * itself runs in a child process (build-process.ts).
 */
import { existsSync, linkSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { sizeBytes } from '../../config.js';
import { duckdb } from '../../query/dialects/duckdb.js';
import { render, serverText } from '../../query/sql.js';
import { crashPoint, failPoint } from '../crash-points.js';
import type { RwLock } from '../rw-lock.js';
import type { DerivedTables } from '../storage.js';
import { BuildProcess, type BuildStatements } from './build-process.js';
import { maxId, type Partition, partitionEvents, partitionKey } from './cold-layout.js';
import { type Database, type EngineLimits, literal } from './database.js';
import { type DerivedKind, derivedDir, derivedName, dropDerived } from './derived-layout.js';

/** Events grouped into visits in one statement at most (about 150 MB of aggregate state). */
const EVENTS_PER_SLICE = 500_000;
/** Grouping events into visits keeps about this much state per event (measured: ~150 MB for 500k events). */
const BYTES_PER_EVENT = 300;

/**
 * Events grouped into visits per statement under an engine memory limit: an eighth of the
 * limit's worth. The build process's peak RSS for a 376k-event day at 256MB: two slices
 * 439–497 MB (and once refused), four 358–399 MB.
 */
function sliceEvents(limits: EngineLimits | undefined): number {
  return limits ? Math.max(10_000, Math.floor(sizeBytes(limits.memoryLimit) / 8 / BYTES_PER_EVENT)) : EVENTS_PER_SLICE;
}

/** A build that fails (e.g. compaction replaced a file it was reading) is retried this often. */
const ATTEMPTS = 3;
/**
 * After that, the partition is built again this much later, and again, until it succeeds:
 * meanwhile queries scan its events, and health names it as a problem (seen at 100M events:
 * builds of 3.3M-event days left undone until a restart, with nothing reported).
 */
const RETRY_AFTER_MS = 10 * 60_000;
/** The spill directories of build processes, in the data directory's `tmp/`. */
const SPILL_PREFIX = 'derive-';
/** Rows per row group of a rollup file: about one set's rows of one value (rollup-sets.ts). */
const ROLLUP_ROW_GROUP = 4096;

/** A partition whose build failed every attempt: what the engine said, since when. */
export interface FailedBuild {
  siteId: string;
  date: string;
  message: string;
  since: Date;
}

export class Deriver {
  private readonly queue = new Set<string>();
  private readonly failed = new Map<string, FailedBuild>();
  private readonly retries = new Set<NodeJS.Timeout>();
  /** When each queued partition was last changed (0: build at once). */
  private readonly changedAt = new Map<string, number>();
  private running: Promise<void> | null = null;
  /** The latest build started (settled once it is done). */
  private building: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** Builds started, to name each one's spill directory. */
  private builds = 0;
  /** The highest peak RSS of a build process so far. */
  peakRssBytes = 0;

  /** Partition key → the id its current derived files were built at. */
  readonly current: Map<string, bigint>;
  /** Kills the running build's child process at stop. */
  private readonly stopping = new AbortController();

  constructor(private readonly opts: DeriverOptions) {
    this.current = opts.current;
    // What the build processes of a server that was killed left behind.
    if (existsSync(opts.tempDir)) {
      for (const name of readdirSync(opts.tempDir)) {
        if (name.startsWith(SPILL_PREFIX)) rmSync(join(opts.tempDir, name), { recursive: true, force: true });
      }
    }
  }

  /** Whether the partition's derived files describe its events as they are now. Under the read lock. */
  isCurrent(p: Partition): boolean {
    return this.current.get(partitionKey(p.siteId, p.date)) === maxId(p);
  }

  path(p: Partition, kind: DerivedKind): string {
    return join(derivedDir(this.opts.root, p.siteId, p.date), derivedName(kind, maxId(p), this.opts.tables.format));
  }

  get pending(): number {
    return this.queue.size + (this.running ? 1 : 0);
  }

  /** Partitions whose last build failed every attempt (retried every `retryAfterMs`). */
  get failures(): FailedBuild[] {
    return [...this.failed.values()];
  }

  /** How long after a build failed every attempt it is tried again. */
  get retryAfterMs(): number {
    return this.opts.retryAfterMs ?? RETRY_AFTER_MS;
  }

  /**
   * Queues partitions for a rebuild (those already current are skipped when their turn
   * comes): `changed` ones after `quietMs` without another change, the others at once.
   */
  schedule(keys: Iterable<string>, changed = true): void {
    if (this.stopped) return;
    for (const k of keys) {
      this.queue.add(k);
      this.changedAt.set(k, changed ? Date.now() : 0);
    }
    this.wake?.(); // a waiting drain re-reads what is due
    if (!this.running && this.queue.size > 0) {
      this.running = this.drain().finally(() => {
        this.running = null;
      });
    }
  }

  /**
   * Waits for the build running now, if any, but not for the queue: a removed site's
   * partitions are never built again, and one being built while they went is done after.
   */
  async settled(): Promise<void> {
    await this.building?.catch(() => undefined);
  }

  /** Waits until nothing is queued or being built. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Forgets a deleted partition's files. Caller holds the derived lock exclusively. */
  forget(p: Partition): void {
    dropDerived(this.opts.root, p, null);
    this.current.delete(partitionKey(p.siteId, p.date));
    this.failed.delete(partitionKey(p.siteId, p.date));
  }

  private retryLater(key: string): void {
    const timer = setTimeout(() => {
      this.retries.delete(timer);
      this.schedule([key], false);
    }, this.retryAfterMs);
    timer.unref();
    this.retries.add(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
    this.queue.clear();
    this.stopping.abort();
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.idle();
  }

  /** The next queued partition that has been quiet long enough, waiting for one if needed. */
  private async next(): Promise<string | undefined> {
    while (this.queue.size > 0 && !this.stopped) {
      const now = Date.now();
      let soonest = Number.POSITIVE_INFINITY;
      for (const key of this.queue) {
        const due = (this.changedAt.get(key) ?? 0) + (this.changedAt.get(key) ? (this.opts.quietMs ?? 0) : 0);
        if (due <= now) return key;
        soonest = Math.min(soonest, due);
      }
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        this.timer = setTimeout(resolve, soonest - now);
        this.timer.unref();
      });
      // Woken early by a new schedule (or stop): the timer is no longer needed.
      if (this.timer) clearTimeout(this.timer);
      this.wake = null;
      this.timer = null;
    }
    return undefined;
  }

  private async drain(): Promise<void> {
    for (let key = await this.next(); key !== undefined; key = await this.next()) {
      this.queue.delete(key);
      this.changedAt.delete(key);
      for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
        const p = this.opts.partitions.get(key);
        if (!p || this.isCurrent(p) || this.stopped) {
          this.failed.delete(key);
          break;
        }
        try {
          this.building = this.build(p);
          await this.building;
          this.failed.delete(key);
          break;
        } catch (err) {
          if (this.stopped) break;
          await this.opts.onFailed(p, err).catch(() => undefined);
          if (attempt === ATTEMPTS) {
            this.opts.log.warn({ err, site_id: p.siteId, date: p.date }, 'derived tables not built; retried later');
            // The engine's own words (a refusal for memory carries them as its cause).
            const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
            const message = (cause instanceof Error ? cause.message : String(cause)).split('\n')[0] ?? '';
            const since = this.failed.get(key)?.since ?? new Date();
            this.failed.set(key, { siteId: p.siteId, date: p.date, message, since });
            this.retryLater(key);
          }
        }
      }
    }
  }

  /**
   * Writes both files as temp files in the background turn, then, with the turn and its
   * connection given back (queries may hold the derived lock for a while), renames them
   * into place if the partition has not moved on meanwhile.
   */
  private async build(p: Partition): Promise<void> {
    if (this.isCurrent(p)) return;
    failPoint('derived.build');
    // The process starts before the turn (a turn held while it starts holds up flushes).
    const { limits } = this.opts;
    const tempDirectory = join(this.opts.tempDir, `${SPILL_PREFIX}${++this.builds}`);
    const builder = await BuildProcess.start(
      { memoryLimit: limits?.memoryLimit, threads: limits?.threads, tempDirectory },
      this.stopping.signal,
    );
    try {
      // The turn first, then the snapshot: a flush or compaction ahead in line may replace the files.
      const built = await this.opts.db.background((c) =>
        this.isCurrent(p) ? Promise.resolve(null) : this.writeTemp(c, p, builder, join(tempDirectory, 'events')),
      );
      if (!built) return;
      try {
        await this.install(p, built);
      } finally {
        for (const path of Object.values(built.tmp)) rmSync(path, { force: true });
      }
    } finally {
      await builder.close();
    }
  }

  /**
   * The partition's derived files as temp files, from a snapshot of its event files, read
   * through hard links in `links` where it can: the turn keeps compaction out, but a flush
   * that re-drew visits installs its files (and deletes the ones they replace) after giving
   * the turn back, which would fail a build process still reading them.
   */
  private async writeTemp(c: DuckDBConnection, p: Partition, builder: BuildProcess, links: string): Promise<Built> {
    const snapshot: Partition = linkedSnapshot(p, links) ?? { ...p, files: [...p.files] };
    const id = maxId(snapshot);
    const dir = derivedDir(this.opts.root, p.siteId, p.date);
    const tmpOf = (kind: DerivedKind) => join(dir, `.${derivedName(kind, id, this.opts.tables.format)}.tmp`);
    const built: Built = {
      id,
      dir,
      tmp: { visits: tmpOf('visits'), rollup: tmpOf('rollup') },
      started: performance.now(),
      peakRssMb: 0,
    };
    await mkdir(dir, { recursive: true });
    const events = partitionEvents(snapshot);
    try {
      // Grouping a day's events into visits keeps every visit's state in memory at once; a
      // big day is grouped in slices of whole identities (by a hash of the identity: each
      // identity's page views are listed together, and its visits are whole) instead.
      const rows = Number((await c.runAndReadAll(`SELECT count(*) AS n FROM ${events}`)).getRowObjectsJS()[0]?.n ?? 0);
      const slices = Math.max(1, Math.ceil(rows / (this.opts.eventsPerSlice ?? sliceEvents(this.opts.limits))));
      const statements: BuildStatements = [];
      for (let k = 0; k < slices; k++) {
        const slice =
          slices === 1 ? events : `(SELECT * FROM ${events} WHERE hash(coalesce(user_key, visitor_id)) % ${slices} = ${k})`;
        const into = k === 0 ? 'CREATE TABLE derive_visits AS' : 'INSERT INTO derive_visits';
        statements.push({ sql: `${into} ${serverText(this.opts.tables.visits(slice), duckdb)}` });
      }
      statements.push({ sql: `COPY derive_visits TO ${literal(built.tmp.visits)} (FORMAT parquet, COMPRESSION zstd)` });
      // The rollup reads the visits back from that file instead of keeping them in memory
      // (a 3.3M-event day: the build process's peak 609–674 → 566–583 MB, no slower).
      statements.push({ sql: 'DROP TABLE derive_visits' });
      const visits = `read_parquet(${literal(built.tmp.visits)})`;
      for (const [i, statement] of this.opts.tables.rollup(events, visits, p.siteId, p.date, duckdb).entries()) {
        const into = i === 0 ? 'CREATE TABLE derive_rollup AS' : 'INSERT INTO derive_rollup';
        const part = render(statement, duckdb);
        statements.push({ sql: `${into} ${part.text}`, params: part.params });
      }
      // Sorted, in small row groups: a query for one value of a set reads few of them (rollup-sets.ts).
      // Written by one thread: the parallel writer keeps order by holding the other thread's
      // small row groups until their turn, and with the 660k rollup rows of a 3.3M-event day
      // that was refused for memory at 256MB about one time in three (at 100M events, 5 of 30
      // days went unbuilt); one thread writes them within 64MB, in 0.8 s.
      statements.push({ sql: 'SET threads = 1' });
      statements.push({
        sql: `COPY (SELECT * FROM derive_rollup ORDER BY dim, v0, v1, bucket) TO ${literal(built.tmp.rollup)}
           (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROLLUP_ROW_GROUP})`,
      });
      const { peakRssBytes } = await builder.run(statements);
      built.peakRssMb = Math.round(peakRssBytes / 2 ** 20);
      this.peakRssBytes = Math.max(this.peakRssBytes, peakRssBytes);
      return built;
    } catch (err) {
      for (const path of Object.values(built.tmp)) rmSync(path, { force: true });
      // An engine error names the file it failed on: the partition's own, not the link to it.
      const linked = snapshot.dir !== p.dir && err instanceof Error;
      throw linked ? new Error(err.message.replaceAll(`${snapshot.dir}/`, `${p.dir}/`)) : err;
    }
  }

  /** Renames the temp files into place, unless the partition moved on since its snapshot (a later build follows). */
  private async install(p: Partition, { id, dir, tmp, started, peakRssMb }: Built): Promise<void> {
    await this.opts.lock.write(async () => {
      const now = this.opts.partitions.get(partitionKey(p.siteId, p.date));
      if (!now || maxId(now) !== id) return;
      renameSync(tmp.visits, join(dir, derivedName('visits', id, this.opts.tables.format)));
      crashPoint('derived.visits-renamed');
      renameSync(tmp.rollup, join(dir, derivedName('rollup', id, this.opts.tables.format)));
      crashPoint('derived.rollup-renamed');
      dropDerived(this.opts.root, now, id);
      this.current.set(partitionKey(p.siteId, p.date), id);
      await this.opts.onReplaced(now);
    });
    this.opts.log.debug(
      { site_id: p.siteId, date: p.date, ms: Math.round(performance.now() - started), peak_rss_mb: peakRssMb },
      'derived tables built',
    );
  }
}

/**
 * The partition's event files as hard links in `dir` (made in one synchronous step, so no
 * other job can replace a file in between), or null where links cannot be made (events on
 * another file system): the build then reads the files themselves.
 */
function linkedSnapshot(p: Partition, dir: string): Partition | null {
  try {
    mkdirSync(dir, { recursive: true });
    for (const f of p.files) linkSync(join(p.dir, f.name), join(dir, f.name));
    return { ...p, dir, files: [...p.files] };
  } catch {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
}

/** A partition's derived files written as temp files, not yet in place. */
interface Built {
  /** The partition's highest event-file id when its snapshot was taken. */
  id: bigint;
  dir: string;
  tmp: Record<'visits' | 'rollup', string>;
  started: number;
  /** The build process's peak resident memory. */
  peakRssMb: number;
}

export interface DeriverOptions {
  db: Database;
  /** `data/derived`. */
  root: string;
  tables: DerivedTables;
  partitions: ReadonlyMap<string, Partition>;
  /** The store's lock over derived files: held exclusively to replace them. */
  lock: RwLock;
  log: Logger;
  /** Partition key → the id its current derived files were built at. */
  current: Map<string, bigint>;
  /** Called under the derived lock (exclusive) when a partition's derived files are replaced. */
  onReplaced: (p: Partition) => Promise<void>;
  /** Called when a build fails (the store sets damaged files aside, so the next attempt may succeed). */
  onFailed: (p: Partition, err: unknown) => Promise<void>;
  /** How long a changed partition must be left alone before it is built (default 0). */
  quietMs?: number;
  /** How long after a build failed every attempt it is tried again (default `RETRY_AFTER_MS`). */
  retryAfterMs?: number;
  /** Events grouped into visits in one statement at most (default: from `limits`, sliceEvents). */
  eventsPerSlice?: number;
  /** The build process's engine limits (the server's own). */
  limits?: EngineLimits;
  /** Where build processes spill (each in a directory of its own, removed after it). */
  tempDir: string;
}
