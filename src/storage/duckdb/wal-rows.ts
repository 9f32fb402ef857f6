/**
 * The write-ahead log's segments read by the engine as event rows: what a flush writes to
 * Parquet. The log, not the hot table, is the record of what was acknowledged; the hot
 * table only makes rows queryable sooner, and under memory pressure the engine has been
 * seen to lose rows of an in-memory table after a failed commit. A line is the JSON array
 * of `encodeRow` (columns.ts): 64-bit integers as strings, times as epoch milliseconds.
 * A torn line (a write cut off by a crash or a full disk, never acknowledged) is skipped.
 */
import { EVENT_COLUMNS, LINE_LENGTHS } from '../columns.js';
import { literal } from './database.js';

function columnSql(kind: (typeof EVENT_COLUMNS)[number]['kind'], i: number, sqlType: string): string {
  const value = `line[${i + 1}]`;
  switch (kind) {
    case 'text':
      return value;
    case 'time':
      return `epoch_ms(${value}::BIGINT)`;
    default:
      return `${value}::${sqlType}`;
  }
}

/**
 * A relation of the segments' rows with every event column, in the hot table's types. A line
 * of an older release is shorter by the columns added since: they read as NULL (a list
 * index past the end is NULL). Each
 * line is read as a list of text values (strings unescaped, numbers as their digits), not of
 * JSON values to extract from: the same rows, and a 90k-row segment read into a table in
 * 223 instead of 379 ms, with ~10 MB less memory.
 */
export function walRowsSql(paths: readonly string[]): string {
  const columns = EVENT_COLUMNS.map((c, i) => `${columnSql(c.kind, i, c.sqlType)} AS ${c.name}`).join(', ');
  const files = `[${paths.map(literal).join(', ')}]`;
  return `(SELECT ${columns} FROM read_json(${files}, format = 'newline_delimited', records = false,
    columns = {line: 'VARCHAR[]'}, ignore_errors = true) WHERE len(line) IN (${LINE_LENGTHS.join(', ')}))`;
}
