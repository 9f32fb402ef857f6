/**
 * Revenue metrics of a v2 request (`total_revenue`, `average_revenue`): by goal under an
 * `event:goal` dimension, or for the goals a goal filter selects when they share one currency
 * (Plausible answers null when they do not), each grouped by the request's other dimensions.
 * Goals without a currency answer null.
 */
import type { QueryRunner } from '../../storage/storage.js';
import { type Goal, goalFilter, sharedCurrency } from '../goals.js';
import { type RevenueGroups, revenueBy } from '../revenue.js';
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
  const at = plan.dimensions.indexOf('event:goal');
  const dims = query.dimensions.filter((_d, i) => i !== at);
  const measure = (filters: V2Plan['query']['filters'], currency: string) =>
    revenueBy(q, { siteId: query.siteId, period: query.period, filters }, currency, dims);
  let of: V2Revenue['of'];
  if (at < 0) {
    // Without a goal dimension the goal filters chose the goals (goals.ts resolveGoals).
    const currency = sharedCurrency(goals ?? []);
    const groups = currency === undefined ? undefined : await measure(query.filters, currency);
    of = (r) => groups?.of(r.dimensions) ?? null;
  } else {
    const byGoal = new Map<string, RevenueGroups | null>();
    const others = query.filters.filter((f) => f.goal === undefined);
    for (const r of rows) {
      const name = r.dimensions[at] ?? '';
      if (byGoal.has(name)) continue;
      const goal = goals?.find((g) => g.displayName === name);
      byGoal.set(name, goal?.currency ? await measure([...others, goalFilter(goal)], goal.currency) : null);
    }
    of = (r) => byGoal.get(r.dimensions[at] ?? '')?.of(r.dimensions.filter((_v, i) => i !== at)) ?? null;
  }
  return { of, skipped: rows.reduce((n, r) => n + (of(r)?.revenue_skipped ?? 0), 0) };
}
