/** The embedded store as storage tests open it: no flush, compaction or retention of its own, fsync off. */
import pino from 'pino';
import { DuckDbEventStore } from '../../src/storage/duckdb/event-store.js';

export type DuckDbStoreOptions = Parameters<typeof DuckDbEventStore.open>[0];

export function openTestDuckDbStore(dataDir: string, extra: Partial<DuckDbStoreOptions> = {}): Promise<DuckDbEventStore> {
  return DuckDbEventStore.open({
    dataDir,
    walFsync: false,
    sessionTimeoutSecs: 1800,
    compactMinFiles: 100,
    retentionDays: 0,
    flushCount: 0,
    log: pino({ level: 'silent' }),
    ...extra,
  });
}
