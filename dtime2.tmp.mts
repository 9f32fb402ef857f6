import { DuckDBInstance } from '@duckdb/node-api';
import { derivedTables } from './dist/query/derived-tables.js';
const inst = await DuckDBInstance.create(':memory:', { threads: '2', memory_limit: '600MB', temp_directory: '/tmp/duckspill' });
const c = await inst.connect();
const day = '2026-11-10';
const file = `read_parquet('/work/devdata10m/events/site_id=bench.example/date=${day}/*.parquet')`;
let events = file;
let s = performance.now();
if (process.env.MAT) {
  await c.run(`CREATE TEMP TABLE derive_events AS SELECT * FROM ${file}`);
  events = 'derive_events';
  console.log('materialize', (performance.now() - s).toFixed(0));
}
s = performance.now();
await c.run(`CREATE TEMP TABLE derive_visits AS ${derivedTables.visits(events)}`);
console.log('visits', (performance.now() - s).toFixed(0));
const parts = derivedTables.rollup(events, 'derive_visits', 'bench.example', day);
s = performance.now();
for (const [i, p] of parts.entries()) await c.run(`${i === 0 ? 'CREATE TEMP TABLE r AS' : 'INSERT INTO r'} ${p.text}`, p.params as never);
console.log('rollup total', (performance.now() - s).toFixed(0), 'rss', Math.round(process.memoryUsage().rss / 1048576));
