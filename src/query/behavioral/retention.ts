/**
 * GET /api/stats/retention: cohorts by the period (day, Monday week, calendar month, on the
 * site's clock) of each identity's earliest row in scope, and for each later period the identities of
 * the cohort seen again (ClickHouse `retention`, docs/BEHAVIORAL.md §4, §8). Periods that start
 * after the last period with data are not observable yet: null, not 0.
 */
import type { QueryRunner } from '../../storage/storage.js';
import { DAY_MS } from '../../utc-days.js';
import { scopedEvents } from '../builder.js';
import { withScopeSource } from '../scope-source.js';
import { raw, render, spelled, sql } from '../sql.js';
import type { Scope } from '../stats.js';
import { identityIs, identityParts } from './identity-parts.js';
import { IDENTITY, IDENTITY_NOTE, joinCtes } from './visitor-rows.js';

export const RETENTION_INTERVALS = ['day', 'week', 'month'] as const;
export type RetentionInterval = (typeof RETENTION_INTERVALS)[number];

export interface Cohort {
  cohort_date: string;
  size: number;
  /** Identities of the cohort seen in period k after the cohort's (k = 0 … periods); null when not observable yet. */
  retained: (number | null)[];
  rate: (number | null)[];
}

export interface RetentionAnswer {
  interval: RetentionInterval;
  periods: number;
  /** Identities followed by user_id, and by the daily cookieless id. */
  identified_visitors: number;
  anonymous_visitors: number;
  note: string;
  cohorts: Cohort[];
}

const addPeriods = (d: Date, unit: RetentionInterval, k: number) =>
  unit === 'month'
    ? new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1))
    : new Date(d.getTime() + k * (unit === 'week' ? 7 : 1) * DAY_MS);

export async function retention(
  q: QueryRunner,
  scope: Scope,
  unit: RetentionInterval,
  periods: number,
): Promise<RetentionAnswer> {
  // Periods by the site's clock.
  const bucket = spelled((d) => d.truncate(unit, 'local_ts'));
  type Row = { cohort: Date; k: bigint; n: bigint; identified: bigint; last: Date };
  const byCohort = new Map<number, Map<number, number>>();
  let identified = 0;
  let anonymous = 0;
  let last = 0;
  // Every identity is in one part, and each part's counts per cohort and period add up.
  await withScopeSource(q, scope, async (src) => {
    for (const part of identityParts(scope)) {
      const { text, params } = render(
        sql`WITH ${joinCtes([
          ...scopedEvents(src, { ...scope, ranges: part.ranges }),
          sql`r AS (SELECT ${raw(IDENTITY)} AS ident, ${bucket} AS p, count(user_key) > 0 AS identified
          FROM scoped WHERE ${raw(identityIs(part))} GROUP BY ALL)`,
          sql`c AS (SELECT *, min(p) OVER (PARTITION BY ident) AS cohort FROM r)`,
          sql`k AS (SELECT cohort, ${spelled((d) => d.periodsBetween(unit, 'cohort', 'p'))} AS k, count(*) AS n,
          count(*) FILTER (WHERE identified) AS identified FROM c GROUP BY ALL)`,
        ])}
      SELECT cohort, k, n, identified, (SELECT max(p) FROM r) AS last FROM k WHERE k <= ${periods} ORDER BY cohort, k`,
        q.dialect,
      );
      const rows = await q.all<Row>(text, params);
      // Each cohort's own period (k = 0) is a row, so a part with rows reports its last period.
      last = Math.max(last, rows[0]?.last.getTime() ?? 0);
      for (const r of rows) {
        const key = r.cohort.getTime();
        const counts = byCohort.get(key) ?? new Map<number, number>();
        byCohort.set(key, counts);
        counts.set(Number(r.k), (counts.get(Number(r.k)) ?? 0) + Number(r.n));
        if (Number(r.k) === 0) {
          identified += Number(r.identified);
          anonymous += Number(r.n) - Number(r.identified);
        }
      }
    }
  });
  const cohorts = [...byCohort]
    .sort(([a], [b]) => a - b)
    .map(([start, counts]) => {
      const size = counts.get(0) ?? 0;
      const retained = Array.from({ length: periods + 1 }, (_, k) =>
        addPeriods(new Date(start), unit, k).getTime() > last ? null : (counts.get(k) ?? 0),
      );
      return {
        cohort_date: new Date(start).toISOString().slice(0, 10),
        size,
        retained,
        rate: retained.map((n) => (n === null || size === 0 ? null : Math.round((n / size) * 10_000) / 10_000)),
      };
    });
  return {
    interval: unit,
    periods,
    identified_visitors: identified,
    anonymous_visitors: anonymous,
    note: IDENTITY_NOTE,
    cohorts,
  };
}
