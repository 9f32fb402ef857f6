import pino from 'pino';
import { DuckDbEventStore } from '../../src/storage/duckdb/event-store.js';
import { eventStoreContract } from './event-store.cases.js';

eventStoreContract('duckdb', (dataDir) =>
  DuckDbEventStore.open({
    dataDir,
    walFsync: false,
    sessionTimeoutSecs: 1800,
    compactMinFiles: 100,
    retentionDays: 0,
    flushCount: 0,
    log: pino({ level: 'silent' }),
  }),
);
