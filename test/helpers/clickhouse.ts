/**
 * A ClickHouse HTTP endpoint for tests: the real engine (chdb, installed by
 * scripts/test-setup.sh into a cache directory outside the project's dependencies) behind
 * clickhouse-http.ts, in a child process with its own data directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** Kept equal to CHDB_VERSION in scripts/test-setup.sh. */
export const CHDB_VERSION = '3.4.0';

export const chdbDir = () => process.env.MALLARD_CHDB_DIR ?? join(homedir(), '.cache', 'mallard-metrics', `chdb-${CHDB_VERSION}`);

export interface ClickHouseEndpoint {
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

export async function startClickHouse(): Promise<ClickHouseEndpoint> {
  const dir = chdbDir();
  if (!existsSync(join(dir, 'node_modules', 'chdb', 'package.json'))) {
    throw new Error(`ClickHouse engine (chdb) not installed in ${dir}: run scripts/test-setup.sh (npm test does)`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'mallard-clickhouse-'));
  const proc: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(import.meta.dirname, 'clickhouse-http.ts'), join(dir, 'node_modules', 'chdb'), dataDir],
    { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], cwd: join(import.meta.dirname, '../..') },
  );
  let output = '';
  proc.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    proc.stdout?.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = /listening (\d+)/.exec(seen);
      if (m) resolve(Number(m[1]));
    });
    proc.on('exit', (code) => reject(new Error(`ClickHouse helper exited (${code}):\n${output}`)));
  });
  // Nothing of the helper keeps this process alive: it ends with it (clickhouse-http.ts).
  proc.unref();
  proc.channel?.unref();
  (proc.stdout as (typeof proc.stdout & { unref?: () => void }) | null)?.unref?.();
  (proc.stderr as (typeof proc.stderr & { unref?: () => void }) | null)?.unref?.();
  return {
    url: `http://127.0.0.1:${port}`,
    dataDir,
    async stop() {
      proc.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
