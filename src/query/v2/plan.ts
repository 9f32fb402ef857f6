/** POST /api/v2/query, step 2 of 3: a validated request (request.ts) → builder queries. */
import { invalidInput } from '../../errors.js';
import { DAY_MS } from '../../utc-days.js';
import type { Metric, StatsQuery } from '../builder.js';
import { type Dimension, fromV2Name, v2Dimension } from '../dimensions.js';
import { withoutGoalFilters } from '../filters.js';
import { isEngagementMetric } from '../metrics.js';
import { type Period, resolveComparison } from '../period.js';
import { ordersInMemory } from './order.js';
import {
  GROUP_CONVERSION_RATE,
  isRevenueMetric,
  isTime,
  MAX_TIME_LABELS,
  type OrderEntry,
  type Unit,
  type V2Plan,
  type V2Request,
} from './request.js';

const UNIT_MS: Record<Unit, number> = { hour: 3_600_000, day: DAY_MS, week: 7 * DAY_MS, month: 28 * DAY_MS };

/** Plausible's choice for the `time` dimension, by the length of the (inclusive) range. */
export function timeUnitFor(period: Period): Unit {
  const span = period.to.getTime() - 1000 - period.from.getTime();
  if (Math.floor(span / 3_600_000) <= 48) return 'hour';
  if (Math.floor(span / DAY_MS) <= 40) return 'day';
  if (Math.floor(span / (7 * DAY_MS)) <= 52) return 'week';
  return 'month';
}

/** Builder queries for a validated request over its final period. */
export function planV2(req: V2Request, period: Period): V2Plan {
  const time = `time:${timeUnitFor(period)}`;
  const resolve = (name: string) => (name === 'time' ? time : name);
  const dimensions = req.dimensions.map(resolve);
  const timeDim = dimensions.find(isTime);
  // Revenue and engagement metrics are answered apart (revenue.ts, engagement.ts); the builder counts the others, or visitors.
  const counted = req.metrics.filter(
    (m): m is Metric => !isRevenueMetric(m) && !isEngagementMetric(m) && m !== GROUP_CONVERSION_RATE,
  );
  const metrics: Metric[] = counted.length > 0 ? counted : ['visitors'];
  // The first metric, as Plausible's default order.
  const first = req.metrics[0] as string;
  const orderBy: OrderEntry[] = req.orderBy
    ? req.orderBy.map(([key, dir]): OrderEntry => [resolve(key), dir])
    : timeDim
      ? [
          [timeDim, 'asc'],
          [first, 'desc'],
        ]
      : [[first, 'desc']];
  // Revenue and engagement are answered after the builder's rows: the builder orders by the
  // rest, or visitors, unpaged, and order.ts orders the rows.
  const inMemory = orderBy.some(([key]) => ordersInMemory(key));
  const builderOrder = orderBy.filter(([key]) => !ordersInMemory(key));
  if (builderOrder.length === 0) builderOrder.push([metrics[0] as Metric, 'desc']);
  const fillsBuckets = req.include.comparisons !== undefined && dimensions.length === 1 && timeDim !== undefined;
  const unpaged = req.include.total_rows || inMemory || fillsBuckets;

  const query: StatsQuery = {
    siteId: req.siteId,
    period,
    metrics,
    dimensions: dimensions.map((n) => v2Dimension(n) as Dimension),
    filters: req.filters,
    orderBy: builderOrder.map(([key, dir]) => ({ key: fromV2Name(key), dir })),
    // Goals are custom events; page views are not goals here (there is no goal configuration).
    ...(dimensions.includes('event:goal') ? { customEventsOnly: true } : {}),
    ...(unpaged ? {} : { limit: req.pagination.limit, offset: req.pagination.offset }),
  };
  const plan: V2Plan = {
    query,
    period,
    dimensions,
    orderBy,
    ...(inMemory ? { orderInMemory: true as const } : {}),
    ...(fillsBuckets ? { fillsBuckets: true as const } : {}),
  };
  if (req.metrics.includes('conversion_rate')) {
    plan.totalQuery = {
      siteId: req.siteId,
      period,
      metrics: ['visitors'],
      dimensions: [],
      filters: withoutGoalFilters(req.filters),
    };
  }
  if (req.metrics.includes(GROUP_CONVERSION_RATE)) {
    const groups = dimensions.filter((n) => n !== 'event:goal');
    plan.groupTotalQuery = {
      siteId: req.siteId,
      period,
      metrics: ['visitors'],
      dimensions: groups.map((n) => v2Dimension(n) as Dimension),
      filters: withoutGoalFilters(req.filters),
    };
  }
  // Both list every bucket of the period (labels; rows to compare).
  const listed = req.include.time_labels ? 'include.time_labels' : fillsBuckets ? 'include.comparisons' : undefined;
  if (listed && timeDim) {
    // Counted by arithmetic (months as 28 days: an upper bound), not by listing them.
    const count = Math.ceil((period.to.getTime() - period.from.getTime()) / UNIT_MS[timeDim.slice('time:'.length) as Unit]) + 1;
    if (count > MAX_TIME_LABELS) {
      throw invalidInput(`${listed}: ${timeDim} would give more than ${MAX_TIME_LABELS} labels; choose a longer one`);
    }
  }
  const c = req.include.comparisons;
  if (c) {
    const against = resolveComparison(
      {
        compare: c.mode,
        ...(c.date_range ? { compare_start_date: c.date_range[0], compare_end_date: c.date_range[1] } : {}),
        ...(c.match_day_of_week === undefined ? {} : { match_day_of_week: c.match_day_of_week }),
      },
      period,
    ) as Period;
    plan.comparison = comparisonPlan(plan, against);
  }
  return plan;
}

/**
 * The same questions over the comparison period, as Plausible's comparison query is the main
 * one with another time range: the same dimensions (`time` as resolved for the period), order
 * and filters; unpaged, as its rows are picked by the main rows' values (compare.ts).
 */
function comparisonPlan(plan: V2Plan, period: Period): V2Plan {
  const { limit: _l, offset: _o, ...query } = plan.query;
  const over = (q: StatsQuery | undefined) => (q ? { ...q, period } : undefined);
  const totalQuery = over(plan.totalQuery);
  const groupTotalQuery = over(plan.groupTotalQuery);
  return {
    query: { ...query, period },
    period,
    dimensions: plan.dimensions,
    orderBy: plan.orderBy,
    ...(totalQuery ? { totalQuery } : {}),
    ...(groupTotalQuery ? { groupTotalQuery } : {}),
  };
}
