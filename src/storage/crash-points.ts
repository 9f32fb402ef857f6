/**
 * Named steps of the write path where a crash can land (docs/ARCHITECTURE.md, "Crash
 * points"). The crash tests make the process kill itself at one of them and then check,
 * after a restart, that every acknowledged event is stored exactly once.
 *
 * Armed only when `NODE_ENV=test` and `MALLARD_CRASH_AT=<point>[:<n>]` (die the n-th time the
 * point is reached, default the first): a production process never reads the variable.
 */
export const CRASH_POINTS = [
  /** Rows written to the log with write(2), not yet acknowledged. */
  'wal.written',
  /** A flush has started a new log segment; nothing else has happened yet. */
  'wal.rotated',
  /** A flush's temp Parquet files are written, none renamed into place. */
  'flush.temp-written',
  /** One of a flush's files is renamed into place, the others are not. */
  'flush.renamed-one',
  /** A file replacing others (compaction, visit rewrite) is in place; the files it replaces are not yet deleted. */
  'install.before-drop',
  /** Every file of a flush is in place; its rows are still in the hot table. */
  'flush.installed',
  /** The flushed rows left the hot table; their log segments are not yet deleted. */
  'flush.hot-deleted',
  /** One of the flushed log segments is deleted, the others are not. */
  'wal.released-one',
  /** A compaction's merged temp file is written, not renamed. */
  'compaction.temp-written',
  /** A partition past the retention period is deleted, others not yet. */
  'retention.deleted-one',
  /** A partition's derived visits file is in place, its rollup not yet. */
  'derived.visits-renamed',
  /** Both derived files are in place; the stale ones are not yet deleted. */
  'derived.rollup-renamed',
  /** An import's batch is in the log; the checkpoint that says so is not written yet (ingest/import). */
  'import.appended',
  /** An upload's batch is in the log; the record of the upload's stored events does not count it yet (ingest/import/upload-jobs.ts). */
  'import.upload-appended',
  /** ClickHouse: an insert of a shipment is accepted; its log segment is not yet deleted. */
  'clickhouse.inserted',
  /** ClickHouse: a day's visit rows and some of its rollup rows are inserted under a new build; the build is not recorded yet. */
  'clickhouse.rollups-inserted',
] as const;

/** The points the ClickHouse store's write path passes (the others are the embedded store's). */
export const CLICKHOUSE_CRASH_POINTS: readonly CrashPoint[] = [
  'wal.written',
  'wal.rotated',
  'clickhouse.inserted',
  'clickhouse.rollups-inserted',
];

export type CrashPoint = (typeof CRASH_POINTS)[number];

function armed(): { point: CrashPoint; left: number } | null {
  const spec = process.env.NODE_ENV === 'test' ? process.env.MALLARD_CRASH_AT : undefined;
  if (!spec) return null;
  const [point, nth] = spec.split(':');
  if (!CRASH_POINTS.includes(point as CrashPoint)) throw new Error(`MALLARD_CRASH_AT: unknown crash point "${point}"`);
  const left = nth === undefined ? 1 : Number.parseInt(nth, 10);
  if (!Number.isInteger(left) || left < 1) throw new Error(`MALLARD_CRASH_AT: "${nth}" is not a positive count`);
  return { point: point as CrashPoint, left };
}

const trap = armed();

/** Dies here, as `kill -9` would, when the tests armed this point. */
export function crashPoint(point: CrashPoint): void {
  if (trap?.point !== point || --trap.left > 0) return;
  process.stderr.write(`crash point ${point}: killing the process\n`);
  process.kill(process.pid, 'SIGKILL');
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10_000); // never returns into the step
}

/**
 * Steps a test can make fail instead: `hot.append` throws (the engine refusing rows it cannot
 * hold); `hot.short-commit` makes a load into the hot table commit without its last row (the
 * engine reporting success for a commit that lost rows, as seen under memory pressure);
 * `derived.build` makes a derived build fail (as a build refused for memory does).
 */
export type FailPoint = 'hot.append' | 'hot.short-commit' | 'derived.build';
const failures = new Map<FailPoint, number>();

/** Starts counting the times each fail point is reached afresh (a test arming one, in a process that ran others). */
export function resetFailPoints(): void {
  failures.clear();
}

/**
 * True here when `NODE_ENV=test` and `MALLARD_FAIL_AT=<point>[:<n>][,…]` names this point
 * (the n-th time it is reached, default the first; `*`: every time). Read at each call, so a
 * test can arm it.
 */
export function failing(point: FailPoint): boolean {
  const specs = process.env.NODE_ENV === 'test' ? (process.env.MALLARD_FAIL_AT ?? '') : '';
  const spec = specs.split(',').find((s) => s.split(':')[0] === point);
  if (!spec) return false;
  const n = (failures.get(point) ?? 0) + 1;
  failures.set(point, n);
  const nth = spec.split(':')[1] ?? '1';
  return nth === '*' || n === Number.parseInt(nth, 10);
}

/** Throws here when the tests armed this point (see `failing`). */
export function failPoint(point: FailPoint): void {
  if (failing(point)) throw new Error(`fail point ${point}`);
}
