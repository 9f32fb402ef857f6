/**
 * Comparison (docs/API.md, "Comparison"): an answer beside the same answer for another period
 * (period.ts `resolveComparison`). Both come from the same query functions, so through the same
 * planner and builder, and every row gets `previous` and `change` (metrics.ts `change`).
 */
import type { QueryRunner } from '../storage/storage.js';
import { change } from './metrics.js';
import type { Interval, Period } from './period.js';
import {
  type BreakdownRow,
  breakdownRows,
  type GoalRow,
  type MainStats,
  mainStats,
  type Scope,
  type TimeBucket,
  timeseries,
} from './stats.js';

export type Change<T> = { [K in keyof T]?: number | null };
export type Compared<T, P = T> = T & { previous: P; change: Change<T> };

/** `change` of every numeric field of `current` that `previous` has too. */
export function changes<T extends object>(current: T, previous: Partial<T>): Change<T> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(current)) {
    const p = (previous as Record<string, unknown>)[k];
    if (typeof v === 'number' && typeof p === 'number') out[k] = change(k, v, p);
  }
  return out as Change<T>;
}

export async function compareMain(q: QueryRunner, s: Scope, against: Period): Promise<Compared<MainStats>> {
  const current = await mainStats(q, s);
  const previous = await mainStats(q, { ...s, period: against });
  return { ...current, previous, change: changes(current, previous) };
}

/**
 * Buckets side by side by position: the i-th bucket of the comparison beside the i-th of the
 * period (its own `date` in `previous`). Where the comparison has fewer buckets, `previous`
 * and every change are null.
 */
export async function compareTimeseries(
  q: QueryRunner,
  s: Scope,
  unit: Interval,
  against: Period,
): Promise<Compared<TimeBucket, TimeBucket | null>[]> {
  const current = await timeseries(q, s, unit);
  const previous = await timeseries(q, { ...s, period: against }, unit);
  return current.map((b, i) => {
    const { date: _, ...metrics } = b;
    const p = previous[i];
    return { ...b, previous: p ?? null, change: changes(metrics, p ?? zeros(metrics)) };
  });
}

type Row = BreakdownRow | GoalRow;
type Metrics<R> = Omit<R, 'value'>;

/**
 * The page of rows asked for, each with its values in the comparison: those of the same
 * dimension values (queried for just them), zeros for a value the comparison does not have.
 */
export async function compareBreakdown(
  q: QueryRunner,
  s: Scope,
  name: string,
  limit: number,
  page: number,
  against: Period,
): Promise<Compared<Row, Metrics<Row>>[]> {
  const current = await breakdownRows(q, s, name, { limit, offset: (page - 1) * limit });
  const previous = await breakdownRows(q, { ...s, period: against }, name, { only: current.map((r) => r.key) });
  const byKey = new Map(previous.map((p) => [JSON.stringify(p.key), p.row]));
  return current.map(({ key, row }) => {
    const { value: _, ...found } = byKey.get(JSON.stringify(key)) ?? zeros(row);
    return { ...row, previous: found, change: changes(row, found) };
  });
}

/** A row's fields with every number 0: what the comparison has where it has no such row. */
const zeros = <T extends object>(row: T): T =>
  Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? 0 : v])) as T;
