/**
 * A command's own handle on the data directory, while no server runs: the stores opened as
 * the server opens them, and a clear refusal when another process holds the directory.
 */
import { resolve } from 'node:path';
import { type Config, clickhouseConnection } from '../config.js';
import { createLogger } from '../log.js';
import { derivedTables } from '../query/derived-tables.js';
import { ClickHouseEventStore } from '../storage/clickhouse/event-store.js';
import { DuckDbEventStore } from '../storage/duckdb/event-store.js';
import { CliError } from './args.js';

/**
 * The data directory's store, opened by a command while no server runs (`url`: where one
 * was looked for); refused with what to do when another process holds it. It flushes by
 * count only with `flushCount` (a command that writes events).
 */
export async function openDataDir(
  config: Config,
  url: string | null,
  command: string,
  flushCount = 0,
): Promise<DuckDbEventStore> {
  if (config.storage !== 'duckdb') throw new CliError(`${command} works with storage = "duckdb" only`);
  return heldElsewhere(config, url, command, () =>
    DuckDbEventStore.open({
      dataDir: config.data_dir,
      walFsync: config.wal_fsync,
      sessionTimeoutSecs: config.session_timeout,
      compactMinFiles: config.compact_min_files,
      retentionDays: config.retention_days,
      flushCount,
      log: commandLog(config),
      derived: config.rollups ? derivedTables : undefined,
      deriveQuietMs: config.rollup_delay * 1000,
      limits: { memoryLimit: config.duckdb_memory_limit, threads: config.duckdb_threads },
    }),
  );
}

/**
 * As `openDataDir`, on either backend (a command that only appends events: import). On
 * ClickHouse the events go through this data directory's write-ahead log and are shipped as
 * the server ships them (every `flushCount` events and at close), with its node id.
 */
export async function openEventStore(
  config: Config,
  url: string | null,
  command: string,
  flushCount: number,
): Promise<DuckDbEventStore | ClickHouseEventStore> {
  if (config.storage === 'duckdb') return openDataDir(config, url, command, flushCount);
  return heldElsewhere(config, url, command, () =>
    ClickHouseEventStore.open({
      dataDir: config.data_dir,
      clickhouse: clickhouseConnection(config),
      walFsync: config.wal_fsync,
      sessionTimeoutSecs: config.session_timeout,
      flushCount,
      retentionDays: config.retention_days,
      log: commandLog(config),
      limits: { memoryLimit: config.duckdb_memory_limit, threads: config.duckdb_threads },
    }),
  );
}

/** A command's own log: warnings and errors only, on stderr (stdout carries its one result line). */
const commandLog = (config: Config) => createLogger(config.log_format, 'warn', 2);

/** Opens a store; the metadata database locked by another process becomes what to do about it. */
async function heldElsewhere<T>(config: Config, url: string | null, command: string, open: () => Promise<T>): Promise<T> {
  try {
    return await open();
  } catch (err) {
    if (/Could not set lock on file|Conflicting lock/i.test((err as Error).message)) {
      throw new CliError(
        `the data directory ${resolve(config.data_dir)} is in use by another process, but no server answers at ${url ?? '(port 0)'}; ` +
          `run the ${command} with that server’s host and port (MALLARD_HOST, MALLARD_PORT)`,
      );
    }
    throw err;
  }
}
