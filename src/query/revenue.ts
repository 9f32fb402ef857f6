/**
 * Revenue of a goal (docs/METRICS.md, "Revenue"): the sum and mean of the revenue amounts its
 * completions carry in the goal's currency. Amounts in another currency are not converted or
 * mixed in; they are counted as skipped so an answer can say so. Read from the events in
 * scope (`scopedEvents`, as the behavioral analyses): rollups and visit rows keep no amounts.
 */
import type { QueryRunner } from '../storage/storage.js';
import { scopedEvents } from './builder.js';
import { round } from './metrics.js';
import { withScopeSource } from './scope-source.js';
import { join, render, sql } from './sql.js';
import type { Scope } from './stats.js';

export interface Revenue {
  currency: string;
  /** Sum of the amounts in `currency`; 0 when none. */
  total_revenue: number;
  /** Their mean over the completions that carried one; null when none did. */
  average_revenue: number | null;
  /** Completions with an amount in another currency, left out of both. */
  revenue_skipped: number;
}

/** The revenue of the events the scope's filters keep (a goal's filter among them), in `currency`. */
export async function revenueOf(
  q: QueryRunner,
  scope: Pick<Scope, 'siteId' | 'period' | 'filters'>,
  currency: string,
): Promise<Revenue> {
  return withScopeSource(q, scope, async (src) => {
    const paid = sql`revenue_amount IS NOT NULL AND revenue_currency = ${currency}`;
    const statement = sql`WITH ${join(scopedEvents(src, scope), ', ')}
      SELECT CAST(sum(revenue_amount) FILTER (WHERE ${paid}) AS DOUBLE) AS total,
             count(*) FILTER (WHERE ${paid}) AS paid,
             count(*) FILTER (WHERE revenue_amount IS NOT NULL AND revenue_currency <> ${currency}) AS skipped
      FROM scoped`;
    const { text, params } = render(statement, q.dialect);
    const [row] = await q.all<Record<string, unknown>>(text, params);
    const total = Number(row?.total ?? 0);
    const paidCount = Number(row?.paid ?? 0);
    return {
      currency,
      // Amounts have 4 decimals (storage/columns.ts REVENUE_SCALE): rounding drops float noise only.
      total_revenue: round(total, 4),
      average_revenue: paidCount === 0 ? null : round(total / paidCount, 2),
      revenue_skipped: Number(row?.skipped ?? 0),
    };
  });
}
