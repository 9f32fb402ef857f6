/**
 * What the embedded store's modules share: the engine, the hot table, the partitions, the
 * two locks and the derived tier. event-store.ts owns them and orders the steps; reads.ts,
 * damaged-files.ts and maintenance.ts each do one job with them.
 */
import type { Logger } from 'pino';
import type { RwLock } from '../rw-lock.js';
import type { Database } from './database.js';
import type { Deriver } from './deriver.js';
import type { HotTable } from './hot-table.js';
import type { PartitionIndex } from './partition-index.js';
import type { Quarantine } from './quarantine.js';
import type { RollupCache } from './rollup-cache.js';

export interface StoreParts {
  readonly db: Database;
  readonly hot: HotTable;
  readonly partitions: PartitionIndex;
  /**
   * Partition files and hot rows: shared by reads, exclusive while a flush, compaction,
   * retention or a set-aside renames or deletes files.
   */
  readonly lock: RwLock;
  /** Derived files and cached rollup rows (see reads.ts); taken inside `lock` when both are. */
  readonly derivedLock: RwLock;
  readonly rollupCache: RollupCache;
  readonly quarantine: Quarantine;
  /** Per-partition visits and rollups; null when the store keeps none. */
  deriver: Deriver | null;
  readonly dataDir: string;
  readonly log: Logger;
}
