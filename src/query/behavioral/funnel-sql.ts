/**
 * The default-mode funnel (no strict flags) in one SQL statement. Without flags the
 * windowFunnel scan reaches level k exactly when some step-1 row at t1 starts a chain
 * t1 ≤ t2 ≤ … ≤ tk ≤ t1 + window of rows matching steps 1..k (a row may serve several
 * steps; same-second entries count in step order, so ≤ is right): the scan always keeps
 * the latest start per step, which is the best one for every later step
 * (docs/BEHAVIORAL.md §3, "What the modes mean in practice"). For each start the earliest
 * next row is the best choice, so each step is one ASOF join — O(n log n), never the
 * pairs of a full join. Counts per step come straight out; nothing is shipped to
 * JavaScript. The modes need the scan itself (funnel-query.ts).
 */
import type { QueryRunner } from '../../storage/storage.js';
import { scopedEvents } from '../builder.js';
import { withScopeSource } from '../scope-source.js';
import { raw, render, type Sql, spelled, sql } from '../sql.js';
import type { Scope } from '../stats.js';
import { identityIs, identityParts } from './identity-parts.js';
import { type Step, stepMask } from './steps.js';
import { IDENTITY, joinCtes } from './visitor-rows.js';

/** Identities reaching at least step k, for k = 1..steps. */
export async function defaultFunnelCounts(
  q: QueryRunner,
  scope: Scope,
  steps: readonly Step[],
  windowSecs: number,
): Promise<number[]> {
  const isStep = (k: number) => spelled((d) => d.hasBits('mask', 1 << (k - 1)));
  const chains: Sql[] = [sql`c1 AS (SELECT ident, t AS t1, t AS tp FROM m WHERE ${isStep(1)})`];
  for (let k = 2; k <= steps.length; k++) {
    chains.push(sql`${raw(`c${k}`)} AS (SELECT c.ident, c.t1, r.t AS tp
        FROM ${raw(`c${k - 1}`)} c ASOF JOIN (SELECT ident, t FROM m WHERE ${isStep(k)}) r
          ON c.ident = r.ident AND c.tp <= r.t
        WHERE r.t <= c.t1 + ${windowSecs})`);
  }
  const counts = steps.map((_, i) => `(SELECT count(DISTINCT ident) FROM c${i + 1}) AS s${i + 1}`).join(', ');
  // Identities never reach a step through another's rows: the parts' counts add up.
  // Inside: the derived files the statements read stay in place until they are done.
  return withScopeSource(q, scope, async (src) => {
    const total = steps.map(() => 0);
    for (const part of identityParts(scope)) {
      const { text, params } = render(
        sql`WITH ${joinCtes([
          ...scopedEvents(src, { ...scope, ranges: part.ranges }),
          sql`${spelled((d) => d.cte('m', 'materialized'))} (SELECT ${raw(IDENTITY)} AS ident, ${spelled((d) => d.epochSeconds('timestamp'))} AS t, ${stepMask(steps)} AS mask
          FROM scoped WHERE ${stepMask(steps)} <> 0 AND ${raw(identityIs(part))})`,
          ...chains,
        ])}
      SELECT ${raw(counts)}`,
        q.dialect,
      );
      const [row] = await q.all<Record<string, bigint>>(text, params);
      steps.forEach((_, i) => {
        total[i] = (total[i] ?? 0) + Number(row?.[`s${i + 1}`] ?? 0);
      });
    }
    return total;
  });
}
