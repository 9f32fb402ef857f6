/**
 * The statement of a rollup plan (planner.ts): the query's groups summed over the rollup
 * rows of its whole days and the counts scanned from events for the rest of its period,
 * then the final SELECT every plan shares (builder.ts `assemble`).
 */

import { DAY_MS } from '../utc-days.js';
import { assemble, buildCounts, dimAlias, type StatsQuery } from './builder.js';
import type { Plan } from './planner.js';
import { fragment, join, raw, type Sql, spelled, sql } from './sql.js';

export type RollupPlan = Extract<Plan, { kind: 'rollup' }>;

/** The counts of a stored group, in the order every part of `r` selects them. */
export const GROUP_COUNTS = 'visitors, pageviews, events, visits, bounces, duration_ms';
/** The same from a scan, in the stored rows' type (an engine may count in another integer type). */
const SCANNED_COUNTS = GROUP_COUNTS.split(', ')
  .map((c) => `CAST(${c} AS BIGINT) AS ${c}`)
  .join(', ');
const SUMS = 'sum(visitors) AS visitors, sum(pageviews) AS pageviews, sum(events) AS events';
const VISIT_SUMS = 'sum(visits) AS visits, sum(bounces) AS bounces, sum(duration_ms) AS duration_ms';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const dateLiteral = (d: string) => (DAY.test(d) ? `DATE '${d}'` : 'NULL');

/**
 * `day` among planner-made days (checked here too), as literals: a range when they are
 * consecutive (a period's usual case), which the engine checks per row without the join
 * an IN list becomes.
 */
export function dayIn(days: readonly string[]): Sql {
  const [first] = days;
  const last = days[days.length - 1];
  const consecutive = days.every((d, i) => i === 0 || Date.parse(d) - Date.parse(days[i - 1] as string) === DAY_MS);
  if (first && last && consecutive) return fragment(`day BETWEEN ${dateLiteral(first)} AND ${dateLiteral(last)}`);
  return fragment(`day IN (${days.length > 0 ? days.map(dateLiteral).join(', ') : 'NULL'})`);
}

/** The sets a rollup plan's statement reads: the query's set, and the one its totals come from. */
export function rollupSets(plan: RollupPlan): string[] {
  return plan.pick?.column === 0 ? [plan.set.key, plan.pick.totals] : [plan.set.key, plan.pick?.totals ?? '', ''];
}

/** `rollups`: the storage's relation of the plan's sets' rollup rows (`site_id`, `day`, then the rollup columns). */
export function rollupQuery(events: string, rollups: string, q: StatsQuery, plan: RollupPlan): Sql {
  const aliases = q.dimensions.map((_, i) => dimAlias(i));
  // A stored row's group: its values, or its bucket truncated to the query's unit.
  const groupCols = q.dimensions.map((d, i) =>
    spelled((dialect) => `${d.unit ? dialect.truncate(d.unit, 'bucket') : `v${plan.columns?.[i] ?? i}`} AS ${aliases[i]}`),
  );
  const lead = (cols: readonly Sql[]) => (cols.length > 0 ? sql`${join(cols, ', ')}, ` : sql``);
  // The stored rows are read once, for both the query's groups and the totals behind percentages.
  // With a one-value filter (planner.ts, RollupPick) only that value's rows count, totals included.
  const valueIs = (column: number) => sql` AND ${raw(`v${column === 1 ? 1 : 0}`)} = ${plan.pick?.value ?? null}`;
  const picked = plan.pick ? valueIs(plan.pick.column) : sql``;
  const storedGroups = sql`SELECT ${lead(groupCols)}${raw(GROUP_COUNTS)}
    FROM stored WHERE dim = ${plan.set.key}${picked}`;
  // A visitor can be in several groups of a pair set: the total is the value's own row.
  const totalRows = plan.pick ? sql`dim = ${plan.pick.totals}${valueIs(0)}` : sql`dim = ''`;
  // When every row read holds the value in `v0`, the condition says so: in a day file's sorted
  // rows (rollup-sets.ts, PAGE_SETS) it skips all but the value's row groups.
  const stored = plan.pick?.column === 0 ? sql` AND v0 = ${plan.pick.value}` : sql``;
  return assemble(
    q,
    {
      parts: [
        sql`${spelled((d) => d.cte('stored', 'materialized'))} (SELECT * FROM ${raw(rollups)} WHERE site_id = ${q.siteId} AND ${dayIn(plan.days)}${stored})`,
        ...summedWithScan(events, q, plan, storedGroups, sql`SELECT visitors FROM stored WHERE ${totalRows}`),
      ],
      withVisits: true,
    },
    'final',
  );
}

/**
 * The CTEs every rollup statement ends with: `r`, the stored groups (a SELECT of the group
 * columns `d<i>` and `GROUP_COUNTS`) and the same counts scanned from events for the rest of the
 * period; their sums per group; and the visitor total, the stored rows' (`storedTotal`, a
 * SELECT of `visitors`) plus the scanned one.
 */
export function summedWithScan(events: string, q: StatsQuery, plan: RollupPlan, storedGroups: Sql, storedTotal: Sql): Sql[] {
  const aliases = q.dimensions.map((_, i) => dimAlias(i));
  // The scanned counts in the stored rows' column order (`columns`), which UNION ALL matches by position.
  const scanned = (query: StatsQuery, columns: string) =>
    plan.scan.length > 0
      ? sql` UNION ALL SELECT ${fragment(columns)} FROM (${buildCounts({ events }, { ...query, ranges: plan.scan })})`
      : sql``;
  const base = { ...q, orderBy: undefined, limit: undefined, offset: undefined };
  const groupBy = aliases.length > 0 ? fragment(` GROUP BY ${aliases.join(', ')}`) : fragment('');
  const dimsText = aliases.map((a) => `${a}, `).join('');
  const dimsOut = fragment(dimsText);
  return [
    sql`r AS (${storedGroups}${scanned(base, `${dimsText}${SCANNED_COUNTS}`)})`,
    sql`g AS (SELECT ${dimsOut}${raw(SUMS)}, ${raw(VISIT_SUMS)} FROM r${groupBy})`,
    sql`vg AS (SELECT * FROM g)`,
    sql`total AS (SELECT sum(visitors) AS visitors FROM (${storedTotal}${scanned(
      { ...base, dimensions: [], customEventsOnly: false },
      'CAST(visitors AS BIGINT) AS visitors',
    )}))`,
  ];
}
