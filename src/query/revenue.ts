/**
 * Revenue of a goal (docs/METRICS.md, "Revenue"): the sum and mean of the revenue amounts its
 * completions carry in the goal's currency. Amounts in another currency are not converted or
 * mixed in; they are counted as skipped so an answer can say so. Read from the events in
 * scope (`scopedEvents`, as the behavioral analyses): rollups and visit rows keep no amounts.
 */
import { REVENUE_SCALE } from '../storage/columns.js';
import type { QueryRunner } from '../storage/storage.js';
import { dimAlias, scopedEvents } from './builder.js';
import type { Dimension } from './dimensions.js';
import { round } from './metrics.js';
import { formatBucket } from './run.js';
import { withScopeSource } from './scope-source.js';
import { fragment, join, render, sql } from './sql.js';
import type { Scope } from './stats.js';

export interface Revenue {
  currency: string;
  /** Sum of the amounts in `currency`; 0 when none. */
  total_revenue: number;
  /** Their mean over the completions that carried one; null when none did. */
  average_revenue: number | null;
  /** Completions with an amount in another currency, left out of both. */
  revenue_skipped: number;
}

type RevenueScope = Pick<Scope, 'siteId' | 'period' | 'filters'>;

/** The revenue of the events the scope's filters keep (a goal's filter among them), in `currency`. */
export async function revenueOf(q: QueryRunner, scope: RevenueScope, currency: string): Promise<Revenue> {
  return (await revenueBy(q, scope, currency, [])).of([]);
}

/** What a group's revenue is made of: the exact sum in stored units (UNITS to the currency unit), and the counts. */
export interface RevenueSums {
  currency: string;
  totalUnits: number;
  paid: number;
  skipped: number;
}

/** Revenue by dimension values: a group's, or none's (nothing paid, nothing skipped). */
export interface RevenueGroups {
  of(key: readonly string[]): Revenue;
  sums(key: readonly string[]): RevenueSums;
}

/**
 * The revenue of the events in scope grouped by `dims` (a breakdown's or a v2 request's),
 * keyed by the dimension values as the stats rows spell them (run.ts), so each row finds its own.
 */
export async function revenueBy(
  q: QueryRunner,
  scope: RevenueScope,
  currency: string,
  dims: readonly Dimension[],
): Promise<RevenueGroups> {
  const groups = await withScopeSource(
    q,
    scope,
    async (src) => {
      const paid = sql`revenue_amount IS NOT NULL AND revenue_currency = ${currency}`;
      const keys = dims.map((d, i) => sql`${d.expr} AS ${fragment(dimAlias(i))}`);
      const statement = sql`WITH ${join(scopedEvents(src, scope, { carry: dims }), ', ')}
        SELECT ${join([...keys, sql``], ', ')}CAST(sum(revenue_amount) FILTER (WHERE ${paid}) AS DOUBLE) AS total,
               count(*) FILTER (WHERE ${paid}) AS paid,
               count(*) FILTER (WHERE revenue_amount IS NOT NULL AND revenue_currency <> ${currency}) AS skipped
        FROM scoped${
          dims.length > 0
            ? sql` GROUP BY ${join(
                dims.map((_, i) => fragment(dimAlias(i))),
                ', ',
              )}`
            : sql``
        }`;
      const { text, params } = render(statement, q.dialect);
      return q.all<Record<string, unknown>>(text, params);
    },
    dims,
  );
  const byKey = new Map<string, RevenueSums>();
  for (const row of groups) {
    const key = dims.map((d, i) => {
      const v = row[dimAlias(i)];
      return v instanceof Date ? formatBucket(v, d.unit) : String(v);
    });
    // Amounts have 4 decimals: the sum, a double, is that many units up to float noise.
    const totalUnits = Math.round(Number(row.total ?? 0) * UNITS);
    byKey.set(keyOf(key), { currency, totalUnits, paid: Number(row.paid ?? 0), skipped: Number(row.skipped ?? 0) });
  }
  const sums = (key: readonly string[]) => byKey.get(keyOf(key)) ?? { currency, totalUnits: 0, paid: 0, skipped: 0 };
  return { of: (key) => revenue(sums(key)), sums };
}

/** Stored amounts per unit of currency (amounts have REVENUE_SCALE decimals). */
export const UNITS = 10 ** REVENUE_SCALE;

const keyOf = (values: readonly string[]) => JSON.stringify(values);

function revenue({ currency, totalUnits, paid, skipped }: RevenueSums): Revenue {
  const total = totalUnits / UNITS;
  return {
    currency,
    total_revenue: total,
    average_revenue: paid === 0 ? null : round(total / paid, 2),
    revenue_skipped: skipped,
  };
}
