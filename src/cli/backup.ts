/**
 * The `backup` and `restore` commands (main.ts dispatches; storage/duckdb/backup.ts does
 * the work).
 *
 * `backup <dir>`: when a server answers at the configured address (host, port), the command
 * asks it (`POST /api/admin/backup`) with an admin credential (server.ts `asAdmin`). When
 * nothing listens there, it opens the data directory itself and does the same.
 *
 * `restore <dir>`: refuses while a server answers at the configured address or any process
 * holds the data directory's metadata database, and, without `--force`, when the data
 * directory already holds anything.
 *
 * Exit codes: 0 done, 1 refused or failed (one line on stderr), 2 wrong usage.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Config } from '../config.js';
import { type BackupSummary, createBackup, METADATA_FILE, readBackup, restoreBackup } from '../storage/duckdb/backup.js';
import { CliError, parseArgs, usageError } from './args.js';
import { openDataDir } from './data-dir.js';
import { asAdmin, call, errorOf, serverAt, serverUrl } from './server.js';

export async function backupCommand(argv: readonly string[], config: Config): Promise<void> {
  const { positional } = parseArgs(argv, false);
  if (positional.length !== 1) throw usageError('backup needs one directory');
  const dir = resolve(positional[0] ?? '');
  const url = serverUrl(config);
  const server = url === null ? 'none' : await serverAt(url);
  if (server === 'other') throw new CliError(`${url} answers, but not as a Mallard Metrics server (GET /health)`);
  const summary =
    url !== null && server === 'mallard' ? await backupViaServer(url, config, dir) : await backupHere(config, dir, url);
  process.stdout.write(
    `backup written to ${summary.dir}: ${summary.events} events, ${summary.files} files, ${summary.bytes} bytes (as of ${summary.created_at})\n`,
  );
}

async function backupViaServer(url: string, config: Config, dir: string): Promise<BackupSummary> {
  return asAdmin(url, config, 'backup', async (auth) => {
    const r = await call(`${url}/api/admin/backup`, { method: 'POST', headers: auth, json: { dir } });
    if (r.status !== 201) throw new CliError(`the server at ${url} did not make the backup: ${errorOf(r)}`);
    return JSON.parse(r.text) as BackupSummary;
  });
}

/** No server answers: the command opens the data directory itself (and fails if another process holds it). */
async function backupHere(config: Config, dir: string, url: string | null): Promise<BackupSummary> {
  if (!existsSync(join(config.data_dir, METADATA_FILE))) {
    throw new CliError(`nothing to back up: ${resolve(config.data_dir)} has no ${METADATA_FILE}`);
  }
  const store = await openDataDir(config, url, 'backup');
  try {
    return await createBackup(store, config.data_dir, dir);
  } finally {
    await store.close();
  }
}

export async function restoreCommand(argv: readonly string[], config: Config): Promise<void> {
  const { positional, force } = parseArgs(argv, true);
  if (positional.length !== 1) throw usageError('restore needs one directory');
  const dir = resolve(positional[0] ?? '');
  readBackup(dir); // a damaged backup is refused before anything else is looked at
  const url = serverUrl(config);
  if (url !== null && (await serverAt(url).catch(() => 'none')) === 'mallard') {
    throw new CliError(`a server is running at ${url}; stop it before restoring`);
  }
  const summary = await restoreBackup(dir, config.data_dir, force);
  process.stdout.write(
    `restored ${summary.events} events (${summary.files} files, ${summary.bytes} bytes) into ${resolve(config.data_dir)}\n`,
  );
}
