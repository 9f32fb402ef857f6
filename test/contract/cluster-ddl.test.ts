/**
 * The cluster schema (src/storage/clickhouse/cluster.ts) as far as one ClickHouse engine can
 * take it: no Keeper and no cluster here, so every statement is parsed by the real engine
 * (EXPLAIN AST), and the sharding key is evaluated over a real events table built by the
 * product's own migrations: all events of one identity and site get one shard key.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clusterDdl, clusterSchemaFile, SHARDING_KEY } from '../../src/storage/clickhouse/cluster.js';
import { ClickHouseConnection } from '../../src/storage/clickhouse/connection.js';
import { MIGRATIONS, migrate, toInsertRow } from '../../src/storage/clickhouse/schema.js';
import type { StoredRow } from '../../src/storage/columns.js';
import { type ClickHouseEndpoint, startClickHouse } from '../helpers/clickhouse.js';
import { storedRow } from '../helpers/stored-row.js';

let endpoint: ClickHouseEndpoint;
let conn: ClickHouseConnection;

beforeAll(async () => {
  endpoint = await startClickHouse();
  const server = ClickHouseConnection.forServer({ url: endpoint.url, database: 'cluster_test' });
  conn = new ClickHouseConnection({ url: endpoint.url, database: 'cluster_test' });
  await migrate(server, conn, 'cluster_test');
  await server.close();
}, 120_000);
afterAll(async () => {
  await conn?.close();
  await endpoint?.stop();
});

describe('cluster DDL', () => {
  const ddl = clusterDdl({ cluster: 'mallard', database: 'analytics' });

  it('is a replicated local table and a Distributed table sharded by identity, each ON CLUSTER', () => {
    expect(ddl).toHaveLength(8);
    expect(ddl[1]).toMatch(/^CREATE TABLE IF NOT EXISTS analytics\.events_local ON CLUSTER mallard \(/);
    expect(ddl[1]).toContain("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/analytics/events_local', '{replica}')");
    expect(ddl[2]).toBe(`CREATE TABLE IF NOT EXISTS analytics.events ON CLUSTER mallard AS analytics.events_local
ENGINE = Distributed(mallard, analytics, events_local, cityHash64(site_id, coalesce(user_key, visitor_id)))`);
  });

  it('keeps rollups, their builds and visit rows in one table each replicated to every node, with the single server’s columns', () => {
    const columnsOf = (statement: string | undefined) => statement?.slice(statement.indexOf('('), statement.indexOf(') ENGINE'));
    const [rollups, builds] = MIGRATIONS.find((m) => m.version === 2)?.statements ?? [];
    expect(ddl[4]).toMatch(/^CREATE TABLE IF NOT EXISTS analytics\.rollups ON CLUSTER mallard \(/);
    expect(ddl[4]).toContain("ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/analytics/rollups', '{shard}_{replica}')");
    expect(columnsOf(ddl[4])).toBe(columnsOf(rollups));
    expect(ddl[5]).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/all/analytics/derived_builds', '{shard}_{replica}', built_at)",
    );
    expect(columnsOf(ddl[5])).toBe(columnsOf(builds));
    const [visits] = MIGRATIONS.find((m) => m.version === 3)?.statements ?? [];
    expect(ddl[6]).toContain("ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/analytics/visits', '{shard}_{replica}')");
    expect(columnsOf(ddl[6])).toBe(columnsOf(visits));
    expect(ddl[7]).toBe('INSERT INTO analytics.schema_migrations (version) VALUES (1), (2), (3), (4), (5), (6), (7), (8)');
    expect(MIGRATIONS.map((m) => m.version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it.each(clusterDdl({ cluster: 'mallard', database: 'analytics' }).map((s, i) => [i, s]))(
    'statement %i parses in ClickHouse',
    async (_i, statement) => {
      await expect(conn.command(`EXPLAIN AST ${statement}`)).resolves.toBeUndefined();
    },
  );

  it('(and parsing does catch a broken statement)', async () => {
    await expect(
      conn.command(`EXPLAIN AST ${ddl[2]?.replace('ENGINE = Distributed(', 'ENGINE = Distributed(,')}`),
    ).rejects.toThrow(/Syntax error/);
  });

  it('is what deploy/clickhouse-cluster/schema.sql holds (the compose file applies that)', () => {
    const file = readFileSync(join(import.meta.dirname, '../../deploy/clickhouse-cluster/schema.sql'), 'utf8');
    expect(file).toBe(clusterSchemaFile({ cluster: 'mallard', database: 'mallard' }));
  });

  it('refuses names that are not plain', () => {
    expect(() => clusterDdl({ cluster: 'a; DROP', database: 'x' })).toThrow(/cluster: not a plain name/);
    expect(() => clusterDdl({ cluster: 'a', database: 'x.y' })).toThrow(/database: not a plain name/);
  });

  it('gives every event of one identity and site the same shard key, and others another', async () => {
    const at = (h: number) => new Date(Date.UTC(2026, 0, 10, h));
    const rows: StoredRow[] = [
      storedRow({ site_id: 'a.test', visitor_id: 7n, session_id: 1n, user_key: null, timestamp: at(1), seq: 1n }),
      storedRow({ site_id: 'a.test', visitor_id: 7n, session_id: 1n, user_key: null, timestamp: at(9), seq: 2n }),
      // A signed-in user on two devices (two cookieless ids): one identity.
      storedRow({ site_id: 'a.test', visitor_id: 8n, session_id: 1n, user_key: 99n, timestamp: at(2), seq: 3n }),
      storedRow({ site_id: 'a.test', visitor_id: 9n, session_id: 1n, user_key: 99n, timestamp: at(3), seq: 4n }),
      storedRow({ site_id: 'b.test', visitor_id: 7n, session_id: 1n, user_key: null, timestamp: at(1), seq: 5n }),
    ];
    await conn.insert(
      'events',
      rows.map((r) => toInsertRow(r, 'n1')),
      'shard-key-test',
    );
    const keys = await conn.all<{ seq: bigint; k: bigint }>(`SELECT seq, ${SHARDING_KEY} AS k FROM events ORDER BY seq`);
    const k = keys.map((r) => r.k);
    expect(k[0]).toBe(k[1]);
    expect(k[2]).toBe(k[3]);
    expect(new Set([k[0], k[2], k[4]]).size).toBe(3);
  });
});
