/**
 * Derived builds run in a short-lived child process with a DuckDB of its own
 * (docs/ARCHITECTURE.md, "Derived tables"). Grouping a day's events into visits takes a
 * few hundred MB for a moment; inside the server, the allocator kept that memory for the
 * server's lifetime (its peak RSS at 10M events 593–621 MB, most of it after the build
 * was done). A child gives it all back when it exits, cannot take the server down if the
 * engine fails on a damaged file, and is bounded by the same memory limit.
 */
import { fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlValue } from '../storage.js';

export interface BuildJob {
  /** Run in order on one connection; the job fails at the first that fails. */
  statements: { sql: string; params?: readonly SqlValue[] }[];
  /** DuckDB's memory_limit for the child (default: the engine's own default). */
  memoryLimit?: string;
  /** Worker threads (0 or absent: one per core). */
  threads?: number;
  /** Where the child's engine spills; removed when the child is done. */
  tempDirectory: string;
}

export type BuildReply = { ok: true; peakRssBytes: number } | { ok: false; message: string };

const CHILD = fileURLToPath(new URL(`./build-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
// Run from the TypeScript sources (the unit tests), the child needs the same loader.
const EXEC_ARGV = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];
/** How much of the child's stderr an error keeps (an engine that aborts says why there). */
const STDERR_KEPT = 2048;

/**
 * Runs a build's statements in a child process; resolves with the child's peak RSS, or
 * rejects with the engine's error (its message as the engine wrote it, so callers can tell
 * a damaged file or a full disk) or with how the child ended. `signal` kills it.
 */
export function runBuild(job: BuildJob, signal?: AbortSignal): Promise<{ peakRssBytes: number }> {
  mkdirSync(job.tempDirectory, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      execArgv: EXEC_ARGV,
      serialization: 'advanced', // bigint parameters
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      signal,
      killSignal: 'SIGKILL',
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
    });
    let reply: BuildReply | undefined;
    child.on('message', (m: BuildReply) => {
      reply = m;
    });
    child.on('error', () => undefined); // the exit below reports it (an abort, a failed spawn)
    child.on('close', (code, sig) => {
      rmSync(job.tempDirectory, { recursive: true, force: true });
      if (reply?.ok) resolve({ peakRssBytes: reply.peakRssBytes });
      else if (reply) reject(new Error(reply.message));
      else {
        const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
        reject(new Error(`the derived-build process ${how}${stderr ? `: ${stderr.trim()}` : ''}`));
      }
    });
    child.send(job);
  });
}
