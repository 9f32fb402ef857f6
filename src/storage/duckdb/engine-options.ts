/**
 * The settings every DuckDB instance of the product opens with — the server's database
 * (database.ts) and the derived-build process (build-child.ts) — and the one the store's
 * own writes change while they run.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

export interface EngineSettings {
  /** Where a statement that outgrows the memory limit spills. */
  tempDirectory: string;
  /** DuckDB's memory_limit, e.g. `256MB` (absent: the engine's default). */
  memoryLimit?: string;
  /** Worker threads (0 or absent: one per core). */
  threads?: number;
}

export function engineOptions(settings: EngineSettings): Record<string, string> {
  const options: Record<string, string> = {
    temp_directory: settings.tempDirectory,
    // Every file is local and the OS already caches its pages: the engine's own copy of the
    // Parquet blocks it read is a second one inside the process (the dashboard's peak RSS
    // at 10M events: 449–455 → 411–430 MB, queries no slower).
    enable_external_file_cache: 'false',
  };
  if (settings.memoryLimit) options.memory_limit = settings.memoryLimit;
  if (settings.threads) options.threads = String(settings.threads);
  return options;
}

/**
 * Runs a flush or a compaction with the engine's allocator handing freed memory back to
 * the system after any free over 1 MB (its default: 512 MB). Otherwise it keeps what a
 * flush's statements freed, the next flush's read of the log needs memory of another shape,
 * and the kept pages add to the process instead of serving it: the server's peak through
 * 400k batch events (2 clients) 413–449 → 363–394 MB, through bench:ingest's batches
 * 454–463 → 385–395 MB at the same rates. Only while the store writes: set for
 * the whole process, it made the heavy queries 15–30 % slower (sequences 0.86 → 1.11 s).
 * The setting is the engine's, for the whole instance, so a query running beside a flush
 * has it too; the store's writes run one at a time (`Database.background`).
 */
export async function returningFreedMemory<T>(c: DuckDBConnection, write: () => Promise<T>): Promise<T> {
  await c.run("SET GLOBAL allocator_bulk_deallocation_flush_threshold = '1MB'");
  try {
    return await write();
  } finally {
    await c.run('RESET GLOBAL allocator_bulk_deallocation_flush_threshold');
  }
}
