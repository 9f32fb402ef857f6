/**
 * GET /api/stats/flow: where identities went right after (or came from right before)
 * their first page view of a page, to a depth of up to 5 (docs/BEHAVIORAL.md §6, §8:
 * sequenceNextNode with first_match and adjacent chains). Page views are ordered by
 * (whole second, pathname bytewise, arrival); each identity contributes one path, and
 * every prefix of it is a node of the tree.
 *
 * Two plans give the same answer. Without filters, each identity's page views are read as
 * one stored list per day (identity-paths.ts) and the neighbours are found by position;
 * with filters (which drop events, or whole visits), the page views in scope are ordered.
 */
import type { DerivedView, QueryRunner } from '../../storage/storage.js';
import { type Sources, scopedEvents } from '../builder.js';
import { WHOLE_PARTITION } from '../dialect.js';
import { splitPeriod } from '../planner.js';
import { withScopeSource, withUnfilteredView } from '../scope-source.js';
import { raw, render, type Sql, spelled, sql } from '../sql.js';
import type { Scope } from '../stats.js';
import { notePlan } from '../trace.js';
import { identityPathLists, PAGE_VIEWS } from './identity-paths.js';
import { IDENTITY, joinCtes } from './visitor-rows.js';

export type FlowDirection = 'forward' | 'backward';
export const MAX_FLOW_DEPTH = 5;

export interface FlowNode {
  /** The neighbouring page in the chosen direction (the previous page when going backward). */
  next_page: string;
  visitors: number;
  children?: FlowNode[];
}

export interface FlowQuery {
  page: string;
  direction: FlowDirection;
  depth: number;
  /** Children kept per node, most visitors first. */
  limit: number;
}

export function flow(q: QueryRunner, scope: Scope, f: FlowQuery): Promise<FlowNode[]> {
  return (
    withUnfilteredView(q, scope, (view) => fromStoredPaths(q, view, scope, f)) ??
    withScopeSource(q, scope, (src) => fromEvents(q, src, scope, f))
  );
}

/** The neighbours of each identity's first view of the page, from its page-view lists. */
function fromStoredPaths(q: QueryRunner, view: DerivedView, scope: Scope, f: FlowQuery): Promise<FlowNode[]> {
  const events = q.eventsFor(scope.siteId, scope.period.from, scope.period.to);
  const { days, scan } = splitPeriod(scope, view.days);
  if (days.length === 0) {
    notePlan('events');
    return fromEvents(q, { events }, scope, f);
  }
  notePlan('visits');
  const visits = view.visits(days);
  const lists =
    scan.length > 0
      ? [...scopedEvents(events, { ...scope, ranges: scan }, { reread: true }), ...identityPathLists(visits, 'scoped')]
      : identityPathLists(visits);
  // Neighbours nearest first; a slice past either end of the list is shorter. Elements
  // made nullable, so that reading past the end is NULL on every engine (tree's steps).
  const depth = String(Math.trunc(f.depth));
  const around = spelled((d) =>
    d.listWithoutNulls(
      f.direction === 'forward'
        ? d.listSlice('path', 'pos + 1', `pos + ${depth}`)
        : d.listReverse(d.listSlice('path', `greatest(pos - ${depth}, 1)`, 'pos - 1')),
    ),
  );
  return tree(q, f, [
    ...lists,
    sql`firsts AS (SELECT path, ${spelled((d) => d.listPosition('path', '_page'))} AS pos
      FROM lists, (SELECT ${f.page} AS _page) pg WHERE ${spelled((d) => d.listContains('path', '_page'))})`,
    sql`paths AS (SELECT ${around} AS path FROM firsts)`,
  ]);
}

/** The same from the page views in scope, ordered per identity. */
function fromEvents(q: QueryRunner, src: Sources, scope: Scope, f: FlowQuery): Promise<FlowNode[]> {
  const t = spelled((d) => d.epochSeconds('timestamp'));
  // The neighbours of every page view, read at the identity's first view of the page.
  const sign = f.direction === 'forward' ? 1 : -1;
  const neighbours = spelled((d) =>
    Array.from({ length: f.depth }, (_, k) => `${d.neighbour('pathname', sign * (k + 1))} OVER o`).join(', '),
  );
  return tree(q, f, [
    ...scopedEvents(src, scope, { reread: true }),
    sql`${spelled((d) => d.cte('pv', 'inline'))} (SELECT ${raw(IDENTITY)} AS ident, pathname, ${t} AS t, seq FROM scoped WHERE ${raw(PAGE_VIEWS)})`,
    // Read twice: the identities that viewed the page with the second of their first view
    // (a narrow read), then their page views on the side of that second the answer lies
    // on: every neighbour of the first view is there, and the ordered pass sorts fewer rows.
    sql`firsts AS (SELECT ident AS fi, min(t) AS ft FROM pv WHERE pathname = ${f.page} GROUP BY ident)`,
    // The side of the second is a filter, not a join condition: older ClickHouse versions join on equalities only.
    sql`w AS (SELECT ident, pathname, row_number() OVER o AS rn, [${neighbours}] AS around
        FROM pv JOIN firsts ON pv.ident = firsts.fi WHERE pv.t ${raw(f.direction === 'forward' ? '>=' : '<=')} firsts.ft
        WINDOW o AS (PARTITION BY ident ORDER BY t, pathname, seq ${raw(WHOLE_PARTITION)}))`,
    // Neighbours stop at the first missing one (the identity's first or last page view).
    sql`paths AS (SELECT ${spelled((d) => d.listWithoutNulls(d.argMin('around', 'rn')))} AS path
        FROM w WHERE pathname = ${f.page} GROUP BY ident)`,
  ]);
}

/** The tree of `paths(path)` (after the CTEs that define it): every prefix a node, the top `limit` children of each. */
async function tree(q: QueryRunner, f: FlowQuery, ctes: readonly Sql[]): Promise<FlowNode[]> {
  // The path's steps as columns p1…pN: grouping by strings is several times faster than by lists.
  const step = (i: number) => `p${i}`;
  const steps = (n: number) => Array.from({ length: n }, (_, i) => step(i + 1));
  // Level by level, each step's top `limit` values under a parent that is itself kept, so
  // at most limit + limit² + … rows leave the engine (at depth 3 from a popular page, 1.1k
  // instead of ~250k), and a level counts only the paths under the kept parents.
  const levels = Array.from({ length: f.depth }, (_, i) => {
    const d = i + 1;
    const parent = steps(i).join(', ');
    return sql`${raw(`l${d}`)} AS (SELECT * FROM (
        SELECT ${raw(steps(d).join(', '))}, count(*) AS visitors,
          row_number() OVER (${raw(d > 1 ? `PARTITION BY ${parent} ` : '')}ORDER BY count(*) DESC, ${raw(step(d))}) AS r
        FROM p${d > 1 ? spelled((dialect) => ` ${dialect.semiJoin()} l${i} USING (${parent})`) : sql``} WHERE ${raw(step(d))} IS NOT NULL GROUP BY ${raw(steps(d).join(', '))})
      WHERE r <= ${f.limit})`;
  });
  const nodes = Array.from(
    { length: f.depth },
    (_, i) => `SELECT [${steps(i + 1).join(', ')}] AS prefix, visitors FROM l${i + 1}`,
  );
  const depthOf = spelled((d) => d.listLength('prefix'));
  const { text, params } = render(
    sql`WITH ${joinCtes([
      ...ctes,
      sql`p AS (SELECT ${raw(
        steps(f.depth)
          .map((s, i) => `path[${i + 1}] AS ${s}`)
          .join(', '),
      )} FROM paths)`,
      ...levels,
    ])}
  SELECT prefix, visitors FROM (${raw(nodes.join(' UNION ALL '))}) ORDER BY ${depthOf}, visitors DESC, prefix[${depthOf}]`,
    q.dialect,
  );
  const rows = await q.all<{ prefix: string[]; visitors: bigint }>(text, params);

  const root: FlowNode[] = [];
  const index = new Map<string, FlowNode[]>([['[]', root]]);
  for (const r of rows) {
    const siblings = index.get(JSON.stringify(r.prefix.slice(0, -1)));
    if (!siblings) continue;
    const node: FlowNode = { next_page: r.prefix[r.prefix.length - 1] ?? '', visitors: Number(r.visitors) };
    if (r.prefix.length < f.depth) {
      node.children = [];
      index.set(JSON.stringify(r.prefix), node.children);
    }
    siblings.push(node);
  }
  return root;
}
