/**
 * Writing a flush's rows into their partitions: one temp file per touched partition, to be
 * renamed into place under the store's write lock (event-store.ts `install`). Partitions
 * that received only live traffic keep their ingest-time visit ids; those fed by batches or
 * a replayed log have visits recomputed with the same identities' visits already on disk,
 * and a late event that joins visits on disk makes the partition one rewritten file.
 */
import { mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { ClosedSegments } from '../wal.js';
import {
  COUNTED_ROWS,
  coveredRowsSql,
  FILE_COLUMNS,
  FLUSH_STAGING,
  fileName,
  maxId,
  type Partition,
  partitionDir,
  partitionKey,
  partitionRows,
  partitionsColumns,
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
 * visits recomputed together with the visits on disk they can change (`redrawVisits`).
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

  // New visit ids from `part_visits` for the checked partitions' rows; every other row as it was.
  const columns = FILE_COLUMNS.split(', ').map((col) =>
    col === 'session_id' && checked.length > 0 ? 'coalesce(v.session_id, e.session_id) AS session_id' : `e.${col}`,
  );
  const visits = checked.length > 0 ? ' LEFT JOIN part_visits v USING (seq)' : '';
  const withVisits = (source: string, extra = '') => `SELECT ${columns.join(', ')}${extra} FROM ${source} e${visits}`;
  const planned: PlannedFile[] = [];
  const added: PlannedFile[] = [];
  const copies: string[] = [];
  for (const p of partitions) {
    const rewrite = compacted.has(partitionKey(p.siteId, p.date));
    const file = plannedFile(p, upTo, rewrite ? 0n : null);
    planned.push(file);
    if (!rewrite) {
      added.push(file);
      continue;
    }
    // A late event re-draws visits already on disk: the partition is rewritten as one file.
    const rows = `(SELECT * EXCLUDE (_date) FROM flush_batch WHERE ${inPartition(p)})`;
    const source = `(SELECT * FROM ${partitionRows(p)} UNION ALL BY NAME SELECT * FROM ${rows})`;
    copies.push(copySql(`${withVisits(source)} ORDER BY e.timestamp`, file.tmp));
  }
  // Every partition that only gains a file gets it from one partitioned write, which the
  // engine spreads over its threads: one COPY per partition was two thirds of a batch flush
  // (31 days: 0.7–1.9 s of 1.1–2.6 s). That write does not keep rows in time order within a
  // file; compaction sorts them (compaction.ts), and no reader relies on the order.
  // Emptied here whatever happens; a crash leaves it to start-up (scanPartitions).
  const staging = join(target.eventsDir, FLUSH_STAGING);
  if (added.length > 0) {
    const index = added.map((f, i) => `(${literal(f.partition.siteId)}, DATE ${literal(f.partition.date)}, ${i})`).join(', ');
    const source = `(SELECT * FROM flush_batch JOIN (VALUES ${index}) m(site_id, _date, _part) USING (site_id, _date))`;
    copies.unshift(
      `COPY (${withVisits(source, ', e._part')}) TO ${literal(staging)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (_part))`,
    );
  }
  try {
    if (copies.length > 0) await c.run(copies.join(';\n'));
    for (const [i, file] of added.entries()) {
      const dir = join(staging, `_part=${i}`);
      const written = readdirSync(dir);
      if (written.length !== 1 || !written[0]) throw new Error(`flush: expected one file in ${dir}, found ${written.length}`);
      renameSync(join(dir, written[0]), file.tmp);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  await c.run('DROP TABLE IF EXISTS flush_batch; DROP TABLE IF EXISTS part_visits; DROP TABLE IF EXISTS flush_new');
  return planned;
}

/**
 * Recomputes the visits of the checked partitions' new rows together with the visits on
 * disk that a new row can change. A stored visit (identity and id) changes only if a new
 * row of its identity falls within the timeout of it (docs/BEHAVIORAL.md §2: it joins,
 * extends or bridges it); any other stays a run more than the timeout away from every row
 * of the flush, so it stays as it is. Reading every prior row of the flush's identities
 * instead made each flush of a batch import cost as much as the data already on disk.
 * Only the few columns visits depend on are read. Engagement rows take no part (they neither
 * start nor extend a visit) and keep the visit id ingest gave them. Leaves the result in `part_visits`;
 * returns the partitions (keys) in which a visit already on disk changed.
 */
async function redrawVisits(c: DuckDBConnection, checked: readonly Partition[], timeoutMs: number): Promise<Set<string>> {
  if (!Number.isSafeInteger(timeoutMs)) throw new RangeError('session timeout: not an integer');
  const values = checked.map((p) => `(${literal(p.siteId)}, DATE ${literal(p.date)})`).join(', ');
  const statements = [
    `CREATE OR REPLACE TEMP TABLE flush_new AS
      SELECT ${VISIT_COLUMNS}, site_id, _date, coalesce(user_key, visitor_id) AS _ident, epoch_ms(timestamp) AS _at
      FROM flush_batch SEMI JOIN (SELECT * FROM (VALUES ${values}) t(site_id, _date)) USING (site_id, _date)
      WHERE ${COUNTED_ROWS}`,
  ];
  let prior = '';
  const stored = checked.filter((p) => p.files.length > 0);
  if (stored.length > 0) {
    // The stored rows of the flush's identities, then of their visits within the timeout of a new row.
    statements.push(`CREATE OR REPLACE TEMP TABLE flush_stored AS
      SELECT * FROM (SELECT *, coalesce(user_key, visitor_id) AS _ident FROM ${partitionsColumns(stored, VISIT_COLUMNS, COUNTED_ROWS)})
      SEMI JOIN flush_new USING (site_id, _date, _ident)`);
    prior = `UNION ALL SELECT ${VISIT_COLUMNS}, site_id, _date, true AS _prior FROM flush_stored SEMI JOIN (
        SELECT v.site_id, v._date, v._ident, v.session_id FROM (
          SELECT site_id, _date, _ident, session_id, min(epoch_ms(timestamp)) AS _first, max(epoch_ms(timestamp)) AS _last
          FROM flush_stored GROUP BY ALL) v
        SEMI JOIN flush_new n ON n.site_id = v.site_id AND n._date = v._date AND n._ident = v._ident
          AND n._at BETWEEN v._first - ${timeoutMs} AND v._last + ${timeoutMs}
      ) USING (site_id, _date, _ident, session_id)`;
  }
  const source = `(SELECT ${VISIT_COLUMNS}, site_id, _date, false AS _prior FROM flush_new ${prior})`;
  statements.push(
    `CREATE OR REPLACE TEMP TABLE part_visits AS SELECT seq, site_id, _date, session_id, _old_session_id, _prior
      FROM (${sessionizedSql(source, timeoutMs, ['site_id', '_date'])})`,
    'DROP TABLE flush_new; DROP TABLE IF EXISTS flush_stored',
    `SELECT DISTINCT site_id, strftime(_date, '%Y-%m-%d') AS date FROM part_visits WHERE _prior AND session_id <> _old_session_id`,
  );
  const changed = (await c.runAndReadAll(statements.join(';\n'))).getRowObjectsJS() as { site_id: string; date: string }[];
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
