/**
 * Runs a built stats query and returns plain rows: dimension values as strings (time
 * buckets as `YYYY-MM-DD`, `YYYY-MM-DD HH:00:00` or, for minutes, `YYYY-MM-DD HH:MM:00`),
 * metrics as unrounded numbers.
 * Endpoints round and shape them for their own contract.
 */
import { DomainError, invalidInput } from '../errors.js';
import type { DerivedView, QueryRunner } from '../storage/storage.js';
import { buildQuery, dimAlias, pageGrain, type StatsQuery } from './builder.js';
import type { Dimension } from './dimensions.js';
import { type CountedRow, countWithEntries } from './entry-visits.js';
import { type FilterPattern, filterPatterns } from './filters.js';
import { withHostnameVisits } from './hostname-visits.js';
import { ratios, share } from './metrics.js';
import { type Plan, planQuery, readsFiles, rollupCandidate, visitsCandidate } from './planner.js';
import { daysWithoutValues, propertyRollupQuery } from './property-rollup.js';
import { rollupQuery, rollupSets } from './rollup-query.js';
import { join, render, type Sql, sql } from './sql.js';
import { notePlan } from './trace.js';

export interface ResultRow {
  dimensions: string[];
  visitors: number;
  pageviews: number;
  events: number;
  visits: number;
  bounce_rate: number;
  visit_duration: number;
  views_per_visit: number;
  percentage: number;
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

export function formatBucket(d: Date, unit: string | undefined): string {
  const iso = d.toISOString();
  if (unit === 'minute') return `${iso.slice(0, 10)} ${iso.slice(11, 16)}:00`;
  return unit === 'hour' ? `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00` : iso.slice(0, 10);
}

/** A dimension's value in an answer row: a time bucket formatted, anything else as text. */
export const dimensionText = (v: unknown, d: Pick<Dimension, 'unit'>): string =>
  v instanceof Date ? formatBucket(v, d.unit) : String(v);

/** The statement for a query: its plan, and the SQL over the relations the plan reads. */
async function statement(
  q: QueryRunner,
  events: string,
  query: StatsQuery,
  view?: DerivedView,
): Promise<{ plan: Plan['kind'] | 'pages'; sql: Sql }> {
  const chosen = view ? planQuery(query, await plannable(q, query, view)) : ({ kind: 'events' } as const);
  if (view && chosen.kind === 'rollup' && chosen.property !== undefined) {
    return { plan: 'rollup', sql: await propertyRollupQuery(view, events, query, chosen) };
  }
  if (view && chosen.kind === 'rollup') {
    const rollups = await view.rollups(chosen.days, rollupSets(chosen), { files: readsFiles(chosen) });
    return { plan: 'rollup', sql: rollupQuery(events, rollups, query, chosen) };
  }
  if (view && chosen.kind === 'visits') {
    const sql = buildQuery({ events, visits: view.visits(chosen.days), visitsScan: chosen.scan }, query);
    return { plan: pageGrain(query) ? 'pages' : 'visits', sql };
  }
  return { plan: 'events', sql: buildQuery({ events }, query) };
}

/**
 * The derived days the planner may read: all of the view's, except, for a property
 * breakdown, the days whose rollup left the key out (property-rollup.ts).
 */
async function plannable(q: QueryRunner, query: StatsQuery, view: DerivedView): Promise<ReadonlySet<string>> {
  const key = rollupCandidate(query)?.property;
  if (key === undefined) return view.days;
  const without = await daysWithoutValues(q, view, query.siteId, key);
  return without.size === 0 ? view.days : new Set([...view.days].filter((d) => !without.has(d)));
}

/** Runs the query's statement, within a view of the derived tables when it could use them. */
async function execute(q: QueryRunner, query: StatsQuery): Promise<Record<string, unknown>[]> {
  const events = q.eventsFor(query.siteId, query.period.from, query.period.to);
  const run = async (view?: DerivedView) => {
    const { plan, sql } = await statement(q, events, query, view);
    notePlan(plan);
    const { text, params } = render(sql, q.dialect);
    return q.all<Record<string, unknown>>(text, params);
  };
  if (q.derived && (rollupCandidate(query) || visitsCandidate(query))) {
    return q.derived(query.siteId, query.period.from, query.period.to, run);
  }
  return run();
}

/** The query's groups as counts (one plan, one statement). */
async function countedRows(q: QueryRunner, query: StatsQuery): Promise<CountedRow[]> {
  const rows = await execute(q, query);
  return rows.map((r) => ({
    dimensions: query.dimensions.map((d, i) => dimensionText(r[dimAlias(i)], d)),
    counts: {
      visitors: num(r.visitors),
      visits: num(r.visits),
      pageviews: num(r.pageviews),
      events: num(r.events),
      bounces: num(r.bounces),
      durationMs: num(r.duration_ms),
    },
    totalVisitors: num(r.total_visitors),
  }));
}

/** The one place a stats query is resolved: its groups, counted, with their metrics. */
export async function runStats(q: QueryRunner, query: StatsQuery): Promise<ResultRow[]> {
  await checkPatterns(q, filterPatterns(query.filters));
  const rows = await countWithEntries(withHostnameVisits(query), (sub) => countedRows(q, sub));
  return rows.map(({ dimensions, counts, totalVisitors, entered }) => ({
    dimensions,
    visitors: counts.visitors,
    pageviews: counts.pageviews,
    events: counts.events,
    visits: counts.visits,
    ...ratios(counts, entered),
    percentage: share(counts.visitors, totalVisitors),
  }));
}

/** A pattern the engine cannot compile is the caller's mistake: 400, before the query runs. */
export async function checkPatterns(q: QueryRunner, patterns: readonly FilterPattern[]): Promise<void> {
  const distinct = [...new Map(patterns.map((p) => [`${p.caseSensitive ? 's' : 'i'}${p.pattern}`, p])).values()];
  if (distinct.length === 0) return;
  const compiles = (patterns: readonly FilterPattern[]) => {
    const checks = patterns.map((p) => q.dialect.regexMatch(sql`''`, p.pattern, p.caseSensitive));
    const { text, params } = render(sql`SELECT ${join(checks, ', ')}`, q.dialect);
    return q.all(text, params);
  };
  // The engine not answering (unreachable, busy) says nothing about the pattern: a 503 as it is.
  const notNow = (err: unknown) => err instanceof DomainError && err.kind === 'unavailable';
  try {
    // One round trip for all of them; only on failure find the culprit.
    await compiles(distinct);
  } catch (err) {
    if (notNow(err)) throw err;
    for (const p of distinct) {
      try {
        await compiles([p]);
      } catch (err) {
        if (notNow(err)) throw err;
        throw invalidInput(`filters: invalid regular expression "${p.pattern.slice(0, 80)}"`);
      }
    }
  }
}
