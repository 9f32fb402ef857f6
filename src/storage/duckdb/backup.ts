/**
 * Backups of a data directory: `createBackup` makes a consistent copy of the events, the
 * derived tables (visits, rollups) and the metadata database while the store runs;
 * `restoreBackup` checks one and copies it into a data directory no server is using.
 *
 * A backup directory has the data directory's own layout, so a restore is a copy:
 *
 *   events/site_id=<site>/date=<day>/<id>[.c<from>].parquet
 *   derived/site_id=<site>/date=<day>/{visits,rollup}.<id>.f<format>.parquet
 *   mallard.duckdb      sites, share links, API keys (hashes), settings (secret, password hash)
 *   backup.json         the manifest (format version, time, event count, every file and its
 *                       size), written last: a directory without it is an unfinished backup
 *
 * Consistency. The store flushes first, so every event acknowledged before the backup began
 * is in a Parquet file. Then, holding the store's locks shared (no flush, compaction,
 * rewrite, retention or derived build renames or deletes a file meanwhile), every current
 * file is hard-linked into a staging directory inside the data directory: milliseconds, so a
 * flush waiting for the lock, and the queries behind it, are not held up by a long copy.
 * Parquet files are never changed once in place (they are only replaced by new files and
 * deleted), so a link is a frozen copy; the staged files are then linked (same file system)
 * or copied into the target outside the lock. The metadata database is copied by DuckDB's
 * `COPY FROM DATABASE` in one transaction (a consistent snapshot while keys and sites
 * change) into a new database file of the target.
 *
 * No write-ahead log segment is copied: after the flush, the log holds only events
 * acknowledged after the backup began. The backup is a snapshot as of its start: an event
 * acknowledged later is not in it (unless a flush of the server's own took it to Parquet
 * before the files were linked).
 */
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { z } from 'zod';
import { conflict, DomainError, invalidInput, unavailable } from '../../errors.js';
import { VERSION } from '../../version.js';
import { type Database, literal } from './database.js';
import { SCHEMA_VERSION } from './migrations.js';

export const MANIFEST = 'backup.json';
export const METADATA_FILE = 'mallard.duckdb';
const FORMAT = 'mallard-metrics-backup';
const FORMAT_VERSION = 1;
/** Staging directories inside the data directory (one per running backup or restore). */
const BACKUP_STAGING = 'backup-staging-';
const RESTORE_STAGING = 'restore-staging-';

/**
 * What a manifest may name: the metadata database, or a Parquet file of the events or the
 * derived tier. Site ids never hold `/` (site-id.ts), so no path leaves the directory.
 */
const BACKUP_PATH =
  /^(?:mallard\.duckdb|(?:events|derived)\/site_id=[a-z0-9._-]+\/date=\d{4}-\d{2}-\d{2}\/[A-Za-z0-9.]+\.parquet)$/;

const manifestSchema = z.object({
  format: z.literal(FORMAT),
  version: z.number().int(),
  app_version: z.string(),
  created_at: z.string(),
  events: z.number().int().min(0),
  files: z.array(
    z.strictObject({ path: z.string().regex(BACKUP_PATH, 'not a file a backup holds'), bytes: z.number().int().min(0) }),
  ),
});
export type Manifest = z.infer<typeof manifestSchema>;

export interface BackupSummary {
  dir: string;
  created_at: string;
  events: number;
  files: number;
  bytes: number;
}

/** What a backup needs of the store (DuckDbEventStore). */
export interface BackupSource {
  readonly db: Database;
  withCurrentFiles<T>(fn: (files: readonly string[]) => Promise<T>): Promise<T>;
}

const running = new WeakSet<BackupSource>();

/**
 * Copies the store's data to `target`: an absolute path, outside the data directory, that
 * does not exist yet or is an empty directory. A failed backup removes what it wrote.
 */
export async function createBackup(store: BackupSource, dataDir: string, target: string): Promise<BackupSummary> {
  const dir = checkTarget(target, dataDir);
  if (running.has(store)) throw conflict('a backup is already running');
  running.add(store);
  const created = !existsSync(dir);
  const staging = join(dataDir, `${BACKUP_STAGING}${process.pid}`);
  try {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      throw invalidInput(`dir: cannot create ${dir} (${errorCode(err)})`);
    }
    for (const name of readdirSync(dataDir)) {
      if (name.startsWith(BACKUP_STAGING)) rmSync(join(dataDir, name), { recursive: true, force: true }); // an interrupted backup's
    }
    const createdAt = new Date().toISOString();
    const parquet = await store.withCurrentFiles(async (files) =>
      files.map((file) => {
        const rel = relative(dataDir, file).split(sep).join('/');
        if (!BACKUP_PATH.test(rel)) throw new Error(`unexpected file in the data directory: ${file}`);
        place(file, join(staging, rel));
        return rel;
      }),
    );
    // Counted in the staging directory: DuckDB would read glob characters in the target's path as a pattern.
    const events = await countEvents(
      (sql) => store.db.all<{ n: bigint }>(sql),
      parquet.filter((p) => p.startsWith('events/')).map((p) => join(staging, p)),
    );
    for (const rel of parquet) place(join(staging, rel), join(dir, rel));
    rmSync(staging, { recursive: true, force: true });
    await copyMetadata(store.db, join(dir, METADATA_FILE));

    const paths = [...parquet, METADATA_FILE];
    const files = paths.map((path) => ({ path, bytes: statSync(join(dir, path)).size }));
    for (const path of paths) syncPath(join(dir, path));
    const manifest: Manifest = {
      format: FORMAT,
      version: FORMAT_VERSION,
      app_version: VERSION,
      created_at: createdAt,
      events,
      files,
    };
    writeFileSync(join(dir, `${MANIFEST}.tmp`), `${JSON.stringify(manifest, null, 2)}\n`);
    syncPath(join(dir, `${MANIFEST}.tmp`));
    const dirs = new Set<string>();
    for (const p of paths) for (let d = dirname(join(dir, p)); d !== dir; d = dirname(d)) dirs.add(d);
    for (const d of dirs) syncPath(d);
    renameSync(join(dir, `${MANIFEST}.tmp`), join(dir, MANIFEST));
    syncPath(dir);
    return { dir, created_at: createdAt, events, files: files.length, bytes: files.reduce((n, f) => n + f.bytes, 0) };
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (created) rmSync(dir, { recursive: true, force: true });
    else
      for (const name of ['events', 'derived', METADATA_FILE, `${METADATA_FILE}.wal`, `${MANIFEST}.tmp`])
        rmSync(join(dir, name), { recursive: true, force: true });
    throw fsRefusal(err, dir);
  } finally {
    running.delete(store);
  }
}

/** The target as an absolute path, or a 400 saying why it cannot be one. */
function checkTarget(target: string, dataDir: string): string {
  if (target.length === 0) throw invalidInput('dir: required');
  if (target.includes('\0')) throw invalidInput('dir: not a valid path');
  if (!isAbsolute(target)) throw invalidInput('dir: must be an absolute path');
  const dir = resolve(target);
  try {
    const real = realPath(dir);
    const data = realpathSync(dataDir);
    if (within(real, data)) throw invalidInput('dir: must not be inside the data directory');
    if (within(data, real)) throw invalidInput('dir: must not contain the data directory');
    if (!existsSync(dir)) return dir; // created by the backup
    if (!statSync(dir).isDirectory()) throw invalidInput(`dir: ${dir} exists and is not a directory`);
    if (readdirSync(dir).length > 0) throw invalidInput(`dir: ${dir} exists and is not empty`);
    return dir;
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw invalidInput(`dir: cannot use ${dir} (${errorCode(err) || 'unreadable'})`);
  }
}

/** `path` with symbolic links resolved, for the part of it that exists. */
function realPath(path: string): string {
  const rest: string[] = [];
  let at = path;
  while (!existsSync(at) && dirname(at) !== at) {
    rest.unshift(basename(at));
    at = dirname(at);
  }
  return join(realpathSync(at), ...rest);
}

/** Whether `path` is `parent` or lies below it. */
function within(path: string, parent: string): boolean {
  const rel = relative(parent, path);
  return rel === '' || (rel.split(sep)[0] !== '..' && !isAbsolute(rel));
}

/** Hard-links `src` to `dst`, or copies it where the file system cannot link there. */
function place(src: string, dst: string): void {
  mkdirSync(dirname(dst), { recursive: true });
  try {
    linkSync(src, dst);
  } catch (err) {
    if (!['EXDEV', 'EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EMLINK', 'ENOSYS'].includes(errorCode(err))) throw err;
    copyFileSync(src, dst, constants.COPYFILE_EXCL);
  }
}

/** Writes `path` (a file or a directory) through to the disk. */
function syncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Copies the open metadata database into a new database file, in one transaction. The path
 * is the checked target's; `literal` doubles its quotes, which is all a DuckDB string needs.
 */
async function copyMetadata(db: Database, path: string): Promise<void> {
  await db.with(async (c) => {
    const name = String((await c.runAndReadAll('SELECT current_database() AS d')).getRowObjectsJS()[0]?.d);
    await c.run(`ATTACH ${literal(path)} AS mallard_backup`);
    try {
      await c.run('BEGIN TRANSACTION');
      try {
        await c.run(`COPY FROM DATABASE "${name.replaceAll('"', '""')}" TO mallard_backup`);
        await c.run('COMMIT');
      } catch (err) {
        await c.run('ROLLBACK');
        throw err;
      }
    } finally {
      await c.run('DETACH mallard_backup'); // checkpoints: everything is in the file itself
    }
  });
  if (existsSync(`${path}.wal`)) throw new Error('the metadata copy left a write-ahead log behind');
}

/** The number of rows in the given event files (read from their footers). */
async function countEvents(all: (sql: string) => Promise<{ n: bigint }[]>, files: readonly string[]): Promise<number> {
  if (files.length === 0) return 0;
  const rows = await all(`SELECT count(*) AS n FROM read_parquet([${files.map(literal).join(', ')}], union_by_name = true)`);
  return Number(rows[0]?.n ?? 0);
}

const errorCode = (err: unknown) => String((err as NodeJS.ErrnoException | undefined)?.code ?? '');

/** File-system errors the caller can act on, as domain errors; others unchanged. */
function fsRefusal(err: unknown, dir: string): unknown {
  if (err instanceof DomainError) return err;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : '';
  if (code === 'ENOSPC' || /No space left on device/i.test(message))
    return unavailable('the disk is full; the backup was not made');
  if (['EACCES', 'EPERM', 'EROFS'].includes(code) || /Permission denied|Read-only file system/i.test(message)) {
    return invalidInput(`dir: cannot write to ${dir} (${code || 'permission denied'})`);
  }
  return err;
}

/**
 * Reads a backup's manifest and checks that every file it names is there with its size;
 * throws an `invalid` error naming the first problem.
 */
export function readBackup(dir: string): Manifest {
  const path = join(dir, MANIFEST);
  if (!existsSync(dir)) throw invalidInput(`no backup at ${dir}: the directory does not exist`);
  if (!existsSync(path)) throw invalidInput(`${dir} is not a finished backup: it has no ${MANIFEST}`);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw invalidInput(`the backup is damaged: ${MANIFEST} is not valid JSON`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalidInput(`the backup is damaged: ${MANIFEST}: ${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
  }
  const manifest = parsed.data;
  if (manifest.version > FORMAT_VERSION) {
    throw invalidInput(
      `the backup was made by a newer version (${manifest.app_version}); this one reads backup format ${FORMAT_VERSION}`,
    );
  }
  const seen = new Set<string>();
  for (const f of manifest.files) {
    if (seen.has(f.path)) throw invalidInput(`the backup is damaged: ${MANIFEST} lists ${f.path} twice`);
    seen.add(f.path);
  }
  if (!seen.has(METADATA_FILE)) throw invalidInput(`the backup is damaged: ${MANIFEST} does not list ${METADATA_FILE}`);
  for (const f of manifest.files) {
    let size: number;
    try {
      const st = statSync(join(dir, f.path));
      if (!st.isFile()) throw invalidInput(`the backup is damaged: ${f.path} is not a file`);
      size = st.size;
    } catch (err) {
      if (err instanceof DomainError) throw err;
      throw invalidInput(`the backup is damaged: ${f.path} is missing`);
    }
    if (size !== f.bytes) throw invalidInput(`the backup is damaged: ${f.path} has ${size} bytes, ${MANIFEST} says ${f.bytes}`);
  }
  return manifest;
}

/** Whether another process (a running server) holds the data directory's metadata database. */
export async function dataDirInUse(dataDir: string): Promise<boolean> {
  const path = join(dataDir, METADATA_FILE);
  if (!existsSync(path)) return false;
  try {
    const instance = await DuckDBInstance.create(path, { access_mode: 'READ_ONLY' });
    instance.closeSync();
    return false;
  } catch (err) {
    return /Could not set lock on file|Conflicting lock/i.test(err instanceof Error ? err.message : '');
  }
}

/** Whether the data directory exists and holds anything. */
export function hasData(dataDir: string): boolean {
  try {
    return readdirSync(dataDir).length > 0;
  } catch {
    return false;
  }
}

export interface RestoreSummary {
  events: number;
  files: number;
  bytes: number;
}

/**
 * Copies a backup into `dataDir`, which no process may hold and which must be empty unless
 * `force` (then everything in it is deleted first, events not yet backed up included). The
 * files are copied into a staging directory and checked there (the metadata database opens
 * and is not newer than this build; the event files hold the manifest's count) before
 * anything of the data directory is touched.
 */
export async function restoreBackup(backupDir: string, dataDir: string, force: boolean): Promise<RestoreSummary> {
  const manifest = readBackup(backupDir);
  if (await dataDirInUse(dataDir))
    throw conflict(`the data directory ${dataDir} is in use by another process (a running server?)`);
  if (!force && hasData(dataDir)) {
    throw conflict(`the data directory ${dataDir} already has data; restoring would replace it (use --force to do so)`);
  }
  mkdirSync(dataDir, { recursive: true });
  const staging = join(dataDir, `${RESTORE_STAGING}${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    for (const f of manifest.files) {
      const dst = join(staging, f.path);
      mkdirSync(dirname(dst), { recursive: true });
      copyFileSync(join(backupDir, f.path), dst, constants.COPYFILE_EXCL);
      syncPath(dst);
    }
    await checkStaged(staging, manifest);
    for (const name of force ? readdirSync(dataDir) : []) {
      if (name !== basename(staging)) rmSync(join(dataDir, name), { recursive: true, force: true });
    }
    for (const name of readdirSync(staging)) renameSync(join(staging, name), join(dataDir, name));
    rmSync(staging, { recursive: true, force: true });
    syncPath(dataDir);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  return { events: manifest.events, files: manifest.files.length, bytes: manifest.files.reduce((n, f) => n + f.bytes, 0) };
}

/** Opens the staged metadata database and counts the staged events; `invalid` when either is wrong. */
async function checkStaged(staging: string, manifest: Manifest): Promise<void> {
  let schema: number;
  try {
    const instance = await DuckDBInstance.create(join(staging, METADATA_FILE), { access_mode: 'READ_ONLY' });
    try {
      const c = await instance.connect();
      const rows = (await c.runAndReadAll('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')).getRowObjectsJS();
      c.closeSync();
      schema = Number(rows[0]?.v ?? 0);
    } finally {
      instance.closeSync();
    }
  } catch (err) {
    throw invalidInput(`the backup is damaged: ${METADATA_FILE} cannot be read (${firstLine(err)})`);
  }
  if (schema > SCHEMA_VERSION) {
    throw invalidInput(
      `the backup was made by a newer version (${manifest.app_version}, metadata schema ${schema}); upgrade first`,
    );
  }
  const events = manifest.files.filter((f) => f.path.startsWith('events/')).map((f) => join(staging, f.path));
  const memory = await DuckDBInstance.create(':memory:');
  let counted: number;
  try {
    const c = await memory.connect();
    try {
      counted = await countEvents(async (sql) => (await c.runAndReadAll(sql)).getRowObjectsJS() as { n: bigint }[], events);
    } finally {
      c.closeSync();
    }
  } catch (err) {
    throw invalidInput(`the backup is damaged: an event file cannot be read (${firstLine(err)})`);
  } finally {
    memory.closeSync();
  }
  if (counted !== manifest.events) {
    throw invalidInput(`the backup is damaged: its event files hold ${counted} events, ${MANIFEST} says ${manifest.events}`);
  }
}

const firstLine = (err: unknown) => (err instanceof Error ? err.message : String(err)).split('\n')[0];
