/**
 * ClickHouse's JSON output back into the JavaScript values the DuckDB client gives, so the
 * query layer reads one shape from either engine: 64-bit and wider integers as bigint,
 * times as Date (UTC), other numbers as number, Nullable as null, arrays element-wise.
 */

/** Converts one value of the named ClickHouse type (as JSONCompact…WithNamesAndTypes writes it). */
export function fromClickHouse(type: string, value: unknown): unknown {
  if (value === null) return null;
  const inner = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(type);
  if (inner?.[1]) return fromClickHouse(inner[1], value);
  const array = /^Array\((.*)\)$/.exec(type);
  if (array?.[1] && Array.isArray(value)) return value.map((v) => fromClickHouse(array[1] as string, v));
  if (/^U?Int(64|128|256)$/.test(type)) return BigInt(value as string);
  if (/^(U?Int(8|16|32)|Float(32|64)|Decimal)/.test(type)) return Number(value);
  if (/^DateTime/.test(type)) return new Date(`${(value as string).replace(' ', 'T')}Z`);
  if (/^Date(32)?$/.test(type)) return new Date(`${value as string}T00:00:00Z`);
  return value;
}
