/**
 * The hot tier's queryable side: durable rows from the write-ahead log are appended to
 * an in-memory DuckDB table when a query is about to read it (or when `maxPending` rows
 * wait), not as they arrive: appending is synchronous work on the event loop (~30 calls
 * into the engine per row, and a commit), 7% of the ingest profile when it ran every
 * 50 ms, and under steady traffic a flush usually takes the rows before any query asks.
 * Only queries read it: a flush writes the log's rows (wal-rows.ts), then has the table
 * `forget` them.
 *
 * An append can fail (the engine out of memory while queries hold it). The rows are in the
 * log already, so nothing is lost: they stay pending, the rows of the failed commit that did
 * get in are deleted (every pending row has a higher sequence number than every row in the
 * table, so "seq ≥ the first pending" is exactly them), and a fresh appender tries again,
 * until counting the table back finds every row.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { DAY_MS, utcDate } from '../../utc-days.js';
import { appendRow, type StoredRow } from '../columns.js';
import { failing, failPoint } from '../crash-points.js';
import { HOT_TABLE } from './database.js';

const RETRY_MS = 200;
/** How soon rows that a refused append left pending are appended again. */
const DRAIN_RETRY_MS = 50;

/**
 * How many rows may wait for a query before they are appended anyway: well above the flush
 * threshold, so that neither steady traffic nor batches of 10,000 (several in flight while a
 * flush runs) are appended just before a flush takes them (batches, under the profiler:
 * 20.3-22.5k -> 26.5-28.0k events/s with 30,000 instead of 10,000). Capped: rows waiting in
 * JavaScript take more memory than in the table.
 */
export const waitingLimit = (flushCount: number): number => Math.min(Math.max(30_000, 2 * flushCount), 50_000);
/** How long a query waits for a repair in progress. */
const SETTLE_MS = 1000;

export class HotTable {
  private pending: StoredRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private repairing: Promise<void> | null = null;
  private closed = false;
  /** The highest sequence number a flush has taken: rows up to it are never appended again. */
  private forgotten = 0n;
  /**
   * Each site's UTC days (day numbers) with rows here, appended or pending, with the highest
   * sequence number among them: which days a query must scan here, without asking the table
   * on every query. A day leaves when a flush takes all its rows; retention deleting rows
   * leaves it listed, so the list is never short of a day, at worst long by one.
   */
  private readonly days = new Map<string, Map<number, bigint>>();

  private constructor(
    private readonly conn: DuckDBConnection,
    private appender: DuckDBAppender,
    private readonly log: Logger,
    private readonly maxPending: number,
  ) {}

  static async open(conn: DuckDBConnection, log: Logger, maxPending: number): Promise<HotTable> {
    return new HotTable(conn, await HotTable.appenderOn(conn), log, maxPending);
  }

  private static appenderOn(conn: DuckDBConnection): Promise<DuckDBAppender> {
    const [catalog, table] = HOT_TABLE.split('.');
    return conn.createAppender(table ?? '', 'main', catalog ?? '');
  }

  enqueue(rows: readonly StoredRow[]): void {
    for (const row of rows) {
      this.pending.push(row);
      const days = this.days.get(row.site_id) ?? new Map<number, bigint>();
      if (days.size === 0) this.days.set(row.site_id, days);
      const day = Math.floor(row.timestamp.getTime() / DAY_MS);
      if ((days.get(day) ?? -1n) < row.seq) days.set(day, row.seq);
    }
    if (this.pending.length >= this.maxPending) this.drain();
  }

  get size(): number {
    return this.pending.length;
  }

  /**
   * Rows up to `upTo` are in Parquet now: those still pending are dropped, and a retried
   * append leaves them out (the caller deletes those the table holds).
   */
  forget(upTo: bigint): void {
    if (upTo > this.forgotten) this.forgotten = upTo;
    this.pending = this.pending.filter((r) => r.seq > upTo);
    for (const [site, days] of this.days) {
      for (const [day, top] of days) if (top <= upTo) days.delete(day);
      if (days.size === 0) this.days.delete(site);
    }
  }

  /** The UTC days (`YYYY-MM-DD`) on which the site has rows in the hot tier (see `days`). */
  daysOf(siteId: string): string[] {
    return [...(this.days.get(siteId)?.keys() ?? [])].map((d) => utcDate(new Date(d * DAY_MS)));
  }

  /** Makes every enqueued row visible to queries; false (and retried soon) when the engine refused them. Never throws. */
  drain(): boolean {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return true;
    if (this.repairing) return false;
    const rows = this.pending;
    try {
      for (const row of rows) appendRow(this.appender, row);
      failPoint('hot.append');
      this.appender.flushSync();
    } catch (err) {
      // A warning: nothing is lost (the rows are in the log) and it is retried.
      this.log.warn({ err, rows: rows.length }, 'could not add rows to the hot table; they are in the log, retrying');
      this.repairing = this.repair(rows[0]?.seq ?? 0n).finally(() => {
        this.repairing = null;
        if (this.pending.length > 0) this.later(DRAIN_RETRY_MS);
      });
      return false;
    }
    this.pending = [];
    return true;
  }

  /**
   * `drain` for a query about to run: after a refused append, waits for the repair (up to
   * `SETTLE_MS`), so that a moment of memory pressure does not leave acknowledged rows out
   * of the answer. Longer pressure, and the query answers without them rather than holding
   * the store's read lock (and every flush behind it) for as long as the pressure lasts.
   */
  async settle(): Promise<boolean> {
    if (this.drain()) return true;
    const repairing = this.repairing;
    if (repairing) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([repairing, new Promise((r) => (timer = setTimeout(r, SETTLE_MS)))]);
      clearTimeout(timer);
    }
    return this.drain();
  }

  /**
   * After a refused append: drops what it left in the table (every row from `from` on),
   * appends the pending rows again with a fresh appender, and counts them back. The count
   * is not a formality: under memory pressure a commit after a failed one has reported
   * success with a chunk of its rows missing (2,048 of 3,475 in a soak run); queries would
   * not see them until the next flush. Repeats, a moment apart, until the count holds.
   */
  private async repair(from: bigint): Promise<void> {
    this.discardAppender();
    while (!this.closed) {
      await new Promise((r) => setTimeout(r, RETRY_MS));
      // Rows enqueued meanwhile are at the end of `pending`, with higher sequence numbers.
      const rows = this.pending.slice();
      if (rows.length === 0) return; // a flush took them all
      try {
        await this.conn.run(`DELETE FROM ${HOT_TABLE} WHERE seq >= $1`, [from]);
        this.appender = await HotTable.appenderOn(this.conn);
        for (const row of rows) appendRow(this.appender, row);
        failPoint('hot.append');
        this.appender.flushSync();
        if (failing('hot.short-commit')) await this.conn.run(`DELETE FROM ${HOT_TABLE} WHERE seq = $1`, [from]);
        // Rows a flush took meanwhile may be gone or not yet: counted on neither side.
        const flushed = this.forgotten;
        const expected = rows.filter((r) => r.seq > flushed).length;
        const found = Number(
          (
            await this.conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${HOT_TABLE} WHERE seq >= $1 AND seq > $2`, [
              from,
              flushed,
            ])
          ).getRowObjectsJS()[0]?.n,
        );
        if (found === expected) {
          // The rows appended leave `pending`; those that arrived (or that a flush took) meanwhile are settled there.
          const appended = new Set(rows);
          this.pending = this.pending.filter((r) => !appended.has(r));
          return;
        }
        this.log.warn(
          { rows: expected, found },
          'the hot table does not hold every row of a retried append; appending them again',
        );
      } catch (err) {
        this.log.warn({ err, rows: rows.length }, 'could not add rows to the hot table; they are in the log, retrying');
      }
      this.discardAppender();
    }
  }

  /**
   * Drops what the appender still buffers, then closes it: closed (or collected) with rows in
   * its buffer, it would commit them later, behind the retry's back.
   */
  private discardAppender(): void {
    try {
      this.appender.clear();
    } catch {
      // nothing buffered, or nothing to be done about it: the repair deletes what got in
    }
    try {
      this.appender.closeSync();
    } catch {
      // a failed appender may refuse to close; it is replaced either way
    }
  }

  private later(ms: number): void {
    if (!this.timer) this.timer = setTimeout(() => this.drain(), ms);
  }

  close(): void {
    this.drain();
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    try {
      this.appender.closeSync();
    } catch {
      // closing after a failed append: the rows are in the log
    }
  }
}
