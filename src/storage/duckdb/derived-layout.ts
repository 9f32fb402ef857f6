/**
 * The derived tier on disk: per event partition, one row per visit and the day's rollup,
 * `derived/site_id=<site>/date=<YYYY-MM-DD>/{visits,rollup}.<id>.f<format>.parquet`. `<id>`
 * is the partition's highest event-file id when they were built: a partition's content is a
 * function of that id (a flush or a re-sessionizing rewrite raises it; compaction keeps
 * it), so a derived file whose id is not the partition's is stale and is deleted. `<format>`
 * is the version of what the files hold (`DerivedTables.format`): files of another version,
 * written by an older build, are stale too.
 *
 * Derived files are never the only copy of anything: a crash at any step leaves at worst a
 * missing, stale or half-written pair, which start-up deletes and the store rebuilds from
 * the events. The rollup is renamed into place after the visits file, so a rollup present
 * means its visits file is too.
 */
import { mkdirSync, readdirSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { maxId, type Partition, partitionKey } from './cold-layout.js';

export type DerivedKind = 'visits' | 'rollup';

const FILE = /^(visits|rollup)\.(\d{20})\.f(\d+)\.parquet$/;

export function derivedDir(derivedRoot: string, siteId: string, date: string): string {
  return join(derivedRoot, `site_id=${siteId}`, `date=${date}`);
}

export function derivedName(kind: DerivedKind, id: bigint, format: number): string {
  return `${kind}.${id.toString().padStart(20, '0')}.f${format}.parquet`;
}

/**
 * Lists the partitions whose derived files are current (partition key → id), deleting
 * temp files, stale or incomplete pairs, and directories of partitions that are gone.
 */
export function scanDerived(
  derivedRoot: string,
  format: number,
  partitions: ReadonlyMap<string, Partition>,
  setAside: (path: string) => boolean = () => false,
): Map<string, bigint> {
  mkdirSync(derivedRoot, { recursive: true });
  const current = new Map<string, bigint>();
  for (const siteEntry of readdirSync(derivedRoot)) {
    const siteDir = join(derivedRoot, siteEntry);
    if (!siteEntry.startsWith('site_id=')) continue;
    const siteId = siteEntry.slice('site_id='.length);
    for (const dateEntry of readdirSync(siteDir)) {
      const dir = join(siteDir, dateEntry);
      const p = partitions.get(partitionKey(siteId, dateEntry.slice('date='.length)));
      if (!dateEntry.startsWith('date=') || !p) {
        rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const id = maxId(p);
      const found = new Set<DerivedKind>();
      for (const name of readdirSync(dir)) {
        const m = FILE.exec(name);
        if (m && BigInt(m[2] ?? '-1') === id && Number(m[3]) === format) {
          if (!setAside(join(dir, name))) found.add(m[1] as DerivedKind);
        } else unlinkSync(join(dir, name));
      }
      if (found.has('rollup') && found.has('visits')) current.set(partitionKey(siteId, p.date), id);
      else for (const kind of found) unlinkSync(join(dir, derivedName(kind, id, format)));
    }
  }
  return current;
}

/** Deletes a partition's derived files other than those of `keep` (null: all of them). */
export function dropDerived(derivedRoot: string, p: Partition, keep: bigint | null): void {
  const dir = derivedDir(derivedRoot, p.siteId, p.date);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = FILE.exec(name);
    if (keep === null || !m || BigInt(m[2] ?? '-1') !== keep) rmSync(join(dir, name), { force: true });
  }
  if (keep === null) rmSync(dir, { recursive: true, force: true });
}
