/**
 * GET /api/stats/sessions: every identity's rows in scope cut into sessions by an
 * inactivity gap (docs/BEHAVIORAL.md §2: a gap of exactly `gap` seconds continues a session,
 * rows of the same second never split), then averaged (§8).
 *
 * Two plans give the same answer. Scanning cuts the events themselves, in whole seconds,
 * so any gap and any filter gives the spec's answer. Without filters, the stored visits
 * do the same job with a third of the rows (docs/BEHAVIORAL.md §2, "Sessions from visits"):
 * a visit is a run of one identity's events, so when no pause inside any visit is longer
 * than `gap`, a session is a chain of the identity's visits whose pauses between them are
 * not longer than `gap` either.
 */

import type { DerivedView, QueryRunner } from '../../storage/storage.js';
import { type Sources, scopedEvents } from '../builder.js';
import { type Dialect, WHOLE_PARTITION } from '../dialect.js';
import { rounded } from '../metrics.js';
import { splitPeriod } from '../planner.js';
import { dayIn } from '../rollup-query.js';
import { withScopeSource, withUnfilteredView } from '../scope-source.js';
import { raw, render, type Sql, spelled, sql } from '../sql.js';
import type { Scope } from '../stats.js';
import { notePlan } from '../trace.js';
import { daysOf, identityParts } from './identity-parts.js';
import { IDENTITY, joinCtes } from './visitor-rows.js';

export interface SessionStats {
  total_sessions: number;
  avg_session_duration_secs: number;
  avg_pages_per_session: number;
  /** Sessions with exactly one event, as a fraction. */
  bounce_rate: number;
  gap_secs: number;
}

/** The rollup rows holding each day's longest pause inside one visit, in ms (derived-tables.ts). */
export const VISIT_GAP_SET = 'visit:gap';

/** The longest pause between consecutive events of one visit of `events` (ms; 0 without one). */
export const longestVisitGapMs = (events: string, d: Dialect) =>
  `SELECT coalesce(max(gap), 0) AS gap FROM (SELECT ${d.epochMs('timestamp')} - ${d.epochMs('previous')} AS gap FROM (
    SELECT timestamp, ${d.neighbour('timestamp', -1)} OVER (PARTITION BY session_id ORDER BY timestamp ${WHOLE_PARTITION}) AS previous
    FROM ${events}))`;

/** Sums every plan returns: sessions, their summed duration (s), page views, one-event sessions. */
interface Totals {
  sessions: number;
  seconds: number;
  pageviews: number;
  bounces: number;
}

export async function sessionStats(q: QueryRunner, scope: Scope, gapSecs: number): Promise<SessionStats> {
  const events = q.eventsFor(scope.siteId, scope.period.from, scope.period.to);
  const run = async (view?: DerivedView): Promise<Totals> => {
    const fromVisits = view ? await visitsPlan(q, view, events, scope, gapSecs) : null;
    if (fromVisits) {
      const totals = await summedTotals(q, fromVisits);
      // A stored visit that overlaps another of its identity (never written by this
      // build's sessionizing, but not ruled out for any data) is not a run: scan instead.
      if (totals.overlaps === 0) {
        notePlan('visits');
        return totals;
      }
    }
    notePlan('events');
    return totalsOf(q, chained(scopedEvents(events, scope), EVENT_RUNS, gapSecs));
  };
  // Filtered: the events in scope cut, their visits' attributes from the stored visit rows.
  const scanned = (src: Sources) => totalsOf(q, chained(scopedEvents(src, scope), EVENT_RUNS, gapSecs));
  const t = await (withUnfilteredView(q, scope, run) ?? withScopeSource(q, scope, scanned));
  return {
    total_sessions: t.sessions,
    avg_session_duration_secs: rounded.visit_duration(t.sessions === 0 ? 0 : t.seconds / t.sessions),
    avg_pages_per_session: rounded.views_per_visit(t.sessions === 0 ? 0 : t.pageviews / t.sessions),
    bounce_rate: rounded.bounce_rate(t.sessions === 0 ? 0 : t.bounces / t.sessions),
    gap_secs: gapSecs,
  };
}

/** The totals of statements over disjoint sets of sessions, one after another (each holds its own memory). */
async function summedTotals(q: QueryRunner, statements: readonly Sql[]): Promise<Totals & { overlaps: number }> {
  const sum = { sessions: 0, seconds: 0, pageviews: 0, bounces: 0, overlaps: 0 };
  for (const statement of statements) {
    const t = await totalsOf(q, statement);
    for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += t[k];
  }
  return sum;
}

async function totalsOf(q: QueryRunner, statement: Sql): Promise<Totals & { overlaps: number }> {
  const { text, params } = render(statement, q.dialect);
  const [row] = await q.all<Record<string, unknown>>(text, params);
  const n = (k: string) => Number(row?.[k] ?? 0);
  return {
    sessions: n('sessions'),
    seconds: n('seconds'),
    pageviews: n('pageviews'),
    bounces: n('bounces'),
    overlaps: n('overlaps'),
  };
}

/** The previous or next run's `expr` (`Dialect.neighbour`). */
const neighbour = (expr: string, offset: number) => spelled((d) => d.neighbour(expr, offset));

/** Whole seconds of a stored UTC timestamp. */
const seconds = (expr: string) => spelled((d) => d.epochSeconds(expr));

/**
 * Runs of one identity's events — `ident, t0, t1` (first and last second), `n` events, `pv`
 * page views — with no pause inside longer than the gap. Every event in scope is a run of
 * itself. Counts are BIGINT here and in the stored visits' runs: ClickHouse makes a union of
 * unlike integer types a Variant, which cannot be summed.
 */
const EVENT_RUNS = sql`SELECT ${raw(IDENTITY)} AS ident, ${seconds('timestamp')} AS t0, ${seconds('timestamp')} AS t1,
    1::BIGINT AS n, (event_name = 'pageview')::BIGINT AS pv FROM scoped`;

/**
 * The sessions of `runs` (after the CTEs `ctes`): in one ordered pass per identity, each run's
 * pauses to the previous and next run; a run starts a session when it is the identity's first
 * or follows a pause longer than `gap`, and a session is one event when that run is a single
 * event and the next run starts another. Durations add the runs' own spans and the pauses
 * inside sessions, so the sessions need no grouping. `overlaps` counts runs that begin before
 * the previous one ended (then the runs were not runs).
 */
function chained(ctes: readonly Sql[], runs: Sql, gapSecs: number): Sql {
  return sql`WITH ${joinCtes([
    ...ctes,
    sql`runs AS (${runs})`,
    sql`g AS (SELECT t0 - ${neighbour('t1', -1)} OVER o AS since, ${neighbour('t0', 1)} OVER o - t1 AS until, t1 - t0 AS inside, n, pv
        FROM runs WINDOW o AS (PARTITION BY ident ORDER BY t0, t1 ${raw(WHOLE_PARTITION)}))`,
    sql`b AS (SELECT since IS NULL OR since > ${gapSecs} AS starts, until IS NULL OR until > ${gapSecs} AS ends, * FROM g)`,
  ])}
  SELECT count(*) FILTER (WHERE starts) AS sessions,
         coalesce(sum(inside), 0) + coalesce(sum(since) FILTER (WHERE NOT starts), 0) AS seconds,
         coalesce(sum(pv), 0) AS pageviews, count(*) FILTER (WHERE starts AND ends AND n = 1) AS bounces,
         count(*) FILTER (WHERE since < 0) AS overlaps FROM b`;
}

/**
 * The statements over runs — the whole UTC days' stored visits, plus the events of the rest
 * of the period — or null when the stored visits may hold a longer pause than `gap` (a
 * smaller `gap` than the visit timeout they were cut with) and would have to be split.
 * A cookieless visitor's id is of one UTC day (docs/METRICS.md), so its sessions never
 * leave the day: the cookieless visits are chained per identity part (identity-parts.ts;
 * at 10M events, one window over the period's 2.9M visits took the server ~90 MB above its
 * resting memory; a statement per day took half as long again as one in all), and the
 * signed-in users' visits, which chain across days, by one more, with the events scanned
 * for the rest of the period.
 */
async function visitsPlan(
  q: QueryRunner,
  view: DerivedView,
  events: string,
  scope: Scope,
  gapSecs: number,
): Promise<Sql[] | null> {
  const { days, scan } = splitPeriod(scope, view.days);
  const visitRows = view.visits.bind(view);
  if (days.length === 0) return null;
  const rollups = await view.rollups(days, [VISIT_GAP_SET]);
  const { text, params } = render(
    sql`SELECT coalesce(max(duration_ms), 0) AS gap FROM ${raw(rollups)}
        WHERE site_id = ${scope.siteId} AND dim = ${VISIT_GAP_SET} AND ${dayIn(days)}`,
    q.dialect,
  );
  const [row] = await q.all<{ gap: unknown }>(text, params);
  // A pause of m ms spans at most ceil(m / 1000) whole seconds.
  if (Math.ceil(Number(row?.gap ?? 0) / 1000) > gapSecs) return null;
  // A stored visit's identity: its signed-in user, else its (single) cookieless visitor.
  const stored = (ds: readonly string[], signedIn: boolean) => sql`SELECT coalesce(s_user, s_visitor) AS ident,
      ${seconds('s_start')} AS t0, ${spelled((d) => `floor((${d.epochMs('s_start')} + s_duration_ms) / 1000)`)} AS t1,
      s_events::BIGINT AS n, s_pageviews::BIGINT AS pv
      FROM ${raw(visitRows(ds))} WHERE s_user IS ${raw(signedIn ? 'NOT NULL' : 'NULL')}`;
  const cookieless = identityParts(scope).flatMap((part) => {
    const ds = part.signedIn ? [] : daysOf(part, days);
    return ds.length > 0 ? [chained([], stored(ds, false), gapSecs)] : [];
  });
  const users = stored(days, true);
  const rest =
    scan.length === 0
      ? chained([], users, gapSecs)
      : chained(scopedEvents(events, { ...scope, ranges: scan }), sql`${users} UNION ALL ${EVENT_RUNS}`, gapSecs);
  return [...cookieless, rest];
}
