/**
 * Runs a built stats query and returns plain rows: dimension values as strings (time
 * buckets as `YYYY-MM-DD` or `YYYY-MM-DD HH:00:00`), metrics as unrounded numbers.
 * Endpoints round and shape them for their own contract.
 */
import { badRequest } from '../http/errors.js';
import type { QueryRunner } from '../storage/storage.js';
import { buildQuery, dimAlias, type StatsQuery } from './builder.js';
import { filterPatterns } from './filters.js';
import { render } from './sql.js';

export interface ResultRow {
  dimensions: string[];
  visitors: number;
  pageviews: number;
  events: number;
  visits: number;
  bounce_rate: number;
  visit_duration: number;
  views_per_visit: number;
  percentage: number;
}

const num = (v: unknown) => (v === null || v === undefined ? 0 : Number(v));

export function formatBucket(d: Date, unit: string | undefined): string {
  const iso = d.toISOString();
  return unit === 'hour' ? `${iso.slice(0, 10)} ${iso.slice(11, 13)}:00:00` : iso.slice(0, 10);
}

export async function runStats(q: QueryRunner, query: StatsQuery): Promise<ResultRow[]> {
  await checkPatterns(q, filterPatterns(query.filters));
  const { text, params } = render(buildQuery(q.events, query));
  const rows = await q.all<Record<string, unknown>>(text, params);
  return rows.map((r) => {
    const visits = num(r.visits);
    return {
      dimensions: query.dimensions.map((d, i) => {
        const v = r[dimAlias(i)];
        return v instanceof Date ? formatBucket(v, d.unit) : String(v);
      }),
      visitors: num(r.visitors),
      pageviews: num(r.pageviews),
      events: num(r.events),
      visits,
      bounce_rate: num(r.bounce_rate),
      visit_duration: num(r.visit_duration),
      views_per_visit: visits === 0 ? 0 : num(r.pageviews) / visits,
      percentage: num(r.percentage),
    };
  });
}

/** A pattern the engine cannot compile is the caller's mistake: 400, before the query runs. */
export async function checkPatterns(q: QueryRunner, patterns: readonly string[]): Promise<void> {
  const distinct = [...new Set(patterns)];
  if (distinct.length === 0) return;
  try {
    // One round trip for all of them; only on failure find the culprit.
    await q.all(`SELECT ${distinct.map((_, i) => `regexp_matches('', $${i + 1})`).join(', ')}`, distinct);
  } catch {
    for (const p of distinct) {
      try {
        await q.all("SELECT regexp_matches('', $1) AS ok", [p]);
      } catch {
        throw badRequest(`filters: invalid regular expression "${p.slice(0, 80)}"`);
      }
    }
  }
}
