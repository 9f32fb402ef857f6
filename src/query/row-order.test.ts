import { describe, expect, it } from 'vitest';
import { byTerms, dimensionTerm, type OrderTerm } from './row-order.js';

interface Row {
  dimensions: string[];
  n: number | null;
}
const row = (d: string, n: number | null): Row => ({ dimensions: [d], n });
const byN = (dir: 'asc' | 'desc'): OrderTerm<Row> => ({ value: (r) => r.n, dir });
const names = (rows: Row[]) => rows.map((r) => r.dimensions[0]);
const ROWS = [row('c', 2), row('a', null), row('b', 2), row('d', 1)];

describe('row-order', () => {
  it('orders by each term, a missing value last whichever the direction, ties by dimension ascending', () => {
    expect(names([...ROWS].sort(byTerms([byN('desc')])))).toEqual(['b', 'c', 'd', 'a']);
    expect(names([...ROWS].sort(byTerms([byN('asc')])))).toEqual(['d', 'b', 'c', 'a']);
  });

  it('orders by a dimension term, in either direction', () => {
    expect(names([...ROWS].sort(byTerms([dimensionTerm<Row>(0, 'desc')])))).toEqual(['d', 'c', 'b', 'a']);
  });

  it('without the tie-break keeps the order equal rows came in', () => {
    expect(names([...ROWS].sort(byTerms([byN('desc')], false)))).toEqual(['c', 'b', 'd', 'a']);
  });
});
