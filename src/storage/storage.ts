/**
 * The one interface every storage backend implements. Ingestion appends rows; the query
 * layer reads through `read`, which hands it the SQL relation of all events (hot ∪ cold)
 * and a runner for bound-parameter SQL, consistent for the duration of the callback.
 */
import type { StoredRow } from './columns.js';

export type SqlValue = string | number | bigint | boolean | null;

export interface QueryRunner {
  /** SQL text naming every stored event, usable as `FROM ${events}`. */
  readonly events: string;
  all<T = Record<string, unknown>>(sql: string, params: readonly SqlValue[]): Promise<T[]>;
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
  /**
   * The UTC days (`YYYY-MM-DD`) in [from, to) on which the site has events, each with a
   * version that changes whenever that day's stored events change — or null while some of
   * them are not in their final form yet (the hot tier). Lets per-day results be reused.
   * Optional: a backend without it gets no reuse.
   */
  dayVersions?(siteId: string, from: Date, to: Date): Promise<Map<string, string | null>>;
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
  /** Allocates the next ingest sequence number. */
  nextSeq(): bigint;
  /** Resolves once the rows are durable (they survive kill -9) and will be visible to reads. */
  append(rows: StoredRow[], opts?: AppendOptions): Promise<void>;
  read<T>(fn: (q: QueryRunner) => Promise<T>): Promise<T>;
  /**
   * Streams one statement's result under the read lock (held until it resolves, so a flush
   * cannot swap files mid-stream): `build` gets the events relation (as `QueryRunner.events`)
   * and returns the SQL with bound parameters; `onRows` receives the rows chunk by chunk, as
   * arrays of values in select order, and is awaited before the next chunk is fetched — a
   * slow consumer slows the query instead of the result piling up in memory. Throwing from
   * `onRows` stops the stream. Resolves with the number of rows.
   */
  stream(
    build: (events: string) => { text: string; params: readonly SqlValue[] },
    onRows: (rows: readonly (readonly unknown[])[]) => Promise<void>,
  ): Promise<number>;
  flush(): Promise<FlushResult>;
  health(): Promise<StorageHealth>;
  close(): Promise<void>;
}
