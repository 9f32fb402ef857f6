/**
 * The DuckDB instance: a file database in the data directory for metadata (keys,
 * settings, schema version) and an attached in-memory database for the hot events,
 * whose durability comes from the write-ahead log instead. A small connection pool lets
 * queries run side by side.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { DomainError, StartupError, unavailable } from '../../errors.js';
import { createTableSql } from '../columns.js';
import type { MetadataDb } from '../metadata.js';
import { RwLock } from '../rw-lock.js';
import { engineOptions } from './engine-options.js';
import { migrate } from './migrations.js';

export const HOT_TABLE = 'hot.events';

/** Quotes a server-made string (a file path, a validated site id) as a SQL literal; never client input. */
export const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;

/**
 * What to tell an operator when the metadata database does not open. Only DuckDB's own lock
 * messages mean another process: an engine out of memory while replaying its write-ahead log
 * ("failed to pin block" — b-lock) once read as "in use by another process" and sent people
 * looking for a second server.
 */
export function openFailure(path: string, dataDir: string, message: string, memoryLimit = 'the default'): string {
  const why = message.split('\n')[0] ?? '';
  if (/Could not set lock on file|Conflicting lock/i.test(why)) {
    return `${path} is in use by another process (another mallard-metrics on this data directory?): ${why}`;
  }
  if (OUT_OF_MEMORY.test(why)) {
    return `${path} cannot be opened within duckdb_memory_limit (${memoryLimit}): ${why}. Raise duckdb_memory_limit (MALLARD_DUCKDB_MEMORY_LIMIT) and start again; nothing was changed or lost`;
  }
  return `${path} (sites, API keys, settings) cannot be opened: ${why}. Restore it from a backup (mallard-metrics restore <dir>); the events in ${join(dataDir, 'events')} are not affected`;
}

/** What the engine may use: a query that needs more memory fails (and spills to disk first) instead of growing the process. */
export interface EngineLimits {
  /** DuckDB's memory_limit, e.g. `256MB`. */
  memoryLimit: string;
  /** Worker threads (0: one per core). */
  threads: number;
}

const OUT_OF_MEMORY = /Out of Memory Error|failed to allocate|could not allocate|failed to pin block/i;

/** The message of a statement refused for memory (a flush or other queries may hold it for a moment). */
export const OUT_OF_MEMORY_MESSAGE =
  'the query needs more memory than duckdb_memory_limit allows; narrow the period or filters, or raise the limit';
const OUT_OF_DISK = /No space left on device/i;

/** Whether an error is a statement refused for memory (worth trying again in a moment). */
export const refusedForMemory = (err: unknown) => err instanceof DomainError && err.message === OUT_OF_MEMORY_MESSAGE;

/** The domain's answer to an engine error it can explain; other errors pass unchanged. */
function refusal(err: unknown): unknown {
  const message = err instanceof Error ? err.message : '';
  if (OUT_OF_MEMORY.test(message)) return unavailable(OUT_OF_MEMORY_MESSAGE, undefined, err);
  if (OUT_OF_DISK.test(message)) return unavailable('the disk is full; the query could not spill to disk', undefined, err);
  return err;
}

export class Database implements MetadataDb {
  private idle: DuckDBConnection[] = [];
  /** Background jobs (flush, compaction, derived builds) run one at a time: see `background`. */
  private readonly backgroundTurn = new RwLock();
  private waiters: ((c: DuckDBConnection) => void)[] = [];

  private constructor(
    readonly instance: DuckDBInstance,
    private readonly conns: DuckDBConnection[],
  ) {
    this.idle = [...conns];
  }

  /**
   * Opens `mallard.duckdb` (sites, API keys, settings). Missing while events exist, or
   * unreadable, it stops start-up with what to do: silently starting without it would
   * lock everyone out and forget every site's settings. `newMetadata` allows a missing one.
   */
  static async open(dataDir: string, limits?: EngineLimits, poolSize = 4, newMetadata = false): Promise<Database> {
    const options = engineOptions({ tempDirectory: join(dataDir, 'tmp'), ...limits });
    const path = join(dataDir, 'mallard.duckdb');
    if (!existsSync(path) && !newMetadata && holdsEvents(dataDir)) {
      throw new StartupError(
        `${path} is missing but ${dataDir} holds events: it kept the sites, API keys and settings. Restore it from a backup (mallard-metrics restore <dir>), or start with none of them: mallard-metrics serve --new-metadata`,
      );
    }
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, options);
    } catch (err) {
      throw new StartupError(openFailure(path, dataDir, (err as Error).message, limits?.memoryLimit));
    }
    const first = await instance.connect();
    await first.run("ATTACH ':memory:' AS hot");
    await first.run(createTableSql(HOT_TABLE));
    await migrate(first);
    const conns = [first];
    for (let i = 1; i < poolSize; i++) conns.push(await instance.connect());
    return new Database(instance, conns);
  }

  /**
   * Runs fn with a connection of its own for its duration. A statement that runs out of
   * the engine's memory (or of disk to spill to) is refused as `unavailable`, not a crash.
   */
  async with<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    const conn = this.idle.pop() ?? (await new Promise<DuckDBConnection>((r) => this.waiters.push(r)));
    try {
      return await fn(conn);
    } catch (err) {
      throw refusal(err);
    } finally {
      const next = this.waiters.shift();
      if (next) next(conn);
      else this.idle.push(conn);
    }
  }

  /**
   * `with` for the store's own work — a flush, a compaction, a derived build — one at a
   * time: each may need a good part of the memory limit, and queries need the rest.
   * Together they would have the engine refuse whichever asked last.
   */
  background<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
    return this.backgroundTurn.write(() => this.with(fn));
  }

  /** Runs a statement with bound parameters and returns rows as objects. */
  async all<T = Record<string, DuckDBValue>>(sql: string, params: DuckDBValue[] = []): Promise<T[]> {
    return this.with(async (c) => (await c.runAndReadAll(sql, params)).getRowObjectsJS() as T[]);
  }

  async run(sql: string, params: DuckDBValue[] = []): Promise<void> {
    await this.with(async (c) => {
      await c.run(sql, params);
    });
  }

  /** Runs the statements on one connection as one transaction: all of them, or none. */
  async transaction(statements: readonly (readonly [sql: string, params: readonly unknown[]])[]): Promise<void> {
    await this.with(async (c) => {
      await c.run('BEGIN TRANSACTION');
      try {
        for (const [sql, params] of statements) await c.run(sql, params as DuckDBValue[]);
        await c.run('COMMIT');
      } catch (err) {
        await c.run('ROLLBACK');
        throw err;
      }
    });
  }

  close(): void {
    for (const c of this.conns) c.closeSync();
    this.instance.closeSync();
  }
}

/** Whether the data directory already has events (on disk or in the log): not a first start. */
function holdsEvents(dataDir: string): boolean {
  const nonEmpty = (dir: string) => existsSync(dir) && readdirSync(dir).length > 0;
  return nonEmpty(join(dataDir, 'events')) || nonEmpty(join(dataDir, 'wal'));
}
