import { openTestDuckDbStore } from '../helpers/duckdb-store.js';
import { eventStoreContract } from './event-store.cases.js';

eventStoreContract('duckdb', (dataDir) => openTestDuckDbStore(dataDir));
