/**
 * Where a query that starts from `scopedEvents` (the behavioral analyses) reads its scope.
 * A filter on a visit attribute keeps whole visits, so every event needs its visit's
 * attributes (as does grouping by a visit dimension, `carry`): over the whole UTC days
 * with current derived tables they come from the stored visit rows (one narrow column
 * read), and only the rest of the period groups its visits from events. Without such a
 * filter, or without derived days, events alone. The plan (`X-Mallard-Plan`) is `visits`
 * or `events` accordingly.
 */
import type { DerivedView, QueryRunner } from '../storage/storage.js';
import type { Sources } from './builder.js';
import type { Dimension } from './dimensions.js';
import { filterDimensions } from './filters.js';
import { splitPeriod } from './planner.js';
import type { Scope } from './stats.js';
import { notePlan } from './trace.js';

export async function withScopeSource<T>(
  q: QueryRunner,
  scope: Scope,
  fn: (src: Sources) => Promise<T>,
  carry: readonly Dimension[] = [],
): Promise<T> {
  const events = q.eventsFor(scope.siteId, scope.period.from, scope.period.to);
  const visitFilter = [...filterDimensions(scope.filters), ...carry].some((d) => d.visitColumn !== undefined);
  const from = (src: Sources) => {
    notePlan(src.visits ? 'visits' : 'events');
    return fn(src);
  };
  if (!q.derived || !visitFilter || scope.period.name === 'realtime') return from({ events });
  return q.derived(scope.siteId, scope.period.from, scope.period.to, (view) => {
    const { days, scan } = splitPeriod(scope, view.days);
    return from(days.length > 0 ? { events, visits: view.visits(days), visitsScan: scan } : { events });
  });
}

/**
 * Runs `fn` with the derived view when the scope has no filter and is not realtime, where
 * stored visit rows answer as they are (sessions chain them, flow reads their page-view
 * lists); null otherwise (the caller reads events, withScopeSource).
 */
export function withUnfilteredView<T>(q: QueryRunner, scope: Scope, fn: (view: DerivedView) => Promise<T>): Promise<T> | null {
  if (!q.derived || scope.filters.length > 0 || scope.period.name === 'realtime') return null;
  return q.derived(scope.siteId, scope.period.from, scope.period.to, fn);
}
