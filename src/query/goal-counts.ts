/**
 * Each configured goal's visitors and completions under a request's filters (the Goals panel),
 * asked the way the planner answers fastest: every event goal from one breakdown of the
 * custom events by name (what the panel of a site without goals asks; rollups answer it),
 * every exact page goal from one breakdown of the page views by page, and only a wildcard
 * page goal by a query of its own (its pattern is a regular expression: events are scanned).
 */
import type { QueryRunner } from '../storage/storage.js';
import { type Dimension, dimension } from './dimensions.js';
import type { Filter } from './filters.js';
import { type Goal, goalFilter } from './goals.js';
import { runStats } from './run.js';
import type { Scope } from './stats.js';

export interface GoalCount {
  visitors: number;
  events: number;
}

const EVENT_GOAL = dimension('event:goal') as Dimension;
const PAGE = dimension('event:page') as Dimension;

/** goal id → its counts; `filters` must hold no goal filter (each goal counts itself). */
export async function goalCounts(
  q: QueryRunner,
  s: Pick<Scope, 'siteId' | 'period'>,
  filters: readonly Filter[],
  goals: readonly Goal[],
): Promise<Map<string, GoalCount>> {
  const out = new Map<string, GoalCount>();
  const byValue = async (dim: Dimension, only: { customEventsOnly: true } | { pageviewsOnly: true }) => {
    const rows = await runStats(q, { ...s, filters, metrics: ['visitors', 'events'], dimensions: [dim], ...only });
    return new Map(rows.map((r) => [r.dimensions[0] ?? '', { visitors: r.visitors, events: r.events }]));
  };
  const events = goals.filter((g) => g.eventName !== null);
  if (events.length > 0) {
    const counted = await byValue(EVENT_GOAL, { customEventsOnly: true });
    for (const g of events) out.set(g.id, counted.get(g.eventName ?? '') ?? { visitors: 0, events: 0 });
  }
  const exact = goals.filter((g) => g.pagePath !== null && !g.pagePath.includes('*'));
  if (exact.length > 0) {
    // The pages' page views alone (a page row counts every event on it): a page's visitors and views are its goal's.
    const counted = await byValue(PAGE, { pageviewsOnly: true });
    for (const g of exact) out.set(g.id, counted.get(g.pagePath ?? '') ?? { visitors: 0, events: 0 });
  }
  for (const g of goals) {
    if (out.has(g.id)) continue;
    const [r] = await runStats(q, {
      ...s,
      metrics: ['visitors', 'events'],
      dimensions: [],
      filters: [...filters, goalFilter(g)],
    });
    out.set(g.id, { visitors: r?.visitors ?? 0, events: r?.events ?? 0 });
  }
  return out;
}
