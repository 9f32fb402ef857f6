import pino from 'pino';
import { afterAll } from 'vitest';
import { ClickHouseEventStore } from '../../src/storage/clickhouse/event-store.js';
import { type ClickHouseEndpoint, startClickHouse } from '../helpers/clickhouse.js';
import { eventStoreContract } from './event-store.cases.js';

let endpoint: Promise<ClickHouseEndpoint> | undefined;
afterAll(async () => (await endpoint)?.stop());

eventStoreContract('clickhouse', async (dataDir, shared) => {
  endpoint ??= startClickHouse();
  return ClickHouseEventStore.open({
    dataDir,
    clickhouse: { url: (await endpoint).url, database: shared },
    walFsync: false,
    sessionTimeoutSecs: 1800,
    flushCount: 0,
    log: pino({ level: 'silent' }),
  });
});
