/**
 * v2 results by `event:goal` for a site with configured goals. A page view can complete
 * several page goals, so goals are not the groups of one GROUP BY: each shown goal is its own
 * query (the request's other dimensions, its filters and the goal's), whose rows get the
 * goal's name as the `event:goal` value; then the rows are ordered and paged here as the
 * builder would have. A goal's imported completions (imported.ts importedGoalParts), when the
 * request takes them, are added to its row before that.
 */

import type { Goal } from '../../sites/goals.js';
import type { QueryRunner } from '../../storage/storage.js';
import { goalCounts } from '../goal-counts.js';
import { goalFilter } from '../goals.js';
import type { GoalPart } from '../imported.js';
import { byTerms, dimensionTerm } from '../row-order.js';
import { type ResultRow, runStats } from '../run.js';
import type { OrderEntry, V2Plan } from './request.js';

const NO_COUNTS: Omit<ResultRow, 'dimensions'> = {
  visitors: 0,
  pageviews: 0,
  events: 0,
  visits: 0,
  bounce_rate: 0,
  visit_duration: 0,
  views_per_visit: 0,
  percentage: 0,
};

/** Rows in the request's order (row-order.ts); conversion_rate orders as visitors do: one denominator for every row. */
function compareBy(order: readonly OrderEntry[], dimensions: readonly string[]) {
  return byTerms<ResultRow>(
    order.map(([key, dir]) => {
      const i = dimensions.indexOf(key);
      if (i >= 0) return dimensionTerm(i, dir);
      const metric = (key === 'conversion_rate' ? 'visitors' : key) as keyof Omit<ResultRow, 'dimensions'>;
      return { value: (r) => r[metric] ?? 0, dir };
    }),
  );
}

/** Metrics a goal's counts answer alone (conversion_rate is its visitors over a total counted apart). */
const COUNTED: ReadonlySet<string> = new Set(['visitors', 'events', 'conversion_rate']);

export async function goalRows(
  q: QueryRunner,
  plan: V2Plan,
  goals: readonly Goal[],
  imported?: ReadonlyMap<string, GoalPart>,
): Promise<ResultRow[]> {
  const at = plan.dimensions.indexOf('event:goal');
  const { limit, offset, customEventsOnly: _, ...query } = plan.query;
  const dimensions = query.dimensions.filter((_d, i) => i !== at);
  // The goal filters chose the goals shown; each goal's rows count that goal only.
  const others = query.filters.filter((f) => f.goal === undefined);
  const rows: ResultRow[] = [];
  const counted = dimensions.length === 0 && query.metrics.every((m) => COUNTED.has(m));
  if (counted) {
    // The Goals panel's question: counted as the panel counts it (goal-counts.ts).
    const counts = await goalCounts(q, query, others, goals);
    for (const goal of goals) {
      const c = counts.get(goal.id);
      if (!c || (c.visitors === 0 && c.events === 0)) continue;
      rows.push({ ...NO_COUNTS, dimensions: [goal.displayName], visitors: c.visitors, events: c.events });
    }
  }
  for (const goal of counted ? [] : goals) {
    const part = await runStats(q, { ...query, dimensions, filters: [...others, goalFilter(goal)], orderBy: undefined });
    // As in Plausible, a goal nobody completed has no row.
    for (const r of part) {
      if (r.events === 0 && r.visitors === 0) continue;
      const values = [...r.dimensions];
      values.splice(at, 0, goal.displayName);
      rows.push({ ...r, dimensions: values });
    }
  }
  if (imported) addImported(rows, goals, imported);
  rows.sort(compareBy(plan.orderBy, plan.dimensions));
  return limit === undefined ? rows : rows.slice(offset ?? 0, (offset ?? 0) + limit);
}

/** Imported completions added to each goal's row (a breakdown by `event:goal` alone: one row per goal). */
function addImported(rows: ResultRow[], goals: readonly Goal[], imported: ReadonlyMap<string, GoalPart>): void {
  for (const goal of goals) {
    const part = imported.get(goal.id);
    if (!part || (part.visitors === 0 && part.events === 0)) continue;
    const at = rows.findIndex((r) => r.dimensions[0] === goal.displayName);
    const row = rows[at] ?? { ...NO_COUNTS, dimensions: [goal.displayName] };
    const merged = {
      ...row,
      visitors: row.visitors + part.visitors,
      events: row.events + part.events,
      pageviews: row.pageviews + part.pageviews,
    };
    if (at >= 0) rows[at] = merged;
    else rows.push(merged);
  }
}
