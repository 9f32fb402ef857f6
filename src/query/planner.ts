/**
 * The one place that decides where a stats query reads (docs/ARCHITECTURE.md, "Query
 * planner"). Visitor ids and visits never cross a UTC midnight, so every count of
 * metrics.ts over a period is the sum of its counts over disjoint day ranges; the planner
 * splits the period into whole UTC days whose rollup is current (read from the rollup)
 * and the rest (scanned from events: hot days, days not yet rolled up, the partial days
 * at the edges of a time-zone site's period). Pure: the caller supplies which days have
 * a rollup.
 */
import type { StatsQuery, TimeRange } from './builder.js';
import { type RollupSet, rollupSetFor } from './rollup-sets.js';

export type Plan =
  | { kind: 'events' }
  | {
      kind: 'rollup';
      set: RollupSet;
      /** The whole days read from rollups (`YYYY-MM-DD`). */
      days: string[];
      /** The rest of the period, scanned from events (merged, in order). */
      scan: TimeRange[];
    };

const DAY_MS = 86_400_000;

/**
 * The rollup set a query could use, or undefined: no filters, a period of its own (not
 * realtime), and time buckets only on UTC sites (a zone's local hours and days are not
 * UTC ones).
 */
export function rollupCandidate(q: StatsQuery): RollupSet | undefined {
  if (q.filters.length > 0 || (q.totalFilters?.length ?? 0) > 0 || q.ranges || q.period.name === 'realtime') return undefined;
  if (q.period.timezone && q.dimensions.some((d) => d.unit !== undefined)) return undefined;
  return rollupSetFor(q);
}

/** Splits the query's period given the days with a current rollup. */
export function planQuery(q: StatsQuery, rollupDays: ReadonlySet<string>): Plan {
  const set = rollupCandidate(q);
  if (!set || rollupDays.size === 0) return { kind: 'events' };
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
  for (const day of [...rollupDays].sort()) {
    const start = Date.parse(`${day}T00:00:00Z`);
    if (start < from || start + DAY_MS > to) continue; // not a whole day of the period
    scanPart(t, start);
    days.push(day);
    t = start + DAY_MS;
  }
  scanPart(t, to);
  return days.length === 0 ? { kind: 'events' } : { kind: 'rollup', set, days, scan };
}
