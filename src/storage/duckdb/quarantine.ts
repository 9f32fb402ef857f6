/**
 * Damaged Parquet files are moved aside, not fatal (docs/ARCHITECTURE.md, "Damaged files").
 * A file that cannot be read goes to `data/quarantine/<its path under data/>`, kept for an
 * operator, logged once and listed (health, metrics); the store then answers from what is readable. Found at
 * start-up (a cheap check of both ends of every file) and at query time (the engine's error
 * names the file, or, when it does not, each file the query read is read whole).
 */
import { closeSync, fstatSync, mkdirSync, openSync, readSync, renameSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { Logger } from 'pino';

const MAGIC = 'PAR1';

/**
 * Whether a file looks like a whole Parquet file: the magic at both ends and a footer that
 * fits. Catches what crashes and full disks leave (truncated or empty files) without reading
 * the data; damage inside is found when a query reads it.
 */
export function looksWhole(path: string): boolean {
  let fd: number | null = null;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size < 12) return false;
    const head = Buffer.alloc(4);
    const tail = Buffer.alloc(8);
    readSync(fd, head, 0, 4, 0);
    readSync(fd, tail, 0, 8, size - 8);
    const footer = tail.readUInt32LE(0);
    return head.toString('latin1') === MAGIC && tail.toString('latin1', 4) === MAGIC && footer > 0 && footer <= size - 12;
  } catch {
    return false;
  } finally {
    if (fd !== null) closeSync(fd);
  }
}

/** Engine errors that mean a file's bytes are wrong (not a bad query, not memory). */
const DAMAGE =
  /No magic bytes found|too small to be a Parquet file|Could not read enough bytes|TProtocolException|corrupt|decompress|invalid page|don't know what type/i;

/**
 * Engine errors that may come from a damaged file: the known messages, or any engine
 * error raised while reading Parquet. A suspicion only: each file is then read alone, and
 * only those that fail are set aside.
 */
export const looksDamaged = (err: unknown): boolean =>
  err instanceof Error &&
  (DAMAGE.test(err.message) || (/^(IO|Invalid|Invalid Input|Internal) Error:/.test(err.message) && /parquet/i.test(err.message)));

/** The Parquet file under `root` that an engine error names, if it names one. */
export function namedFile(err: unknown, root: string): string | null {
  if (!(err instanceof Error)) return null;
  for (const m of err.message.matchAll(/['"]([^'"]+\.parquet)['"]/g)) {
    const path = m[1] ?? '';
    if (path.startsWith(`${root}/`)) return path;
  }
  return null;
}

export class Quarantine {
  private readonly moved: string[] = [];

  constructor(
    private readonly dataDir: string,
    private readonly log: Logger,
  ) {}

  /** Paths (relative to the data directory) moved aside since start-up, oldest first. */
  get files(): readonly string[] {
    return this.moved;
  }

  /** Moves a damaged file to `quarantine/`, keeping its relative path; false if it is already gone. */
  move(path: string, why: string): boolean {
    const rel = relative(this.dataDir, path);
    let target = join(this.dataDir, 'quarantine', rel);
    try {
      mkdirSync(dirname(target), { recursive: true });
      target = uniqueName(target);
      renameSync(path, target);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    this.moved.push(rel);
    this.log.error({ file: rel, quarantined_as: relative(this.dataDir, target), why }, 'damaged file moved to quarantine');
    return true;
  }
}

/** The path, or the path with `.1`, `.2` … appended when a file of that name was quarantined before. */
function uniqueName(path: string): string {
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? path : `${path}.${i}`;
    try {
      closeSync(openSync(candidate, 'wx'));
      return candidate; // reserved; the rename replaces the empty placeholder
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
}
