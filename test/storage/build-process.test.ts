/**
 * The derived-build child process against real DuckDB and real Parquet files: what it
 * writes, how its failures reach the server (the engine's own message, so a damaged file
 * is still recognised and set aside), and that stopping the server kills it.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { runBuild } from '../../src/storage/duckdb/build-process.js';
import { literal } from '../../src/storage/duckdb/database.js';
import { looksDamaged, namedFile } from '../../src/storage/duckdb/quarantine.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'mallard-build-'));
  dirs.push(d);
  return d;
}

async function readParquet(path: string): Promise<Record<string, unknown>[]> {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  try {
    return (await c.runAndReadAll(`SELECT * FROM read_parquet(${literal(path)}) ORDER BY k`)).getRowObjectsJS();
  } finally {
    c.closeSync();
    db.closeSync();
  }
}

describe('derived builds in a child process', () => {
  it('runs the statements in order, with bound parameters, and writes what they say', async () => {
    const dir = scratch();
    const out = join(dir, 'out.parquet');
    const temp = join(dir, 'spill');
    const report = await runBuild(
      [
        { sql: 'CREATE TABLE t AS SELECT range AS k, $1::VARCHAR AS label FROM range(3)', params: ['a'] },
        { sql: 'INSERT INTO t VALUES ($1, $2)', params: [9007199254740993n, "it's"] },
        { sql: `COPY t TO ${literal(out)} (FORMAT parquet)` },
      ],
      { memoryLimit: '64MB', threads: 1, tempDirectory: temp },
    );
    expect(await readParquet(out)).toEqual([
      { k: 0n, label: 'a' },
      { k: 1n, label: 'a' },
      { k: 2n, label: 'a' },
      { k: 9007199254740993n, label: "it's" },
    ]);
    // The child's own memory, not the test process's.
    expect(report.peakRssBytes).toBeGreaterThan(10 * 2 ** 20);
    expect(existsSync(temp)).toBe(false);
  });

  it('fails with the engine message of the first statement that fails, and runs none after it', async () => {
    const dir = scratch();
    const after = join(dir, 'after.parquet');
    await expect(
      runBuild([{ sql: 'SELECT * FROM no_such_table' }, { sql: `COPY (SELECT 1 AS k) TO ${literal(after)} (FORMAT parquet)` }], {
        tempDirectory: join(dir, 'spill'),
      }),
    ).rejects.toThrow(/^Catalog Error: Table with name no_such_table does not exist/);
    expect(existsSync(after)).toBe(false);
  });

  it('reports a damaged Parquet file so that the store recognises and names it', async () => {
    const dir = scratch();
    const bad = join(dir, 'events.parquet');
    writeFileSync(bad, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from('PAR1')]));
    const err = await runBuild([{ sql: `CREATE TABLE v AS SELECT * FROM read_parquet(${literal(bad)})` }], {
      tempDirectory: join(dir, 'spill'),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(looksDamaged(err)).toBe(true);
    expect(namedFile(err, dir)).toBe(bad);
  });

  it('fails with the engine message when the engine cannot open, and cleans up', async () => {
    const dir = scratch();
    await expect(runBuild([{ sql: 'SELECT 1' }], { memoryLimit: 'lots', tempDirectory: join(dir, 'spill') })).rejects.toThrow(
      'Failed to set config',
    );
    expect(existsSync(join(dir, 'spill'))).toBe(false);
  });

  it('is killed when the server stops, and says so', async () => {
    const dir = scratch();
    const stop = new AbortController();
    const running = runBuild(
      // Minutes of work: only the kill ends it.
      [{ sql: 'CREATE TABLE t AS SELECT sum(hash(a.range * b.range)) FROM range(1000000) a, range(1000000) b' }],
      { threads: 1, tempDirectory: join(dir, 'spill') },
      stop.signal,
    );
    setTimeout(() => stop.abort(), 800);
    await expect(running).rejects.toThrow('the derived-build process was killed by SIGKILL');
    expect(existsSync(join(dir, 'spill'))).toBe(false);
  });
});
