/**
 * The engine seam: every SQL function whose spelling differs between engines is declared
 * here once and spelled per engine in dialects/ (DuckDB, ClickHouse); dimensions, filters
 * and the builder call these. A backend is an object of this shape, not a copy of the
 * queries. test/contract/dialect.cases.ts holds what each spelling must answer, and every
 * dialect runs it on its engine.
 */
import type { SqlValue } from '../storage/storage.js';
import type { Sql } from './sql.js';

export type TimeUnit = 'minute' | 'hour' | 'day' | 'week' | 'month';

/** The frame a window needs for `Dialect.neighbour` (standard SQL, the same in every engine). */
export const WHOLE_PARTITION = 'ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING';

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
  /**
   * `regexMatch` (case-sensitive) of a pattern the server wrote, spelled as a literal: for
   * statements handed around as text (relations), which carry no bound values.
   */
  regexMatchText(expr: string, pattern: string): string;
  /** Whole epoch seconds of a timestamp, truncated (not rounded), as a double (exact, and a plain JS number). */
  epochSeconds(expr: string): string;
  /** Epoch milliseconds of a timestamp, as an integer (NULL for NULL). */
  epochMs(expr: string): string;
  /** Whole periods from one bucket start to another (both already truncated to `unit`). */
  periodsBetween(unit: Exclude<TimeUnit, 'minute' | 'hour'>, from: string, to: string): string;
  /** The stored UTC `timestamp` as a time zone's wall-clock time (a bound zone name; UTC when absent). */
  localTime(tz: string | undefined): Sql;
  /** `subject LIKE pattern` where `\\` escapes `%`, `_` and itself in the pattern. */
  like(subject: Sql, pattern: string): Sql;
  /** A bound UTC time text (`YYYY-MM-DD hh:mm:ss.sss`) as a timestamp with milliseconds. */
  timestamp(text: Sql): Sql;
  /** Aggregate: the distinct values of `expr` among a group's rows matching `where`, as a list (empty or NULL when none). */
  distinctList(expr: string, where: string): string;
  /** The number of elements of a list from `distinctList` (0 for empty or NULL). */
  listLength(expr: string): string;
  /** Select item: one row per element of the list `expr` (the row's other columns repeated). */
  unnest(expr: string): string;
  /** Select items: `unnest` of `list` as column `value`, with the element's 1-based position as column `index`. */
  unnestNumbered(list: string, value: string, index: string): string;
  /** Aggregate: the group's values of `expr` as a list (in no particular order). */
  listOf(expr: string): string;
  /** Aggregate: the distinct values of `expr` as a list when there are two or more, else no list (NULL or empty). */
  severalDistinct(expr: string): string;
  /** The list `list`, or the one-element list of `single` where `list` is none (NULL or empty). */
  listOr(list: string, single: string): string;
  /** Aggregate: the group's values of `expr` as a list in the order of `order` (comma-separated keys, ascending, distinct). */
  listOrdered(expr: string, order: string): string;
  /** The elements of a list of lists, one list. */
  flatten(expr: string): string;
  /** Elements `from` to `to` (1-based, both included; integers) of a list; empty when `to` < `from`. */
  listSlice(expr: string, from: string, to: string): string;
  listReverse(expr: string): string;
  /** Whether a list holds `value`. */
  listContains(expr: string, value: string): string;
  /** The 1-based position of the first element equal to `value` in a list that holds it. */
  listPosition(expr: string, value: string): string;
  /** One value holding several named ones (an aggregate can pick them together). */
  record(fields: readonly (readonly [name: string, expr: string])[]): string;
  /** Field `index` of a `record` value built with `fields`. */
  recordField(expr: string, fields: readonly (readonly [name: string, expr: string])[], index: number): string;
  /** A decimal as text with exactly `scale` digits after the point (`-5.0000`). */
  decimalText(expr: string, scale: number): string;
  /** A timestamp as ISO 8601 UTC text with milliseconds (`2026-01-10T10:00:00.000Z`). */
  isoTime(expr: string): string;
  /** Rows given as objects (bound as one JSON text) as a relation with these typed columns, in order. */
  jsonRows(
    rows: readonly Record<string, unknown>[],
    columns: readonly (readonly [name: string, type: 'DATE' | 'BIGINT' | 'DOUBLE'])[],
  ): Sql;
  /** The keys of a JSON object text, as a list (`unnest` takes it). */
  jsonKeys(column: string): string;
  /**
   * The head of a CTE, `name AS` with the engine's hint: `materialized` computed once and
   * kept, `inline` computed by each reader (rows too many to keep), `shared` read by several
   * parts of the statement (kept where the engine would otherwise compute it for each).
   */
  cte(name: string, use: 'materialized' | 'inline' | 'shared'): string;
  /** `*` without some columns. */
  allExcept(columns: readonly string[]): string;
  /** True when every bit of `bits` is set in the integer `expr`. */
  hasBits(expr: string, bits: number): string;
  /** Aggregate: the bitwise OR of `expr` over a group's non-NULL values (NULL when there is none). */
  bitOrAgg(expr: string): string;
  /** The join that keeps each left row with a match once, and none of the right's columns (`l <semiJoin> r USING (k)`). */
  semiJoin(): string;
  /**
   * Window function: `expr` on the row `offset` rows after (negative: before) the current
   * one in the window's order, NULL past the partition's ends. The window's frame must be
   * `WHOLE_PARTITION`.
   */
  neighbour(expr: string, offset: number): string;
  /** Aggregate: `expr` on the group's row with the least `key`, among rows where neither is NULL (keys distinct). */
  argMin(expr: string, key: string): string;
  /** A list's non-NULL elements, in order; `list[i]` past its end is NULL. */
  listWithoutNulls(expr: string): string;
}
