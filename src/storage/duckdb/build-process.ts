/**
 * Derived builds run in a short-lived child process with a DuckDB of its own
 * (docs/ARCHITECTURE.md, "Build process"). Grouping a day's events into visits takes a
 * few hundred MB for a moment; inside the server, the allocator kept that memory for the
 * server's lifetime (its peak RSS at 10M events 593–621 MB, most of it after the build
 * was done). A child gives it all back when it exits, cannot take the server down if the
 * engine fails on a damaged file, and is bounded by the same memory limit.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { SqlValue } from '../storage.js';
import type { EngineSettings } from './engine-options.js';

/** The child's engine: its memory limit, threads and where it spills (removed when the child is done). */
export type BuildSettings = EngineSettings;

/** Run in order on one connection; the job fails at the first that fails. */
export type BuildStatements = { sql: string; params?: readonly SqlValue[] }[];

/** What the child says: ready (its engine is open), or how the job went. */
export type BuildMessage = { ready: true } | { ok: true; peakRssBytes: number } | { ok: false; message: string };

const CHILD = fileURLToPath(new URL(`./build-child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url));
// Run from the TypeScript sources (the unit tests), the child needs the same loader.
const EXEC_ARGV = import.meta.url.endsWith('.ts') ? ['--import', 'tsx'] : [];
/** How much of the child's stderr an error keeps (an engine that aborts says why there). */
const STDERR_KEPT = 2048;

/**
 * One build process: started (Node and the engine loaded) before the build waits for its
 * turn, so the turn is not held while a process starts; then given one job, after which
 * it exits. `signal` kills it.
 */
export class BuildProcess {
  private stderr = '';
  private readonly ended: Promise<string>;
  private readonly messages: BuildMessage[] = [];
  private notify: (() => void) | null = null;

  private constructor(
    private readonly child: ChildProcess,
    settings: BuildSettings,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_KEPT);
    });
    child.on('message', (m: BuildMessage) => {
      this.messages.push(m);
      this.notify?.();
    });
    child.on('error', () => undefined); // the exit below reports it (an abort, a failed spawn)
    this.ended = new Promise((resolve) => {
      child.on('close', (code, sig) => {
        rmSync(settings.tempDirectory, { recursive: true, force: true });
        const how = sig ? `was killed by ${sig}` : `exited with code ${code}`;
        resolve(`the derived-build process ${how}${this.stderr ? `: ${this.stderr.trim()}` : ''}`);
        this.notify?.();
      });
    });
  }

  /** Starts a process and waits until its engine is open. */
  static async start(settings: BuildSettings, signal?: AbortSignal): Promise<BuildProcess> {
    mkdirSync(settings.tempDirectory, { recursive: true });
    const child = fork(CHILD, [JSON.stringify(settings)], {
      execArgv: EXEC_ARGV,
      serialization: 'advanced', // bigint parameters
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      signal,
      killSignal: 'SIGKILL',
    });
    const p = new BuildProcess(child, settings);
    const first = await p.next().catch(async (err: unknown) => {
      await p.close();
      throw err;
    });
    if ('ready' in first) return p;
    await p.close();
    // The engine did not open (e.g. a memory limit it cannot parse).
    throw new Error(first.ok ? 'the derived-build process answered before it was asked' : first.message);
  }

  /**
   * Runs the statements; resolves with the process's peak RSS, or rejects with the engine's
   * error (its message as the engine wrote it, so callers can tell a damaged file or a full
   * disk) or with how the process ended.
   */
  async run(statements: BuildStatements): Promise<{ peakRssBytes: number }> {
    this.child.send(statements);
    const reply = await this.next();
    if ('ready' in reply) throw new Error('the derived-build process said it was ready twice');
    if (!reply.ok) throw new Error(reply.message);
    return { peakRssBytes: reply.peakRssBytes };
  }

  /** Ends the process if it is still running (a job it never got); resolves once it is gone. */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.ended;
  }

  /** The next message, or a rejection saying how the process ended before sending one. */
  private async next(): Promise<BuildMessage> {
    for (;;) {
      const m = this.messages.shift();
      if (m) return m;
      const gone = await Promise.race([
        this.ended,
        new Promise<null>((resolve) => {
          this.notify = () => resolve(null);
        }),
      ]);
      this.notify = null;
      if (gone !== null && this.messages.length === 0) throw new Error(gone);
    }
  }
}

/** Starts a build process, runs one job in it and waits until it has exited. */
export async function runBuild(
  statements: BuildStatements,
  settings: BuildSettings,
  signal?: AbortSignal,
): Promise<{ peakRssBytes: number }> {
  const p = await BuildProcess.start(settings, signal);
  try {
    return await p.run(statements);
  } finally {
    await p.close();
  }
}
