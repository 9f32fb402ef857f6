/**
 * The derived-build child process (build-process.ts): runs one job's statements, in order,
 * in a DuckDB of its own, answers with its peak memory or the engine's error, and exits.
 */
import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import type { BuildJob, BuildReply } from './build-process.js';

async function run(job: BuildJob): Promise<BuildReply> {
  const options: Record<string, string> = { temp_directory: job.tempDirectory, enable_external_file_cache: 'false' };
  if (job.memoryLimit) options.memory_limit = job.memoryLimit;
  if (job.threads) options.threads = String(job.threads);
  const instance = await DuckDBInstance.create(':memory:', options);
  const c = await instance.connect();
  for (const s of job.statements) await c.run(s.sql, s.params as DuckDBValue[]);
  c.closeSync();
  instance.closeSync();
  // maxRSS is in kilobytes.
  return { ok: true, peakRssBytes: process.resourceUsage().maxRSS * 1024 };
}

// A server killed (even with -9) closes the channel: its build is of no use to anyone.
process.once('disconnect', () => process.exit(1));

process.once('message', (job: BuildJob) => {
  run(job)
    .catch((err: unknown): BuildReply => ({ ok: false, message: err instanceof Error ? err.message : String(err) }))
    .then((reply) => process.send?.(reply, () => process.exit(0)));
});
