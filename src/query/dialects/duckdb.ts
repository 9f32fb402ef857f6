/** DuckDB's spellings of the dialect (the embedded backend). */
import type { Dialect } from '../dialect.js';
import { fragment, sql } from '../sql.js';

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
  regexMatchText: (expr, pattern) => `regexp_matches(${expr}, '${pattern.replace(/'/g, "''")}')`,
  epochMs: (expr) => `epoch_ms(${expr})`,
  epochSeconds: (expr) => `(epoch_ms(${expr}) // 1000)::DOUBLE`,
  periodsBetween: (unit, from, to) =>
    unit === 'week' ? `(date_diff('day', ${from}, ${to}) // 7)` : `date_diff('${unit}', ${from}, ${to})`,
  localTime: (tz) => (tz ? sql`timezone(${tz}, timezone('UTC', timestamp))` : sql`timestamp`),
  like: (subject, pattern) => sql`(${subject} LIKE ${pattern} ESCAPE '\\')`,
  timestamp: (text) => sql`CAST(${text} AS TIMESTAMP)`,
  distinctList: (expr, where) => `list(DISTINCT ${expr}) FILTER (WHERE ${where})`,
  listLength: (expr) => `coalesce(len(${expr}), 0)`,
  unnest: (expr) => `unnest(${expr})`,
  unnestNumbered: (list, value, index) => `unnest(${list}) AS ${value}, generate_subscripts(${list}, 1) AS ${index}`,
  listOf: (expr) => `list(${expr})`,
  severalDistinct: (expr) => `CASE WHEN count(DISTINCT ${expr}) > 1 THEN list(DISTINCT ${expr}) END`,
  listOr: (list, single) => `coalesce(${list}, [${single}])`,
  listOrdered: (expr, order) => `list(${expr} ORDER BY ${order})`,
  flatten: (expr) => `flatten(${expr})`,
  listSlice: (expr, from, to) => `(${expr})[${from} : ${to}]`,
  listReverse: (expr) => `list_reverse(${expr})`,
  listContains: (expr, value) => `list_contains(${expr}, ${value})`,
  listPosition: (expr, value) => `list_position(${expr}, ${value})`,
  record: (fields) => `{${fields.map(([name, expr]) => `'${name}': ${expr}`).join(', ')}}`,
  recordField: (expr, fields, index) => `${expr}.${fields[index]?.[0]}`,
  // A DECIMAL(p, s) prints all its s digits.
  decimalText: (expr) => `CAST(${expr} AS VARCHAR)`,
  isoTime: (expr) => `strftime(${expr}, '%Y-%m-%dT%H:%M:%S.%gZ')`,
  jsonRows: (rows, columns) => {
    const shape = `'${JSON.stringify([Object.fromEntries(columns)])}'`;
    const json = JSON.stringify(
      rows,
      columns.map(([name]) => name),
    );
    return sql`SELECT unnest(from_json(CAST(${json} AS JSON), ${fragment(shape)}), recursive := true)`;
  },
  jsonKeys: (column) => `json_keys(${column})`,
  // DuckDB keeps a CTE read more than once by itself: `shared` leaves it to it.
  cte: (name, use) =>
    use === 'materialized' ? `${name} AS MATERIALIZED` : use === 'inline' ? `${name} AS NOT MATERIALIZED` : `${name} AS`,
  allExcept: (columns) => `* EXCLUDE (${columns.join(', ')})`,
  hasBits: (expr, bits) => `((${expr}) & ${bits}) = ${bits}`,
  bitOrAgg: (expr) => `bit_or(${expr})`,
  semiJoin: () => 'SEMI JOIN',
  neighbour: (expr, offset) => (offset >= 0 ? `lead(${expr}, ${offset})` : `lag(${expr}, ${-offset})`),
  argMin: (expr, key) => `arg_min(${expr}, ${key})`,
  listWithoutNulls: (expr) => `list_filter(${expr}, x -> x IS NOT NULL)`,
};
