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
import { scopedEvents, type TimeRange } from '../builder.js';
import { dialect } from '../dialect.js';
import { rounded } from '../metrics.js';
import { splitPeriod } from '../planner.js';
import { dayList } from '../rollup-query.js';
import { fragment, raw, render, type Sql, sql } from '../sql.js';
import type { Scope } from '../stats.js';
import { notePlan } from '../trace.js';
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
export const longestVisitGapMs = (events: string) =>
  `SELECT coalesce(max(gap), 0) AS gap FROM (SELECT epoch_ms(timestamp) - epoch_ms(lag(timestamp) OVER (PARTITION BY session_id ORDER BY timestamp)) AS gap FROM ${events})`;

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
    const fromVisits = view ? await visitsPlan(q, view, scope, gapSecs) : null;
    if (fromVisits) {
      const totals = await totalsOf(q, fromVisits);
      // A stored visit that overlaps another of its identity (never written by this
      // build's sessionizing, but not ruled out for any data) is not a run: scan instead.
      if (totals.overlaps === 0) {
        notePlan('visits');
        return totals;
      }
    }
    notePlan('events');
    return totalsOf(q, scanned(events, scope, gapSecs));
  };
  const t =
    q.derived && scope.filters.length === 0 && scope.period.name !== 'realtime'
      ? await q.derived(scope.siteId, scope.period.from, scope.period.to, run)
      : await run();
  return {
    total_sessions: t.sessions,
    avg_session_duration_secs: rounded.visit_duration(t.sessions === 0 ? 0 : t.seconds / t.sessions),
    avg_pages_per_session: rounded.views_per_visit(t.sessions === 0 ? 0 : t.pageviews / t.sessions),
    bounce_rate: rounded.bounce_rate(t.sessions === 0 ? 0 : t.bounces / t.sessions),
    gap_secs: gapSecs,
  };
}

async function totalsOf(q: QueryRunner, statement: Sql): Promise<Totals & { overlaps: number }> {
  const { text, params } = render(statement);
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

/** Whole seconds of the stored UTC timestamp. */
const seconds = (expr: string) => dialect.epochSeconds(expr);

/** The identity's events in scope, cut at every pause longer than `gap`. */
function scanned(events: string, scope: Scope, gapSecs: number): Sql {
  return sql`WITH ${joinCtes([
    ...scopedEvents(events, scope),
    sql`r AS (SELECT ${raw(IDENTITY)} AS ident, ${raw(seconds('timestamp'))} AS t, event_name = 'pageview' AS pv FROM scoped)`,
    // Each row's gaps to the identity's previous and next rows, in one ordered pass.
    sql`g AS (SELECT t - lag(t) OVER o AS since, lead(t) OVER o - t AS until, pv FROM r WINDOW o AS (PARTITION BY ident ORDER BY t))`,
    // A row starts a session when it is the identity's first or follows a gap longer than
    // `gap`; a session is one event when the row after its first starts another. Its
    // duration is the sum of the gaps inside it, so the sessions need no grouping.
    sql`b AS (SELECT since IS NULL OR since > ${gapSecs} AS starts, until IS NULL OR until > ${gapSecs} AS ends, since, pv FROM g)`,
  ])}
  SELECT count(*) FILTER (WHERE starts) AS sessions, coalesce(sum(since) FILTER (WHERE NOT starts), 0) AS seconds,
         count(*) FILTER (WHERE pv) AS pageviews, count(*) FILTER (WHERE starts AND ends) AS bounces, 0 AS overlaps FROM b`;
}

/**
 * The statement over runs of events — the whole UTC days' stored visits, plus the rest of
 * the period scanned and cut at pauses longer than `gap` — or null when the stored visits
 * may hold a longer pause (a smaller `gap` than the visit timeout they were cut with) and
 * would have to be split.
 */
async function visitsPlan(q: QueryRunner, view: DerivedView, scope: Scope, gapSecs: number): Promise<Sql | null> {
  const { days, scan } = splitPeriod(scope, view.days);
  if (days.length === 0) return null;
  const rollups = await view.rollups(days);
  const { text, params } = render(
    sql`SELECT coalesce(max(duration_ms), 0) AS gap FROM ${raw(rollups)}
        WHERE site_id = ${scope.siteId} AND dim = ${VISIT_GAP_SET} AND day IN (${dayList(days)})`,
  );
  const [row] = await q.all<{ gap: unknown }>(text, params);
  // A pause of m ms spans at most ceil(m / 1000) whole seconds.
  if (Math.ceil(Number(row?.gap ?? 0) / 1000) > gapSecs) return null;
  const events = q.eventsFor(scope.siteId, scope.period.from, scope.period.to);
  return runsStatement(view.visits(days), events, scope, scan, gapSecs);
}

function runsStatement(visits: string, events: string, scope: Scope, scan: readonly TimeRange[], gapSecs: number): Sql {
  const t = (expr: string) => raw(seconds(expr));
  // A stored visit's identity: its signed-in user, else its (single) cookieless visitor.
  const stored = sql`SELECT coalesce(s_user, s_visitor) AS ident, ${t('s_start')} AS t0,
      ${t(`s_start + to_milliseconds(s_duration_ms)`)} AS t1, s_events AS n, s_pageviews AS pv FROM ${raw(visits)}`;
  const rest =
    scan.length === 0
      ? []
      : [
          ...scopedEvents(events, { ...scope, ranges: scan }),
          sql`r AS (SELECT ${raw(IDENTITY)} AS ident, ${t('timestamp')} AS t, event_name = 'pageview' AS pv FROM scoped)`,
          sql`cut AS (SELECT *, coalesce(t - lag(t) OVER (PARTITION BY ident ORDER BY t) > ${gapSecs}, true)::INT AS brk FROM r)`,
          sql`numbered AS (SELECT *, sum(brk) OVER (PARTITION BY ident ORDER BY t ROWS UNBOUNDED PRECEDING) AS run FROM cut)`,
        ];
  const scannedRuns = sql` UNION ALL SELECT ident, min(t), max(t), count(*), count(*) FILTER (WHERE pv) FROM numbered GROUP BY ident, run`;
  return sql`WITH ${joinCtes([
    ...rest,
    sql`runs AS (${stored}${scan.length === 0 ? fragment('') : scannedRuns})`,
    // The pause before and after each run, to the identity's previous and next run.
    sql`g AS (SELECT t0 - lag(t1) OVER o AS since, lead(t0) OVER o - t1 AS until, t1 - t0 AS inside, n, pv
        FROM runs WINDOW o AS (PARTITION BY ident ORDER BY t0, t1))`,
    sql`b AS (SELECT since IS NULL OR since > ${gapSecs} AS starts, until IS NULL OR until > ${gapSecs} AS ends, * FROM g)`,
  ])}
  SELECT count(*) FILTER (WHERE starts) AS sessions,
         sum(inside) + coalesce(sum(since) FILTER (WHERE NOT starts), 0) AS seconds,
         sum(pv) AS pageviews, count(*) FILTER (WHERE starts AND ends AND n = 1) AS bounces,
         count(*) FILTER (WHERE since < 0) AS overlaps FROM b`;
}
