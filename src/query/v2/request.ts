/**
 * POST /api/v2/query, step 1 of 3 — the request: Plausible's Stats API v2 body, validated
 * (zod for the shape, then Plausible's own rules), and the types the three steps share.
 * plan.ts turns it into StatsQuery values for the one builder; shape.ts turns the builder's
 * rows into Plausible's answer `{results: [{metrics, dimensions}], meta, query}`. All three
 * are pure: the route does the I/O (first event for "all", running queries).
 *
 * Differences from GET /api/stats/* follow Plausible v2: bounce_rate is a rounded percent,
 * empty time buckets are omitted (all of them are listed in meta.time_labels on request),
 * the default order is the first metric descending (time ascending first under a time
 * dimension), and `time` picks hour/day/week/month from the length of the range.
 */
import { z } from 'zod';
import { invalidInput } from '../../errors.js';
import { siteIdParam } from '../../site-id.js';
import { METRICS, type Metric, type StatsQuery } from '../builder.js';
import { type Dimension, PROPS_PREFIX, v2Dimension } from '../dimensions.js';
import { groupsEngagement } from '../engagement.js';
import { childrenOf, type Filter, parseFilters } from '../filters.js';
import { ENGAGEMENT_METRICS, type EngagementMetric, isEngagementMetric } from '../metrics.js';
import { COMPARISONS, type ComparisonMode, inTimeZone, type Period, parseDate, resolvePeriod, wallClock } from '../period.js';
import { andFilters } from '../request-filters.js';
import type { Money } from './money.js';
import type { RevenueWarning } from './revenue.js';

export const DATE_RANGES = ['day', '7d', '30d', 'month', '6mo', '12mo', 'year', 'all'] as const;
export const MAX_LIMIT = 10_000;
/** At most this many buckets in meta.time_labels. */
export const MAX_TIME_LABELS = 10_000;

export type Unit = 'hour' | 'day' | 'week' | 'month';
type Direction = 'asc' | 'desc';
export type OrderEntry = [string, Direction];

export const TIME_DIMENSIONS = ['time', 'time:hour', 'time:day', 'time:week', 'time:month'];
export const isTime = (name: string) => TIME_DIMENSIONS.includes(name);
/** Metrics Plausible computes from visits only, and from events only (TableDecider). */
const SESSION_ONLY: readonly Metric[] = ['bounce_rate', 'visit_duration', 'views_per_visit'];
const EVENT_ONLY: readonly Metric[] = ['pageviews', 'events'];
const SESSION_ONLY_DIMENSIONS = ['visit:entry_page', 'visit:exit_page'];
const TOP_LEVEL_ONLY = ['event:goal', 'event:hostname'];

/** A validated request, before the range of `all` is known (see `startAllAt`). */
export interface V2Request {
  siteId: string;
  metrics: V2Metric[];
  /** For "all", `from` is provisional until the site's first event is known. */
  period: Period;
  /** As requested: `time` is resolved against the final range by `planV2`. */
  dimensions: string[];
  /** The segment's filters and-ed with the body's own. */
  filters: Filter[];
  /** The filters as sent, for the echo. */
  rawFilters: unknown[];
  /** The segment id as sent, for the echo. */
  segment?: string;
  orderBy: OrderEntry[] | undefined;
  include: { total_rows: boolean; imports: boolean; time_labels: boolean; comparisons?: V2Comparisons };
  pagination: { limit: number; offset: number };
}

/**
 * `include.comparisons` (Plausible's internal schema, accepted by our public v2): each row
 * also answered for another period (plan.ts resolves it, compare.ts matches the rows).
 */
export interface V2Comparisons {
  mode: ComparisonMode;
  /** With mode custom only: two YYYY-MM-DD dates, inclusive. */
  date_range?: [string, string];
  /** previous_period and year_over_year: start on the period's weekday. */
  match_day_of_week?: boolean;
}

export interface V2Plan {
  /** The builder query for `results` (unpaged when total_rows is asked for or `orderInMemory`: paged in `shapeV2`). */
  query: StatsQuery;
  /**
   * Set when the order names a revenue or engagement metric: the builder's query is then
   * unpaged, and its rows are ordered (order.ts orderRows) and paged in `shapeV2`.
   */
  orderInMemory?: true;
  /** The conversion_rate denominator: the same period and filters without goal and property filters. */
  totalQuery?: StatsQuery;
  /** The group_conversion_rate denominators: `totalQuery` by the dimensions other than event:goal. */
  groupTotalQuery?: StatsQuery;
  period: Period;
  /** Dimension names with `time` resolved. */
  dimensions: string[];
  orderBy: OrderEntry[];
  /**
   * `include.comparisons`: this plan over the comparison period, unpaged (its rows are matched
   * to the main ones afterwards, compare.ts), with the main plan's dimensions and order.
   */
  comparison?: V2Plan;
  /**
   * Comparisons by a time dimension alone: every bucket of the period is a row, empty ones too,
   * so that each has its comparison (Plausible's rule). The builder's query is then unpaged,
   * and the filled rows are ordered and paged in `shapeV2`.
   */
  fillsBuckets?: true;
}

export type V2Value = number | Money | null;

export interface V2Response {
  results: {
    metrics: V2Value[];
    /** Text, but a city is its GeoNames id, a number (shape.ts). */
    dimensions: (string | number)[];
    /** With `include.comparisons` (compare.ts): `dimensions` null where the comparison has no such bucket. */
    comparison?: { dimensions: (string | number | null)[]; metrics: V2Value[]; change: (number | null)[] };
  }[];
  meta: {
    /** Why a revenue metric is null in every row (revenue.ts). */
    metric_warnings?: Partial<Record<RevenueMetric, RevenueWarning>>;
    imports_included?: boolean;
    imports_skip_reason?: string;
    imports_warning?: string;
    time_labels?: string[];
    total_rows?: number;
    revenue_skipped?: number;
    /** With `include.comparisons`: the comparison period, as `query.date_range`. */
    comparison_date_range?: [string, string];
  };
  query: {
    site_id: string;
    metrics: V2Metric[];
    date_range: [string, string];
    filters: unknown[];
    segment?: string;
    dimensions: string[];
    order_by: OrderEntry[];
    include: Partial<V2Request['include']>;
    pagination: V2Request['pagination'];
  };
}

/** Metrics of revenue goals (revenue.ts), answered beside the builder's metrics. */
export const REVENUE_METRICS = ['total_revenue', 'average_revenue'] as const;
export type RevenueMetric = (typeof REVENUE_METRICS)[number];
/**
 * A group's goal visitors over the group's visitors without the goal filter (docs/METRICS.md):
 * answered from a second, ungoaled query by the same dimensions (plan.ts groupTotalQuery).
 */
export const GROUP_CONVERSION_RATE = 'group_conversion_rate';
export type V2Metric = Metric | RevenueMetric | EngagementMetric | typeof GROUP_CONVERSION_RATE;
const V2_METRICS = [...METRICS, ...REVENUE_METRICS, ...ENGAGEMENT_METRICS, GROUP_CONVERSION_RATE] as const;
export const isRevenueMetric = (m: string): m is RevenueMetric => (REVENUE_METRICS as readonly string[]).includes(m);

// ---------------------------------------------------------------------------------------
// The body's shape. Messages are "<field>: <problem>"; only the first problem is reported.

const list = (what: string) => ({
  error: (iss: { input?: unknown }) => (iss.input === undefined ? 'required' : `must be a list of ${what}`),
});
const flag = { error: 'must be true or false' };
const ORDER_ENTRY = 'expected [metric or dimension, "asc" or "desc"]';

const bodySchema = z.strictObject({
  site_id: z.unknown().optional(),
  metrics: z
    .array(
      z.enum(V2_METRICS, {
        error: (iss) => `unknown metric ${describe(iss.input)} (use ${V2_METRICS.join(', ')})`,
      }),
      list('metrics'),
    )
    .min(1, 'must name at least one metric'),
  date_range: z.unknown().optional(),
  date: z.string({ error: 'expected YYYY-MM-DD' }).optional(),
  dimensions: z.array(z.string({ error: 'must be a string' }), list('dimension names')).optional(),
  filters: z.unknown().optional(),
  /** Resolved by the route (query/request-filters.ts); its filters come in as `segment` of parseV2Body. */
  segment: z.string({ error: 'must be a segment id (a string)' }).optional(),
  order_by: z
    .array(
      z.tuple([z.string({ error: ORDER_ENTRY }), z.enum(['asc', 'desc'], { error: ORDER_ENTRY })], { error: ORDER_ENTRY }),
      list('[metric or dimension, "asc" or "desc"] pairs'),
    )
    .optional(),
  include: z
    .strictObject(
      {
        total_rows: z.boolean(flag).optional(),
        imports: z.boolean(flag).optional(),
        time_labels: z.boolean(flag).optional(),
        comparisons: z
          .strictObject(
            {
              mode: z.enum(COMPARISONS, { error: `must be one of ${COMPARISONS.join(', ')}` }),
              date_range: z.unknown().optional(),
              match_day_of_week: z.boolean(flag).optional(),
            },
            { error: 'must be an object' },
          )
          .nullable()
          .optional(),
      },
      { error: 'must be an object' },
    )
    .optional(),
  pagination: z
    .strictObject(
      {
        limit: z
          .int({ error: `must be an integer from 1 to ${MAX_LIMIT}` })
          .min(1, `must be an integer from 1 to ${MAX_LIMIT}`)
          .max(MAX_LIMIT, `must be an integer from 1 to ${MAX_LIMIT}`)
          .optional(),
        offset: z
          .int({ error: 'must be an integer, 0 or more' })
          .min(0, 'must be an integer, 0 or more')
          .max(Number.MAX_SAFE_INTEGER)
          .optional(),
      },
      { error: 'must be an object' },
    )
    .optional(),
});

function describe(v: unknown): string {
  const text = typeof v === 'string' ? JSON.stringify(v.slice(0, 60)) : JSON.stringify(v);
  return (text ?? String(v)).slice(0, 80);
}

/** `metrics[1]`, `pagination.limit`. */
function fieldPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? String(p) : `.${String(p)}`;
  return out;
}

function shapeError(error: z.ZodError): never {
  const issue = error.issues[0];
  if (!issue) throw invalidInput('body: invalid');
  if (issue.code === 'unrecognized_keys') {
    throw invalidInput(`${fieldPath([...issue.path, issue.keys[0] ?? ''])}: unknown field`);
  }
  // An order_by entry is named as a whole: `order_by[0]`, not `order_by[0][1]`.
  const path = issue.path[0] === 'order_by' ? issue.path.slice(0, 2) : issue.path;
  throw invalidInput(`${fieldPath(path) || 'body'}: ${issue.message}`);
}

// ---------------------------------------------------------------------------------------
// Validation

/**
 * Validates a v2 body (already parsed JSON); throws a 400 naming the first bad field.
 * `tz`: the site's time zone, for date ranges and time buckets (UTC when null); `segment`:
 * the filters of the body's `segment`, already resolved, held to the same rules as its own.
 */
export function parseV2Body(
  body: unknown,
  now = new Date(),
  tz: string | null = null,
  segment: readonly Filter[] = [],
): V2Request {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidInput('body: expected a JSON object');
  const siteId = siteIdParam((body as Record<string, unknown>).site_id);
  const parsed = bodySchema.safeParse(body);
  if (!parsed.success) shapeError(parsed.error);
  const b = parsed.data;

  const metrics = b.metrics;
  const dup = (xs: readonly string[]) => xs.find((x, i) => xs.indexOf(x) !== i);
  const dupMetric = dup(metrics);
  if (dupMetric) throw invalidInput(`metrics: "${dupMetric}" given twice`);

  if (b.date_range === undefined) throw invalidInput('date_range: required');
  const period = inTimeZone(parseDateRange(b.date_range, b.date, tz ? wallClock(now, tz) : now), tz);

  const dimensions = b.dimensions ?? [];
  dimensions.forEach((name, i) => {
    if (!isTime(name) && !v2Dimension(name)) throw invalidInput(`dimensions[${i}]: unknown dimension ${describe(name)}`);
  });
  const dupDim = dup(dimensions);
  if (dupDim) throw invalidInput(`dimensions: "${dupDim}" given twice`);
  if (dimensions.filter(isTime).length > 1) throw invalidInput('dimensions: at most one time dimension');
  if (dimensions.includes('event:goal') && dimensions.includes('event:page')) {
    throw invalidInput('dimensions: event:goal and event:page cannot be combined');
  }

  const rawFilters = b.filters === undefined || b.filters === null ? [] : b.filters;
  const own = parseFilters(rawFilters, 'filters', 'plausible', v2Dimension);
  checkFilters(own, metrics, 'filters');
  checkFilters(segment, metrics, 'segment');
  const filters = andFilters(segment, own);
  checkMetrics(metrics, dimensions, filters);

  const orderBy = b.order_by?.map(([key, dir], i): OrderEntry => {
    if (!(metrics as string[]).includes(key) && !dimensions.includes(key)) {
      throw invalidInput(`order_by[${i}]: ${describe(key)} is not a queried metric or dimension`);
    }
    return [key, dir];
  });

  const include = {
    total_rows: b.include?.total_rows ?? false,
    imports: b.include?.imports ?? false,
    time_labels: b.include?.time_labels ?? false,
  };
  if (include.time_labels && !dimensions.some(isTime)) throw invalidInput('include.time_labels: requires a time dimension');
  const comparisons = b.include?.comparisons ? parseComparisons(b.include.comparisons) : undefined;

  return {
    siteId,
    metrics,
    period,
    dimensions,
    filters,
    rawFilters: rawFilters as unknown[],
    ...(b.segment === undefined ? {} : { segment: b.segment }),
    orderBy,
    include: comparisons ? { ...include, comparisons } : include,
    pagination: { limit: b.pagination?.limit ?? MAX_LIMIT, offset: b.pagination?.offset ?? 0 },
  };
}

/**
 * A shorthand resolved as GET's `period` (with `date`, when given, as "today"), or a pair of
 * inclusive dates.
 */
function parseDateRange(range: unknown, date: string | undefined, now: Date): Period {
  const expected = `must be one of ${DATE_RANGES.join(', ')}, or [first, last] as two YYYY-MM-DD dates`;
  if (typeof range === 'string') {
    if (!(DATE_RANGES as readonly string[]).includes(range)) throw invalidInput(`date_range: ${expected}`);
    const today = date === undefined ? now : parseDate(date, 'date');
    return resolvePeriod({ period: range }, today);
  }
  if (!Array.isArray(range) || range.length !== 2) throw invalidInput(`date_range: ${expected}`);
  const [first, last] = range as unknown[];
  if (typeof first !== 'string') throw invalidInput('date_range[0]: expected YYYY-MM-DD');
  if (typeof last !== 'string') throw invalidInput('date_range[1]: expected YYYY-MM-DD');
  const from = parseDate(first, 'date_range[0]');
  if (parseDate(last, 'date_range[1]') < from) throw invalidInput('date_range: the last date is before the first');
  if (date !== undefined) throw invalidInput(`date: only with a named date_range (${DATE_RANGES.join(', ')})`);
  return resolvePeriod({ start_date: first, end_date: last });
}

/** `include.comparisons`: custom takes a date pair, the other modes none. */
function parseComparisons(c: { mode: ComparisonMode; date_range?: unknown; match_day_of_week?: boolean }): V2Comparisons {
  const at = 'include.comparisons.date_range';
  const flag = c.match_day_of_week === undefined ? {} : { match_day_of_week: c.match_day_of_week };
  if (c.mode !== 'custom') {
    if (c.date_range !== undefined) throw invalidInput(`${at}: only with mode custom`);
    return { mode: c.mode, ...flag };
  }
  const range = c.date_range;
  if (range === undefined) throw invalidInput(`${at}: required with mode custom`);
  if (!Array.isArray(range) || range.length !== 2 || !range.every((d) => typeof d === 'string')) {
    throw invalidInput(`${at}: must be [first, last] as two YYYY-MM-DD dates`);
  }
  const [first, last] = range as [string, string];
  if (parseDate(last, `${at}[1]`) < parseDate(first, `${at}[0]`)) throw invalidInput(`${at}: the last date is before the first`);
  return { mode: 'custom', date_range: [first, last], ...flag };
}

/**
 * Plausible's placement rules: goal and hostname filters at the top level only (a behavioral
 * filter's own filter is a top level of its own: `["has_done", ["is", "event:goal", …]]`),
 * goals by is/contains.
 */
function checkFilters(filters: readonly Filter[], metrics: readonly V2Metric[], param: string): void {
  const walk = (f: Filter, at: string, depth: number): void => {
    if (f.kind === 'has_done' || f.kind === 'has_not_done') {
      walk(f.child, at, 0);
      return;
    }
    if (f.kind !== 'match') {
      for (const c of childrenOf(f)) walk(c, at, depth + 1);
      return;
    }
    const name = f.dim.name;
    if (depth > 0 && TOP_LEVEL_ONLY.includes(name)) throw invalidInput(`${at}: ${name} can only be filtered at the top level`);
    if (name === 'event:goal' && f.op !== 'is' && f.op !== 'contains') {
      throw invalidInput(`${at}: event:goal can only be filtered with is or contains`);
    }
    if (depth > 0 && metrics.includes('conversion_rate') && name.startsWith(PROPS_PREFIX)) {
      throw invalidInput(`${at}: with conversion_rate, custom property filters can only be used at the top level`);
    }
  };
  filters.forEach((f, i) => {
    walk(f, `${param}[${i}]`, 0);
  });
}

/** Plausible's metric rules (QueryParser.validate_metric, TableDecider). */
function checkMetrics(metrics: readonly V2Metric[], dimensions: readonly string[], filters: readonly Filter[]): void {
  const filtered = (name: string) => filtersOn(filters).includes(name);
  const goalFilter = filters.some((f) => f.kind === 'match' && f.dim.name === 'event:goal');
  // Revenue metrics are answered null without one, with a warning (revenue.ts), as Plausible's.
  for (const rate of ['conversion_rate', GROUP_CONVERSION_RATE] as const) {
    if (metrics.includes(rate) && !dimensions.includes('event:goal') && !goalFilter) {
      throw invalidInput(`metrics: ${rate} can only be queried with an event:goal filter or dimension`);
    }
  }
  if (metrics.includes(GROUP_CONVERSION_RATE) && dimensions.length === 0) {
    throw invalidInput('metrics: group_conversion_rate needs dimensions (without any, it is conversion_rate)');
  }
  // Engagement is of pages (engagement.ts): by page, or of the pages a filter picks, grouped
  // by what an engagement row has.
  const engagement = metrics.find(isEngagementMetric);
  if (engagement) {
    if (!dimensions.includes('event:page') && !filtered('event:page')) {
      throw invalidInput(`metrics: ${engagement} can only be queried with an event:page filter or dimension`);
    }
    const others = dimensions.filter((d) => !isTime(d) && !groupsEngagement(v2Dimension(d) as Dimension));
    if (others.length > 0) {
      throw invalidInput(`metrics: ${engagement} cannot be grouped by ${others.join(', ')} (not a value of an engagement row)`);
    }
  }
  if (metrics.includes('views_per_visit')) {
    if (filtered('event:page')) throw invalidInput('metrics: views_per_visit cannot be queried with a filter on event:page');
    if (dimensions.length > 0) throw invalidInput('metrics: views_per_visit cannot be queried with dimensions');
  }
  const eventDims = dimensions.filter((d) => d.startsWith('event:'));
  if (eventDims.length === 1 && eventDims[0] === 'event:page') return; // visit metrics by page are allowed
  const sessionMetrics = metrics.filter((m) => (SESSION_ONLY as readonly string[]).includes(m));
  if (sessionMetrics.length > 0 && eventDims.length > 0) {
    throw invalidInput(
      `metrics: ${sessionMetrics.join(', ')} cannot be queried with the event dimension(s) ${eventDims.join(', ')}`,
    );
  }
  const eventMetrics = metrics.filter((m) => (EVENT_ONLY as readonly string[]).includes(m));
  const sessionDims = dimensions.filter((d) => SESSION_ONLY_DIMENSIONS.includes(d));
  if (eventMetrics.length > 0 && sessionDims.length > 0) {
    throw invalidInput(
      `metrics: ${eventMetrics.join(', ')} cannot be queried with the visit dimension(s) ${sessionDims.join(', ')}`,
    );
  }
}

/**
 * Every dimension name a filter tree filters the events by: not those inside a behavioral
 * filter, which picks visits and leaves their events as they are.
 */
function filtersOn(filters: readonly Filter[]): string[] {
  const out: string[] = [];
  const walk = (f: Filter) => {
    if (f.kind === 'match') out.push(f.dim.name);
    else if (f.kind !== 'has_done' && f.kind !== 'has_not_done') childrenOf(f).forEach(walk);
  };
  filters.forEach(walk);
  return out;
}
