/**
 * ClickHouse's JSON output back into the JavaScript values the DuckDB client gives, so the
 * query layer reads one shape from either engine: 64-bit and wider integers as bigint,
 * times as Date (UTC), other numbers as number, Nullable as null, arrays element-wise.
 */

type Convert = (value: unknown) => unknown;

const asIs: Convert = (v) => v;

/**
 * The converter of one ClickHouse type (as JSONCompact…WithNamesAndTypes names it): worked
 * out once per column of a result, not per value.
 */
export function converterOf(type: string): Convert {
  const inner = /^(?:Nullable|LowCardinality)\((.*)\)$/.exec(type);
  if (inner?.[1]) return converterOf(inner[1]);
  const array = /^Array\((.*)\)$/.exec(type);
  if (array?.[1]) {
    const element = converterOf(array[1]);
    return (v) => (Array.isArray(v) ? v.map((x) => (x === null ? null : element(x))) : v);
  }
  if (/^U?Int(64|128|256)$/.test(type)) return (v) => BigInt(v as string);
  if (/^(U?Int(8|16|32)|Float(32|64)|Decimal)/.test(type)) return Number;
  if (/^DateTime/.test(type)) return (v) => new Date(`${(v as string).replace(' ', 'T')}Z`);
  if (/^Date(32)?$/.test(type)) return (v) => new Date(`${v as string}T00:00:00Z`);
  return asIs;
}

/** Converts a row's values by their columns' converters; NULL stays NULL. */
export function convertRow(converters: readonly Convert[], row: readonly unknown[]): unknown[] {
  return row.map((v, i) => (v === null ? null : (converters[i] ?? asIs)(v)));
}
