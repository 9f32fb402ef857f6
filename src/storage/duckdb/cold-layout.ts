/**
 * The cold tier on disk: `events/site_id=<site>/date=<YYYY-MM-DD>/<id>.parquet`, where
 * `<id>` is the highest ingest sequence number the file may hold. A compacted file
 * (`<id>.c<from>.parquet`) replaces the files of its partition whose ids lie in
 * [from, id]. Those two rules make every crash recoverable: anything a finished file
 * covers is skipped in the replayed log and deleted from older files at start-up, so no
 * event is counted twice.
 */
import { mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { timestampText, wholeDayIn } from '../../utc-days.js';
import { ADDED_COLUMNS, COLUMN_NAMES, COUNTED_COLUMNS, ENGAGEMENT } from '../columns.js';
import { HOT_TABLE, literal } from './database.js';

/** Columns written to Parquet: site_id and date live in the directory names. */
export const FILE_COLUMNS = COLUMN_NAMES.filter((c) => c !== 'site_id').join(', ');

/** The columns of every row in a Parquet file (columns.ts `engagement`), some NULL in files of older releases. */
const COUNTED_FILE_COLUMNS = COUNTED_COLUMNS.map((c) => c.name)
  .filter((c) => c !== 'site_id')
  .join(', ');

/** Rows that count as events (page views, custom events): every row but the engagement rows. */
export const COUNTED_ROWS = `event_name <> '${ENGAGEMENT}'`;

/** A typed relation of no rows with only the columns added after the first release (see `withEveryColumn`). */
const NO_ADDED = `(SELECT ${ADDED_COLUMNS.map((c) => `NULL::${c.sqlType} AS ${c.name}`).join(', ')} WHERE false)`;

/**
 * A read of Parquet files with every event column, the added ones (columns.ts `added`) NULL
 * in files written before they existed: `read_parquet(…, union_by_name = true)` fills a
 * column only some files lack, and refuses (a binder error) one that every file lacks. The
 * engine still reads only the columns a query uses, and pushes its filters into the scan.
 */
export const withEveryColumn = (read: string) => `(SELECT * FROM ${NO_ADDED} UNION ALL BY NAME SELECT * FROM ${read})`;

export interface ColdFile {
  name: string;
  id: bigint;
  /** For a compacted file, the lowest id it replaces; null for a flush file. */
  from: bigint | null;
}

export interface Partition {
  siteId: string;
  date: string;
  dir: string;
  files: ColdFile[];
}

const FILE = /^(\d{20})(?:\.c(\d{20}))?\.parquet$/;
const pad = (n: bigint) => n.toString().padStart(20, '0');

export const partitionKey = (siteId: string, date: string) => `${siteId}\u0000${date}`;

export function fileName(id: bigint, from: bigint | null): string {
  return `${pad(id)}${from === null ? '' : `.c${pad(from)}`}.parquet`;
}

export function partitionDir(eventsDir: string, siteId: string, date: string): string {
  return join(eventsDir, `site_id=${siteId}`, `date=${date}`);
}

export function maxId(p: Partition): bigint {
  return p.files.reduce((m, f) => (f.id > m ? f.id : m), 0n);
}

/**
 * A condition on event rows: those of the partition that its files already cover (their
 * number is at most the partition's highest id), which the log replay and a flush treat as copies.
 */
export function coveredRowsSql(p: Partition): string {
  return `(site_id = ${literal(p.siteId)} AND timestamp::DATE = DATE ${literal(p.date)} AND seq <= ${maxId(p)})`;
}

/** Where a flush's partitioned write puts its files before they move into their partitions. */
export const FLUSH_STAGING = '.flush';

/**
 * Lists partitions, deleting temp files and files superseded by a compacted one. `set
 * aside` is asked about each file first and takes the damaged ones away (quarantine.ts), so
 * that a damaged compacted file never causes the intact files it covers to be deleted.
 */
export function scanPartitions(eventsDir: string, setAside: (path: string) => boolean = () => false): Map<string, Partition> {
  mkdirSync(eventsDir, { recursive: true });
  const out = new Map<string, Partition>();
  // A flush cut off by a crash leaves its staged files: their rows are still in the log.
  rmSync(join(eventsDir, FLUSH_STAGING), { recursive: true, force: true });
  for (const siteEntry of readdirSync(eventsDir)) {
    if (!siteEntry.startsWith('site_id=')) continue;
    const siteId = siteEntry.slice('site_id='.length);
    for (const dateEntry of readdirSync(join(eventsDir, siteEntry))) {
      if (!dateEntry.startsWith('date=')) continue;
      const date = dateEntry.slice('date='.length);
      const dir = join(eventsDir, siteEntry, dateEntry);
      const files: ColdFile[] = [];
      for (const name of readdirSync(dir)) {
        const m = FILE.exec(name);
        if (m?.[1]) {
          if (!setAside(join(dir, name))) files.push({ name, id: BigInt(m[1]), from: m[2] === undefined ? null : BigInt(m[2]) });
        } else if (name.endsWith('.tmp')) unlinkSync(join(dir, name));
      }
      const p: Partition = { siteId, date, dir, files };
      dropSuperseded(p);
      if (p.files.length === 0) rmSync(dir, { recursive: true, force: true });
      else out.set(partitionKey(siteId, date), p);
    }
  }
  return out;
}

/** Deletes files a compacted file replaces; returns their names. */
export function dropSuperseded(p: Partition): string[] {
  // Widest ranges first, so a file replaced by two compacted files is judged by the wider.
  const compacted = p.files.filter((f) => f.from !== null).sort((a, b) => cmp(b.id - (b.from ?? 0n), a.id - (a.from ?? 0n)));
  const gone = new Set<ColdFile>();
  for (const c of compacted) {
    if (gone.has(c) || c.from === null) continue;
    const lo = c.from;
    for (const f of p.files) {
      if (f === c || gone.has(f)) continue;
      if (f.id >= lo && f.id <= c.id && (f.from === null || f.from >= lo)) gone.add(f);
    }
  }
  for (const f of gone) unlinkSync(join(p.dir, f.name));
  p.files = p.files.filter((f) => !gone.has(f));
  return [...gone].map((f) => f.name);
}

const cmp = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0);

export function partitionBytes(p: Partition): number {
  return p.files.reduce((n, f) => n + statSync(join(p.dir, f.name)).size, 0);
}

const partitionRead = (p: Partition) =>
  `read_parquet([${p.files.map((f) => literal(join(p.dir, f.name))).join(', ')}], union_by_name = true, hive_partitioning = false)`;

/** The counted events of a partition's files (no engagement rows), without the engagement columns: what visits and rollups are built from. */
export function partitionEvents(p: Partition): string {
  return `(SELECT ${COUNTED_FILE_COLUMNS}, ${literal(p.siteId)} AS site_id FROM ${withEveryColumn(partitionRead(p))} WHERE ${COUNTED_ROWS})`;
}

/** Every row of a partition's files with every column (a partition rewritten whole). */
export function partitionRows(p: Partition): string {
  return `(SELECT ${FILE_COLUMNS}, ${literal(p.siteId)} AS site_id FROM ${withEveryColumn(partitionRead(p))})`;
}

/**
 * The given columns of several partitions' files in one scan, with `site_id` and `_date`
 * from the directory names: one reader for a flush's thirty days instead of thirty, each
 * holding buffers of its own.
 */
export function partitionsColumns(parts: readonly Partition[], columns: string, where = 'true'): string {
  return `(SELECT ${columns}, site_id, date AS _date FROM ${readWithDirNames(parts)} WHERE ${where})`;
}

/** A read of the partitions' files whose `site_id` and `date` columns come from the directory names. */
function readWithDirNames(parts: readonly Partition[]): string {
  const paths = parts.flatMap((p) => p.files.map((f) => literal(join(p.dir, f.name))));
  return `read_parquet([${paths.join(', ')}], hive_partitioning = true, union_by_name = true,
    hive_types = {'site_id': VARCHAR, 'date': DATE})`;
}

const QUERY_COLUMNS = COUNTED_COLUMNS.map((c) => c.name).join(', ');

/**
 * Which rows a relation of stored rows holds: the counted events (what every stats query
 * reads), the engagement rows with their columns, or every row (without the engagement columns).
 */
export type RowKind = 'counted' | 'engagement' | 'all';

/**
 * The hot rows ∪ the given partitions' files, with the same columns (site and date from the
 * directory names); with a scope, exactly the site's events in [from, to). Only the files
 * of days the range cuts and the hot rows are filtered by time: a day inside the range is
 * all in it, and evaluating the condition on each of its rows costs a quarter of a scan.
 * Engagement rows are left out unless asked for (`kind`); only their relation has their
 * columns. Columns that files of older releases lack read as NULL there (`withEveryColumn`).
 */
export function eventsRelation(
  parts: readonly Partition[],
  scope?: { siteId: string; from?: Date; to?: Date },
  kind: RowKind = 'counted',
): string {
  const ts = (d: Date) => `TIMESTAMP ${literal(timestampText(d))}`;
  const inRange = [
    ...(scope?.from ? [`timestamp >= ${ts(scope.from)}`] : []),
    ...(scope?.to ? [`timestamp < ${ts(scope.to)}`] : []),
  ];
  const rows = kind === 'counted' ? [COUNTED_ROWS] : kind === 'engagement' ? [`event_name = '${ENGAGEMENT}'`] : [];
  const where = (conds: readonly string[]) => {
    const all = [...rows, ...conds];
    return all.length > 0 ? ` WHERE ${all.join(' AND ')}` : '';
  };
  const columns = kind === 'engagement' ? COLUMN_NAMES.join(', ') : QUERY_COLUMNS;
  const hot = `SELECT ${columns} FROM ${HOT_TABLE}${where([...(scope ? [`site_id = ${literal(scope.siteId)}`] : []), ...inRange])}`;
  const whole = (p: Partition) => wholeDayIn(p.date, scope?.from, scope?.to);
  const files = (ps: readonly Partition[]) => withEveryColumn(readWithDirNames(ps));
  const read = (ps: readonly Partition[], conds: readonly string[]) =>
    ps.some((p) => p.files.length > 0) ? [`SELECT ${columns} FROM ${files(ps)}${where(conds)}`] : [];
  const cut = parts.filter((p) => !whole(p));
  return `(${[...read(parts.filter(whole), []), ...read(cut, inRange), hot].join(' UNION ALL ')})`;
}
