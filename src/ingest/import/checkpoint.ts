/**
 * How far an import got, kept in the data directory (`imports/<key>.json`) and replaced
 * whole (temp file, fsync, rename) after each batch the store has made durable. With the
 * store's sequence number at that moment it tells a resumed import where to go on
 * (importer.ts, "Resuming").
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export interface Checkpoint {
  /** The file as it was when the import started: a resume refuses another one. */
  file: { path: string; size: number; mtimeMs: number };
  site: string;
  /** Records of the file done (stored or rejected). */
  records: number;
  /** The store's highest sequence number once those records were stored (a decimal string). */
  seq: string;
  imported: number;
  /** Rejected records by reason (ingest/event.ts's drop reasons, `invalid` for a malformed record). */
  rejected: Record<string, number>;
  done: boolean;
}

/** One checkpoint per file and site. */
export function checkpointPath(dataDir: string, file: string, site: string): string {
  const key = createHash('sha256').update(`${file}\0${site}`).digest('hex').slice(0, 20);
  return join(dataDir, 'imports', `${key}.json`);
}

export function fileIdentity(path: string): Checkpoint['file'] {
  const s = statSync(path);
  return { path, size: s.size, mtimeMs: Math.trunc(s.mtimeMs) };
}

export function readCheckpoint(path: string): Checkpoint | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return JSON.parse(text) as Checkpoint;
}

export function writeCheckpoint(path: string, cp: Checkpoint): void {
  writeJsonDurably(path, cp);
}

/** `value` as JSON at `path`, replaced whole and made durable (the checkpoints; an upload's record: uploaded.ts). */
export function writeJsonDurably(path: string, value: unknown): void {
  mkdirSync(join(path, '..'), { recursive: true });
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, JSON.stringify(value));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dir = openSync(join(path, '..'), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
