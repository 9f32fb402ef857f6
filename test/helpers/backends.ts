/**
 * The storage backend the integration suites run on, chosen per vitest project
 * (vitest.config.ts): `MALLARD_TEST_STORAGE=clickhouse` runs the same suite, unchanged, with
 * every server it starts on ClickHouse — the real engine (clickhouse.ts), one endpoint per
 * test file, a database of its own per data directory, kept across restarts. A check of
 * how a backend stores events (Parquet files, ClickHouse rows) asks `TEST_STORAGE`.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ClickHouseConnection } from '../../src/storage/clickhouse/connection.js';
import { type ClickHouseEndpoint, startClickHouse } from './clickhouse.js';

export type StorageName = 'duckdb' | 'clickhouse';

export const TEST_STORAGE: StorageName = process.env.MALLARD_TEST_STORAGE === 'clickhouse' ? 'clickhouse' : 'duckdb';

let endpoint: Promise<ClickHouseEndpoint> | null = null;
const databases = new Map<string, string>();

/** Environment for a server on `dataDir` (the same ClickHouse database again after a restart). */
export async function storageEnv(dataDir: string): Promise<Record<string, string>> {
  if (TEST_STORAGE === 'duckdb') return {};
  const { url, database } = await clickhouseOf(dataDir);
  return { MALLARD_STORAGE: 'clickhouse', MALLARD_CLICKHOUSE_URL: url, MALLARD_CLICKHOUSE_DATABASE: database };
}

/** The ClickHouse endpoint and database of `dataDir`'s server. */
export async function clickhouseOf(dataDir: string): Promise<{ url: string; database: string }> {
  // One per test file's process; it stops when that process exits (clickhouse-http.ts).
  endpoint ??= startClickHouse();
  const { url } = await endpoint;
  let database = databases.get(dataDir);
  if (!database) {
    database = `test_${databases.size + 1}`;
    databases.set(dataDir, database);
  }
  return { url, database };
}

/** The ClickHouse engine's own data directory (every database of this test file's servers). */
export async function clickhouseDataDir(): Promise<string> {
  endpoint ??= startClickHouse();
  return (await endpoint).dataDir;
}

/**
 * What the store has written past its log: Parquet files under `events/` (DuckDB), or rows in
 * ClickHouse's events table. Tests check that flushes ran (> 0), not an exact number.
 */
export async function flushedEvents(dataDir: string): Promise<number> {
  if (TEST_STORAGE === 'duckdb') {
    const dir = join(dataDir, 'events');
    if (!existsSync(dir)) return 0;
    return readdirSync(dir, { recursive: true }).filter((f) => String(f).endsWith('.parquet')).length;
  }
  const conn = new ClickHouseConnection(await clickhouseOf(dataDir));
  try {
    const [row] = await conn.all<{ n: bigint }>('SELECT count() AS n FROM events');
    return Number(row?.n ?? 0);
  } finally {
    await conn.close();
  }
}
