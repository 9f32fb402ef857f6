/**
 * The metadata database — sites, share links, API keys, settings — as the modules that keep
 * them see it. Each node keeps its own (`mallard.duckdb` in the data directory) whatever
 * backend stores the events, so the statements are DuckDB's SQL.
 */
export interface MetadataDb {
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  run(sql: string, params?: readonly unknown[]): Promise<void>;
  /** Runs the statements as one transaction: all of them, or none. */
  transaction(statements: readonly (readonly [sql: string, params: readonly unknown[]])[]): Promise<void>;
}
