/**
 * The storage backends the integration suites run on, each with what a server needs to use
 * it: DuckDB in the data directory, or ClickHouse (the real engine, clickhouse.ts) with a
 * database of its own per data directory, kept across restarts.
 */
import { type ClickHouseEndpoint, startClickHouse } from './clickhouse.js';

export const BACKENDS = ['duckdb', 'clickhouse'] as const;
export type BackendName = (typeof BACKENDS)[number];

export class Backend {
  private endpoint: Promise<ClickHouseEndpoint> | null = null;
  private readonly databases = new Map<string, string>();

  constructor(readonly name: BackendName) {}

  /** Environment for a server on `dataDir` (the same database again after a restart). */
  async env(dataDir: string): Promise<Record<string, string>> {
    if (this.name === 'duckdb') return {};
    this.endpoint ??= startClickHouse();
    const { url } = await this.endpoint;
    let database = this.databases.get(dataDir);
    if (!database) {
      database = `test_${this.databases.size + 1}`;
      this.databases.set(dataDir, database);
    }
    return { MALLARD_STORAGE: 'clickhouse', MALLARD_CLICKHOUSE_URL: url, MALLARD_CLICKHOUSE_DATABASE: database };
  }

  /** The ClickHouse endpoint and database of `dataDir`'s server (ClickHouse only). */
  async clickhouse(dataDir: string): Promise<{ url: string; database: string }> {
    const env = await this.env(dataDir);
    return { url: env.MALLARD_CLICKHOUSE_URL ?? '', database: env.MALLARD_CLICKHOUSE_DATABASE ?? '' };
  }

  async close(): Promise<void> {
    if (this.endpoint) await (await this.endpoint).stop();
  }
}
