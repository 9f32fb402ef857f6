/**
 * The derived tables' definitions, which each store builds per site and day (storage keeps
 * them fresh; the query layer defines and reads them). Both are written by the same builder
 * that scans events, so a rollup row is by construction what a scan of that day would
 * answer. Both stores keep visits and rollups (docs/ARCHITECTURE.md, docs/CLICKHOUSE.md).
 */
import type { DerivedTables } from '../storage/storage.js';
import { DAY_MS } from '../utc-days.js';
import { withIdentityPaths } from './behavioral/identity-paths.js';
import { longestVisitGapMs, VISIT_GAP_SET } from './behavioral/sessions.js';
import { ALL_VISIT_ATTRS, buildCounts, dimAlias, type StatsQuery, visitRowSelect, withVisitPages } from './builder.js';
import { dimension } from './dimensions.js';
import { keyCountsByVisit, propertyKeysSetOf } from './property-keys.js';
import { keyCounts, PROPERTY_KEYS_SET, PROPERTY_ROLLED_SET, rolledKeys } from './property-rows.js';
import { OVERVIEW_ATTRIBUTES, ROLLUP_SETS, UNCACHED_PREFIX } from './rollup-sets.js';
import { raw, spelled, sql } from './sql.js';

const COUNTS =
  'visitors::BIGINT AS visitors, visits::BIGINT AS visits, pageviews::BIGINT AS pageviews, events::BIGINT AS events, bounces::BIGINT AS bounces, duration_ms::BIGINT AS duration_ms';

export const derivedTables: DerivedTables = {
  // 2: visits carry their pages (`s_pages`). 3: and their signed-in user (`s_user`); the
  // rollup holds the day's longest pause inside a visit. 4: and pairs of overview attributes.
  // 5: and of each with the goals. 6: and the property keys per value of each. 7: and the
  // sets of a one-page filter, rows sorted by set and value. 8: and each's pages. 9: visits
  // carry each identity's page views in order (`s_path`, identity-paths.ts). 10: and the values
  // of the day's most used property keys (property-rows.ts). 11: visits carry their entry and
  // exit page's hostname. 12: the region's ISO code and the city's GeoNames id.
  // 13: page rows count every event on the page, not only page views (visits' `s_pages`
  // lists the pages of custom events too, with their events), and page goals read page
  // views by page from sets of their own.
  format: 13,
  uncachedPrefix: UNCACHED_PREFIX,

  visits: (events) =>
    withIdentityPaths(withVisitPages(visitRowSelect(`${events} e`, 'timestamp', ALL_VISIT_ATTRS), `${events} e`), `${events} e`),

  rollup(events, visits, siteId, day, dialect) {
    const from = new Date(`${day}T00:00:00Z`);
    const period = { name: 'custom' as const, from, to: new Date(from.getTime() + DAY_MS), interval: 'day' as const };
    const parts = ROLLUP_SETS.map((set) => {
      const q: StatsQuery = {
        siteId,
        period,
        metrics: ['visitors', 'visits', 'pageviews', 'events'],
        dimensions: set.dimensions,
        filters: [],
        customEventsOnly: set.customEventsOnly,
        pageviewsOnly: set.pageviewsOnly,
      };
      const hourly = set.dimensions[0]?.unit === 'hour';
      const value = (i: number) => (set.dimensions[i] && !hourly ? raw(`${dimAlias(i)}::VARCHAR`) : raw('NULL::VARCHAR'));
      const bucket = hourly ? sql`${raw(dimAlias(0))}::TIMESTAMP` : sql`${day}::DATE::TIMESTAMP`;
      return sql`SELECT ${set.key} AS dim, ${bucket} AS bucket, ${value(0)} AS v0, ${value(1)} AS v1, ${raw(COUNTS)}
        FROM (${buildCounts({ events: set.rows ? set.rows(events, dialect) : events, visits }, q)})`;
    });
    // Each custom property key with the number of the day's events carrying it (property-keys.ts);
    // the partition's events are all of one site.
    const keys = sql`SELECT ${PROPERTY_KEYS_SET} AS dim, ${day}::DATE::TIMESTAMP AS bucket, key AS v0, NULL::VARCHAR AS v1,
        0::BIGINT AS visitors, 0::BIGINT AS visits, 0::BIGINT AS pageviews, events::BIGINT AS events,
        0::BIGINT AS bounces, 0::BIGINT AS duration_ms
      FROM (${raw(keyCounts(`${events} e`, dialect))})`;
    // The keys whose values the rollup holds (property-rows.ts).
    const rolled = sql`SELECT ${PROPERTY_ROLLED_SET} AS dim, ${day}::DATE::TIMESTAMP AS bucket, prop_key AS v0, NULL::VARCHAR AS v1,
        0::BIGINT AS visitors, 0::BIGINT AS visits, 0::BIGINT AS pageviews, 0::BIGINT AS events,
        0::BIGINT AS bounces, 0::BIGINT AS duration_ms
      FROM (${raw(rolledKeys(events, dialect))})`;
    // The same per value of each overview attribute, among that value's visits (the day's visit rows).
    const keysBy = OVERVIEW_ATTRIBUTES.map((name) => {
      const column = `v_${dimension(name)?.visitColumn?.alias ?? ''}`;
      return sql`SELECT ${propertyKeysSetOf(name)} AS dim, ${day}::DATE::TIMESTAMP AS bucket, value::VARCHAR AS v0, key AS v1,
          0::BIGINT AS visitors, 0::BIGINT AS visits, 0::BIGINT AS pageviews, events::BIGINT AS events,
          0::BIGINT AS bounces, 0::BIGINT AS duration_ms
        FROM (${raw(keyCountsByVisit(`${events} e`, visits, column, dialect))})`;
    });
    // What the sessions endpoint needs to know before it chains stored visits (sessions.ts).
    const gap = sql`SELECT ${VISIT_GAP_SET} AS dim, ${day}::DATE::TIMESTAMP AS bucket, NULL::VARCHAR AS v0, NULL::VARCHAR AS v1,
        0::BIGINT AS visitors, 0::BIGINT AS visits, 0::BIGINT AS pageviews, 0::BIGINT AS events,
        0::BIGINT AS bounces, gap::BIGINT AS duration_ms
      FROM (${spelled((d) => longestVisitGapMs(events, d))})`;
    return [...parts, keys, rolled, ...keysBy, gap];
  },
};
