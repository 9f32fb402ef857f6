/**
 * A breakdown by one custom property key from the rollups (planner.ts, `RollupPick.property`):
 * on each whole day of the period, the key's rows of the property values set
 * (property-rows.ts) when the day rolled the key up, and the day's totals under `(none)` when
 * no event of the day carries it; a day whose events carry the key but whose rollup left it
 * out (a day with more keys than it rolls up) is scanned, like the rest of the period.
 */
import type { DerivedView, QueryRunner } from '../storage/storage.js';
import { assemble, type StatsQuery } from './builder.js';
import { NONE } from './dimensions.js';
import { PROPERTY_KEYS_SET, PROPERTY_ROLLED_SET } from './property-rows.js';
import { dayIn, GROUP_COUNTS, type RollupPlan, summedWithScan } from './rollup-query.js';
import { PROPERTY_VALUES_SET } from './rollup-sets.js';
import { raw, render, type Sql, spelled, sql } from './sql.js';

/** The days of `view` whose events carry `key` but whose rollup holds no values of it. */
export async function daysWithoutValues(q: QueryRunner, view: DerivedView, siteId: string, key: string): Promise<Set<string>> {
  const days = [...view.days].sort();
  if (days.length === 0) return new Set();
  const rows = await view.rollups(days, [PROPERTY_KEYS_SET, PROPERTY_ROLLED_SET]);
  const { text, params } = render(
    sql`SELECT CAST(day AS VARCHAR) AS day_text FROM ${raw(rows)}
    WHERE site_id = ${siteId} AND v0 = ${key} AND ${dayIn(days)}
    GROUP BY day_text HAVING count(*) FILTER (WHERE dim = ${PROPERTY_ROLLED_SET}) = 0`,
    q.dialect,
  );
  return new Set((await q.all<{ day_text: string }>(text, params)).map((r) => r.day_text));
}

/** The statement, over the days' rows of the property values set (read from the files), totals and key counts. */
export async function propertyRollupQuery(view: DerivedView, events: string, q: StatsQuery, plan: RollupPlan): Promise<Sql> {
  const key = plan.property ?? '';
  const days = dayIn(plan.days);
  const values = await view.rollups(plan.days, [PROPERTY_VALUES_SET], { files: true });
  const dayRows = await view.rollups(plan.days, ['', PROPERTY_KEYS_SET]);
  const storedGroups = sql`SELECT v1 AS d0, ${raw(GROUP_COUNTS)} FROM vals
    UNION ALL SELECT ${NONE} AS d0, ${raw(GROUP_COUNTS)} FROM day_rows
      WHERE dim = '' AND day NOT IN (SELECT day FROM day_rows WHERE dim = ${PROPERTY_KEYS_SET} AND v0 = ${key})`;
  const parts = [
    // The key's rows are together in each sorted file: the condition on `v0` skips the rest.
    sql`vals AS (SELECT * FROM ${raw(values)} WHERE site_id = ${q.siteId} AND ${days} AND v0 = ${key} AND dim = ${PROPERTY_VALUES_SET})`,
    sql`${spelled((d) => d.cte('day_rows', 'materialized'))} (SELECT * FROM ${raw(dayRows)} WHERE site_id = ${q.siteId} AND ${days})`,
    ...summedWithScan(events, q, plan, storedGroups, sql`SELECT visitors FROM day_rows WHERE dim = ''`),
  ];
  return assemble(q, { parts, withVisits: true }, 'final');
}
