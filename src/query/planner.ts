/**
 * The one place that decides where a stats query reads (docs/ARCHITECTURE.md, "Query
 * planner"): rollups, then the visits table, then events. Visitor ids and visits never
 * cross a UTC midnight, so every count of metrics.ts over a period is the sum of its
 * counts over disjoint day ranges, and a period's visits are the union of its days'
 * visits. The planner splits the period into whole UTC days whose derived tables are
 * current (read from them) and the rest (scanned from events: hot days, days not yet
 * derived, the partial days at the edges of a time-zone site's period).
 * Pure: the caller supplies which days have derived tables.
 */

import { DAY_MS, dayStart, wholeDayIn } from '../utc-days.js';
import type { StatsQuery, TimeRange } from './builder.js';
import { type Dimension, PROPS_PREFIX } from './dimensions.js';
import { type Filter, filterDimensions } from './filters.js';
import { VISIT_METRICS } from './metrics.js';
import {
  filterSetOf,
  PROPERTY_VALUES_SET,
  ROLLUP_SETS,
  type RollupSet,
  rollupSetFor,
  setOfDimensions,
  uncached,
} from './rollup-sets.js';

/** Whole days read from derived tables, and the rest of the period (merged, in order). */
export interface Split {
  days: string[];
  scan: TimeRange[];
}

/** The rollup rows a query is a sum of: a set, and with a one-value filter on one of its attributes, that value's rows only. */
export interface RollupPick {
  set: RollupSet;
  /**
   * Only the rows whose value column `column` (0: `v0`, 1: `v1`) holds `value`; the visitor
   * total (percentages) is that value's row of `totals`, the set of the filtered attribute alone.
   */
  pick?: { column: number; value: string; totals: string };
  /** The value column of each query dimension (default: the i-th dimension reads `v<i>`). */
  columns?: readonly number[];
  /** A breakdown by this custom property key: its rows of the property values set (property-rollup.ts). */
  property?: string;
}

export type Plan =
  | { kind: 'events' }
  /** Sums of rollup rows, plus counts scanned from events. */
  | ({ kind: 'rollup' } & RollupPick & Split)
  /** Events as usual, but each visit's row from the visits table instead of grouping its events. */
  | ({ kind: 'visits' } & Split);

/**
 * The filter list's one `is` filter with one value (case-sensitive) on a visit attribute or
 * the page, if that is all it is.
 */
export function oneValueFilter(filters: readonly Filter[]): { dim: Dimension; value: string } | undefined {
  const [f] = filters;
  if (filters.length !== 1 || f?.kind !== 'match' || f.op !== 'is' || !f.caseSensitive) return undefined;
  const [value] = f.values;
  const kept = f.dim.level === 'visit' || f.dim.asFilter !== undefined;
  return f.values.length === 1 && value !== undefined && kept ? { dim: f.dim, value } : undefined;
}

/**
 * The rollup rows a query could use, or undefined: a period of its own (not realtime), time
 * buckets only on UTC sites (a zone's local hours and days are not UTC ones), and either no
 * filters (a breakdown by one property key: that key's rows of the property values set,
 * property-rollup.ts), or one filter that keeps one value of a dimension with a rollup set of its own
 * (`["is", "visit:country", ["US"]]`, `["is", "event:page", ["/pricing"]]`: the filter a
 * click on a breakdown row sets). That value's rows of the filter's set (rollup-sets.ts,
 * `filterSetOf`) are then the filtered counts of each day, so its totals and its day, week
 * and month buckets are their sums; so is the breakdown by the filtered dimension itself
 * (that value's row of the dimension's set) and by another attribute (or the goals) that has
 * a rollup set with it.
 */
export function rollupCandidate(q: StatsQuery): RollupPick | undefined {
  if ((q.totalFilters?.length ?? 0) > 0 || q.ranges || q.period.name === 'realtime') return undefined;
  if (q.period.timezone && q.dimensions.some((d) => d.unit !== undefined)) return undefined;
  // Page views alone are rolled up by page only (page goals, goal-counts.ts).
  const allEvents = !q.customEventsOnly && !q.pageviewsOnly;
  if (q.filters.length === 0) {
    const [only] = q.dimensions;
    if (q.dimensions.length === 1 && only?.name.startsWith(PROPS_PREFIX) && allEvents) {
      return { set: propertyValuesSet(), property: only.name.slice(PROPS_PREFIX.length) };
    }
    const set = rollupSetFor(q);
    return set && { set };
  }
  const one = oneValueFilter(q.filters);
  const own = one && filterSetOf(one.dim);
  if (!one || !own) return undefined;
  const { dim, value } = one;
  const picked = (set: RollupSet, column: number) => ({ set, pick: { column, value, totals: own.key } });
  if (allEvents && q.dimensions.every((d) => d.unit === 'day' || d.unit === 'week' || d.unit === 'month')) return picked(own, 0);
  const [only] = q.dimensions;
  if (q.dimensions.length !== 1 || !only) return undefined;
  if (!q.customEventsOnly && only.name === dim.name) {
    // The filtered dimension's own breakdown: its value's row of the breakdown's set.
    const set = rollupSetFor({ dimensions: [only], pageviewsOnly: q.pageviewsOnly });
    return set && picked(set, 0);
  }
  // Another breakdown (an attribute, the goals): the rows of a set of both (rollup-sets.ts).
  const filtered = own.dimensions[0]?.name ?? '';
  const set = setOfDimensions([filtered, only.name], q);
  if (!set) return undefined;
  const column = (name: string) => set.dimensions.findIndex((d) => d.name === name);
  return { ...picked(set, column(filtered)), columns: [column(only.name)] };
}

const propertyValuesSet = () => ROLLUP_SETS.find((s) => s.key === PROPERTY_VALUES_SET) as RollupSet;

/** Whether a rollup plan reads sets that only the day files hold (rollup-sets.ts, `uncached`). */
export const readsFiles = (p: RollupPick) => uncached(p.set.key) || (p.pick !== undefined && uncached(p.pick.totals));

/**
 * Whether the visits table can serve the query: it needs visit rows (visit metrics, a visit
 * dimension or filter), and time buckets are UTC ones (the stored visit start is UTC).
 */
export function visitsCandidate(q: StatsQuery): boolean {
  if (q.ranges || q.period.name === 'realtime') return false;
  if (q.period.timezone && q.dimensions.some((d) => d.unit !== undefined)) return false;
  const visitLevel = [...q.dimensions, ...filterDimensions(q.filters), ...filterDimensions(q.totalFilters ?? [])].some(
    (d) => d.visitColumn !== undefined,
  );
  return visitLevel || q.metrics.some((m) => VISIT_METRICS.has(m));
}

/**
 * Picks the plan given the days whose rollup and visits are current (the same days: they are
 * built together).
 */
export function planQuery(q: StatsQuery, derivedDays: ReadonlySet<string>): Plan {
  const pick = rollupCandidate(q);
  if (derivedDays.size === 0) return { kind: 'events' };
  if (!pick && !visitsCandidate(q)) return { kind: 'events' };
  const split = splitPeriod(q, derivedDays);
  if (split.days.length === 0) return { kind: 'events' };
  return pick ? { kind: 'rollup', ...pick, ...split } : { kind: 'visits', ...split };
}

/** The period's whole UTC days found in `days`, and the ranges between them. */
export function splitPeriod(q: Pick<StatsQuery, 'period'>, available: ReadonlySet<string>): Split {
  const from = q.period.from.getTime();
  const to = q.period.to.getTime();
  const days: string[] = [];
  const scan: TimeRange[] = [];
  const scanPart = (a: number, b: number) => {
    if (a >= b) return;
    const last = scan[scan.length - 1];
    if (last && last.to.getTime() === a) last.to = new Date(b);
    else scan.push({ from: new Date(a), to: new Date(b) });
  };
  let t = from;
  for (const day of [...available].sort()) {
    if (!wholeDayIn(day, q.period.from, q.period.to)) continue;
    const start = dayStart(day);
    scanPart(t, start);
    days.push(day);
    t = start + DAY_MS;
  }
  scanPart(t, to);
  return { days, scan };
}
