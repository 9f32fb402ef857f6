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

export function rollupQuery(events: string, q: StatsQuery, plan: RollupPlan): Sql {
  const files = raw(`[${plan.files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]`);
  const aliases = q.dimensions.map((_, i) => dimAlias(i));
  // A stored row's group: its values, or its bucket truncated to the query's unit.
  const groupCols = q.dimensions.map((d, i) =>
    fragment(`${d.unit ? dialect.truncate(d.unit, 'bucket') : `v${i}`} AS ${aliases[i]}`),
  );
  const lead = (cols: readonly Sql[]) => (cols.length > 0 ? sql`${join(cols, ', ')}, ` : sql``);
  const stored = sql`SELECT ${lead(groupCols)}visitors, pageviews, events, visits, bounces, duration_ms
    FROM read_parquet(${files}) WHERE dim = ${plan.set.key}`;
  const scanned = (query: StatsQuery) =>
    plan.scan.length > 0
      ? sql` UNION ALL BY NAME SELECT * FROM (${buildCounts({ events }, { ...query, ranges: plan.scan })})`
      : sql``;
  const base = { ...q, orderBy: undefined, limit: undefined, offset: undefined };
  const groupBy = aliases.length > 0 ? fragment(` GROUP BY ${aliases.join(', ')}`) : fragment('');
  const dimsOut = fragment(aliases.map((a) => `${a}, `).join(''));
  const parts = [
    sql`r AS (${stored}${scanned(base)})`,
    sql`g AS (SELECT ${dimsOut}${raw(SUMS)} FROM r${groupBy})`,
    sql`vg AS (SELECT ${dimsOut}${raw(VISIT_SUMS)} FROM r${groupBy})`,
    sql`total AS (SELECT sum(visitors) AS visitors FROM (SELECT visitors FROM read_parquet(${files}) WHERE dim = ''${scanned({
      ...base,
      dimensions: [],
      customEventsOnly: false,
    })}))`,
  ];
  return assemble(q, { parts, withVisits: true }, 'final');
}
