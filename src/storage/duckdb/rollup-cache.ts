/**
 * The rollup rows of the days queries asked for, kept in an in-memory table: opening and
 * decoding 30 small Parquet files costs about 20 ms per query, the table answers in a few.
 * The sets kept out of memory (DerivedTables.uncachedPrefix) are read from the files instead.
 * A query reads a few of ~40 sets, found by an integer (the hash of the set's name):
 * comparing the names of every row of the site cost 4–10 ms per query, the integer 1–2 ms.
 * Rows are added inside reads (one load at a time), and removed only under the store's
 * derived lock held exclusively — when a day's derived files change, at retention, or when
 * the table outgrows its bound — so a running query never loses rows it reads.
 *
 * Memory: the table lives in an in-memory database of its own, checkpointed after each
 * load, which stores it compressed (30 days of a 10M-event site: 90 → 9 MB), and its rows
 * are not sorted: sorting 556k rows at the first query cost ~80 MB more, which the process
 * kept, and finding a set's rows by its hash in the compressed column takes 1–2 ms sorted
 * or not.
 */

import { type Database, literal } from './database.js';

const CACHE_DB = 'rollup_cache';
const ROLLUP_CACHE = `${CACHE_DB}.rollups`;

export interface RollupFile {
  siteId: string;
  date: string;
  id: bigint;
  path: string;
}

const key = (siteId: string, date: string) => `${siteId}\u0000${date}`;

/**
 * The rows of rollup files with `site_id` and `day` first (the cache's columns): each file is
 * one site's day, named by its directory (derived/site_id=…/date=…/).
 */
export function rollupRows(files: readonly RollupFile[]): string {
  if (files.length === 0) throw new Error('rollup rows asked for days without derived files');
  return `(SELECT site_id::VARCHAR AS site_id, date::DATE AS day, * EXCLUDE (site_id, date)
    FROM read_parquet([${files.map((f) => literal(f.path)).join(', ')}], hive_partitioning = true, hive_types_autocast = false))`;
}

/** The rows of the given sets in rollup files (their rows are sorted by set: row groups of other sets are skipped). */
export function setsOfFiles(files: readonly RollupFile[], sets: readonly string[]): string {
  return `(SELECT * FROM ${rollupRows(files)} WHERE dim IN (${setList(sets)}))`;
}

const setList = (sets: readonly string[]) => (sets.length > 0 ? sets.map(literal).join(', ') : 'NULL');

export class RollupCache {
  /** Loaded days → the derived id their rows came from. */
  private readonly loaded = new Map<string, bigint>();
  private rows = 0;
  private created = false;
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly db: Database,
    /** Rows of the sets whose `dim` starts with this stay in the files (DerivedTables.uncachedPrefix). */
    private readonly uncachedPrefix: string,
    private readonly maxRows = 1_000_000,
  ) {}

  /** Whether the day's rows from derived id `id` are in the table. */
  has(siteId: string, date: string, id: bigint): boolean {
    return this.loaded.get(key(siteId, date)) === id;
  }

  /** Loads the files of days not loaded yet. Under the read lock. */
  ensure(files: readonly RollupFile[]): Promise<void> {
    const run = this.chain.then(() => this.load(files));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async load(files: readonly RollupFile[]): Promise<void> {
    const missing = files.filter((f) => !this.loaded.has(key(f.siteId, f.date)));
    if (missing.length === 0) return;
    if (!this.created) {
      await this.db.run(`ATTACH IF NOT EXISTS ':memory:' AS ${CACHE_DB}`);
      await this.db.run(
        `CREATE TABLE IF NOT EXISTS ${ROLLUP_CACHE} AS SELECT hash(dim) AS dim_hash, * FROM ${rollupRows(missing)} LIMIT 0`,
      );
      this.created = true;
    }
    const kept = this.uncachedPrefix ? ` WHERE NOT starts_with(dim, ${literal(this.uncachedPrefix)})` : '';
    const [row] = await this.db.all<{ Count: bigint }>(
      `INSERT INTO ${ROLLUP_CACHE} SELECT hash(dim), * FROM ${rollupRows(missing)}${kept}`,
    );
    this.rows += Number(row?.Count ?? 0);
    // Compresses what was added. Should the engine refuse (a transaction of another query in
    // the way), the rows stay uncompressed until the next load: no reason to fail this query.
    await this.db.run(`CHECKPOINT ${CACHE_DB}`).catch(() => undefined);
    for (const f of missing) this.loaded.set(key(f.siteId, f.date), f.id);
  }

  /**
   * The table's rows of these sets: one branch per set, each an equality on the hash (which
   * the engine checks against each row group's range) and on the name (hashes may collide).
   * Set names are the query layer's constants, never client input.
   */
  relation(sets: readonly string[]): string {
    const unique = [...new Set(sets)];
    if (unique.length === 0) return `(SELECT * EXCLUDE (dim_hash) FROM ${ROLLUP_CACHE} WHERE false)`;
    const branch = (set: string) =>
      `SELECT * EXCLUDE (dim_hash) FROM ${ROLLUP_CACHE} WHERE dim_hash = hash(${literal(set)}) AND dim = ${literal(set)}`;
    return `(${unique.map(branch).join(' UNION ALL ')})`;
  }

  /** Forgets a day whose derived files changed or were deleted. Caller holds the derived lock exclusively. */
  async evict(siteId: string, date: string): Promise<void> {
    if (!this.loaded.delete(key(siteId, date))) return;
    await this.db.run(`DELETE FROM ${ROLLUP_CACHE} WHERE site_id = $1 AND day = $2::DATE`, [siteId, date]);
  }

  /** Empties the table once it holds more than its bound. Caller holds the derived lock exclusively. */
  async trim(): Promise<void> {
    if (this.rows <= this.maxRows) return;
    await this.db.run(`DELETE FROM ${ROLLUP_CACHE}`);
    this.loaded.clear();
    this.rows = 0;
  }
}
