/**
 * Writing a flush's rows into their partitions: one temp file per touched partition, to be
 * renamed into place under the store's write lock (event-store.ts `install`). Partitions
 * that received only live traffic keep their ingest-time visit ids; those fed by batches or
 * a replayed log have visits recomputed with the same identities' rows already on disk,
 * and a late event that re-draws visits on disk makes the partition one rewritten file.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { ClosedSegments } from '../wal.js';
import {
  coveredRowsSql,
  FILE_COLUMNS,
  fileName,
  maxId,
  type Partition,
  partitionDir,
  partitionEvents,
  partitionKey,
} from './cold-layout.js';
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

/** The flush's rows per partition: `first` is the lowest sequence number among them. */
const PARTS_SQL = `SELECT site_id, strftime(_date, '%Y-%m-%d') AS date, min(seq)::VARCHAR AS first
  FROM flush_batch GROUP BY ALL ORDER BY 1, 2`;

type PartRow = { site_id: string; date: string; first: string };

const inPartition = (p: Partition) => `site_id = ${literal(p.siteId)} AND _date = DATE ${literal(p.date)}`;

/**
 * Writes one file per touched partition with the rows of the closed log segments (each file
 * named by their highest sequence number). Partitions that received only live traffic
 * keep their ingest-time visit ids; those in `check` (batches, replayed rows) have
 * visits recomputed together with the same identities' rows already on disk.
 *
 * A handful of statements for the whole flush, whatever the number of partitions: each
 * statement costs a turn of the event loop, and while the server parses a batch of 10,000
 * events a turn waits for it; a flush of 30 days' partitions at six statements each took
 * 4–5 s in the server against 0.9 s alone, and ingest waited for it.
 */
export async function writeFlushFiles(
  c: DuckDBConnection,
  target: FlushTarget,
  closed: Pick<ClosedSegments, 'paths' | 'maxSeq'>,
  check: ReadonlySet<string>,
): Promise<PlannedFile[]> {
  const upTo = closed.maxSeq;
  let parts = (
    await c.runAndReadAll(`CREATE OR REPLACE TEMP TABLE flush_batch AS
      SELECT *, timestamp::DATE AS _date FROM ${walRowsSql(closed.paths)};
      ${PARTS_SQL}`)
  ).getRowObjectsJS() as PartRow[];
  const partitionOf = ({ site_id: siteId, date }: PartRow): Partition =>
    target.partitions.get(partitionKey(siteId, date)) ?? {
      siteId,
      date,
      dir: partitionDir(target.eventsDir, siteId, date),
      files: [],
    };
  // Rows a file of the partition already covers (its id is the highest sequence number it
  // holds) are copies, as the log replay treats them: never written twice.
  const covered = parts.flatMap((r) => {
    const p = partitionOf(r);
    return maxId(p) >= BigInt(r.first) ? [coveredRowsSql(p)] : [];
  });
  if (covered.length > 0) {
    parts = (
      await c.runAndReadAll(`DELETE FROM flush_batch WHERE ${covered.join(' OR ')}; ${PARTS_SQL}`)
    ).getRowObjectsJS() as PartRow[];
  }
  const partitions = parts.map(partitionOf);
  const checked = partitions.filter((p) => check.has(partitionKey(p.siteId, p.date)));
  const compacted = checked.length === 0 ? new Set<string>() : await redrawVisits(c, checked, target.sessionTimeoutMs);

  const planned: PlannedFile[] = [];
  const copies: string[] = [];
  for (const p of partitions) {
    const key = partitionKey(p.siteId, p.date);
    const rows = `(SELECT * EXCLUDE (_date) FROM flush_batch WHERE ${inPartition(p)})`;
    let select = `SELECT ${FILE_COLUMNS} FROM ${rows} ORDER BY timestamp`;
    if (check.has(key)) {
      // A late event re-draws visits already on disk: the partition is rewritten as one file,
      // with new visit ids for the identities it touched and every other row as it was.
      const source = compacted.has(key) ? `(SELECT * FROM ${partitionEvents(p)} UNION ALL BY NAME SELECT * FROM ${rows})` : rows;
      const columns = FILE_COLUMNS.split(', ').map((col) =>
        col === 'session_id' ? 'coalesce(v.session_id, e.session_id) AS session_id' : `e.${col}`,
      );
      select = `SELECT ${columns.join(', ')} FROM ${source} e LEFT JOIN part_visits v USING (seq) ORDER BY e.timestamp`;
    }
    const file = plannedFile(p, upTo, compacted.has(key) ? 0n : null);
    copies.push(copySql(select, file.tmp));
    planned.push(file);
  }
  if (copies.length > 0) await c.run(copies.join(';\n'));
  await c.run('DROP TABLE IF EXISTS flush_batch; DROP TABLE IF EXISTS part_visits; DROP TABLE IF EXISTS flush_checked');
  return planned;
}

/**
 * Recomputes the visits of the checked partitions' new rows together with the same
 * identities' rows already on disk (visits are per identity, so only those can change; and
 * only the few columns visits depend on: a day's full rows would hold a flush's memory for
 * nothing). Leaves them in `part_visits`; returns the partitions (keys) in which a visit
 * already on disk changed.
 */
async function redrawVisits(c: DuckDBConnection, checked: readonly Partition[], timeoutMs: number): Promise<Set<string>> {
  const values = checked.map((p) => `(${literal(p.siteId)}, DATE ${literal(p.date)})`).join(', ');
  const prior = checked
    .filter((p) => p.files.length > 0)
    .map(
      (p) => `UNION ALL SELECT ${VISIT_COLUMNS}, ${literal(p.siteId)} AS site_id, DATE ${literal(p.date)} AS _date, true AS _prior
        FROM ${partitionEvents(p)}
        WHERE coalesce(user_key, visitor_id) IN (SELECT coalesce(user_key, visitor_id) FROM flush_batch WHERE ${inPartition(p)})`,
    )
    .join('\n');
  const source = `(SELECT ${VISIT_COLUMNS}, site_id, _date, false AS _prior
    FROM flush_batch SEMI JOIN flush_checked USING (site_id, _date) ${prior})`;
  const changed = (
    await c.runAndReadAll(`CREATE OR REPLACE TEMP TABLE flush_checked AS SELECT * FROM (VALUES ${values}) t(site_id, _date);
      CREATE OR REPLACE TEMP TABLE part_visits AS SELECT seq, site_id, _date, session_id, _old_session_id, _prior
        FROM (${sessionizedSql(source, timeoutMs, ['site_id', '_date'])});
      SELECT DISTINCT site_id, strftime(_date, '%Y-%m-%d') AS date FROM part_visits WHERE _prior AND session_id <> _old_session_id`)
  ).getRowObjectsJS() as { site_id: string; date: string }[];
  return new Set(changed.map((r) => partitionKey(r.site_id, r.date)));
}

/** A temp file's place in the partition (made ready for a COPY), and what it becomes once installed. */
function plannedFile(partition: Partition, id: bigint, from: bigint | null): PlannedFile {
  const name = fileName(id, from);
  const tmp = join(partition.dir, `.${name}.tmp`);
  mkdirSync(partition.dir, { recursive: true });
  rmSync(tmp, { force: true });
  return { partition, tmp, name, id, from };
}

const copySql = (select: string, tmp: string) => `COPY (${select}) TO ${literal(tmp)} (FORMAT parquet, COMPRESSION zstd)`;

/** Writes a query's rows to a temp file in the partition, to be installed under the lock. */
export async function writePartitionFile(
  c: DuckDBConnection,
  partition: Partition,
  id: bigint,
  from: bigint | null,
  select: string,
  params: DuckDBValue[],
): Promise<PlannedFile> {
  const file = plannedFile(partition, id, from);
  await c.run(copySql(select, file.tmp), params);
  return file;
}
