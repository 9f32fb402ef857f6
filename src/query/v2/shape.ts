/** POST /api/v2/query, step 3 of 3: the builder's rows → Plausible's answer. */
import type { Metric } from '../builder.js';
import type { ImportsOutcome, SkipReason } from '../imported.js';
import { type EngagementValues, isEngagementMetric, round, rounded, share } from '../metrics.js';
import { type Period, wallClock } from '../period.js';
import { formatBucket, type ResultRow } from '../run.js';
import { buckets } from '../stats.js';
import { change, comparisonLookup, type Entry, emptyMetrics, withEmptyBuckets } from './compare.js';
import {
  GROUP_CONVERSION_RATE,
  isRevenueMetric,
  isTime,
  REVENUE_METRICS,
  type Unit,
  type V2Plan,
  type V2Request,
  type V2Response,
  type V2Value,
} from './request.js';
import { revenueValue, type V2Revenue } from './revenue.js';

const iso = (d: Date) => `${d.toISOString().slice(0, 19)}+00:00`;
/** A period as `query.date_range` spells it: its first and last second. */
const dateRange = (p: Period): [string, string] => [iso(p.from), iso(new Date(p.to.getTime() - 1000))];

/** A week bucket never starts before the range does (Plausible's weekstart_not_before). */
const weekLabel = (label: string, period: Period) => {
  const first = (period.timezone ? wallClock(period.from, period.timezone) : period.from).toISOString().slice(0, 10);
  return label < first ? first : label;
};

/** A dimension value as Plausible answers it: a week's first day within the range, a city by its GeoNames id as a number. */
function dimensionValue(name: string | undefined, v: string, period: Period): string | number {
  if (name === 'time:week') return weekLabel(v, period);
  if (name === 'visit:city' && /^(0|[1-9][0-9]{0,9})$/.test(v)) return Number(v);
  return v;
}

function metricValue(m: Metric, r: ResultRow, grouped: boolean, conversionTotal: number | undefined): number | null {
  switch (m) {
    case 'views_per_visit':
      return rounded.views_per_visit(r.views_per_visit);
    case 'bounce_rate':
      return Math.round(r.bounce_rate * 100);
    case 'visit_duration':
      return rounded.visit_duration(r.visit_duration);
    case 'percentage':
      // Without dimensions the one row is the total: 100, or null when there is nothing.
      return !grouped && r.visitors === 0 ? null : rounded.percentage(r.percentage);
    case 'conversion_rate':
      return conversionTotal ? round(share(r.visitors, conversionTotal), 2) : 0;
    default:
      return r[m];
  }
}

/**
 * `meta.imports_warning` in Plausible's own sentences, link included: the v2 API is Plausible's,
 * and a client written for it may show or match them. The dashboard and the GET stats routes
 * say it in this server's words (imported.ts). Only the reasons a site owner could change get one.
 */
const PLAUSIBLE_IMPORTS_WARNINGS: Partial<Record<SkipReason, string>> = {
  unsupported_query:
    'Imported stats are not included in the results because query parameters are not supported. For more information, see: https://plausible.io/docs/stats-api#filtering-imported-stats',
  unsupported_interval: 'Imported stats are not included because the time dimension (i.e. the interval) is too short.',
};

/** A row's engagement metrics (v2/engagement.ts). */
export type V2Engagement = (r: ResultRow) => EngagementValues;
/** A row's group_conversion_rate denominator: its group's visitors without the goal filter. */
export type V2GroupTotal = (r: ResultRow) => number;

/**
 * The comparison's rows (compare.ts pickCompared) and what answers their metrics beside the
 * builder's, as the main rows have them (`shapeV2`'s own arguments).
 */
export interface V2Compared {
  rows: readonly ResultRow[];
  conversionTotal?: number;
  revenue?: V2Revenue;
  engagement?: V2Engagement;
  groupTotal?: V2GroupTotal;
}

type Answerers = Omit<V2Compared, 'rows'>;

/** A row's metrics as answered. */
function metricsOf(req: V2Request, grouped: boolean, r: ResultRow, a: Answerers): V2Value[] {
  return req.metrics.map((m) =>
    isRevenueMetric(m)
      ? revenueValue(m, a.revenue?.of(r) ?? null)
      : isEngagementMetric(m)
        ? (a.engagement?.(r)[m] ?? null)
        : m === GROUP_CONVERSION_RATE
          ? rounded.group_conversion_rate(share(r.visitors, a.groupTotal?.(r) ?? 0))
          : metricValue(m, r, grouped, a.conversionTotal),
  );
}

/** Shapes builder rows (and the conversion_rate denominator) into Plausible's answer. */
export function shapeV2(
  req: V2Request,
  plan: V2Plan,
  rows: readonly ResultRow[],
  conversionTotal?: number,
  revenue?: V2Revenue,
  imports?: ImportsOutcome,
  engagement?: V2Engagement,
  groupTotal?: V2GroupTotal,
  compared?: V2Compared,
): V2Response {
  const { limit, offset } = req.pagination;
  const entries: Entry[] = plan.fillsBuckets
    ? withEmptyBuckets(rows, plan)
    : rows.map((r) => ({ dimensions: r.dimensions, row: r }));
  const paged = req.include.total_rows || plan.orderInMemory || plan.fillsBuckets;
  const page = paged ? entries.slice(offset, offset + limit) : entries;
  const grouped = plan.dimensions.length > 0;
  const main: Answerers = { conversionTotal, revenue, engagement, groupTotal };
  const against = plan.comparison;
  const lookup = against && compared ? comparisonLookup(plan, compared.rows) : undefined;
  const label = (p: V2Plan) => (v: string | null, i: number) => (v === null ? v : dimensionValue(p.dimensions[i], v, p.period));
  const results = page.map((e) => {
    const metrics = e.row ? metricsOf(req, grouped, e.row, main) : emptyMetrics(req.metrics);
    const dimensions = e.dimensions.map(label(plan)) as (string | number)[];
    if (!lookup || !against || !compared) return { metrics, dimensions };
    const other = lookup(e.dimensions);
    const was = other.row ? metricsOf(req, grouped, other.row, compared) : emptyMetrics(req.metrics);
    const comparison = {
      dimensions: other.dimensions.map(label(against)),
      metrics: was,
      change: req.metrics.map((m, i) => change(m, was[i] ?? null, metrics[i] ?? null)),
    };
    return { metrics, dimensions, comparison };
  });

  const meta: V2Response['meta'] = {};
  const warning = revenue?.warning;
  if (warning) {
    meta.metric_warnings = Object.fromEntries(REVENUE_METRICS.filter((m) => req.metrics.includes(m)).map((m) => [m, warning]));
  }
  if (req.include.imports) {
    meta.imports_included = imports?.included ?? false;
    // As Plausible: every reason for leaving imports out (no_imported_data and out_of_range too);
    // a warning only for those a site owner could change (the query, the interval).
    if (imports && !imports.included && imports.skip_reason) {
      meta.imports_skip_reason = imports.skip_reason;
      const warning = PLAUSIBLE_IMPORTS_WARNINGS[imports.skip_reason];
      if (warning) meta.imports_warning = warning;
    }
  }
  const timeDim = plan.dimensions.find(isTime);
  if (req.include.time_labels && timeDim) {
    const unit = timeDim.slice('time:'.length) as Unit;
    const labels = buckets(plan.period, unit).map((b) => formatBucket(b, unit));
    meta.time_labels = unit === 'week' ? labels.map((l) => weekLabel(l, plan.period)) : labels;
  }
  if (req.include.total_rows) meta.total_rows = rows.length;
  // Completions left out for their currency, over the revenue figures answered.
  if (revenue) meta.revenue_skipped = page.reduce((n, e) => n + (e.row ? (revenue.of(e.row)?.skipped ?? 0) : 0), 0);
  if (against) meta.comparison_date_range = dateRange(against.period);

  const include = Object.fromEntries(Object.entries(req.include).filter(([, v]) => v));
  return {
    results,
    meta,
    query: {
      site_id: req.siteId,
      metrics: req.metrics,
      date_range: dateRange(plan.period),
      filters: req.rawFilters,
      ...(req.segment === undefined ? {} : { segment: req.segment }),
      dimensions: plan.dimensions,
      order_by: plan.orderBy,
      include,
      pagination: req.pagination,
    },
  };
}
