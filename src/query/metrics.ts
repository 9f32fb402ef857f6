/**
 * The one definition of every metric (docs/METRICS.md). Each is either an additive count
 * (visitors, visits, page views, events, bounces, summed visit length) that every plan
 * produces the same way — scanned from events, read from the visits table, summed from
 * rollups — or a ratio of two of them, computed here and only here. Because the stored
 * parts are integers, every plan gives bit-identical ratios.
 */

export const METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'events',
  'percentage',
  'conversion_rate',
] as const;
export type Metric = (typeof METRICS)[number];

/** Metrics that need each visit once per group (the visit table's columns). */
export const VISIT_METRICS: ReadonlySet<Metric> = new Set(['visits', 'bounce_rate', 'visit_duration', 'views_per_visit']);

/** The additive parts every plan returns per group. */
export interface Counts {
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  /** Visits with exactly one event. */
  bounces: number;
  /** Sum over visits of last − first event time, in milliseconds. */
  durationMs: number;
}

/**
 * Visit metrics over a relation of visit rows (`s_events`, `s_duration_ms`), as SQL select
 * items; `once`, when given, is the condition that picks one row of each visit.
 */
export function visitCountsSql(once?: string): string {
  const only = (cond?: string) => {
    const all = [once, cond].filter((c) => c !== undefined);
    return all.length > 0 ? ` FILTER (WHERE ${all.join(' AND ')})` : '';
  };
  return `count(*)${only()} AS visits, count(*)${only('s_events = 1')} AS bounces, coalesce(sum(s_duration_ms)${only()}, 0) AS duration_ms`;
}

export const VISIT_COUNTS_SQL = visitCountsSql();

/**
 * SQL ordering a metric in the final SELECT (`g` = event counts, `vg` = visit counts of a
 * group); ratios as the same division `ratios` does.
 */
export function orderExpr(m: Metric): string {
  switch (m) {
    case 'visits':
      return 'vg.visits';
    case 'bounce_rate':
      return 'vg.bounces::DOUBLE / nullif(vg.visits, 0)';
    case 'visit_duration':
      return 'vg.duration_ms::DOUBLE / 1000 / nullif(vg.visits, 0)';
    case 'views_per_visit':
      return 'g.pageviews::DOUBLE / nullif(vg.visits, 0)';
    case 'percentage':
    case 'conversion_rate':
      return 'g.visitors';
    default:
      return `g.${m}`;
  }
}

export interface Ratios {
  /** Fraction of visits with one event (0..1). */
  bounce_rate: number;
  /** Mean visit length in seconds. */
  visit_duration: number;
  views_per_visit: number;
}

export function ratios(c: Counts): Ratios {
  if (c.visits === 0) return { bounce_rate: 0, visit_duration: 0, views_per_visit: 0 };
  return {
    bounce_rate: c.bounces / c.visits,
    visit_duration: c.durationMs / 1000 / c.visits,
    views_per_visit: c.pageviews / c.visits,
  };
}

/** Share of a total in percent (0 when the total is 0). */
export const share = (part: number, total: number) => (total === 0 ? 0 : (part * 100) / total);

export const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;

/** How each metric is rounded in answers: rates to 4 places, durations to whole seconds, shares to 1 place. */
export const rounded = {
  bounce_rate: (x: number) => round(x, 4),
  visit_duration: (x: number) => Math.round(x),
  views_per_visit: (x: number) => round(x, 2),
  percentage: (x: number) => round(x, 1),
  conversion_rate: (x: number) => round(x, 1),
} as const;

/**
 * Rates whose change is a difference in points rather than a percent change (Plausible): a
 * bounce rate from 40% to 50% changed by 10 points, not by 25%. The factor turns the rate into
 * percent (bounce_rate is a fraction 0..1; the others are 0..100 already).
 */
const IN_POINTS: Readonly<Record<string, number>> = { bounce_rate: 100, percentage: 1, conversion_rate: 1 };

/**
 * The change of one answer field against the comparison (docs/METRICS.md, "Change"): percent
 * for counts and averages, points for rates, to one decimal; null when the previous value is 0.
 */
export function change(field: string, current: number, previous: number): number | null {
  if (previous === 0) return null;
  const points = IN_POINTS[field];
  return round(points !== undefined ? (current - previous) * points : ((current - previous) / previous) * 100, 1);
}
