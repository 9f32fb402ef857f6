/**
 * The rollup rows of the days queries asked for, kept in an in-memory table: opening and
 * decoding 30 small Parquet files costs about 20 ms per query, the table answers in a few.
 * The sets kept out of memory (DerivedTables.uncachedPrefix) are read from the files instead.
 * Rows are added inside reads (one load at a time), and removed only under the store's
 * derived lock held exclusively — when a day's derived files change, at retention, or when
 * the table outgrows its bound — so a running query never loses rows it reads.
 */

import { type Database, literal } from './database.js';

export const ROLLUP_CACHE = 'hot.rollups';

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
      await this.db.run(`CREATE TABLE IF NOT EXISTS ${ROLLUP_CACHE} AS SELECT * FROM ${rollupRows(missing)} LIMIT 0`);
      this.created = true;
    }
    const kept = this.uncachedPrefix ? ` WHERE NOT starts_with(dim, ${literal(this.uncachedPrefix)})` : '';
    const [row] = await this.db.all<{ Count: bigint }>(
      `INSERT INTO ${ROLLUP_CACHE} SELECT * FROM ${rollupRows(missing)}${kept} ORDER BY dim, site_id, day`,
    );
    this.rows += Number(row?.Count ?? 0);
    for (const f of missing) this.loaded.set(key(f.siteId, f.date), f.id);
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
