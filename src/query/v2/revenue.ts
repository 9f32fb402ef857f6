/**
 * Revenue metrics of a v2 request (`total_revenue`, `average_revenue`), as Plausible decides
 * them (its Goal.Revenue.preload): over the goals the top-level goal filters select (all the
 * site's goals when there is none), only with an `event:goal` dimension or filter —
 * - by goal (the dimension): each row in its goal's currency, `null` for a goal without one;
 * - without the dimension: the revenue goals among the selected ones together, when they
 *   count in one currency;
 * - otherwise every value is `null` and `meta.metric_warnings` says why: no revenue goal
 *   among them (`no_revenue_goals_matching`), or several currencies
 *   (`no_single_revenue_currency`).
 * Each grouped by the request's other dimensions; only the completions of revenue goals carry
 * revenue. Values are money objects (money.ts).
 */
import type { QueryRunner } from '../../storage/storage.js';
import { type Goal, goalFilter, revenueCompletions, revenueCurrencies } from '../goals.js';
import { type RevenueGroups, type RevenueSums, revenueBy, UNITS } from '../revenue.js';
import type { ResultRow } from '../run.js';
import { decimalString, type Money, money } from './money.js';
import type { RevenueMetric, V2Plan } from './request.js';

export type RevenueWarningCode = 'no_revenue_goals_matching' | 'no_single_revenue_currency';

const WARNINGS: Record<RevenueWarningCode, string> = {
  no_revenue_goals_matching: 'Revenue metrics are null as there are no matching revenue goals.',
  no_single_revenue_currency: 'Revenue metrics are null as there are multiple currencies for the selected event:goals.',
};

export interface RevenueWarning {
  code: RevenueWarningCode;
  warning: string;
}

/** Revenue answers of a request with revenue metrics. */
export interface V2Revenue {
  /** A row's sums; null when the row has no currency to answer in. */
  of: (r: ResultRow) => RevenueSums | null;
  /** Why every revenue value is null, when they all are. */
  warning?: RevenueWarning;
}

/**
 * A revenue metric of a row as Plausible answers it: `total_revenue` the exact sum;
 * `average_revenue` the mean over the completions that carried an amount, cut (not rounded)
 * to 3 decimals as Plausible's Decimal64(3) does; 0 when nothing was paid.
 */
export function revenueValue(m: RevenueMetric, sums: RevenueSums | null): Money | null {
  if (sums === null) return null;
  if (m === 'total_revenue') return money(decimalString(sums.totalUnits, Math.log10(UNITS)), sums.currency);
  const thousandths = sums.paid === 0 ? 0 : Math.trunc(sums.totalUnits / (sums.paid * (UNITS / 1000)));
  return money(decimalString(thousandths, 3), sums.currency);
}

const warning = (code: RevenueWarningCode): V2Revenue => ({ of: () => null, warning: { code, warning: WARNINGS[code] } });

/**
 * `goals`: the configured goals the goal filters select (undefined: the site has none, so no
 * revenue goal); `goalFiltered`: whether the request has a top-level goal filter.
 */
export async function v2Revenue(
  q: QueryRunner,
  plan: V2Plan,
  rows: readonly ResultRow[],
  goals: readonly Goal[] | undefined,
  goalFiltered: boolean,
): Promise<V2Revenue> {
  const query = plan.query;
  const at = plan.dimensions.indexOf('event:goal');
  if (at < 0 && !goalFiltered) return warning('no_revenue_goals_matching');
  const currencies = revenueCurrencies(goals ?? []);
  if (currencies.length === 0) return warning('no_revenue_goals_matching');
  if (at < 0 && currencies.length > 1) return warning('no_single_revenue_currency');

  const dims = query.dimensions.filter((_d, i) => i !== at);
  const measure = (filters: V2Plan['query']['filters'], currency: string) =>
    revenueBy(q, { siteId: query.siteId, period: query.period, filters }, currency, dims);
  let of: V2Revenue['of'];
  if (at < 0) {
    const groups = await measure([...query.filters, revenueCompletions(goals ?? [])], currencies[0] as string);
    of = (r) => groups.sums(r.dimensions);
  } else {
    const byGoal = new Map<string, RevenueGroups | null>();
    const others = query.filters.filter((f) => f.goal === undefined);
    for (const r of rows) {
      const name = r.dimensions[at] ?? '';
      if (byGoal.has(name)) continue;
      const goal = goals?.find((g) => g.displayName === name);
      byGoal.set(name, goal?.currency ? await measure([...others, goalFilter(goal)], goal.currency) : null);
    }
    of = (r) => byGoal.get(r.dimensions[at] ?? '')?.sums(r.dimensions.filter((_v, i) => i !== at)) ?? null;
  }
  return { of };
}
