/**
 * GET /api/stats/property-keys: the custom property keys (`props`) of the events in scope
 * (site, period, filters — the same rows the stats see), each with the number of events that
 * carry it, most used first. The dashboard lists them so a key is picked, not typed.
 */
import type { DerivedView, QueryRunner } from '../storage/storage.js';
import { type Sources, scopedEvents, type TimeRange } from './builder.js';
import type { Dialect } from './dialect.js';
import { filterPatterns } from './filters.js';
import { oneValueFilter, splitPeriod } from './planner.js';
import { keyCounts, PROPERTY_KEYS_SET } from './property-rows.js';
import { dayIn } from './rollup-query.js';
import { OVERVIEW_ATTRIBUTES } from './rollup-sets.js';
import { checkPatterns } from './run.js';
import { join, raw, render, type Sql, spelled, sql } from './sql.js';
import type { Scope } from './stats.js';
import { notePlan } from './trace.js';

export interface PropertyKey {
  key: string;
  events: number;
}

/** The most keys an answer lists. */
export const PROPERTY_KEYS_MAX = 100;

/** The rollup rows of a day's key counts among the visits with each value (`v0`) of an overview attribute. */
export const propertyKeysSetOf = (attribute: string) => `${PROPERTY_KEYS_SET}@${attribute}`;

/** `value, key, events`: `keyCounts` per value of the visit column `column` of `visits` (joined on the visit). */
export const keyCountsByVisit = (events: string, visits: string, column: string, d: Dialect) =>
  `SELECT v.${column} AS value, key, count(*) AS events
   FROM (SELECT session_id, ${d.unnest(d.jsonKeys('props'))} AS key FROM ${events} WHERE props IS NOT NULL) k
   JOIN ${visits} v USING (session_id) GROUP BY ALL`;

/**
 * Keys ordered by events (desc), then key (bytewise); at most `limit`. Without filters, the
 * whole UTC days with a current rollup are summed from it and only the rest is scanned; so
 * with one value of an overview attribute (rollup-sets.ts) from that value's rows; with
 * other filters, visits come from the visits table of those days.
 */
export async function propertyKeys(q: QueryRunner, scope: Scope, limit = PROPERTY_KEYS_MAX): Promise<PropertyKey[]> {
  await checkPatterns(q, filterPatterns(scope.filters)); // a bad regular expression is a 400
  const events = q.eventsFor(scope.siteId, scope.period.from, scope.period.to);
  const run = async (view?: DerivedView) => {
    const split = view && scope.period.name !== 'realtime' ? splitPeriod(scope, view.days) : null;
    const derived = view && split && split.days.length > 0 ? { view, split } : null;
    const one = oneValueFilter(scope.filters);
    const scanned = (source: string | Sources, ranges?: readonly TimeRange[]) =>
      sql`WITH ${join([...scopedEvents(source, { ...scope, ranges }), sql`c AS (${spelled((d) => keyCounts('scoped', d))})`], ',\n')}
          SELECT * FROM c`;
    let counts: Sql;
    if (!derived) {
      counts = scanned(events);
      notePlan('events');
    } else if (scope.filters.length === 0) {
      // The derived days' key counts from their rollups, the rest scanned.
      const { days, scan } = derived.split;
      counts = sql`SELECT v0 AS key, events FROM ${raw(await derived.view.rollups(days, [PROPERTY_KEYS_SET]))}
        WHERE site_id = ${scope.siteId} AND dim = ${PROPERTY_KEYS_SET} AND ${dayIn(days)}
        ${scan.length > 0 ? sql`UNION ALL SELECT key, CAST(events AS BIGINT) AS events FROM (${scanned(events, scan)})` : sql``}`;
      notePlan('rollup');
    } else if (one && OVERVIEW_ATTRIBUTES.includes(one.dim.name)) {
      // One value of an overview attribute: that value's key counts from the rollups, the rest scanned.
      const { days, scan } = derived.split;
      counts = sql`SELECT v1 AS key, events FROM ${raw(await derived.view.rollups(days, [propertyKeysSetOf(one.dim.name)]))}
        WHERE site_id = ${scope.siteId} AND dim = ${propertyKeysSetOf(one.dim.name)} AND v0 = ${one.value}
          AND ${dayIn(days)}
        ${scan.length > 0 ? sql`UNION ALL SELECT key, CAST(events AS BIGINT) AS events FROM (${scanned(events, scan)})` : sql``}`;
      notePlan('rollup');
    } else {
      // Filtered: a visit filter reads each visit's row from the visits table of the derived days.
      const { days, scan } = derived.split;
      counts = scanned({ events, visits: derived.view.visits(days), visitsScan: scan });
      notePlan('visits');
    }
    const { text, params } = render(
      sql`SELECT key, sum(events) AS events FROM (${counts}) GROUP BY key ORDER BY events DESC, key LIMIT ${limit}`,
      q.dialect,
    );
    return q.all<{ key: unknown; events: unknown }>(text, params);
  };
  const rows = q.derived ? await q.derived(scope.siteId, scope.period.from, scope.period.to, run) : await run();
  return rows.map((r) => ({ key: String(r.key), events: Number(r.events) }));
}
