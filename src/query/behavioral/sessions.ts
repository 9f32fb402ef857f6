/**
 * GET /api/stats/sessions: every identity's rows in scope cut into sessions by an
 * inactivity gap (docs/BEHAVIORAL.md §2: a gap of exactly `gap` seconds continues a session,
 * rows of the same second never split), then averaged (§8).
 *
 * Computed from the rows rather than the stored visit ids, so another gap and filters
 * that remove rows give the spec's answer; whole seconds, as the spec counts them.
 */

import type { QueryRunner } from '../../storage/storage.js';
import { scopedEvents } from '../builder.js';
import { dialect } from '../dialect.js';
import { rounded } from '../metrics.js';
import { raw, render, sql } from '../sql.js';
import type { Scope } from '../stats.js';
import { IDENTITY, joinCtes } from './visitor-rows.js';

export interface SessionStats {
  total_sessions: number;
  avg_session_duration_secs: number;
  avg_pages_per_session: number;
  /** Sessions with exactly one event, as a fraction. */
  bounce_rate: number;
  gap_secs: number;
}

export async function sessionStats(q: QueryRunner, scope: Scope, gapSecs: number): Promise<SessionStats> {
  const { text, params } = render(sql`WITH ${joinCtes([
    ...scopedEvents(q.eventsFor(scope.siteId, scope.period.from, scope.period.to), scope),
    sql`r AS (SELECT ${raw(IDENTITY)} AS ident, ${raw(dialect.epochSeconds('timestamp'))} AS t, event_name = 'pageview' AS pv FROM scoped)`,
    // A row starts a session when it is the identity's first or follows a gap longer than `gap`.
    sql`g AS (SELECT *, coalesce(t - lag(t) OVER (PARTITION BY ident ORDER BY t) > ${gapSecs}, true)::INTEGER AS brk FROM r)`,
    sql`n AS (SELECT *, sum(brk) OVER (PARTITION BY ident ORDER BY t ROWS UNBOUNDED PRECEDING) AS sn FROM g)`,
    sql`s AS (SELECT max(t) - min(t) AS duration, count(*) AS events, count(*) FILTER (WHERE pv) AS pageviews
        FROM n GROUP BY ident, sn)`,
  ])}
  SELECT count(*) AS sessions, coalesce(avg(duration), 0) AS duration, coalesce(sum(pageviews), 0) AS pageviews,
         coalesce(avg((events = 1)::INTEGER), 0) AS bounce_rate FROM s`);
  const [row] = await q.all<Record<string, unknown>>(text, params);
  const sessions = Number(row?.sessions ?? 0);
  return {
    total_sessions: sessions,
    avg_session_duration_secs: rounded.visit_duration(Number(row?.duration ?? 0)),
    avg_pages_per_session: rounded.views_per_visit(sessions === 0 ? 0 : Number(row?.pageviews ?? 0) / sessions),
    bounce_rate: rounded.bounce_rate(Number(row?.bounce_rate ?? 0)),
    gap_secs: gapSecs,
  };
}
