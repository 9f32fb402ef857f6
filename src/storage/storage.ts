/**
 * The one interface every storage backend implements. Ingestion appends rows; the query
 * layer reads through `read`, which hands it the SQL relation of all events (hot ∪ cold)
 * and a runner for bound-parameter SQL, consistent for the duration of the callback.
 */
import type { Dialect } from '../query/dialect.js';
import type { Sql } from '../query/sql.js';
import type { StoredRow } from './columns.js';

export type SqlValue = string | number | bigint | boolean | null;

export interface QueryRunner {
  /** The SQL spellings of the engine that runs the statements (placeholders included). */
  readonly dialect: Dialect;
  /** SQL text naming every stored event (engagement rows aside), usable as `FROM ${events}`. */
  readonly events: string;
  /**
   * The stored events of one site, as `events` but opening only that site's files: exactly
   * its events, and given a range, exactly those in [from, to) (only the files of the UTC
   * days it touches are opened). Queries still keep their own `site_id` condition, so a
   * relation of every site's events could never answer for another site.
   */
  eventsFor(siteId: string, from?: Date, to?: Date): string;
  /**
   * The stored events of several sites, opening only their files, for counts and times
   * across sites (site-activity.ts): as `events`, its visit ids are not to be relied on.
   */
  eventsOf(siteIds: readonly string[]): string;
  /**
   * The site's engagement rows (event name `engagement`, time on page and scroll depth) as
   * `eventsFor` scopes them, with every event column and `engaged_ms`, `scroll_depth`, but no
   * visit ids to rely on. `events` and `eventsFor` never hold them: they are not events.
   */
  engagementFor(siteId: string, from?: Date, to?: Date): string;
  /**
   * Runs `fn` with a view of the site's derived tables (visits, rollups; see
   * docs/ARCHITECTURE.md, "Derived tier") for [from, to), which stay in place until `fn`
   * resolves. Optional: a backend without derived tables scans events.
   */
  derived?<T>(siteId: string, from: Date, to: Date, fn: (view: DerivedView) => Promise<T>): Promise<T>;
  all<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[]): Promise<T[]>;
  /** Writes one statement's rows to a ZSTD Parquet file at `path` (a server-made temp path, never client text). */
  writeParquet(sql: string, params: readonly SqlValue[], path: string): Promise<void>;
  /**
   * Streams one statement's rows chunk by chunk (arrays of values in select order); each
   * `onRows` is awaited before the next chunk is fetched, so large results never pile up
   * in memory. Resolves with the number of rows.
   */
  stream(
    sql: string,
    params: readonly SqlValue[],
    onRows: (rows: readonly (readonly unknown[])[]) => Promise<void> | void,
  ): Promise<number>;
}

export interface DerivedView {
  /**
   * The UTC days (`YYYY-MM-DD`) whose derived tables are current and final: stored, and no
   * rows of the day still in the hot tier.
   */
  days: ReadonlySet<string>;
  /**
   * A relation of these days' rollup rows of these sets (`dim`), with `site_id` and `day`
   * columns first: the rows kept in memory, or with `files`, read from the days' files.
   */
  rollups(days: readonly string[], sets: readonly string[], opts?: { files?: boolean }): Promise<string>;
  /** A relation of these days' visit rows (`visitRowSelect` with every visit attribute, and `s_pages`). */
  visits(days: readonly string[]): string;
}

export interface FlushResult {
  rows: number;
  files: number;
  ms: number;
}

export interface StorageHealth {
  reachable: boolean;
  hotRows: number;
  walSegments: number;
  partitions: number;
  diskBytes: number;
  lastFlushAt: string | null;
  /** Partitions whose visits and rollup are queued or being (re)built; queries scan those days meanwhile. */
  derivedPending: number;
  /** The highest peak RSS of a derived-build process since start-up, in bytes (0: none yet). */
  derivedBuildPeakRssBytes: number;
  /** What keeps the store from working fully (a full disk, failing flushes), for an operator; empty when all is well. */
  problems: string[];
  /** Damaged files moved to `quarantine/` since start-up, as paths under the data directory. */
  quarantined: string[];
}

/**
 * The derived tables a store keeps per partition, defined by the query layer (which reads
 * them) and built by the store (which knows when a partition changes).
 */
export interface DerivedTables {
  /** The version of what the tables hold; files of another version are rebuilt. */
  readonly format: number;
  /** SELECT of one row per visit of an events relation (its pages in `s_pages`, each identity's page views in `s_path`). */
  visits(events: string): Sql;
  /**
   * A day's rollup rows, given the day's events and a relation of its `visits` rows, in
   * `dialect`'s spelling: one SELECT per
   * group of rows, with the same columns (run one after the other, a day's rollup needs a
   * fraction of the memory of one statement doing all).
   */
  rollup(events: string, visits: string, siteId: string, day: string, dialect: Dialect): Sql[];
  /** Rollup rows whose `dim` starts with this are never kept in memory (read from the files). */
  readonly uncachedPrefix: string;
}

export interface AppendOptions {
  /**
   * Live traffic stamped with the server clock: each identity's events arrive in time
   * order, so ingest-time visit ids are final. Otherwise (batches with their own
   * timestamps) visits are recomputed when the rows are written to cold storage.
   */
  live?: boolean;
}

export interface EventStore {
  /**
   * Numbers the rows (their `seq`, whatever it was) in the order they reach the log, and
   * resolves once they are durable (they survive kill -9) and will be visible to reads.
   */
  append(rows: StoredRow[], opts?: AppendOptions): Promise<void>;
  read<T>(fn: (q: QueryRunner) => Promise<T>): Promise<T>;
  /**
   * Streams one statement's result under the read lock (held until it resolves, so a flush
   * cannot swap files mid-stream): `build` gets the events relations (as in `QueryRunner`)
   * and returns the SQL with bound parameters; `onRows` receives the rows chunk by chunk, as
   * arrays of values in select order, and is awaited before the next chunk is fetched — a
   * slow consumer slows the query instead of the result piling up in memory. Throwing from
   * `onRows` stops the stream. Resolves with the number of rows.
   */
  stream(
    build: (q: Pick<QueryRunner, 'dialect' | 'events' | 'eventsFor'>) => { text: string; params: readonly SqlValue[] },
    onRows: (rows: readonly (readonly unknown[])[]) => Promise<void>,
  ): Promise<number>;
  /**
   * The ids of the sites with stored rows, found without reading a single event (the cold
   * tier's directories and the hot tier's index; ClickHouse's sorting key). May name a site
   * whose rows are all engagement rows, or were deleted a moment ago: count with `eventsOf`.
   */
  siteIds(): Promise<string[]>;
  flush(): Promise<FlushResult>;
  /**
   * Deletes every stored event of the site (engagement rows too) and what is derived from
   * them (visits, rollups), unflushed events included, so that nothing of it comes back
   * after a restart. Events that arrive for the site meanwhile may stay.
   */
  removeSite(siteId: string): Promise<void>;
  /** A timer's flush: skipped (null) while backing off after a failed one; never throws. */
  scheduledFlush(): Promise<FlushResult | null>;
  health(): Promise<StorageHealth>;
  close(): Promise<void>;
}
