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

function ratiosOf(c: Counts): Ratios {
  if (c.visits === 0) return { bounce_rate: 0, visit_duration: 0, views_per_visit: 0 };
  return {
    bounce_rate: c.bounces / c.visits,
    visit_duration: c.durationMs / 1000 / c.visits,
    views_per_visit: c.pageviews / c.visits,
  };
}

/**
 * Which ratios are over other visits than the group's own (entry-visits.ts): all three (a
 * page row: the visits that entered on the page) or only the bounce rate (a page filter).
 */
export type RatioScope = 'all' | 'bounce_rate';

/** A group's ratios, over its own counts or, where `entered` says, over the entering visits'. */
export function ratios(c: Counts, entered?: { counts: Counts; scope: RatioScope }): Ratios {
  const own = ratiosOf(c);
  if (!entered) return own;
  const e = ratiosOf(entered.counts);
  return entered.scope === 'all' ? e : { ...own, bounce_rate: e.bounce_rate };
}

/**
 * Engagement metrics (docs/METRICS.md, "Engagement"), read from engagement rows rather than
 * counted from events. Each visitor of a page contributes once: the sum of their engaged time
 * there, the maximum of their scroll depth there.
 */
export const ENGAGEMENT_METRICS = ['time_on_page', 'scroll_depth'] as const;
export type EngagementMetric = (typeof ENGAGEMENT_METRICS)[number];
export const isEngagementMetric = (m: string): m is EngagementMetric => (ENGAGEMENT_METRICS as readonly string[]).includes(m);

/** The additive parts of the engagement metrics of a group (page), over its (visitor, page) pairs. */
export interface EngagementParts {
  /** Pairs that reported engaged time, and the sum of their summed engaged milliseconds. */
  timeVisitors: number;
  timeMs: number;
  /** Pairs that reported a scroll depth, and the sum of their maximum depths (%). */
  scrollVisitors: number;
  scrollSum: number;
}

export type EngagementValues = Record<EngagementMetric, number | null>;

/**
 * The one place the engagement metrics are computed and rounded: time on page in whole seconds
 * (as Plausible), scroll depth in whole percent; null where no visitor reported one.
 */
export function engagementValues(p: EngagementParts | undefined): EngagementValues {
  return {
    time_on_page: p && p.timeVisitors > 0 ? Math.round(p.timeMs / 1000 / p.timeVisitors) : null,
    scroll_depth: p && p.scrollVisitors > 0 ? Math.round(p.scrollSum / p.scrollVisitors) : null,
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
  group_conversion_rate: (x: number) => round(x, 1),
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
