/**
 * The hot tier's queryable side: durable rows from the write-ahead log are appended to
 * an in-memory DuckDB table in batches (an appender commit costs ~0.3 ms, too much per
 * request), at most `maxDelayMs` after they were acknowledged, or at once before a query.
 */
import type { DuckDBAppender } from '@duckdb/node-api';
import { appendRow, type StoredRow } from '../columns.js';

export class HotTable {
  private pending: StoredRow[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly appender: DuckDBAppender,
    private readonly maxDelayMs = 50,
    private readonly maxPending = 5000,
  ) {}

  enqueue(rows: readonly StoredRow[]): void {
    for (const row of rows) this.pending.push(row);
    if (this.pending.length >= this.maxPending) this.drain();
    else if (!this.timer) this.timer = setTimeout(() => this.drain(), this.maxDelayMs);
  }

  get size(): number {
    return this.pending.length;
  }

  /** Makes every enqueued row visible to queries. */
  drain(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0) return;
    const rows = this.pending;
    this.pending = [];
    for (const row of rows) appendRow(this.appender, row);
    this.appender.flushSync();
  }

  close(): void {
    this.drain();
    this.appender.closeSync();
  }
}
