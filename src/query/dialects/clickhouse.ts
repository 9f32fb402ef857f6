/**
 * ClickHouse's spellings of the dialect (the scale-out backend). Where ClickHouse's own
 * function differs from DuckDB's at an edge (NULL in an aggregate, a key missing from a
 * JSON object, Unicode case), the spelling here is chosen to answer what DuckDB answers;
 * test/contract/dialect.cases.ts pins each of those edges on both engines.
 */
import type { SqlValue } from '../../storage/storage.js';
import type { Dialect } from '../dialect.js';
import { fragment, type Sql, serverText, sql } from '../sql.js';

const INT64_MAX = 2n ** 63n - 1n;

/** ClickHouse binds parameters by name with their type in the placeholder. */
function typeOf(value: SqlValue): string {
  if (value === null) return 'Nullable(String)';
  switch (typeof value) {
    case 'bigint':
      return value > INT64_MAX ? 'UInt64' : 'Int64';
    case 'number':
      return Number.isSafeInteger(value) ? 'Int64' : 'Float64';
    case 'boolean':
      return 'Bool';
    default:
      return 'String';
  }
}

/**
 * DuckDB's `arg_min_null`: the value on the group's first row by (timestamp, seq), NULL
 * included, and NULL when no row qualifies. A tuple keeps a NULL value from being skipped;
 * the count keeps an empty group from answering the type's default ('' for a string).
 */
function byTime(fn: 'argMin' | 'argMax', expr: string, where?: string): string {
  if (!where) return `${fn}(tuple(${expr}), (timestamp, seq)).1`;
  return `if(countIf(${where}) = 0, NULL, ${fn}If(tuple(${expr}), (timestamp, seq), ${where}).1)`;
}

export interface ClickHouseFeatures {
  /** `WITH x AS MATERIALIZED (…)`: servers that have the `enable_materialized_cte` setting (26.7 has; 24.3 has not). */
  materializedCte: boolean;
}

/**
 * The spellings for a server with these features. ClickHouse computes a plain CTE once per
 * reference; where materialized CTEs exist, the builder's shared ones are kept (the visit
 * rows of a breakdown: 482 → 191 ms at 200k events), elsewhere each reader computes them.
 */
export const clickhouseDialect = (features: ClickHouseFeatures): Dialect => ({
  placeholder: (index, value) => `{p${index}:${typeOf(value)}}`,
  truncate: (unit, expr) =>
    unit === 'minute'
      ? `toStartOfMinute(${expr})`
      : unit === 'hour'
        ? `toStartOfHour(${expr})`
        : unit === 'day'
          ? `toStartOfDay(${expr})`
          : `toDateTime(${unit === 'week' ? `toMonday(${expr})` : `toStartOfMonth(${expr})`}, 'UTC')`,
  spanMs: () => '(toUnixTimestamp64Milli(max(timestamp)) - toUnixTimestamp64Milli(min(timestamp)))',
  firstByTime: (expr, where) => byTime('argMin', expr, where),
  lastByTime: (expr, where) => byTime('argMax', expr, where),
  jsonText: (column, key) => jsonTextSql(column, sql`${key}`),
  jsonTextOfKeyIn: (column, keyColumn) => serverText(jsonTextSql(column, fragment(keyColumn)), clickhouse),
  contains: (subject, needle) => sql`toBool(position(${subject}, ${needle}) > 0)`,
  regexMatch: (subject, pattern, caseSensitive) =>
    caseSensitive ? sql`toBool(match(${subject}, ${pattern}))` : sql`toBool(match(${subject}, concat('(?i)', ${pattern})))`,
  lower: (expr) => sql`lowerUTF8(${expr})`,
  regexMatchText: (expr, pattern) => `toBool(match(${expr}, '${pattern.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'))`,
  epochMs: (expr) => `toUnixTimestamp64Milli(${expr})`,
  epochSeconds: (expr) => `toFloat64(intDiv(toUnixTimestamp64Milli(${expr}), 1000))`,
  periodsBetween: (unit, from, to) =>
    unit === 'week' ? `intDiv(dateDiff('day', ${from}, ${to}), 7)` : `dateDiff('${unit}', ${from}, ${to})`,
  localTime: (tz) => (tz ? sql`addSeconds(timestamp, timeZoneOffset(toTimeZone(timestamp, ${tz})))` : sql`timestamp`),
  like: (subject, pattern) => sql`toBool(${subject} LIKE ${pattern})`,
  timestamp: (text) => sql`toDateTime64(${text}, 3, 'UTC')`,
  distinctList: (expr, where) => `groupUniqArrayIf(${expr}, ${where})`,
  listLength: (expr) => `length(${expr})`,
  unnest: (expr) => `arrayJoin(${expr})`,
  // Two arrayJoins in one SELECT would pair every element with every other: the positions
  // are joined, and the element read by position.
  unnestNumbered: (list, value, index) => `arrayJoin(arrayEnumerate(${list})) AS ${index}, ${list}[${index}] AS ${value}`,
  listOf: (expr) => `groupArray(${expr})`,
  // An array cannot be NULL (nor sit NULL in a tuple): none is the empty array.
  severalDistinct: (expr) => `if(uniqExact(${expr}) > 1, arraySort(groupUniqArray(${expr})), [])`,
  listOr: (list, single) => `if(empty(${list}), [${single}], ${list})`,
  // Sorted by the keys after grouping: groupArray keeps no order of its own.
  listOrdered: (expr, order) => `arrayMap(x -> x.2, arraySort(x -> x.1, groupArray(tuple(tuple(${order}), ${expr}))))`,
  flatten: (expr) => `arrayFlatten(${expr})`,
  listSlice: (expr, from, to) => `arraySlice(${expr}, ${from}, greatest((${to}) - (${from}) + 1, 0))`,
  listReverse: (expr) => `arrayReverse(${expr})`,
  listContains: (expr, value) => `toBool(has(${expr}, ${value}))`,
  listPosition: (expr, value) => `indexOf(${expr}, ${value})`,
  record: (fields) => `tuple(${fields.map(([, expr]) => expr).join(', ')})`,
  recordField: (expr, _fields, index) => `tupleElement(${expr}, ${index + 1})`,
  decimalText: (expr, scale) => `toDecimalString(${expr}, ${scale})`,
  // %f prints as many digits as a setting says: the milliseconds are spelled out instead.
  isoTime: (expr) =>
    `concat(formatDateTime(${expr}, '%Y-%m-%dT%H:%i:%S', 'UTC'), '.', leftPad(toString(toUnixTimestamp64Milli(${expr}) % 1000), 3, '0'), 'Z')`,
  jsonRows: (rows, columns) => {
    const types = { DATE: 'Date', BIGINT: 'Int64', DOUBLE: 'Float64' } as const;
    const structure = columns.map(([name, type]) => `${name} ${types[type]}`).join(', ');
    const names = columns.map(([name]) => name);
    const lines = rows.map((r) => JSON.stringify(r, names)).join('\n');
    return sql`SELECT * FROM format(JSONEachRow, ${fragment(`'${structure}'`)}, ${lines})`;
  },
  // An array cannot be NULL in ClickHouse: no object, no keys.
  jsonKeys: (column) => `JSONExtractKeys(ifNull(${column}, ''))`,
  allExcept: (columns) => `* EXCEPT (${columns.join(', ')})`,
  hasBits: (expr, bits) => `toBool(bitAnd(${expr}, ${bits}) = ${bits})`,
  // OrNull: no value is NULL, as in DuckDB, not 0.
  bitOrAgg: (expr) => `groupBitOrOrNull(${expr})`,
  semiJoin: () => 'LEFT SEMI JOIN',
  // The InFrame functions read the frame (hence WHOLE_PARTITION); past it they answer the
  // type's default, which for a Nullable is NULL.
  neighbour: (expr, offset) =>
    offset >= 0 ? `leadInFrame(toNullable(${expr}), ${offset})` : `lagInFrame(toNullable(${expr}), ${-offset})`,
  argMin: (expr, key) => `argMin(${expr}, ${key})`,
  // Elements made Nullable: past the end an array answers its element type's default ('' for a String).
  listWithoutNulls: (expr) => `arrayMap(x -> toNullable(x), arrayFilter(x -> x IS NOT NULL, ${expr}))`,
  cte: (name, use) => (use !== 'inline' && features.materializedCte ? `${name} AS MATERIALIZED` : `${name} AS`),
});

/** The spellings for the servers the tests run (ClickHouse 26). */
export const clickhouse: Dialect = clickhouseDialect({ materializedCte: true });

/**
 * DuckDB's `json_extract_string(column, '$."key"')`: a string value as its text, any other
 * value as its JSON text, NULL for a missing key or a JSON null. The key is a key, never a
 * path, in both.
 */
function jsonTextSql(column: string, key: Sql): Sql {
  const c = fragment(column);
  return sql`multiIf(NOT JSONHas(${c}, ${key}) OR JSONType(${c}, ${key}) = 'Null', NULL,
    JSONType(${c}, ${key}) = 'String', JSONExtractString(${c}, ${key}), JSONExtractRaw(${c}, ${key}))`;
}
