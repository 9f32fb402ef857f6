/**
 * Rows in a request's order when it names a metric answered beside the builder's counts
 * (revenue.ts, engagement.ts, group_conversion_rate's group totals): plan.ts then leaves the
 * builder's query unpaged, these orders the rows, and shapeV2 pages them.
 */
import { isEngagementMetric, rounded, share } from '../metrics.js';
import { byTerms, dimensionTerm, type OrderTerm } from '../row-order.js';
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

/**
 * Each order key in turn — a dimension by its value, a counted metric by its number, a metric
 * answered beside by its value, missing ones last either way (row-order.ts) — then the
 * dimension values ascending, as the builder breaks ties.
 */
export function orderRows(rows: readonly ResultRow[], plan: V2Plan, beside: AnsweredBeside): ResultRow[] {
  const answered =
    (key: string) =>
    (r: ResultRow): number | null => {
      if (isRevenueMetric(key)) return revenueValue(key, beside.revenue?.of(r) ?? null)?.value ?? null;
      if (isEngagementMetric(key)) return beside.engagement?.(r)[key] ?? null;
      // As answered (shape.ts): the row's visitors over its group's.
      if (key === GROUP_CONVERSION_RATE) return rounded.group_conversion_rate(share(r.visitors, beside.groupTotal?.(r) ?? 0));
      // conversion_rate orders as visitors do (metrics.ts orderExpr): one denominator for every row.
      const m = (key === 'conversion_rate' ? 'visitors' : key) as keyof Omit<ResultRow, 'dimensions'>;
      return r[m] ?? 0;
    };
  const terms = plan.orderBy.map(([key, dir]): OrderTerm<ResultRow> => {
    const i = plan.dimensions.indexOf(key);
    return i >= 0 ? dimensionTerm(i, dir) : { value: answered(key), dir };
  });
  return [...rows].sort(byTerms(terms));
}
