/**
 * The ClickHouse backend's EventStore (docs/CLICKHOUSE.md). Ingest is as durable as with
 * DuckDB: an event is acknowledged once it is in the local write-ahead log. A flush ships
 * the log's closed segments to ClickHouse, each with an insert deduplication token made of
 * this node's id and the segment's sequence range, so a shipment repeated after a crash or
 * a lost answer is dropped by the server: every event is stored once. Segments are deleted
 * only after ClickHouse has them; while it is unreachable they wait in the log.
 *
 * Visits are drawn when events are read (visits.ts), so events may arrive in any order and
 * on any node: nothing stored is ever rewritten.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { DomainError, StartupError } from '../../errors.js';
import type { Dialect } from '../../query/dialect.js';
import { clickhouseDialect } from '../../query/dialects/clickhouse.js';
import { DAY_MS } from '../../utc-days.js';
import type { StoredRow } from '../columns.js';
import { crashPoint } from '../crash-points.js';
import { Database, type EngineLimits } from '../duckdb/database.js';
import { Sessionizer } from '../sessionizer.js';
import type { AppendOptions, DerivedTables, EventStore, FlushResult, QueryRunner, SqlValue, StorageHealth } from '../storage.js';
import { readSegment, WriteAheadLog } from '../wal.js';
import { ClickHouseConnection, type ClickHouseOptions } from './connection.js';
import { COUNTED_ROWS, chString, chTime, siteEvents } from './literals.js';
import { ClickHouseRollups } from './rollups.js';
import { migrate, toInsertRow } from './schema.js';
import { withVisits } from './visits.js';

export interface ClickHouseStoreOptions {
  dataDir: string;
  clickhouse: ClickHouseOptions;
  walFsync: boolean;
  sessionTimeoutSecs: number;
  /** Ship once this many events wait in the log (as `flush_count`). */
  flushCount: number;
  log: Logger;
  /** After each shipment: the events it moved and how long it took, or the error. */
  onShipped?: (rows: number, ms: number) => void;
  onShipFailed?: (err: unknown) => void;
  /** Events of UTC days more than this many days before today are deleted after each shipment (0 keeps everything). */
  retentionDays?: number;
  /** The rollups to keep in ClickHouse (rollups.ts); none: every query scans events. */
  derived?: DerivedTables;
  /** A day is built once it has had no new events for this long (`rollup_delay`). */
  deriveQuietMs?: number;
  /** The local metadata database's engine limits (sites, keys, settings stay local). */
  limits?: EngineLimits;
  newMetadata?: boolean;
}

/** Rows per insert: one shipment of a large segment is several inserts, each with its own token. */
const INSERT_ROWS = 50_000;

export class ClickHouseEventStore implements EventStore {
  readonly sessions: Sessionizer;
  private seq = 0n;
  private flushTail: Promise<unknown> = Promise.resolve();
  /** The shipment asked for and not started yet (see flush). */
  private queued: Promise<FlushResult> | null = null;
  private lastFlushAt: Date | null = null;
  private shipFailure: { message: string; since: Date } | null = null;
  private closing = false;
  /** Events acknowledged and not yet in ClickHouse, and since when the oldest of them waits. */
  private unshipped = 0;
  private waitingSince: number | null = null;
  private readonly rollups: ClickHouseRollups | null;

  private constructor(
    readonly db: Database,
    private readonly conn: ClickHouseConnection,
    private readonly wal: WriteAheadLog,
    private readonly nodeId: string,
    private readonly dialect: Dialect,
    private readonly opts: ClickHouseStoreOptions,
  ) {
    this.sessions = new Sessionizer(opts.sessionTimeoutSecs * 1000);
    this.rollups = opts.derived
      ? new ClickHouseRollups(nodeId, conn, dialect, opts.derived, {
          quietMs: opts.deriveQuietMs ?? 0,
          sessionTimeoutMs: opts.sessionTimeoutSecs * 1000,
          log: opts.log,
        })
      : null;
  }

  static async open(opts: ClickHouseStoreOptions): Promise<ClickHouseEventStore> {
    mkdirSync(opts.dataDir, { recursive: true });
    const db = await Database.open(opts.dataDir, opts.limits, undefined, opts.newMetadata);
    const conn = new ClickHouseConnection(opts.clickhouse);
    const server = ClickHouseConnection.forServer(opts.clickhouse);
    try {
      const applied = await migrate(server, conn, opts.clickhouse.database);
      if (applied.length > 0) opts.log.info({ applied }, 'clickhouse: migrations applied');
    } catch (err) {
      db.close();
      await conn.close();
      const why = (err instanceof DomainError && err.cause instanceof Error ? err.cause : (err as Error)).message;
      throw new StartupError(
        `ClickHouse at ${opts.clickhouse.url} is unreachable or refused the schema (${why.slice(0, 200)}): check clickhouse_url (MALLARD_CLICKHOUSE_URL), the credentials, and that the server runs`,
      );
    } finally {
      await server.close();
    }
    const materializedCte = await conn.hasSetting('enable_materialized_cte');
    if (materializedCte) conn.useSettings({ enable_materialized_cte: 1 });
    const dialect = clickhouseDialect({ materializedCte });
    const { wal, replayed, tornLines } = await WriteAheadLog.open(join(opts.dataDir, 'wal'), opts.walFsync, () => {});
    const store = new ClickHouseEventStore(db, conn, wal, nodeIdOf(opts.dataDir), dialect, opts);
    const [stored] = await conn.all<{ top: bigint }>('SELECT max(seq) AS top FROM events WHERE node_id = {p1:String}', [
      store.nodeId,
    ]);
    let top = stored?.top ?? 0n;
    for (const r of replayed) if (r.seq > top) top = r.seq;
    store.seq = top;
    // What the log still holds may or may not have reached ClickHouse: the next flush ships
    // it (a repeat is dropped there), not start-up, which needs nothing but the migrations.
    opts.log.info({ replayed: replayed.length, tornLines, node: store.nodeId }, 'storage opened (clickhouse)');
    store.unshipped = replayed.length;
    if (replayed.length > 0) store.waitingSince = Date.now();
    store.rollups?.start();
    return store;
  }

  async append(rows: StoredRow[], _opts: AppendOptions = {}): Promise<void> {
    for (const r of rows) {
      this.seq += 1n;
      r.seq = this.seq;
    }
    await this.wal.append(rows);
    this.unshipped += rows.length;
    this.waitingSince ??= Date.now();
    if (this.opts.flushCount > 0 && this.wal.unrotatedRows >= this.opts.flushCount && !this.closing) {
      void this.scheduledFlush();
    }
  }

  /**
   * Ships every event acknowledged before the call, one shipment at a time. Callers that
   * ask while one waits for its turn share it: every read ships first, and a busy dashboard
   * must not turn into an insert per request (ClickHouse wants few, large inserts).
   */
  flush(): Promise<FlushResult> {
    if (this.queued) return this.queued;
    const run = this.flushTail.then(() => {
      this.queued = null;
      return this.ship();
    });
    this.queued = run;
    this.flushTail = run.catch(() => undefined);
    return run;
  }

  async scheduledFlush(): Promise<FlushResult | null> {
    try {
      return await this.flush();
    } catch {
      return null; // logged and recorded by ship()
    }
  }

  private async ship(): Promise<FlushResult> {
    const started = Date.now();
    const closed = await this.wal.rotate();
    if (closed.paths.length === 0) return { rows: 0, files: 0, ms: 0 };
    let rows = 0;
    try {
      for (const path of closed.paths) {
        const segment = readSegment(path).rows;
        if (segment.length > 0) await this.insert(segment);
        this.rollups?.touched(siteDays(segment));
        rows += segment.length;
        this.unshipped = Math.max(0, this.unshipped - segment.length);
        await this.wal.release([path]);
      }
      await this.applyRetention().catch((err) =>
        this.opts.log.warn({ err }, 'retention: deleting old events failed; tried again after the next shipment'),
      );
      // Events acknowledged while this ran are in the next segment: they wait from now.
      this.waitingSince = this.unshipped > 0 ? Date.now() : null;
      this.shipFailure = null;
      this.lastFlushAt = new Date();
      const ms = Date.now() - started;
      this.opts.onShipped?.(rows, ms);
      return { rows, files: closed.paths.length, ms };
    } catch (err) {
      this.opts.onShipFailed?.(err);
      const message = (err as Error).message;
      if (!this.shipFailure) this.shipFailure = { message, since: new Date() };
      else this.shipFailure.message = message;
      this.opts.log.error({ err }, 'clickhouse: shipping events failed; they stay in the write-ahead log');
      throw err;
    }
  }

  /**
   * Deletes the events of days before the retention cutoff (the embedded store's rule:
   * whole UTC days more than `retention_days` before today), and those days' rollups. Run
   * after every shipment, as the embedded store does after every flush, so old events a late
   * batch brought go too; the check for any finds none almost always.
   */
  private async applyRetention(today = new Date()): Promise<void> {
    const days = this.opts.retentionDays ?? 0;
    if (days <= 0) return;
    const cutoff = new Date(today.getTime() - days * DAY_MS).toISOString().slice(0, 10);
    const before = chTime(new Date(`${cutoff}T00:00:00Z`));
    const [old] = await this.conn.all<{ n: bigint }>(
      `SELECT count() AS n FROM (SELECT 1 FROM events WHERE timestamp < ${before} LIMIT 1)`,
    );
    if (Number(old?.n ?? 0) === 0) return;
    // A mutation, not a lightweight DELETE: the table has a projection (schema.ts, day_counts).
    await this.conn.command(`ALTER TABLE events DELETE WHERE timestamp < ${before} SETTINGS mutations_sync = 1`);
    await this.rollups?.forgetBefore(cutoff);
    this.opts.log.info({ before: cutoff }, 'retention: deleted events (clickhouse)');
  }

  /** Ships what the log holds (so none of the site's rows is left to ship), then deletes the site's events and rollups. */
  async removeSite(siteId: string): Promise<void> {
    await this.flush();
    // A mutation, not a lightweight DELETE: the table has a projection (schema.ts, day_counts).
    await this.conn.command('ALTER TABLE events DELETE WHERE site_id = {p1:String} SETTINGS mutations_sync = 1', [siteId]);
    await this.rollups?.forgetSite(siteId);
    this.opts.log.info({ site_id: siteId }, "removed the site's events (clickhouse)");
  }

  /** One segment's rows in inserts whose tokens name exactly these rows (the same after a crash). */
  private async insert(segment: StoredRow[]): Promise<void> {
    segment.sort((a, b) => (a.seq < b.seq ? -1 : a.seq > b.seq ? 1 : 0));
    for (let i = 0; i < segment.length; i += INSERT_ROWS) {
      const part = segment.slice(i, i + INSERT_ROWS);
      const token = `${this.nodeId}:${part[0]?.seq}-${part[part.length - 1]?.seq}`;
      await this.conn.insert(
        'events',
        part.map((r) => toInsertRow(r, this.nodeId)),
        token,
      );
      crashPoint('clickhouse.inserted');
    }
  }

  /** Rows acknowledged before a read are in ClickHouse before it runs (read your writes). */
  async read<T>(fn: (q: QueryRunner) => Promise<T>): Promise<T> {
    if (this.wal.unrotatedRows > 0 || this.wal.pendingSegments > 0) await this.flush();
    return fn(this.runner());
  }

  async stream(
    build: (q: Pick<QueryRunner, 'dialect' | 'events' | 'eventsFor'>) => { text: string; params: readonly SqlValue[] },
    onRows: (rows: readonly (readonly unknown[])[]) => Promise<void>,
  ): Promise<number> {
    return this.read((q) => {
      const { text, params } = build(q);
      return q.stream(text, params, onRows);
    });
  }

  private runner(): QueryRunner {
    const conn = this.conn;
    const rollups = this.rollups;
    const timeoutMs = this.opts.sessionTimeoutSecs * 1000;
    return {
      dialect: this.dialect,
      events: `(SELECT * FROM events WHERE ${COUNTED_ROWS})`,
      eventsFor: (siteId, from, to) => withVisits(siteEvents(siteId, from, to), timeoutMs),
      eventsOf: (siteIds) =>
        `(SELECT * FROM events WHERE site_id IN (${siteIds.map(chString).join(', ') || 'NULL'}) AND ${COUNTED_ROWS})`,
      engagementFor: (siteId, from, to) => `(${siteEvents(siteId, from, to, true)})`,
      derived: rollups ? async (siteId, from, to, fn) => fn(await rollups.view(siteId, from, to)) : undefined,
      all: (sql, params) => conn.all(sql, params),
      writeParquet: (sql, params, path) => conn.toParquetFile(sql, params, path),
      stream: (sql, params, onRows) => conn.stream(sql, params, onRows),
    };
  }

  /**
   * See EventStore.siteIds: the sites of the sorting key's first column, answered from the
   * `day_counts` projection (schema.ts) rather than the events; the log is shipped first.
   */
  siteIds(): Promise<string[]> {
    return this.read(async (q) =>
      (await q.all<{ site_id: string }>('SELECT site_id FROM events GROUP BY site_id ORDER BY site_id', [])).map(
        (r) => r.site_id,
      ),
    );
  }

  /** Events in the log, not yet in ClickHouse (the ship backlog). */
  get hotPending(): number {
    return this.unshipped;
  }

  /** Seconds the oldest event not yet in ClickHouse has waited. */
  get shipLagSeconds(): number {
    return this.waitingSince === null ? 0 : (Date.now() - this.waitingSince) / 1000;
  }

  async health(): Promise<StorageHealth> {
    let reachable = true;
    try {
      reachable = await this.conn.ping();
    } catch {
      reachable = false;
    }
    const problems: string[] = [];
    const wal = this.wal.writeProblem;
    if (wal) problems.push(`since ${wal.since.toISOString()}: ${wal.message}`);
    const f = this.shipFailure;
    if (f) {
      problems.push(
        `since ${f.since.toISOString()}: shipping events to ClickHouse fails (${f.message.slice(0, 200)}); events stay in the write-ahead log meanwhile`,
      );
    }
    const built = this.rollups?.problem;
    if (built) problems.push(built);
    return {
      reachable,
      hotRows: this.unshipped,
      walSegments: this.wal.pendingSegments,
      partitions: 0,
      diskBytes: 0,
      lastFlushAt: this.lastFlushAt?.toISOString() ?? null,
      derivedPending: this.rollups?.pending ?? 0,
      derivedBuildPeakRssBytes: 0,
      problems,
      quarantined: [],
    };
  }

  freeDiskBytes(): number {
    const s = statfsSync(this.opts.dataDir);
    return s.bavail * s.bsize;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.rollups?.stop();
    try {
      await this.flush();
    } catch {
      // Nothing is lost: the rows stay in the log and are shipped at the next start.
    }
    await this.wal.close();
    await this.conn.close();
    this.db.close();
  }

  /**
   * The highest sequence number this node gave out: after a restart, the highest it shipped
   * or holds in its log. With `rowsAfter`, what an import resumes from (ingest/import/).
   */
  get lastSeq(): bigint {
    return this.seq;
  }

  /**
   * This node's events after `seq`, in order, the log shipped first. Only this node's:
   * sequence numbers are per node, and other nodes' events are not this data directory's.
   */
  rowsAfter(seq: bigint): Promise<{ site_id: string; timestamp: Date; event_name: string; pathname: string }[]> {
    return this.read((q) =>
      q.all(
        'SELECT site_id, timestamp, event_name, pathname FROM events WHERE node_id = {p1:String} AND seq > {p2:UInt64} ORDER BY seq',
        [this.nodeId, seq.toString()],
      ),
    );
  }
}

/** This node's id, made once per data directory: with `seq`, what makes a shipment's token unique. */
function nodeIdOf(dataDir: string): string {
  const path = join(dataDir, 'node-id');
  if (existsSync(path)) return readFileSync(path, 'utf8').trim();
  const id = randomUUID();
  writeFileSync(path, `${id}\n`, { mode: 0o600 });
  return id;
}

/** The sites and UTC days of some rows. */
function siteDays(rows: readonly StoredRow[]): [string, string][] {
  const seen = new Map<string, [string, string]>();
  for (const r of rows) {
    const day = r.timestamp.toISOString().slice(0, 10);
    seen.set(`${r.site_id}\t${day}`, [r.site_id, day]);
  }
  return [...seen.values()];
}
