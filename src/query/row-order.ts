/**
 * The builder's ORDER BY (builder.ts `orderClause`), in memory, for rows that no single
 * statement ordered: imported rows merged with stored ones (imported.ts), page rows joined with
 * their entering visits (entry-visits.ts), goal rows counted one goal at a time and rows
 * ordered by a metric answered beside the counts (v2/). One rule for all of them, so a row's
 * place never depends on which of these paths answered it: each term in turn, a missing value
 * (a ratio over no visits, a metric with no answer) last whichever the direction — as both
 * engines order NULLs here — then the dimension values ascending, so ties break the same way
 * every time and pages of rows do not overlap.
 */

export type OrderValue = string | number | null;

export interface OrderTerm<R> {
  value: (row: R) => OrderValue;
  dir: 'asc' | 'desc';
}

function compareValues(x: OrderValue, y: OrderValue): number {
  if (x === y) return 0;
  if (x === null) return 1;
  if (y === null) return -1;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * A comparator over `terms`, then (unless `tieBreak` is false: a caller keeping an order it
 * already has among equal rows) every dimension value ascending.
 */
export function byTerms<R extends { dimensions: readonly (string | number | undefined)[] }>(
  terms: readonly OrderTerm<R>[],
  tieBreak = true,
): (a: R, b: R) => number {
  return (a, b) => {
    for (const { value, dir } of terms) {
      const x = value(a);
      const y = value(b);
      if (x === null || y === null) {
        const c = compareValues(x, y);
        if (c !== 0) return c;
        continue;
      }
      const c = compareValues(x, y);
      if (c !== 0) return dir === 'desc' ? -c : c;
    }
    if (!tieBreak) return 0;
    const n = Math.max(a.dimensions.length, b.dimensions.length);
    for (let i = 0; i < n; i++) {
      const c = compareValues(a.dimensions[i] ?? '', b.dimensions[i] ?? '');
      if (c !== 0) return c;
    }
    return 0;
  };
}

/** A term reading a row's dimension by position. */
export const dimensionTerm = <R extends { dimensions: readonly (string | number | undefined)[] }>(
  index: number,
  dir: 'asc' | 'desc',
): OrderTerm<R> => ({ value: (r) => r.dimensions[index] ?? '', dir });
