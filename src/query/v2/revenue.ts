/**
 * Revenue metrics of a v2 request (`total_revenue`, `average_revenue`): by goal under an
 * `event:goal` dimension, or for the goals a goal filter selects when they share one currency
 * (Plausible answers null when they do not). Goals without a currency answer null.
 */
import type { QueryRunner } from '../../storage/storage.js';
import { type Goal, goalFilter, sharedCurrency } from '../goals.js';
import { type Revenue, revenueOf } from '../revenue.js';
import type { ResultRow } from '../run.js';
import type { V2Plan } from './request.js';
import type { V2Revenue } from './shape.js';

export async function v2Revenue(
  q: QueryRunner,
  plan: V2Plan,
  rows: readonly ResultRow[],
  goals: readonly Goal[] | undefined,
): Promise<V2Revenue> {
  const query = plan.query;
  let skipped = 0;
  const measure = async (filters: V2Plan['query']['filters'], currency: string) => {
    const r = await revenueOf(q, { siteId: query.siteId, period: query.period, filters }, currency);
    skipped += r.revenue_skipped;
    return r;
  };
  const at = plan.dimensions.indexOf('event:goal');
  if (at < 0) {
    // Without a goal dimension the goal filters chose the goals (goals.ts resolveGoals).
    const currency = sharedCurrency(goals ?? []);
    const single = currency === undefined ? null : await measure(query.filters, currency);
    return { of: () => single, skipped };
  }
  const byGoal = new Map<string, Revenue | null>();
  const others = query.filters.filter((f) => f.goal === undefined);
  for (const r of rows) {
    const name = r.dimensions[at] ?? '';
    if (byGoal.has(name)) continue;
    const goal = goals?.find((g) => g.displayName === name);
    byGoal.set(name, goal?.currency ? await measure([...others, goalFilter(goal)], goal.currency) : null);
  }
  return { of: (r) => byGoal.get(r.dimensions[at] ?? '') ?? null, skipped };
}
