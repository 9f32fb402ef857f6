/**
 * The `/api/stats/*` answers, each a StatsQuery for the one builder, shaped and rounded
 * per docs/METRICS.md, "Ratios" (bounce rate a fraction, durations whole seconds, percentages 0..100).
 */
import type { QueryRunner } from '../storage/storage.js';
import { DAY_MS } from '../utc-days.js';
import type { Metric } from './builder.js';
import { BREAKDOWNS, type Dimension, dimension, PROPS_PREFIX, timeDimension } from './dimensions.js';
import { engagementKey, engagementParts } from './engagement.js';
import { type Filter, withoutGoalFilters } from './filters.js';
import { goalCounts } from './goal-counts.js';
import { type Goal, goalFilter, revenueCompletions, sharedCurrency } from './goals.js';
import { type ImportsScope, importedGoalCounts, importsApply, runAlong, runWithImports } from './imported.js';
import { engagementValues, rounded, share } from './metrics.js';
import type { Interval, Period } from './period.js';
import { currentVisitorsSince, startAllAt, timeParam, wallClock } from './period.js';
import { type Revenue, revenueBy, revenueOf } from './revenue.js';
import { formatBucket, type ResultRow, runStats } from './run.js';
import { raw, render, sql } from './sql.js';

export interface Scope {
  siteId: string;
  period: Period;
  /** With `event:goal` filters resolved against the site's goals (goals.ts `resolveGoals`). */
  filters: readonly Filter[];
  /** The goals the Goals panel shows; undefined when the site has none configured (every custom event is a goal). */
  goals?: readonly Goal[];
  /** The site's imported data, when the request may include it (imported.ts). */
  imports?: ImportsScope;
}

const ALL: Metric[] = ['visitors', 'visits', 'pageviews', 'events', 'bounce_rate', 'visit_duration'];

export interface MainStats {
  unique_visitors: number;
  visits: number;
  total_pageviews: number;
  views_per_visit: number;
  bounce_rate: number;
  avg_visit_duration_secs: number;
  events: number;
}

export async function mainStats(q: QueryRunner, s: Scope): Promise<MainStats & Partial<Revenue>> {
  const [r] = await runWithImports(q, { ...s, metrics: ALL, dimensions: [] }, s.imports);
  const currency = goalFilterCurrency(s);
  return {
    unique_visitors: r?.visitors ?? 0,
    visits: r?.visits ?? 0,
    total_pageviews: r?.pageviews ?? 0,
    views_per_visit: rounded.views_per_visit(r?.views_per_visit ?? 0),
    bounce_rate: rounded.bounce_rate(r?.bounce_rate ?? 0),
    avg_visit_duration_secs: rounded.visit_duration(r?.visit_duration ?? 0),
    events: r?.events ?? 0,
    // Filtered to revenue goals of one currency, the headline numbers include their revenue (as Plausible's).
    ...(currency === undefined ? {} : await revenueOf(q, revenueScope(s), currency)),
  };
}

/** The currency of the revenue goals among those a request's goal filter keeps, when it has one and they share one. */
function goalFilterCurrency(s: Scope): string | undefined {
  if (s.goals === undefined || !s.filters.some((f) => f.goal !== undefined)) return undefined;
  return sharedCurrency(s.goals);
}

/** A scope whose goal filter keeps a revenue goal, narrowed to the completions of its revenue goals (goals.ts). */
const revenueScope = <S extends Pick<Scope, 'filters' | 'goals'>>(s: S): S => ({
  ...s,
  filters: [...s.filters, revenueCompletions(s.goals ?? [])],
});

export interface TimeBucket {
  date: string;
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
  visit_duration: number;
}

/** The start of the bucket holding a (wall-clock) time, as date_trunc gives it (weeks start Monday). */
export function bucketStart(f: Date, unit: Interval): Date {
  if (unit === 'minute') return new Date(Math.floor(f.getTime() / 60_000) * 60_000);
  if (unit === 'hour') return new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth(), f.getUTCDate(), f.getUTCHours()));
  if (unit === 'month') return new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth(), 1));
  const day = new Date(Date.UTC(f.getUTCFullYear(), f.getUTCMonth(), f.getUTCDate()));
  return unit === 'week' ? new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS) : day;
}

/** Bucket starts from the period's start to its end, as date_trunc would give them. */
export function buckets(period: Period, unit: Interval): Date[] {
  const out: Date[] = [];
  // Buckets are wall-clock times of the site's zone, as the SQL truncates them.
  const f = period.timezone ? wallClock(period.from, period.timezone) : period.from;
  const end = period.timezone ? wallClock(period.to, period.timezone) : period.to;
  let t = bucketStart(f, unit);
  while (t < end) {
    out.push(t);
    if (unit === 'month') t = new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth() + 1, 1));
    else t = new Date(t.getTime() + { minute: 60_000, hour: 3_600_000, day: DAY_MS, week: 7 * DAY_MS }[unit]);
  }
  return out;
}

/** A time dimension's rows, one per bucket of the period; `row` is undefined where nothing happened. */
export async function bucketRows(
  q: QueryRunner,
  s: Scope,
  unit: Interval,
  metrics: readonly Metric[] = ALL,
): Promise<{ date: string; row: ResultRow | undefined }[]> {
  const dim = timeDimension(unit);
  const rows = await runWithImports(q, { ...s, metrics, dimensions: [dim] }, s.imports);
  const byBucket = new Map(rows.map((r) => [r.dimensions[0], r]));
  return buckets(s.period, unit).map((b) => {
    const date = formatBucket(b, unit);
    return { date, row: byBucket.get(date) };
  });
}

export async function timeseries(q: QueryRunner, s: Scope, unit: Interval): Promise<TimeBucket[]> {
  return (await bucketRows(q, s, unit)).map(({ date, row: r }) => ({
    date,
    visitors: r?.visitors ?? 0,
    visits: r?.visits ?? 0,
    pageviews: r?.pageviews ?? 0,
    bounce_rate: rounded.bounce_rate(r?.bounce_rate ?? 0),
    visit_duration: rounded.visit_duration(r?.visit_duration ?? 0),
  }));
}

/** A period with `all` resolved to where it starts (period.ts `startAllAt`); others unchanged. */
export async function withAllResolved(q: QueryRunner, siteId: string, period: Period): Promise<Period> {
  return period.name === 'all' ? startAllAt(period, await firstEventAt(q, siteId)) : period;
}

/** The first event time of a site, for `period=all`. */
export async function firstEventAt(q: QueryRunner, siteId: string): Promise<Date | null> {
  const { text, params } = render(
    sql`SELECT min(timestamp) AS first FROM ${raw(q.eventsFor(siteId))} e WHERE site_id = ${siteId}`,
    q.dialect,
  );
  const rows = await q.all<{ first: Date | null }>(text, params);
  return rows[0]?.first ?? null;
}

/** Resolves a breakdown path name (`pages`, `props/plan`) to its dimensions, or undefined. */
export function breakdownDimensions(name: string): Dimension[] | undefined {
  if (name.startsWith('props/')) {
    const d = dimension(`${PROPS_PREFIX}${name.slice('props/'.length)}`);
    return d ? [d] : undefined;
  }
  if (!Object.hasOwn(BREAKDOWNS, name)) return undefined;
  return BREAKDOWNS[name]?.map((n) => dimension(n) as Dimension);
}

export interface BreakdownRow extends Partial<Revenue> {
  value: string;
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
  visit_duration: number;
  percentage: number;
  /**
   * The pages breakdown only, when a page of the answer has engagement (engagement.ts): seconds
   * and percent, null where no visitor of the page reported them.
   */
  time_on_page?: number | null;
  scroll_depth?: number | null;
}

export interface GoalRow {
  value: string;
  visitors: number;
  events: number;
  conversion_rate: number;
  /** Revenue goals only (revenue.ts). */
  currency?: string;
  total_revenue?: number;
  average_revenue?: number | null;
  revenue_skipped?: number;
}

/** Which rows of a breakdown: a page of them, or those with these dimension values (a comparison's). */
export type RowPick = { limit: number; offset: number } | { only: readonly (readonly string[])[] };

/** A breakdown row with the dimension values it stands for (a value may name two, `Chrome 120.0`). */
export interface Keyed<T> {
  key: readonly string[];
  row: T;
}

export async function breakdown(
  q: QueryRunner,
  s: Scope,
  name: string,
  limit: number,
  page: number,
): Promise<BreakdownRow[] | GoalRow[]> {
  const rows = await breakdownRows(q, s, name, { limit, offset: (page - 1) * limit });
  return rows.map((r) => r.row) as BreakdownRow[] | GoalRow[];
}

/**
 * The rows of a breakdown. With `only`, the query keeps just those values (an `is` filter per
 * dimension, whose every value then groups exactly as unfiltered), and the share metrics divide
 * by a total counted apart with the scope's own filters, so they are those of the unrestricted rows.
 */
export async function breakdownRows(
  q: QueryRunner,
  s: Scope,
  name: string,
  pick: RowPick,
): Promise<Keyed<BreakdownRow | GoalRow>[]> {
  const dims = breakdownDimensions(name) ?? [];
  if (name === 'events' && s.goals !== undefined) {
    // Configured goals: those named by the keys (a comparison's), or a page of them all.
    const only = 'only' in pick ? new Set(pick.only.map((k) => k[0])) : undefined;
    const goals = only ? s.goals.filter((g) => only.has(g.displayName)) : s.goals;
    const rows = await goalRows(q, s, goals, 'only' in pick ? { limit: goals.length, offset: 0 } : pick);
    return rows.map((row) => ({ key: [row.value], row }));
  }
  const goals = name === 'events';
  // A goal's rate is over all visitors of the segment, not only those the goal filter keeps.
  const segment = goals ? withoutGoalFilters(s.filters) : s.filters;
  let scope: Scope = s;
  let paging = {};
  let total: number | undefined;
  if ('only' in pick) {
    if (pick.only.length === 0) return [];
    const unrestricted = { ...s, metrics: ['visitors'] as Metric[], dimensions: dims, customEventsOnly: goals };
    if (await importsApply(s.imports, unrestricted)) {
      // An imported value is not something the engine can filter: the merged rows, then those asked for.
      const keys = new Set(pick.only.map((k) => JSON.stringify(k)));
      const all = await breakdownRows(q, s, name, { limit: Number.MAX_SAFE_INTEGER, offset: 0 });
      return all.filter((r) => keys.has(JSON.stringify(r.key)));
    }
    const restriction: Filter[] = dims.map((dim, i) => ({
      kind: 'match',
      op: 'is',
      dim,
      values: [...new Set(pick.only.map((k) => k[i] ?? ''))],
      caseSensitive: true,
    }));
    scope = { ...s, filters: [...s.filters, ...restriction] };
    const [all] = await runStats(q, { ...s, filters: segment, metrics: ['visitors'], dimensions: [] });
    total = all?.visitors ?? 0;
  } else {
    paging = pick;
  }
  const shareOf = (r: ResultRow) => (total === undefined ? r.percentage : share(r.visitors, total));
  if (goals) {
    const rows = await runWithImports(
      q,
      {
        ...scope,
        metrics: total === undefined ? ['visitors', 'events', 'conversion_rate'] : ['visitors', 'events'],
        dimensions: dims,
        customEventsOnly: true,
        // The same set when no filter is a goal's: then the builder counts it in the same pass.
        totalFilters: total !== undefined || segment.length === s.filters.length ? undefined : segment,
        ...paging,
      },
      s.imports,
    );
    return rows.map((r) => ({
      key: r.dimensions,
      row: {
        value: r.dimensions.join(' '),
        visitors: r.visitors,
        events: r.events,
        conversion_rate: rounded.conversion_rate(shareOf(r)),
      },
    }));
  }
  const metrics: Metric[] = total === undefined ? [...ALL, 'percentage'] : ALL;
  const rows = await runWithImports(q, { ...scope, metrics, dimensions: dims, ...paging }, s.imports);
  // Filtered to revenue goals of one currency, each row carries its revenue (as in Plausible).
  const currency = goalFilterCurrency(s);
  const revenue =
    currency === undefined || rows.length === 0 ? undefined : await revenueBy(q, revenueScope(scope), currency, dims);
  // Pages also show how long their visitors stayed and how far they scrolled (one more statement,
  // for the rows shown), when any of them has engagement: a site whose script sends none keeps its answer.
  const pages = rows.map((r) => r.dimensions[0] ?? '');
  const found = name === 'pages' ? await engagementParts(q, s, dims, pages) : null;
  const engagement = found && found.size > 0 ? found : null;
  return rows.map((r) => ({
    key: r.dimensions,
    row: {
      value: r.dimensions.join(' '),
      visitors: r.visitors,
      visits: r.visits,
      pageviews: r.pageviews,
      bounce_rate: rounded.bounce_rate(r.bounce_rate),
      visit_duration: rounded.visit_duration(r.visit_duration),
      percentage: rounded.percentage(shareOf(r)),
      ...revenue?.of(r.dimensions),
      ...(engagement ? engagementValues(engagement.get(engagementKey(r.dimensions))) : {}),
    },
  }));
}

/**
 * The Goals panel of a site with configured goals: each goal's visitors and completions under
 * the request's other filters, over all visitors of the segment (docs/METRICS.md, "Goals").
 * Goals are not the groups of one GROUP BY (a page view can complete several page goals):
 * they are counted by goal-counts.ts, then ordered (most visitors first) and paged here.
 */
async function goalRows(
  q: QueryRunner,
  s: Scope,
  goals: readonly Goal[],
  paging: { limit: number; offset: number },
): Promise<GoalRow[]> {
  if (goals.length === 0) return [];
  const panel = {
    ...s,
    metrics: ['visitors'] as Metric[],
    dimensions: breakdownDimensions('events') ?? [],
    customEventsOnly: true,
  };
  // Imports are decided on the panel's question; its denominator follows that decision.
  const imported = await importedGoalCounts(s.imports, panel, goals);
  const [total] = await runAlong(
    q,
    { ...s, metrics: ['visitors'], dimensions: [], filters: withoutGoalFilters(s.filters) },
    s.imports,
    imported !== undefined,
  );
  // The goal filters chose the goals shown; each row counts its own goal only.
  const others = s.filters.filter((f) => f.goal === undefined);
  const counts = await goalCounts(q, s, others, goals);
  const rows: GoalRow[] = [];
  for (const goal of goals) {
    const own = counts.get(goal.id) ?? { visitors: 0, events: 0 };
    const more = imported?.get(goal.id) ?? { visitors: 0, events: 0 };
    const visitors = own.visitors + more.visitors;
    const events = own.events + more.events;
    // As in Plausible, a goal nobody completed has no row.
    if (visitors === 0) continue;
    rows.push({
      value: goal.displayName,
      visitors,
      events,
      conversion_rate: rounded.conversion_rate(share(visitors, total?.visitors ?? 0)),
      ...(goal.currency === null ? {} : await revenueOf(q, { ...s, filters: [...others, goalFilter(goal)] }, goal.currency)),
    });
  }
  rows.sort((a, b) => b.visitors - a.visitors || b.events - a.events || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0));
  return rows.slice(paging.offset, paging.offset + paging.limit);
}

/** "Visitors now": distinct visitors with an event since `currentVisitorsSince` (period.ts). */
export async function realtimeVisitors(q: QueryRunner, siteId: string, now = new Date()): Promise<number> {
  const since = currentVisitorsSince(now);
  const { text, params } = render(
    sql`SELECT count(DISTINCT visitor_id) AS visitors FROM ${raw(q.eventsFor(siteId, since, new Date(now.getTime() + 1)))} e
        WHERE site_id = ${siteId} AND timestamp >= ${timeParam(since)}`,
    q.dialect,
  );
  const rows = await q.all<{ visitors: bigint }>(text, params);
  return Number(rows[0]?.visitors ?? 0);
}
