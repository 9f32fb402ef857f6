/**
 * The engine seam: every SQL function whose spelling differs between engines (DuckDB now,
 * ClickHouse next) is written here once; dimensions, filters and the builder call these.
 * Adding a backend means a second object of this shape, not a second copy of the queries.
 */
import type { SqlValue } from '../storage/storage.js';
import { fragment, type Sql, sql } from './sql.js';

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

const filtered = (where?: string) => (where ? ` FILTER (WHERE ${where})` : '');

export const duckdb: Dialect = {
  placeholder: (index) => `$${index}`,
  truncate: (unit, expr) => `date_trunc('${unit}', ${expr})`,
  spanMs: () => '(epoch_ms(max(timestamp)) - epoch_ms(min(timestamp)))',
  // seq breaks ties between events of the same millisecond, so answers are deterministic.
  // arg_min_null keeps one candidate per group (an ordered aggregate buffers every row),
  // and, unlike arg_min, returns the value of that row even when it is NULL.
  firstByTime: (expr, where) => `arg_min_null(${expr}, {'t': timestamp, 's': seq})${filtered(where)}`,
  lastByTime: (expr, where) => `arg_max_null(${expr}, {'t': timestamp, 's': seq})${filtered(where)}`,
  jsonText: (column, key) => sql`json_extract_string(${fragment(column)}, ${`$."${key}"`})`,
  jsonTextOfKeyIn: (column, keyColumn) => `json_extract_string(${column}, '$."' || ${keyColumn} || '"')`,
  contains: (subject, needle) => sql`contains(${subject}, ${needle})`,
  regexMatch: (subject, pattern, caseSensitive) =>
    caseSensitive ? sql`regexp_matches(${subject}, ${pattern})` : sql`regexp_matches(${subject}, ${pattern}, 'i')`,
  lower: (expr) => sql`lower(${expr})`,
  epochSeconds: (expr) => `(epoch_ms(${expr}) // 1000)::DOUBLE`,
  periodsBetween: (unit, from, to) =>
    unit === 'week' ? `(date_diff('day', ${from}, ${to}) // 7)` : `date_diff('${unit}', ${from}, ${to})`,
  localTime: (tz) => (tz ? sql`timezone(${tz}, timezone('UTC', timestamp))` : sql`timestamp`),
  like: (subject, pattern) => sql`(${subject} LIKE ${pattern} ESCAPE '\\')`,
};

/** The dialect queries are built in; one place to switch when a second backend lands. */
export const dialect: Dialect = duckdb;
