/**
 * The hot tier's queryable side: durable rows from the write-ahead log are appended to
 * an in-memory DuckDB table in batches (an appender commit costs ~0.3 ms, too much per
 * request), at most `maxDelayMs` after they were acknowledged, or at once before a query.
 *
 * An append can fail (the engine out of memory while queries hold it). The rows are in the
 * log already, so nothing is lost: they stay pending, a fresh appender is made after the
 * rows of the failed commit that did get in are deleted (every pending row has a higher
 * sequence number than every row in the table, so "seq ≥ the first pending" is exactly
 * them), and the append is tried again. A flush must not take rows up to a sequence number
 * while some are still pending (`pendingFrom`): it would release their log segment.
 */
import type { DuckDBAppender, DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { appendRow, type StoredRow } from '../columns.js';
import { failPoint } from '../crash-points.js';
import { HOT_TABLE } from './database.js';

const RETRY_MS = 200;

export class HotTable {
  private pending: StoredRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private repairing: Promise<void> | null = null;
  private closed = false;

  private constructor(
    private readonly conn: DuckDBConnection,
    private appender: DuckDBAppender,
    private readonly log: Logger,
    private readonly maxDelayMs: number,
    private readonly maxPending: number,
  ) {}

  static async open(conn: DuckDBConnection, log: Logger, maxDelayMs = 50, maxPending = 5000): Promise<HotTable> {
    return new HotTable(conn, await HotTable.appenderOn(conn), log, maxDelayMs, maxPending);
  }

  private static appenderOn(conn: DuckDBConnection): Promise<DuckDBAppender> {
    const [catalog, table] = HOT_TABLE.split('.');
    return conn.createAppender(table ?? '', 'main', catalog ?? '');
  }

  enqueue(rows: readonly StoredRow[]): void {
    for (const row of rows) this.pending.push(row);
    if (this.pending.length >= this.maxPending) this.drain();
    else this.later(this.maxDelayMs);
  }

  get size(): number {
    return this.pending.length;
  }

  /** The lowest sequence number not yet in the table, or null when every row is. */
  get pendingFrom(): bigint | null {
    return this.pending[0]?.seq ?? null;
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
      const from = rows[0]?.seq ?? 0n;
      // A warning: nothing is lost (the rows are in the log) and it is retried.
      this.log.warn({ err, rows: rows.length }, 'could not add rows to the hot table; they are in the log, retrying');
      this.repairing = this.repair(from).finally(() => {
        this.repairing = null;
        this.later(RETRY_MS);
      });
      return false;
    }
    this.pending = [];
    return true;
  }

  /**
   * `drain` for a query about to run: after a refused append, waits for the repair and tries
   * once more, so that a moment of memory pressure does not leave acknowledged rows out of
   * the answer. Still refused, the query answers without them (they follow within ~200 ms).
   */
  async settle(): Promise<boolean> {
    if (this.drain()) return true;
    if (this.repairing) await this.repairing;
    return this.drain();
  }

  /** Drops what a failed commit left behind and starts a fresh appender. */
  private async repair(from: bigint): Promise<void> {
    // Drop what the failed appender still buffers first: closed (or collected) with rows in
    // its buffer, it would commit them later, behind the retry's back.
    try {
      this.appender.clear();
    } catch {
      // nothing buffered, or nothing to be done about it: the delete below still runs
    }
    try {
      this.appender.closeSync();
    } catch {
      // a failed appender may refuse to close; it is replaced either way
    }
    while (!this.closed) {
      try {
        await this.conn.run(`DELETE FROM ${HOT_TABLE} WHERE seq >= $1`, [from]);
        this.appender = await HotTable.appenderOn(this.conn);
        return;
      } catch (err) {
        this.log.warn({ err }, 'hot table repair failed; retrying');
        await new Promise((r) => setTimeout(r, RETRY_MS));
      }
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
