/**
 * The hot tier's queryable side: an in-memory DuckDB table that the engine fills in bulk
 * from the write-ahead log's own files (wal-rows.ts), when a query is about to read it.
 * Ingest never touches the engine: a row is in the log, and this side only notes its day
 * and number. Appending row by row on the event loop instead (~30 calls into the engine
 * per row) was a fifth of the main thread's time under batch traffic, in stretches of up
 * to a second that every request and every flush statement waited behind, and the rows
 * waiting for it were held in JavaScript. Only queries read the table: a flush writes the
 * log's rows, then has the table `forget` them.
 *
 * A load is one `INSERT … SELECT` of the rows numbered after the last load, up to the
 * highest number durable when it starts: the log is read while ingest writes to it, and a
 * line being written then is either past that number or not yet whole (and skipped). The
 * rows inserted are counted against the rows noted: under memory pressure the engine has
 * been seen to report success for a commit that lost rows; then they are deleted and the
 * load is tried again.
 */
import type { DuckDBConnection } from '@duckdb/node-api';
import type { Logger } from 'pino';
import { DAY_MS, utcDate } from '../../utc-days.js';
import type { StoredRow } from '../columns.js';
import { failing, failPoint } from '../crash-points.js';
import { HOT_TABLE } from './database.js';
import { walRowsSql } from './wal-rows.js';

/** The log as this table reads it. */
export interface LogFiles {
  /** The files of the segments that hold rows numbered above `seq` (a flush has not released them). */
  filesAfter(seq: bigint): string[];
}

/** How often a query tries to load before it answers without the rows that would not load. */
const LOAD_ATTEMPTS = 3;
const RETRY_MS = 100;

export class HotTable {
  /** The highest number in the table. */
  private loaded = 0n;
  /** The highest number durable in the log. */
  private durable = 0n;
  /** The highest number a flush has taken: rows up to it are never loaded again. */
  private forgotten = 0n;
  /** Rows noted and not loaded, per commit (their highest number): what a load must insert. */
  private waiting: { top: bigint; rows: number }[] = [];
  /** Rows of the log at start-up that a Parquet file already holds (see `skipAtStart`). */
  private skipped: string | null = null;
  private loading: Promise<boolean> | null = null;
  /** A load failed after it may have inserted rows: the next one deletes them first. */
  private dirty = false;
  /**
   * Each site's UTC days (day numbers) with rows here, loaded or not, with the highest
   * sequence number among them: which days a query must scan here, without asking the table
   * on every query. A day leaves when a flush takes all its rows; retention deleting rows
   * leaves it listed, so the list is never short of a day, at worst long by one.
   */
  private readonly days = new Map<string, Map<number, bigint>>();

  constructor(
    private readonly conn: DuckDBConnection,
    private readonly log: Logger,
    private readonly files: LogFiles,
  ) {}

  /** Rows now durable in the log (one commit, or the rows replayed at start-up). */
  note(rows: readonly StoredRow[]): void {
    if (rows.length === 0) return;
    let top = 0n;
    for (const row of rows) {
      const days = this.days.get(row.site_id) ?? new Map<number, bigint>();
      if (days.size === 0) this.days.set(row.site_id, days);
      const day = Math.floor(row.timestamp.getTime() / DAY_MS);
      if ((days.get(day) ?? -1n) < row.seq) days.set(day, row.seq);
      if (row.seq > top) top = row.seq;
    }
    this.waiting.push({ top, rows: rows.length });
    if (top > this.durable) this.durable = top;
  }

  /**
   * At start-up, a condition matching the replayed rows a Parquet file already holds (a crash
   * between installing a flush's files and deleting its log): loads leave them out, until
   * the first flush takes the whole replayed log.
   */
  skipAtStart(condition: string | null): void {
    this.skipped = condition;
  }

  /** Rows noted and not yet in the table. */
  get size(): number {
    return this.waiting.reduce((n, w) => n + w.rows, 0);
  }

  /** Rows up to `upTo` are in Parquet now (the caller deletes those the table holds). */
  forget(upTo: bigint): void {
    if (upTo > this.forgotten) this.forgotten = upTo;
    this.waiting = this.waiting.filter((w) => w.top > upTo);
    this.skipped = null;
    for (const [site, days] of this.days) {
      for (const [day, top] of days) if (top <= upTo) days.delete(day);
      if (days.size === 0) this.days.delete(site);
    }
  }

  /** The sites with rows in the hot tier (see `days`: at worst one whose rows retention just deleted). */
  sites(): string[] {
    return [...this.days.keys()];
  }

  /** The UTC days (`YYYY-MM-DD`) on which the site has rows in the hot tier (see `days`). */
  daysOf(siteId: string): string[] {
    return [...(this.days.get(siteId)?.keys() ?? [])].map((d) => utcDate(new Date(d * DAY_MS)));
  }

  /**
   * Makes every durable row queryable, for a query about to run (under the store's read lock,
   * so no flush deletes rows or log files meanwhile). False when the engine refused them a
   * few times over: the query then answers without them rather than holding the lock (and
   * every flush behind it) for as long as memory pressure lasts. Never throws.
   */
  async settle(): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      while (this.loading) await this.loading;
      if (this.waiting.length === 0) return true;
      this.loading = this.load().finally(() => {
        this.loading = null;
      });
      if (await this.loading) return true;
      if (attempt === LOAD_ATTEMPTS) return false;
      await new Promise((r) => setTimeout(r, RETRY_MS));
    }
  }

  private async load(): Promise<boolean> {
    const from = this.loaded > this.forgotten ? this.loaded : this.forgotten;
    const upTo = this.durable;
    const expected = this.waiting.reduce((n, w) => (w.top > from && w.top <= upTo ? n + w.rows : n), 0);
    const range = `seq > ${from} AND seq <= ${upTo}`;
    try {
      // What a failed load may have left is deleted before anything is loaded again.
      if (this.dirty) await this.conn.run(`DELETE FROM ${HOT_TABLE} WHERE seq > ${from}`);
      this.dirty = false;
      failPoint('hot.append');
      this.dirty = true;
      const skip = this.skipped ? ` AND NOT (${this.skipped})` : '';
      const files = this.files.filesAfter(from);
      // Never empty while rows wait (a segment is released only after a flush took its rows); checked all the same.
      if (files.length === 0) throw new Error('the log holds no segment with the rows to load');
      await this.conn.run(`INSERT INTO ${HOT_TABLE} SELECT * FROM ${walRowsSql(files)} WHERE ${range}${skip}`);
      if (failing('hot.short-commit')) await this.conn.run(`DELETE FROM ${HOT_TABLE} WHERE seq = ${upTo}`);
      const found = Number(
        (await this.conn.runAndReadAll(`SELECT count(*)::BIGINT AS n FROM ${HOT_TABLE} WHERE ${range}`)).getRowObjectsJS()[0]?.n,
      );
      if (found !== expected) {
        this.log.warn({ rows: expected, found }, 'the hot table does not hold every row just loaded; loading them again');
        return false;
      }
      this.dirty = false;
    } catch (err) {
      // A warning: nothing is lost (the rows are in the log) and the next query tries again.
      this.log.warn({ err, rows: expected }, 'could not load rows into the hot table; they are in the log');
      return false;
    }
    this.loaded = upTo;
    this.waiting = this.waiting.filter((w) => w.top > upTo);
    return true;
  }
}
