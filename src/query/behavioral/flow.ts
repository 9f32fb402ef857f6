/**
 * GET /api/stats/flow: where identities went right after (or came from right before)
 * their first page view of a page, to a depth of up to 5 (docs/BEHAVIORAL.md §6, §8:
 * sequenceNextNode with first_match and adjacent chains). Page views are ordered by
 * (whole second, pathname bytewise, arrival); each identity contributes one path, and
 * every prefix of it is a node of the tree.
 */
import type { QueryRunner } from '../../storage/storage.js';
import { type Sources, scopedEvents } from '../builder.js';
import { dialect } from '../dialect.js';
import { withScopeSource } from '../scope-source.js';
import { raw, render, sql } from '../sql.js';
import type { Scope } from '../stats.js';
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
  return withScopeSource(q, scope, (src) => flowFrom(q, src, scope, f));
}

async function flowFrom(q: QueryRunner, src: Sources, scope: Scope, f: FlowQuery): Promise<FlowNode[]> {
  const t = dialect.epochSeconds('timestamp');
  // The neighbours of every page view, read at the identity's first view of the page.
  const shift = f.direction === 'forward' ? 'lead' : 'lag';
  const neighbours = Array.from({ length: f.depth }, (_, k) => `${shift}(pathname, ${k + 1}) OVER o`).join(', ');
  const { text, params } = render(sql`WITH ${joinCtes([
    ...scopedEvents(src, scope, { reread: true }),
    sql`pv AS NOT MATERIALIZED (SELECT ${raw(IDENTITY)} AS ident, pathname, ${raw(t)} AS t, seq FROM scoped
        WHERE event_name = 'pageview' AND pathname IS NOT NULL)`,
    // Read twice: the identities that viewed the page with the second of their first view
    // (a narrow read), then their page views on the side of that second the answer lies
    // on: every neighbour of the first view is there, and the ordered pass sorts fewer rows.
    sql`firsts AS (SELECT ident AS fi, min(t) AS ft FROM pv WHERE pathname = ${f.page} GROUP BY ident)`,
    sql`w AS (SELECT ident, pathname, row_number() OVER o AS rn, [${raw(neighbours)}] AS around
        FROM pv JOIN firsts ON pv.ident = firsts.fi AND pv.t ${raw(f.direction === 'forward' ? '>=' : '<=')} firsts.ft
        WINDOW o AS (PARTITION BY ident ORDER BY t, pathname, seq))`,
    // Neighbours stop at the first missing one (the identity's first or last page view).
    sql`paths AS (SELECT list_filter(arg_min(around, rn), x -> x IS NOT NULL) AS path FROM w WHERE pathname = ${f.page} GROUP BY ident)`,
    sql`nodes AS (SELECT d, path[1:d] AS prefix, count(*) AS visitors
        FROM paths, range(1, ${f.depth + 1}) AS levels(d) WHERE len(path) >= d GROUP BY ALL)`,
    // Only the top `limit` children of each parent can appear in the answer…
    sql`ranked AS (SELECT *, row_number() OVER (PARTITION BY d, prefix[1:d - 1] ORDER BY visitors DESC, prefix[d]) AS r FROM nodes)`,
    // …and only under a parent that is in it: level by level, so at most limit + limit² + …
    // rows leave the engine (at depth 3 from a popular page, 1.1k instead of ~250k).
    ...Array.from({ length: f.depth }, (_, i) =>
      i === 0
        ? sql`l1 AS (SELECT prefix, visitors FROM ranked WHERE d = 1 AND r <= ${f.limit})`
        : sql`${raw(`l${i + 1}`)} AS (SELECT c.prefix, c.visitors FROM ranked c JOIN ${raw(`l${i}`)} p ON c.prefix[1:${raw(String(i))}] = p.prefix
            WHERE c.d = ${i + 1} AND c.r <= ${f.limit})`,
    ),
  ])}
  SELECT prefix, visitors FROM (${raw(Array.from({ length: f.depth }, (_, i) => `SELECT * FROM l${i + 1}`).join(' UNION ALL '))})
  ORDER BY len(prefix), visitors DESC, prefix[len(prefix)]`);
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
