/**
 * The derived-build child process (build-process.ts): opens a DuckDB of its own with the
 * settings in its first argument, says it is ready, runs the one job it is sent (statements,
 * in order), answers with its peak memory or the engine's error, and exits.
 */
import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { BuildMessage, BuildSettings, BuildStatements } from './build-process.js';
import { engineOptions } from './engine-options.js';

// A server killed (even with -9) closes the channel: its build is of no use to anyone.
process.once('disconnect', () => process.exit(1));

const send = (m: BuildMessage) => new Promise<void>((resolve) => process.send?.(m, () => resolve()));
const failure = (err: unknown): BuildMessage => ({ ok: false, message: err instanceof Error ? err.message : String(err) });

async function main(): Promise<void> {
  const settings = JSON.parse(process.argv[2] ?? '{}') as BuildSettings;
  const options = engineOptions(settings);
  let instance: DuckDBInstance;
  try {
    instance = await DuckDBInstance.create(':memory:', options);
  } catch (err) {
    await send(failure(err));
    process.exit(0);
  }
  const c = await instance.connect();
  const job = new Promise<BuildStatements>((resolve) => process.once('message', resolve));
  await send({ ready: true });
  let reply: BuildMessage;
  try {
    for (const s of await job) await c.run(s.sql, s.params as DuckDBValue[]);
    // maxRSS is in kilobytes.
    reply = { ok: true, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
  } catch (err) {
    reply = failure(err);
  }
  c.closeSync();
  instance.closeSync();
  await send(reply);
  process.exit(0);
}

void main();
