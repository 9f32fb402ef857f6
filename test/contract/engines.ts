/**
 * The engines a contract suite runs on: the embedded DuckDB and a ClickHouse endpoint (the
 * real engine, test/helpers/clickhouse.ts), each with a small `ev` table of events to query.
 */
import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { Dialect } from '../../src/query/dialect.js';
import { clickhouse } from '../../src/query/dialects/clickhouse.js';
import { duckdb } from '../../src/query/dialects/duckdb.js';
import { ClickHouseConnection } from '../../src/storage/clickhouse/connection.js';
import type { SqlValue } from '../../src/storage/storage.js';
import { startClickHouse } from '../helpers/clickhouse.js';

export interface EventFixture {
  timestamp: string; // UTC, 'YYYY-MM-DD hh:mm:ss.sss'
  seq: number;
  event_name: string;
  pathname: string | null;
  props: string | null;
}

export interface Engine {
  name: string;
  dialect: Dialect;
  /** Rows as the product's runner for that engine returns them. */
  all(sql: string, params: readonly SqlValue[]): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export async function duckdbEngine(rows: readonly EventFixture[]): Promise<Engine> {
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run('CREATE TABLE ev (timestamp TIMESTAMP, seq UBIGINT, event_name VARCHAR, pathname VARCHAR, props VARCHAR)');
  for (const r of rows) {
    await c.run('INSERT INTO ev VALUES ($1::TIMESTAMP, $2, $3, $4, $5)', [r.timestamp, r.seq, r.event_name, r.pathname, r.props]);
  }
  return {
    name: 'duckdb',
    dialect: duckdb,
    all: async (sql, params) => (await c.runAndReadAll(sql, params as DuckDBValue[])).getRowObjectsJS(),
    close: async () => {
      c.closeSync();
      instance.closeSync();
    },
  };
}

export async function clickhouseEngine(rows: readonly EventFixture[]): Promise<Engine> {
  const server = await startClickHouse();
  const options = { url: server.url, database: 'contract' };
  const admin = ClickHouseConnection.forServer(options);
  await admin.command('CREATE DATABASE contract');
  await admin.close();
  const conn = new ClickHouseConnection(options);
  // As the store does: the tests' ClickHouse has materialized CTEs (the `clickhouse` dialect's feature).
  if (await conn.hasSetting('enable_materialized_cte')) conn.useSettings({ enable_materialized_cte: 1 });
  else throw new Error('the test engine lacks materialized CTEs, which the `clickhouse` dialect assumes');
  await conn.command(`CREATE TABLE ev (timestamp DateTime64(3, 'UTC'), seq UInt64, event_name String,
    pathname Nullable(String), props Nullable(String)) ENGINE = MergeTree ORDER BY (timestamp, seq)`);
  await conn.insert('ev', rows as unknown as Record<string, unknown>[], 'fixture');
  return {
    name: 'clickhouse',
    dialect: clickhouse,
    all: (sql, params) => conn.all(sql, params),
    close: async () => {
      await conn.close();
      await server.stop();
    },
  };
}
