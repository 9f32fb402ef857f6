/**
 * Rows in a request's order when it names a metric answered beside the builder's counts
 * (revenue.ts, engagement.ts, group_conversion_rate's group totals): plan.ts then leaves the
 * builder's query unpaged, these orders the rows, and shapeV2 pages them.
 */
import { isEngagementMetric, rounded, share } from '../metrics.js';
import type { ResultRow } from '../run.js';
import { GROUP_CONVERSION_RATE, isRevenueMetric, type V2Plan } from './request.js';
import { revenueValue, type V2Revenue } from './revenue.js';
import type { V2Engagement, V2GroupTotal } from './shape.js';

/** Whether an order key is a metric the builder does not count, so cannot order by. */
export const ordersInMemory = (key: string) => isRevenueMetric(key) || isEngagementMetric(key) || key === GROUP_CONVERSION_RATE;

export interface AnsweredBeside {
  revenue?: V2Revenue | undefined;
  engagement?: V2Engagement | undefined;
  groupTotal?: V2GroupTotal | undefined;
}

const text = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Each order key in turn — a dimension by its value, a counted metric by its number, a
 * metric answered beside by its value with nulls last either way (as ClickHouse orders them
 * for Plausible) — then the dimension values ascending, as the builder breaks ties.
 */
export function orderRows(rows: readonly ResultRow[], plan: V2Plan, beside: AnsweredBeside): ResultRow[] {
  const answered = (key: string, r: ResultRow): number | null => {
    if (isRevenueMetric(key)) return revenueValue(key, beside.revenue?.of(r) ?? null)?.value ?? null;
    if (isEngagementMetric(key)) return beside.engagement?.(r)[key] ?? null;
    // As answered (shape.ts): the row's visitors over its group's.
    if (key === GROUP_CONVERSION_RATE) return rounded.group_conversion_rate(share(r.visitors, beside.groupTotal?.(r) ?? 0));
    // conversion_rate orders as visitors do (metrics.ts orderExpr): one denominator for every row.
    const m = (key === 'conversion_rate' ? 'visitors' : key) as keyof Omit<ResultRow, 'dimensions'>;
    return r[m] ?? 0;
  };
  const dims = plan.dimensions.map((_d, i) => i);
  return [...rows].sort((a, b) => {
    for (const [key, dir] of plan.orderBy) {
      const i = plan.dimensions.indexOf(key);
      let c: number;
      if (i >= 0) c = text(a.dimensions[i] ?? '', b.dimensions[i] ?? '');
      else {
        const [x, y] = [answered(key, a), answered(key, b)];
        if (x === null || y === null) {
          if (x !== y) return x === null ? 1 : -1;
          continue;
        }
        c = x - y;
      }
      if (c !== 0) return dir === 'desc' ? -c : c;
    }
    for (const i of dims) {
      const c = text(a.dimensions[i] ?? '', b.dimensions[i] ?? '');
      if (c !== 0) return c;
    }
    return 0;
  });
}
