/**
 * Writing a flush's rows into their partitions: one temp file per touched partition, to be
 * renamed into place under the store's write lock (event-store.ts `install`). Partitions
 * that received only live traffic keep their ingest-time visit ids; those fed by batches or
 * a replayed log have visits recomputed with the same identities' rows already on disk,
 * and a late event that re-draws visits on disk makes the partition one rewritten file.
 */
import { rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { ClosedSegments } from '../wal.js';
import { FILE_COLUMNS, fileName, maxId, type Partition, partitionDir, partitionEvents, partitionKey } from './cold-layout.js';
import { literal } from './database.js';
import { sessionizedSql } from './sessionize.js';
import { walRowsSql } from './wal-rows.js';

/** What visits are computed from; the rest of a row is carried along by its sequence number. */
const VISIT_COLUMNS = 'seq, user_key, visitor_id, timestamp, session_id';

/** A file written as a temp file, and what it becomes once installed. */
export interface PlannedFile {
  partition: Partition;
  tmp: string;
  name: string;
  id: bigint;
  from: bigint | null;
}

/** What a flush writes into: the store's partitions (read, not changed) and its settings. */
export interface FlushTarget {
  partitions: ReadonlyMap<string, Partition>;
  eventsDir: string;
  sessionTimeoutMs: number;
}

/**
 * Writes one file per touched partition with the rows of the closed log segments (each file
 * named by their highest sequence number). Partitions that received only live traffic
 * keep their ingest-time visit ids; those in `check` (batches, replayed rows) have
 * visits recomputed together with the same identities' rows already on disk.
 */
export async function writeFlushFiles(
  c: DuckDBConnection,
  target: FlushTarget,
  closed: Pick<ClosedSegments, 'paths' | 'maxSeq'>,
  check: ReadonlySet<string>,
): Promise<PlannedFile[]> {
  const upTo = closed.maxSeq;
  await c.run(`CREATE OR REPLACE TEMP TABLE flush_batch AS SELECT * FROM ${walRowsSql(closed.paths)}`);
  const parts = (
    await c.runAndReadAll("SELECT DISTINCT site_id, strftime(timestamp::DATE, '%Y-%m-%d') AS date FROM flush_batch ORDER BY 1, 2")
  ).getRowObjectsJS() as { site_id: string; date: string }[];
  const timeoutMs = target.sessionTimeoutMs;
  const planned: PlannedFile[] = [];
  for (const { site_id: siteId, date } of parts) {
    const key = partitionKey(siteId, date);
    const partition = target.partitions.get(key) ?? {
      siteId,
      date,
      dir: partitionDir(target.eventsDir, siteId, date),
      files: [],
    };
    // Rows a file of the partition already covers (its id is the highest sequence number it
    // holds) are copies, as the log replay treats them: never written twice.
    await c.run(
      'CREATE OR REPLACE TEMP TABLE part_new AS SELECT * FROM flush_batch WHERE site_id = $1 AND timestamp::DATE = $2::DATE AND seq > $3',
      [siteId, date, maxId(partition)],
    );
    if (Number((await c.runAndReadAll('SELECT count(*)::INTEGER AS n FROM part_new')).getRowObjectsJS()[0]?.n) === 0) continue;
    if (!check.has(key)) {
      planned.push(
        await writePartitionFile(c, partition, upTo, null, `SELECT ${FILE_COLUMNS} FROM part_new ORDER BY timestamp`, []),
      );
      continue;
    }
    // Visits are per identity, so only the identities of the new rows can change: their
    // rows already on disk are read with them, and only the few columns visits depend on
    // (a day's full rows would hold a flush's memory for nothing).
    const prior =
      partition.files.length === 0
        ? ''
        : `UNION ALL SELECT ${VISIT_COLUMNS}, true AS _prior FROM ${partitionEvents(partition)}
           WHERE coalesce(user_key, visitor_id) IN (SELECT coalesce(user_key, visitor_id) FROM part_new)`;
    await c.run(
      `CREATE OR REPLACE TEMP TABLE part_visits AS SELECT seq, session_id, _old_session_id, _prior
       FROM (${sessionizedSql(`(SELECT ${VISIT_COLUMNS}, false AS _prior FROM part_new ${prior})`, '$1')})`,
      [timeoutMs],
    );
    const changed = (
      await c.runAndReadAll('SELECT count(*)::INTEGER AS n FROM part_visits WHERE _prior AND session_id <> _old_session_id')
    ).getRowObjectsJS()[0]?.n;
    // A late event re-draws visits already on disk: the partition is rewritten as one file,
    // with new visit ids for the identities it touched and every other row as it was.
    const compacted = Number(changed) > 0;
    const rows = compacted
      ? `(SELECT * FROM ${partitionEvents(partition)} UNION ALL BY NAME SELECT * FROM part_new)`
      : 'part_new';
    const columns = FILE_COLUMNS.split(', ').map((col) =>
      col === 'session_id' ? 'coalesce(v.session_id, e.session_id) AS session_id' : `e.${col}`,
    );
    planned.push(
      await writePartitionFile(
        c,
        partition,
        upTo,
        compacted ? 0n : null,
        `SELECT ${columns.join(', ')} FROM ${rows} e LEFT JOIN part_visits v USING (seq) ORDER BY e.timestamp`,
        [],
      ),
    );
  }
  await c.run('DROP TABLE IF EXISTS flush_batch; DROP TABLE IF EXISTS part_new; DROP TABLE IF EXISTS part_visits');
  return planned;
}

/** Writes a query's rows to a temp file in the partition, to be installed under the lock. */
export async function writePartitionFile(
  c: DuckDBConnection,
  partition: Partition,
  id: bigint,
  from: bigint | null,
  select: string,
  params: DuckDBValue[],
): Promise<PlannedFile> {
  const name = fileName(id, from);
  const tmp = join(partition.dir, `.${name}.tmp`);
  await mkdir(partition.dir, { recursive: true });
  rmSync(tmp, { force: true });
  await c.run(`COPY (${select}) TO ${literal(tmp)} (FORMAT parquet, COMPRESSION zstd)`, params);
  return { partition, tmp, name, id, from };
}
