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
    // Each row's gaps to the identity's previous and next rows, in one ordered pass.
    sql`g AS (SELECT t - lag(t) OVER o AS since, lead(t) OVER o - t AS until, pv FROM r WINDOW o AS (PARTITION BY ident ORDER BY t))`,
    // A row starts a session when it is the identity's first or follows a gap longer than
    // `gap`; a session is one event when the row after its first starts another. Its
    // duration is the sum of the gaps inside it, so the sessions need no grouping.
    sql`b AS (SELECT since IS NULL OR since > ${gapSecs} AS starts, until IS NULL OR until > ${gapSecs} AS ends, since, pv FROM g)`,
  ])}
  SELECT count(*) FILTER (WHERE starts) AS sessions,
         coalesce(sum(since) FILTER (WHERE NOT starts) / nullif(count(*) FILTER (WHERE starts), 0), 0) AS duration,
         count(*) FILTER (WHERE pv) AS pageviews,
         coalesce(count(*) FILTER (WHERE starts AND ends) / nullif(count(*) FILTER (WHERE starts), 0), 0) AS bounce_rate FROM b`);
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
