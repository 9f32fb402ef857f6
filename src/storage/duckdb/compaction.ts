/**
 * Compaction: a partition's newest run of small files (everything after its last large
 * compacted file) is merged into one `<id>.c<from>.parquet` once it has `minFiles` files, so
 * a busy day is not rewritten whole at every compaction. The merged file supersedes the run
 * by the cold layout's rules (cold-layout.ts), which makes a crash at any step harmless.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { type ColdFile, FILE_COLUMNS, type Partition, withEveryColumn } from './cold-layout.js';
import { literal } from './database.js';
import { type PlannedFile, writePartitionFile } from './flush-writer.js';

/** A compacted file at least this large is left alone; later small files compact among themselves. */
const LARGE_FILE_BYTES = 16 * 1024 * 1024;

/** The files to merge, oldest first, or null when the run is still too short. */
export function compactionRun(p: Partition, minFiles: number): ColdFile[] | null {
  const sorted = [...p.files].sort((a, b) => (a.id < b.id ? -1 : 1));
  const lastLarge = sorted.findLastIndex((f) => f.from !== null && statSync(join(p.dir, f.name)).size >= LARGE_FILE_BYTES);
  const run = sorted.slice(lastLarge + 1);
  return run.length >= minFiles ? run : null;
}

/** Writes the run as one temp file covering [lowest id it replaces, its highest id]. */
export function writeCompactedFile(c: DuckDBConnection, p: Partition, run: readonly ColdFile[]): Promise<PlannedFile> {
  const id = run[run.length - 1]?.id ?? 0n;
  const from = run.reduce((m, f) => ((f.from ?? f.id) < m ? (f.from ?? f.id) : m), id);
  const files = `[${run.map((f) => literal(join(p.dir, f.name))).join(', ')}]`;
  return writePartitionFile(
    c,
    p,
    id,
    from,
    // Files of older releases lack the engagement columns: NULL in the merged file.
    `SELECT ${FILE_COLUMNS} FROM ${withEveryColumn(`read_parquet(${files}, union_by_name = true, hive_partitioning = false)`)} ORDER BY timestamp`,
    [],
  );
}
