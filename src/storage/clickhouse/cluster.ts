/**
 * The schema for a sharded, replicated ClickHouse cluster (docs/CLICKHOUSE.md, "A cluster"),
 * from the same column list as the single-server schema, so the two cannot drift apart:
 *
 *   events_local    ReplicatedMergeTree on every node, ON CLUSTER
 *   events          Distributed over events_local, sharded by identity
 *   rollups,        each one table replicated to every node of every shard: a site's day is
 *   derived_builds, a few thousand rows (and a visit row per visit), and any node a query
 *   visits          reaches must see them all
 *
 * The sharding key is the event's identity (its signed-in user, else its cookieless
 * visitor) with its site: every event of one identity lands on one shard, so visits,
 * funnels, sequences and retention — all computed per identity — never need rows from
 * another shard, and each shard answers its part of a breakdown on its own.
 *
 * `mallard-metrics` does not apply this by itself: an operator runs it once
 * (deploy/clickhouse-cluster/schema.sql is this for cluster and database `mallard`) and points
 * the product at the Distributed table's database; the product's migrations then find
 * every table and every migration up to the last there and leave them alone.
 */
import {
  DAY_COUNTS_PROJECTION,
  DERIVED_BUILDS_COLUMNS_DDL,
  EVENTS_ORDER_BY,
  EVENTS_PARTITION_BY,
  eventColumnsDdl,
  ROLLUP_COLUMNS_DDL,
  VISIT_COLUMNS_DDL,
} from './schema.js';

export interface ClusterOptions {
  /** The cluster's name in the servers' `remote_servers`. */
  cluster: string;
  database: string;
}

/** Identity, as the product computes visits from it (docs/BEHAVIORAL.md §2). */
export const SHARDING_KEY = 'cityHash64(site_id, coalesce(user_key, visitor_id))';

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function clusterDdl({ cluster, database }: ClusterOptions): string[] {
  for (const [what, v] of [
    ['cluster', cluster],
    ['database', database],
  ] as const) {
    if (!NAME.test(v)) throw new Error(`${what}: not a plain name: ${v}`);
  }
  return [
    `CREATE DATABASE IF NOT EXISTS ${database} ON CLUSTER ${cluster}`,
    `CREATE TABLE IF NOT EXISTS ${database}.events_local ON CLUSTER ${cluster} (
  ${eventColumnsDdl()},
  PROJECTION ${DAY_COUNTS_PROJECTION}
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${database}/events_local', '{replica}')
PARTITION BY ${EVENTS_PARTITION_BY}
ORDER BY ${EVENTS_ORDER_BY}
SETTINGS replicated_deduplication_window = 10000`,
    `CREATE TABLE IF NOT EXISTS ${database}.events ON CLUSTER ${cluster} AS ${database}.events_local
ENGINE = Distributed(${cluster}, ${database}, events_local, ${SHARDING_KEY})`,
    `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations ON CLUSTER ${cluster}
  (version UInt32, applied_at DateTime DEFAULT now())
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${database}/schema_migrations', '{replica}') ORDER BY version`,
    `CREATE TABLE IF NOT EXISTS ${database}.rollups ON CLUSTER ${cluster} (
  ${ROLLUP_COLUMNS_DDL}
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/${database}/rollups', '{shard}_{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, build_id, dim)`,
    `CREATE TABLE IF NOT EXISTS ${database}.derived_builds ON CLUSTER ${cluster} (
  ${DERIVED_BUILDS_COLUMNS_DDL}
) ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/${database}/derived_builds', '{shard}_{replica}', built_at)
ORDER BY (site_id, day, format)`,
    `CREATE TABLE IF NOT EXISTS ${database}.visits ON CLUSTER ${cluster} (
  ${VISIT_COLUMNS_DDL}
) ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/${database}/visits', '{shard}_{replica}')
PARTITION BY toYYYYMM(day)
ORDER BY (site_id, day, build_id)`,
    `INSERT INTO ${database}.schema_migrations (version) VALUES (1), (2), (3), (4), (5), (6), (7), (8)`,
  ];
}

/** The statements as one file for `clickhouse-client --multiquery`. */
export const clusterSchemaFile = (opts: ClusterOptions): string => `${clusterDdl(opts).join(';\n\n')};\n`;
