/**
 * GET /api/stats/property-keys: the custom property keys (`props`) of the events in scope
 * (site, period, filters — the same rows the stats see), each with the number of events that
 * carry it, most used first. The dashboard lists them so a key is picked, not typed.
 */
import type { QueryRunner } from '../storage/storage.js';
import { scopedEvents } from './builder.js';
import { filterPatterns } from './filters.js';
import { checkPatterns } from './run.js';
import { join, render, sql } from './sql.js';
import type { Scope } from './stats.js';

export interface PropertyKey {
  key: string;
  events: number;
}

/** The most keys an answer lists. */
export const PROPERTY_KEYS_MAX = 100;

/** Keys ordered by events (desc), then key (bytewise); at most `limit`. */
export async function propertyKeys(q: QueryRunner, scope: Scope, limit = PROPERTY_KEYS_MAX): Promise<PropertyKey[]> {
  await checkPatterns(q, filterPatterns(scope.filters)); // a bad regular expression is a 400
  // `props` is JSON object text (NULL without props); a key appears at most once per event.
  const { text, params } = render(sql`WITH ${join(
    [
      ...scopedEvents(q.eventsFor(scope.siteId, scope.period.from, scope.period.to), scope),
      sql`k AS (SELECT unnest(json_keys(props)) AS key FROM scoped WHERE props IS NOT NULL)`,
    ],
    ',\n',
  )}
  SELECT key, count(*) AS events FROM k GROUP BY key ORDER BY events DESC, key LIMIT ${limit}`);
  const rows = await q.all<{ key: unknown; events: unknown }>(text, params);
  return rows.map((r) => ({ key: String(r.key), events: Number(r.events) }));
}
