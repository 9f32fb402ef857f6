/**
 * The engine seam: every SQL function whose spelling differs between engines (DuckDB now,
 * ClickHouse next) is written here once; dimensions, filters and the builder call these.
 * Adding a backend means a second object of this shape, not a second copy of the queries.
 */
import { fragment, type Sql, sql } from './sql.js';

export type TimeUnit = 'hour' | 'day' | 'week' | 'month';

export interface Dialect {
  /** The n-th bound parameter (1-based). */
  placeholder(index: number): string;
  /** Start of the bucket (weeks start on Monday). */
  truncate(unit: TimeUnit, expr: string): string;
  /** Seconds between the first and the last `timestamp` of a group. */
  spanSeconds(): string;
  /** The value of `expr` on a group's first (or last) row by time, optionally among rows matching `where`. */
  firstByTime(expr: string, where?: string): string;
  lastByTime(expr: string, where?: string): string;
  /** A custom property's value as text (null when absent). */
  jsonText(column: string, key: string): Sql;
  contains(subject: Sql, needle: Sql): Sql;
  regexMatch(subject: Sql, pattern: string, caseSensitive: boolean): Sql;
  lower(expr: Sql): Sql;
}

const filtered = (where?: string) => (where ? ` FILTER (WHERE ${where})` : '');

export const duckdb: Dialect = {
  placeholder: (i) => `$${i}`,
  truncate: (unit, expr) => `date_trunc('${unit}', ${expr})`,
  spanSeconds: () => '(epoch_ms(max(timestamp)) - epoch_ms(min(timestamp))) / 1000.0',
  // seq breaks ties between events of the same millisecond, so answers are deterministic.
  firstByTime: (expr, where) => `first(${expr} ORDER BY timestamp, seq)${filtered(where)}`,
  lastByTime: (expr, where) => `last(${expr} ORDER BY timestamp, seq)${filtered(where)}`,
  jsonText: (column, key) => sql`json_extract_string(${fragment(column)}, ${`$."${key}"`})`,
  contains: (subject, needle) => sql`contains(${subject}, ${needle})`,
  regexMatch: (subject, pattern, caseSensitive) =>
    caseSensitive ? sql`regexp_matches(${subject}, ${pattern})` : sql`regexp_matches(${subject}, ${pattern}, 'i')`,
  lower: (expr) => sql`lower(${expr})`,
};

/** The dialect queries are built in; one place to switch when a second backend lands. */
export const dialect: Dialect = duckdb;
