/**
 * The engine's limits hold: a statement needing more memory than `memoryLimit` is refused
 * with an `unavailable` domain error (503 at the HTTP layer), and the database keeps
 * answering afterwards.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sizeBytes } from '../../config.js';
import { DomainError } from '../../errors.js';
import { Database, openFailure } from './database.js';
import { returningFreedMemory } from './engine-options.js';

let dir: string;
let db: Database;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mallard-db-'));
  db = await Database.open(dir, { memoryLimit: '16MB', threads: 1 }, 1);
});

afterAll(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('engine limits', () => {
  it('apply the configured memory limit and threads', async () => {
    const [row] = await db.all<{ m: string; t: bigint }>(
      "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t",
    );
    expect(row?.m).toBe('15.2 MiB'); // DuckDB reports 16 MB in MiB
    expect(Number(row?.t)).toBe(1);
  });

  it('hand freed memory back after any free over 1 MB while the store writes, and only then', async () => {
    const sql = "SELECT current_setting('allocator_bulk_deallocation_flush_threshold') AS b";
    const threshold = async () => (await db.all<{ b: string }>(sql))[0]?.b;
    const during = await db.with((c) =>
      returningFreedMemory(c, async () => (await c.runAndReadAll(sql)).getRowObjectsJS()[0]?.b),
    );
    expect(during).toBe('976.5 KiB'); // 1 MB = 10^6 bytes, reported in KiB
    expect(await threshold()).toBe('512.0 MiB'); // the engine's default
    const failed = await db
      .with((c) => returningFreedMemory(c, () => Promise.reject(new Error('disk full'))))
      .catch((e: Error) => e.message);
    expect(failed).toBe('disk full');
    expect(await threshold()).toBe('512.0 MiB');
  });

  it('refuse a statement over the memory limit as unavailable, then keep answering', async () => {
    // One list of 4M integers (~32 MB) cannot be spilled: it must fit in memory.
    const err = await db.all('SELECT list(range(4000000)) AS l').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe('unavailable');
    expect((err as DomainError).message).toContain('duckdb_memory_limit');
    // The engine's own words stay with it for the log (a client sees only the message).
    expect(((err as DomainError).cause as Error).message).toMatch(/^Out of Memory Error/);
    expect(await db.all<{ n: number }>('SELECT 41 + 1 AS n')).toEqual([{ n: 42 }]);
  });
});

describe('a metadata database that does not open says why', () => {
  const path = '/data/mallard.duckdb';
  it('names another process only for the engine lock', async () => {
    // The engine's words for a memory refusal, taken from a real one.
    const oom = String(((await db.all('SELECT list(range(4000000)) AS l').catch((e: unknown) => e)) as DomainError).cause);
    expect(openFailure(path, '/data', oom, '64MB')).toBe(
      `${path} cannot be opened within duckdb_memory_limit (64MB): ${oom.split('\n')[0]}. Raise duckdb_memory_limit (MALLARD_DUCKDB_MEMORY_LIMIT) and start again; nothing was changed or lost`,
    );
    const lock = 'IO Error: Could not set lock on file "/data/mallard.duckdb": Conflicting lock is held in node (PID 7)';
    expect(openFailure(path, '/data', lock)).toBe(
      `${path} is in use by another process (another mallard-metrics on this data directory?): ${lock}`,
    );
    // "lock" alone (a block, a clock) is no lock conflict
    expect(openFailure(path, '/data', 'INTERNAL Error: failed to read block 12')).toBe(
      `${path} (sites, API keys, settings) cannot be opened: INTERNAL Error: failed to read block 12. Restore it from a backup (mallard-metrics restore <dir>); the events in /data/events are not affected`,
    );
  });
});

describe('sizeBytes', () => {
  it('reads the sizes the configuration accepts as DuckDB does (MB = 10^6, MiB = 2^20)', () => {
    expect(sizeBytes('256MB')).toBe(256_000_000);
    expect(sizeBytes('1.5GiB')).toBe(1_610_612_736);
    expect(sizeBytes('64 KiB')).toBe(65_536);
    expect(sizeBytes('2gb')).toBe(2_000_000_000);
    expect(sizeBytes('lots')).toBeNaN();
  });
});
