/**
 * Each identity's page views as one list of paths, in the order flow reads them
 * (docs/BEHAVIORAL.md §6: whole second, pathname bytewise, arrival). Flow then finds the
 * first view of its page by position instead of ordering every page view of the period.
 *
 * The derived visits table stores the list of each identity's page views of the day on one
 * of its visit rows (`s_path`; NULL on the others). A cookieless identity lives within one
 * UTC day (its id rotates at midnight), so that list is all of it; a signed-in user's
 * lists, one per day, are concatenated in day order — days do not interleave.
 */
import type { Dialect } from '../dialect.js';
import { raw, type Sql, spelled, sql } from '../sql.js';
import { IDENTITY } from './visitor-rows.js';

/** Page views in flow order. */
const pageViewOrder = (d: Dialect) => `${d.epochSeconds('timestamp')}, pathname, seq`;

/** The rows flow follows: page views with a path. */
export const PAGE_VIEWS = "event_name = 'pageview' AND pathname IS NOT NULL";

/** The paths of a group's page views, in flow order. */
const PATH_LIST = spelled((d) => d.listOrdered('pathname', pageViewOrder(d)));

/**
 * Visit rows (`visitRows`, grouped from `events`) with `s_path`: on the row of the visit of
 * each identity's first page view, the paths of all the identity's page views in `events`.
 */
export function withIdentityPaths(visitRows: Sql, events: string): Sql {
  const paths = sql`SELECT ${spelled((d) => d.argMin('session_id', 'timestamp'))} AS session_id, ${PATH_LIST} AS s_path
      FROM ${raw(events)} WHERE ${raw(PAGE_VIEWS)} GROUP BY ${raw(IDENTITY)}`;
  return sql`SELECT r.*, ip.s_path FROM (${visitRows}) r LEFT JOIN (${paths}) ip USING (session_id)`;
}

/**
 * `lists(path)`: one row per identity with a page view, its page views' paths in order —
 * from stored visit rows (`visits`) and, grouped the same way per UTC day, from the events
 * of CTE `scanEvents` when given (the rest of the period; a CTE the statement reads twice,
 * so it should be one that is not kept, `scopedEvents(…, { reread: true })`).
 */
export function identityPathLists(visits: string, scanEvents?: string): Sql[] {
  // Each kind of identity reads only its own rows, and no relation of the period's lists is
  // kept between the two: kept, every stored list of the period sat in memory at once (flow
  // from '/' at 10M events: the server's peak 416 → 281 MB, and faster).
  const days = (signedIn: boolean) => {
    const is = signedIn ? 'IS NOT NULL' : 'IS NULL';
    const stored = sql`SELECT coalesce(s_user, s_visitor) AS ident, s_start AS first_at, s_path AS path
        FROM ${raw(visits)} WHERE ${spelled((d) => d.listLength('s_path'))} > 0 AND s_user ${raw(is)}`;
    const scanned = scanEvents
      ? sql` UNION ALL SELECT ${raw(IDENTITY)} AS ident, min(timestamp) AS first_at, ${PATH_LIST} AS path
        FROM ${raw(scanEvents)} WHERE ${raw(PAGE_VIEWS)} AND user_key ${raw(is)} GROUP BY ident, ${spelled((d) => d.truncate('day', 'timestamp'))}`
      : sql``;
    return sql`${stored}${scanned}`;
  };
  return [
    sql`lists AS (SELECT path FROM (${days(false)})
        UNION ALL SELECT ${spelled((d) => d.flatten(d.listOrdered('path', 'first_at')))} FROM (${days(true)}) GROUP BY ident)`,
  ];
}
