/**
 * The ClickHouse schema: the same event columns as every tier (columns.ts) in ClickHouse
 * types, created and upgraded by numbered migrations at start-up, and rows in the JSON
 * form ClickHouse inserts (docs/CLICKHOUSE.md).
 */

import { VISIT_ATTRIBUTE_ALIASES } from '../../query/builder.js';
import { timestampText } from '../../utc-days.js';
import { ENGAGEMENT_COLUMNS, EVENT_COLUMNS, REVENUE_SCALE, type StoredRow } from '../columns.js';
import type { ClickHouseConnection } from './connection.js';

const TYPES = {
  text: 'String',
  u64: 'UInt64',
  time: "DateTime64(3, 'UTC')",
  int: 'Int32',
  decimal: `Decimal(18, ${REVENUE_SCALE})`,
} as const;

/** Columns every stored event has; the others may be NULL (EventRow). */
const REQUIRED = new Set([
  'site_id',
  'visitor_id',
  'session_id',
  'timestamp',
  'event_name',
  'pathname',
  'hostname',
  'channel',
  'seq',
]);

/** The node that shipped a row: with `seq`, unique across ingest nodes (tokens and replays use both). */
const NODE_COLUMN = 'node_id String';

/** The events table's columns in ClickHouse types (the cluster schema uses them too). */
export const eventColumnsDdl = () =>
  [
    ...EVENT_COLUMNS.map((c) => {
      const type = TYPES[c.kind];
      const low = c.name === 'site_id' || c.name === 'event_name' ? `LowCardinality(${type})` : type;
      return `${c.name} ${REQUIRED.has(c.name) ? low : `Nullable(${type})`}`;
    }),
    NODE_COLUMN,
  ].join(',\n  ');

/** A rollup row (derived-tables.ts) under its site, day and build. */
export const ROLLUP_COLUMNS_DDL = [
  'site_id LowCardinality(String)',
  'day Date',
  'build_id UInt64',
  'dim LowCardinality(String)',
  "bucket DateTime('UTC')",
  'v0 Nullable(String)',
  'v1 Nullable(String)',
  ...['visitors', 'visits', 'pageviews', 'events', 'bounces', 'duration_ms'].map((c) => `${c} Int64`),
].join(',\n  ');

/** A build of a site's day of rollups (rollups.ts): how many events it summed, and when. */
export const DERIVED_BUILDS_COLUMNS_DDL = [
  'site_id String',
  'day Date',
  'format UInt32',
  'build_id UInt64',
  'events UInt64',
  "built_at DateTime64(3, 'UTC')",
].join(',\n  ');

/** A visit's pages (builder.ts `withVisitPages`): path, page views, events, visitor, visitors when several. */
const S_PAGES_TYPE = 'Array(Tuple(p String, pv Int64, ev Int64, v UInt64, vs Array(UInt64)))';

/**
 * A visit row (builder.ts, `visitRowSelect` with every attribute and `withVisitPages`, and
 * identity-paths.ts's `s_path`) under its site, day and build, in the types ClickHouse gives
 * those expressions. An array cannot be NULL here: a visit row without pages or path has
 * empty ones.
 */
export const VISIT_COLUMNS_DDL = [
  'site_id LowCardinality(String)',
  'day Date',
  'build_id UInt64',
  'session_id UInt64',
  's_events UInt64',
  's_pageviews UInt64',
  's_duration_ms Int64',
  "s_start DateTime64(3, 'UTC')",
  's_visitor UInt64',
  's_user Nullable(UInt64)',
  's_visitors Array(UInt64)',
  ...VISIT_ATTRIBUTE_ALIASES.map((a) => `v_${a} String`),
  `s_pages ${S_PAGES_TYPE}`,
  's_path Array(String)',
].join(',\n  ');

/** The visit row's columns after `site_id`, `day` and `build_id`. */
export const VISIT_ROW_COLUMNS = VISIT_COLUMNS_DDL.split(',\n  ')
  .slice(3)
  .map((c) => c.split(' ')[0])
  .join(', ');

/**
 * Each site's number of events per UTC day, kept by ClickHouse beside the events' parts: the
 * rollups ask it at every query (is a day's build current?), and counted from the events
 * that took ~110 ms at 10M events, from this ~12 ms. A query uses it only when it groups and
 * filters by exactly these expressions (`toDate(timestamp)`, not a range of `timestamp`).
 */
export const DAY_COUNTS_PROJECTION =
  'day_counts (SELECT site_id, toDate(timestamp), count() GROUP BY site_id, toDate(timestamp))';

export const EVENTS_PARTITION_BY = 'toYYYYMM(timestamp)';
export const EVENTS_ORDER_BY = '(site_id, toDate(timestamp), visitor_id, timestamp, seq)';

/**
 * Numbered, forward-only. The events table is sorted by site and day, then by visitor, so a
 * site's period reads a contiguous range and one identity's events sit together (visits).
 * Deduplication of inserts (`insert_deduplication_token`) looks back this many inserts.
 */
export const MIGRATIONS: readonly { version: number; statements: readonly string[] }[] = [
  {
    version: 1,
    statements: [
      `CREATE TABLE IF NOT EXISTS events (
  ${eventColumnsDdl()}
) ENGINE = MergeTree
PARTITION BY ${EVENTS_PARTITION_BY}
ORDER BY ${EVENTS_ORDER_BY}
SETTINGS non_replicated_deduplication_window = 10000`,
    ],
  },
  {
    // The derived tier (rollups.ts): a site's day of rollup rows per build, and the builds.
    version: 2,
    statements: [
      `CREATE TABLE IF NOT EXISTS rollups (
  ${ROLLUP_COLUMNS_DDL}
) ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, build_id, dim)`,
      `CREATE TABLE IF NOT EXISTS derived_builds (
  ${DERIVED_BUILDS_COLUMNS_DDL}
) ENGINE = ReplacingMergeTree(built_at)
ORDER BY (site_id, day, format)`,
    ],
  },
  {
    // The derived tier's visit rows (rollups.ts), built with the rollups under the same build id.
    version: 3,
    statements: [
      `CREATE TABLE IF NOT EXISTS visits (
  ${VISIT_COLUMNS_DDL}
) ENGINE = MergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, build_id)`,
    ],
  },
  {
    // The events' per-day counts (rollups.ts). Materializing it for the rows already stored
    // runs in the background; until it is done, queries count from the events themselves.
    // Deletes from a table with a projection must be mutations (ALTER TABLE … DELETE).
    version: 4,
    statements: [
      `ALTER TABLE events ADD PROJECTION IF NOT EXISTS ${DAY_COUNTS_PROJECTION}`,
      'ALTER TABLE events MATERIALIZE PROJECTION day_counts',
    ],
  },
  {
    // Engagement rows' time on page and scroll depth (columns.ts `engagement`): NULL on every
    // other row, and on the rows stored before. Version 1 creates them already on a new database.
    version: 5,
    statements: [
      `ALTER TABLE events ${ENGAGEMENT_COLUMNS.map((c) => `ADD COLUMN IF NOT EXISTS ${c.name} Nullable(${TYPES[c.kind]})`).join(', ')}`,
    ],
  },
  {
    // Visit rows' entry and exit page hostname (query/dimensions.ts). Rows built before have
    // none; the derived format (11) makes every day's visits be built again with them.
    version: 6,
    statements: [
      'ALTER TABLE visits ADD COLUMN IF NOT EXISTS v_entry_hostname String AFTER v_exit_page, ADD COLUMN IF NOT EXISTS v_exit_hostname String AFTER v_entry_hostname',
    ],
  },
  {
    // The region's ISO 3166-2 code and the city's GeoNames id (columns.ts), on events and on
    // visit rows: NULL on the events stored before; the derived format (12) makes every
    // day's visits be built again with them.
    version: 7,
    statements: [
      `ALTER TABLE events ${EVENT_COLUMNS.filter((c) => c.added && !c.engagement)
        .map((c) => `ADD COLUMN IF NOT EXISTS ${c.name} Nullable(${TYPES[c.kind]})`)
        .join(', ')}`,
      'ALTER TABLE visits ADD COLUMN IF NOT EXISTS v_region_code String AFTER v_city, ADD COLUMN IF NOT EXISTS v_city_geoname_id String AFTER v_region_code',
    ],
  },
  {
    // A visit's pages include the pages of its custom events, with their event counts
    // (builder.ts `withVisitPages`). Rows built before are of an older derived format, which
    // no query reads (13 makes every day be built again): the column is replaced, not converted.
    version: 8,
    statements: [
      'ALTER TABLE visits DROP COLUMN IF EXISTS s_pages',
      `ALTER TABLE visits ADD COLUMN IF NOT EXISTS s_pages ${S_PAGES_TYPE} AFTER v_${VISIT_ATTRIBUTE_ALIASES[VISIT_ATTRIBUTE_ALIASES.length - 1]}`,
    ],
  },
];

/** Creates the database and applies the migrations it has not seen, in order. */
export async function migrate(server: ClickHouseConnection, db: ClickHouseConnection, database: string): Promise<number[]> {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) throw new Error(`clickhouse database: not a plain name: ${database}`);
  await server.command(`CREATE DATABASE IF NOT EXISTS ${database}`);
  await db.command(
    'CREATE TABLE IF NOT EXISTS schema_migrations (version UInt32, applied_at DateTime DEFAULT now()) ENGINE = MergeTree ORDER BY version',
  );
  const done = new Set(
    (await db.all<{ version: number }>('SELECT version FROM schema_migrations')).map((r) => Number(r.version)),
  );
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    if (done.has(m.version)) continue;
    for (const statement of m.statements) await db.command(statement);
    await db.command('INSERT INTO schema_migrations (version) VALUES ({p1:UInt32})', [m.version]);
    applied.push(m.version);
  }
  return applied;
}

/** A stored row as a JSONEachRow object: 64-bit integers as text (exact), times as DateTime64 text. */
export function toInsertRow(row: StoredRow, nodeId: string): Record<string, unknown> {
  const out: Record<string, unknown> = { node_id: nodeId };
  for (const c of EVENT_COLUMNS) {
    const v = row[c.name];
    out[c.name] =
      v === null || v === undefined
        ? null
        : c.kind === 'u64'
          ? (v as bigint).toString()
          : c.kind === 'time'
            ? timestampText(v as Date)
            : v;
  }
  return out;
}
