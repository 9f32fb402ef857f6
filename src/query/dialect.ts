/**
 * The engine seam: every SQL function whose spelling differs between engines is declared
 * here once and spelled per engine in dialects/ (DuckDB, ClickHouse); dimensions, filters
 * and the builder call these. A backend is an object of this shape, not a copy of the
 * queries. test/contract/dialect.cases.ts holds what each spelling must answer, and every
 * dialect runs it on its engine.
 */
import type { SqlValue } from '../storage/storage.js';
import { duckdb } from './dialects/duckdb.js';
import type { Sql } from './sql.js';

export type TimeUnit = 'hour' | 'day' | 'week' | 'month';

export interface Dialect {
  /** The placeholder of the `index`-th (1-based) bound parameter, which holds `value`. */
  placeholder(index: number, value: SqlValue): string;
  /** Start of the bucket (weeks start on Monday). */
  truncate(unit: TimeUnit, expr: string): string;
  /** Whole milliseconds between the first and the last `timestamp` of a group. */
  spanMs(): string;
  /** The value of `expr` on a group's first (or last) row by time, optionally among rows matching `where`. */
  firstByTime(expr: string, where?: string): string;
  lastByTime(expr: string, where?: string): string;
  /** A custom property's value as text (null when absent). */
  jsonText(column: string, key: string): Sql;
  /** The same, for the key held in column `keyColumn` of each row: the same path as `jsonText` builds for that key. */
  jsonTextOfKeyIn(column: string, keyColumn: string): string;
  contains(subject: Sql, needle: Sql): Sql;
  regexMatch(subject: Sql, pattern: string, caseSensitive: boolean): Sql;
  lower(expr: Sql): Sql;
  /** Whole epoch seconds of a timestamp, truncated (not rounded), as a double (exact, and a plain JS number). */
  epochSeconds(expr: string): string;
  /** Whole periods from one bucket start to another (both already truncated to `unit`). */
  periodsBetween(unit: Exclude<TimeUnit, 'hour'>, from: string, to: string): string;
  /** The stored UTC `timestamp` as a time zone's wall-clock time (a bound zone name; UTC when absent). */
  localTime(tz: string | undefined): Sql;
  /** `subject LIKE pattern` where `\\` escapes `%`, `_` and itself in the pattern. */
  like(subject: Sql, pattern: string): Sql;
}

/** The dialect queries are built in; one place to switch when a second backend lands. */
export const dialect: Dialect = duckdb;
