/**
 * `include.comparisons` of a v2 query (docs/API.md, "POST /api/v2/query"): the rows of the
 * comparison period matched to the main rows, and the change between them, by Plausible's
 * rules (its QueryRunner and Compare): rows are matched by their dimension values, a time
 * bucket by position (the n-th bucket of the period against the n-th of the comparison); a
 * value the comparison lacks compares with Plausible's empty metrics. Pure: the route runs
 * the comparison plan (plan.ts), shape.ts answers with what this module matches.
 */
import { byTerms, dimensionTerm, type OrderTerm } from '../row-order.js';
import { formatBucket, type ResultRow } from '../run.js';
import { buckets } from '../stats.js';
import type { Money } from './money.js';
import { isTime, type Unit, type V2Metric, type V2Plan, type V2Value } from './request.js';

/** Metrics whose empty value is null, not 0 (Plausible's Metrics.default_value). */
const NULL_WHEN_EMPTY: readonly V2Metric[] = [
  'visit_duration',
  'scroll_depth',
  'time_on_page',
  'total_revenue',
  'average_revenue',
];

/** The metrics of a row that has nothing: a comparison's missing value, an empty time bucket. */
export const emptyMetrics = (metrics: readonly V2Metric[]): V2Value[] =>
  metrics.map((m) => (NULL_WHEN_EMPTY.includes(m) ? null : 0));

/** Half away from zero, as Elixir rounds (JavaScript's Math.round takes -2.5 to -2). */
const roundAway = (x: number, digits = 0) => (Math.sign(x) * Math.round(Math.abs(x) * 10 ** digits)) / 10 ** digits;

const amount = (v: V2Value): number | null => (v === null ? null : typeof v === 'number' ? v : (v as Money).value);

/**
 * Plausible's change from `previous` to `current`, both as answered: the difference in points
 * for conversion_rate (one decimal) and bounce_rate (null when the previous one is 0); else the
 * percent change as a whole number, 100 from 0 to more, 0 from 0 to 0. Null when either is null.
 */
export function change(metric: V2Metric, previous: V2Value, current: V2Value): number | null {
  const [was, now] = [amount(previous), amount(current)];
  if (was === null || now === null) return null;
  if (metric === 'conversion_rate') return roundAway(now - was, 1);
  if (metric === 'bounce_rate') return was > 0 ? now - was : null;
  if (was === 0) return now > 0 ? 100 : 0;
  return roundAway(((now - was) / was) * 100);
}

const key = (values: readonly (string | null)[]) => JSON.stringify(values);

/** A time dimension's raw bucket labels over a period, as the builder writes them. */
const labels = (period: V2Plan['period'], unit: Unit) => buckets(period, unit).map((b) => formatBucket(b, unit));

/**
 * A main row's dimension values → the comparison row's: the same values, a time bucket moved
 * to the bucket at its position in the comparison period (null past the comparison's last).
 */
export function comparisonDimensions(plan: V2Plan): (values: readonly string[]) => (string | null)[] {
  const against = plan.comparison;
  const at = plan.dimensions.findIndex(isTime);
  if (!against || at < 0) return (values) => [...values];
  const unit = (plan.dimensions[at] as string).slice('time:'.length) as Unit;
  const theirs = labels(against.period, unit);
  const position = new Map(labels(plan.period, unit).map((l, i) => [l, i]));
  return (values) => values.map((v, i) => (i === at ? (theirs[position.get(v) ?? -1] ?? null) : v));
}

/** The comparison rows the main rows stand against (all of them when every bucket is a row). */
export function pickCompared(plan: V2Plan, main: readonly ResultRow[], compared: readonly ResultRow[]): ResultRow[] {
  if (plan.fillsBuckets) return [...compared];
  const to = comparisonDimensions(plan);
  const wanted = new Set(main.map((r) => key(to(r.dimensions))));
  return compared.filter((r) => wanted.has(key(r.dimensions)));
}

/** The comparison row of each main row's dimension values, when it has one. */
export function comparisonLookup(plan: V2Plan, compared: readonly ResultRow[]) {
  const to = comparisonDimensions(plan);
  const byKey = new Map(compared.map((r) => [key(r.dimensions), r]));
  return (values: readonly string[]) => {
    const dimensions = to(values);
    return { dimensions, row: byKey.get(key(dimensions)) };
  };
}

/** A main row, or an empty time bucket (no row). */
export interface Entry {
  dimensions: readonly string[];
  row?: ResultRow;
}

const COUNTED = ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration', 'views_per_visit', 'percentage'];

/**
 * The rows of a lone time dimension with every empty bucket of the period added (plan.ts
 * `fillsBuckets`), in the plan's order. Plausible appends them after the others; here they
 * take their places (by time, or as zeros by a metric; last by a metric a row answers apart).
 */
export function withEmptyBuckets(rows: readonly ResultRow[], plan: V2Plan): Entry[] {
  const time = plan.dimensions[0] as string;
  const have = new Set(rows.map((r) => r.dimensions[0]));
  const empty = labels(plan.period, time.slice('time:'.length) as Unit)
    .filter((l) => !have.has(l))
    .map((l): Entry => ({ dimensions: [l] }));
  const value =
    (k: string) =>
    (e: Entry): number | null => {
      if (k === 'conversion_rate') k = 'visitors'; // one denominator for every row (as revenue.ts orders)
      if (!COUNTED.includes(k)) return e.row ? 0 : null;
      return e.row ? (e.row[k as keyof Omit<ResultRow, 'dimensions'>] ?? 0) : 0;
    };
  const terms = plan.orderBy.map(([k, dir]): OrderTerm<Entry> => (k === time ? dimensionTerm(0, dir) : { value: value(k), dir }));
  // Stable, no tie-break: rows keep the builder's (or the revenue) order among themselves.
  return [...rows.map((row): Entry => ({ dimensions: row.dimensions, row })), ...empty].sort(byTerms(terms, false));
}
