/**
 * The statement of a rollup plan (planner.ts): the query's groups summed over the rollup
 * rows of its whole days and the counts scanned from events for the rest of its period,
 * then the final SELECT every plan shares (builder.ts `assemble`).
 */
import { assemble, buildCounts, dimAlias, type StatsQuery } from './builder.js';
import { dialect } from './dialect.js';
import type { Plan } from './planner.js';
import { fragment, join, raw, type Sql, sql } from './sql.js';

type RollupPlan = Extract<Plan, { kind: 'rollup' }>;

const SUMS = 'sum(visitors) AS visitors, sum(pageviews) AS pageviews, sum(events) AS events';
const VISIT_SUMS = 'sum(visits) AS visits, sum(bounces) AS bounces, sum(duration_ms) AS duration_ms';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** Planner-made days as a literal date list (checked here too), so the day filter is one IN. */
export const dayList = (days: readonly string[]) => raw(days.map((d) => (DAY.test(d) ? `DATE '${d}'` : 'NULL')).join(', '));

/** `rollups`: the storage's relation of rollup rows (`site_id`, `day`, then the rollup columns). */
export function rollupQuery(events: string, rollups: string, q: StatsQuery, plan: RollupPlan): Sql {
  const days = dayList(plan.days);
  const aliases = q.dimensions.map((_, i) => dimAlias(i));
  // A stored row's group: its values, or its bucket truncated to the query's unit.
  const groupCols = q.dimensions.map((d, i) =>
    fragment(`${d.unit ? dialect.truncate(d.unit, 'bucket') : `v${plan.columns?.[i] ?? i}`} AS ${aliases[i]}`),
  );
  const lead = (cols: readonly Sql[]) => (cols.length > 0 ? sql`${join(cols, ', ')}, ` : sql``);
  // The stored rows are read once, for both the query's groups and the totals behind percentages.
  // With a one-value filter (planner.ts, RollupPick) only that value's rows count, totals included.
  const valueIs = (column: number) => sql` AND ${raw(`v${column === 1 ? 1 : 0}`)} = ${plan.pick?.value ?? null}`;
  const picked = plan.pick ? valueIs(plan.pick.column) : sql``;
  const storedGroups = sql`SELECT ${lead(groupCols)}visitors, pageviews, events, visits, bounces, duration_ms
    FROM stored WHERE dim = ${plan.set.key}${picked}`;
  // A visitor can be in several groups of a pair set: the total is the value's own row.
  const totalRows = plan.pick ? sql`dim = ${plan.pick.totals}${valueIs(0)}` : sql`dim = ''`;
  const scanned = (query: StatsQuery) =>
    plan.scan.length > 0
      ? sql` UNION ALL BY NAME SELECT * FROM (${buildCounts({ events }, { ...query, ranges: plan.scan })})`
      : sql``;
  const base = { ...q, orderBy: undefined, limit: undefined, offset: undefined };
  const groupBy = aliases.length > 0 ? fragment(` GROUP BY ${aliases.join(', ')}`) : fragment('');
  const dimsOut = fragment(aliases.map((a) => `${a}, `).join(''));
  // When every row read holds the value in `v0`, the condition says so: in a day file's sorted
  // rows (rollup-sets.ts, PAGE_SETS) it skips all but the value's row groups.
  const stored =
    plan.pick?.column === 0
      ? sql`dim IN (${plan.set.key}, ${plan.pick.totals}) AND v0 = ${plan.pick.value}`
      : sql`dim IN (${plan.set.key}, ${plan.pick?.totals ?? ''}, '')`;
  const parts = [
    sql`stored AS MATERIALIZED (SELECT * FROM ${raw(rollups)} WHERE site_id = ${q.siteId} AND day IN (${days}) AND ${stored})`,
    sql`r AS (${storedGroups}${scanned(base)})`,
    sql`g AS (SELECT ${dimsOut}${raw(SUMS)}, ${raw(VISIT_SUMS)} FROM r${groupBy})`,
    sql`vg AS (SELECT * FROM g)`,
    sql`total AS (SELECT sum(visitors) AS visitors FROM (SELECT visitors FROM stored WHERE ${totalRows}${scanned({
      ...base,
      dimensions: [],
      customEventsOnly: false,
    })}))`,
  ];
  return assemble(q, { parts, withVisits: true }, 'final');
}
