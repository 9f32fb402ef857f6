/**
 * A damaged Parquet file costs its own events, not the site's answers or the server: when
 * the engine fails on one, it is found, moved to quarantine (quarantine.ts) and forgotten,
 * and the caller tries again on what is left.
 */
import { join } from 'node:path';
import { type Partition, partitionKey } from './cold-layout.js';
import { literal } from './database.js';
import { looksDamaged, namedFile } from './quarantine.js';
import type { StoreParts } from './store-parts.js';

/** A partition's Parquet files: its events, and its derived files when current. */
export function filesOf(parts: StoreParts, p: Partition): string[] {
  const deriver = parts.deriver;
  const derived = deriver?.isCurrent(p) ? [deriver.path(p, 'visits'), deriver.path(p, 'rollup')] : [];
  return [...p.files.map((f) => join(p.dir, f.name)), ...derived];
}

/** Sets aside the damaged file behind an engine error, if that is what it is; true when one was moved. */
export async function setAsideAfter(parts: StoreParts, err: unknown, touched: Iterable<Partition>): Promise<boolean> {
  if (!looksDamaged(err)) return false;
  const named = namedFile(err, parts.dataDir);
  const suspects = named
    ? [named]
    : await unreadable(
        parts,
        [...touched].flatMap((p) => filesOf(parts, p)),
      );
  let moved = false;
  for (const path of suspects) if (await setAside(parts, path)) moved = true;
  return moved;
}

/** The files that cannot be read to the end (when the engine's error named none). */
async function unreadable(parts: StoreParts, paths: readonly string[]): Promise<string[]> {
  const bad: string[] = [];
  for (const path of paths) {
    try {
      await parts.db.run(`COPY (SELECT * FROM read_parquet(${literal(path)})) TO '/dev/null' (FORMAT csv)`);
    } catch {
      bad.push(path); // a lone file that cannot be read whole is damaged, whatever the engine calls it
    }
  }
  return bad;
}

/**
 * Moves one damaged file to quarantine and forgets it: an events file leaves its
 * partition (whose derived files are rebuilt from what is left), a derived file is rebuilt.
 */
function setAside(parts: StoreParts, path: string): Promise<boolean> {
  return parts.lock.write(async () => {
    for (const p of parts.partitions.values()) {
      const file = p.files.find((f) => join(p.dir, f.name) === path);
      const derived = !file && filesOf(parts, p).includes(path);
      if (!file && !derived) continue;
      if (!parts.quarantine.move(path, 'unreadable')) return false;
      if (file) {
        p.files = p.files.filter((f) => f !== file);
        if (p.files.length === 0) parts.partitions.remove(p);
      }
      await forgetDerived(parts, p);
      if (p.files.length > 0) parts.deriver?.schedule([partitionKey(p.siteId, p.date)], false);
      return true;
    }
    return false;
  });
}

/** Drops a partition's derived files from use and its cached rollup rows (they are rebuilt, or the partition is gone). */
export function forgetDerived(parts: StoreParts, p: Partition): Promise<void> {
  return parts.derivedLock.write(async () => {
    parts.deriver?.forget(p);
    await parts.rollupCache.evict(p.siteId, p.date);
  });
}
