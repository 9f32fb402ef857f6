/**
 * What the per-visitor state machines (funnel, sequences) read: for each identity in
 * scope, its rows' whole-second timestamps and step bitmasks in (timestamp, arrival)
 * order, built in SQL and streamed a chunk at a time so memory stays O(chunk).
 *
 * The identity is the signed-in user (`user_key`) where a server-side integration sent
 * one, else the cookieless visitor id — which changes every UTC day (behavioral.md §8).
 */
import type { QueryRunner } from '../../storage/storage.js';
import { scopedEvents } from '../builder.js';
import { dialect } from '../dialect.js';
import { join, raw, render, type Sql, sql } from '../sql.js';
import type { Scope } from '../stats.js';
import { type Step, stepMask } from './steps.js';

export const IDENTITY = 'coalesce(user_key, visitor_id)';

/** What every multi-day behavioral answer says about cookieless visitors. */
export const IDENTITY_NOTE =
  'Visitors are followed by user_id where your server sends one (POST /api/events); everyone else ' +
  'has a cookieless id that changes every UTC day, so they cannot be followed past midnight and ' +
  'appear as new visitors each day.';

export interface VisitorRowsOptions {
  /** Keep rows that match no step (strict_order treats them as stops); otherwise they are dropped in SQL. */
  keepNoise: boolean;
  /** Only identities whose rows together set all of these bits can matter; the others are not shipped. */
  required: number;
  /** Identities whose rows set only these bits are counted, not shipped (their answer is known). */
  countOnly?: number;
}

/**
 * Streams the per-identity lists to `each`; returns how many identities matched only
 * `countOnly` bits (0 when not asked).
 */
export async function eachVisitor(
  q: QueryRunner,
  scope: Scope,
  steps: readonly Step[],
  opts: VisitorRowsOptions,
  each: (ts: readonly number[], masks: readonly number[]) => void,
): Promise<number> {
  const { text, params } = render(visitorRowsSql(q.events, scope, steps, opts));
  let counted = 0;
  await q.stream(text, params, (rows) => {
    for (const [ts, masks, n] of rows as [number[] | null, number[] | null, bigint | null][]) {
      if (ts === null || masks === null) counted += Number(n ?? 0);
      else each(ts, masks);
    }
  });
  return counted;
}

export const joinCtes = (parts: readonly Sql[]) => join(parts, ',\n');

function visitorRowsSql(events: string, scope: Scope, steps: readonly Step[], opts: VisitorRowsOptions): Sql {
  const from = Math.floor(scope.period.from.getTime() / 1000);
  // Seconds from the period start: small exact numbers, cheap to hand to JavaScript.
  const t = `(${dialect.epochSeconds('timestamp')} - ${from})`;
  const countOnly = opts.countOnly ?? 0;
  return sql`WITH ${joinCtes([
    ...scopedEvents(events, scope),
    sql`m AS (SELECT ${raw(IDENTITY)} AS ident, ${raw(t)} AS t, seq, ${stepMask(steps)} AS mask FROM scoped)`,
    sql`v AS MATERIALIZED (SELECT ident, bit_or(mask) AS bits, list(t ORDER BY t, seq) AS ts, list(mask ORDER BY t, seq) AS masks
        FROM m ${opts.keepNoise ? sql`` : sql`WHERE mask <> 0`} GROUP BY ident
        HAVING bit_or(mask) & ${raw(String(opts.required))} = ${raw(String(opts.required))})`,
  ])}
  SELECT NULL AS ts, NULL AS masks, count(*) AS n FROM v WHERE bits & ${raw(String(~countOnly))} = 0
  UNION ALL
  SELECT ts, masks, NULL FROM v WHERE bits & ${raw(String(~countOnly))} <> 0`;
}

/** Distinct identities in scope (the denominator of sequence conversion). */
export async function identitiesInScope(q: QueryRunner, scope: Scope): Promise<number> {
  const { text, params } = render(
    sql`WITH ${joinCtes(scopedEvents(q.events, scope))} SELECT count(DISTINCT ${raw(IDENTITY)}) AS n FROM scoped`,
  );
  const [row] = await q.all<{ n: bigint }>(text, params);
  return Number(row?.n ?? 0);
}
