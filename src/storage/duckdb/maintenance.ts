/**
 * The cold tier's upkeep after a flush: merging a partition's run of small files into one
 * (compaction.ts plans and writes it), deleting the days past the retention period, and
 * deleting a removed site's events.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { DAY_MS, utcDate } from '../../utc-days.js';
import { crashPoint } from '../crash-points.js';
import { type Partition, partitionDir } from './cold-layout.js';
import { compactionRun, writeCompactedFile } from './compaction.js';
import { forgetDerived, setAsideAfter } from './damaged-files.js';
import { HOT_TABLE } from './database.js';
import { derivedDir } from './derived-layout.js';
import { returningFreedMemory } from './engine-options.js';
import type { PlannedFile } from './flush-writer.js';
import type { StoreParts } from './store-parts.js';

/** Compacts the partitions whose run of small files has reached `minFiles`; returns how many. */
export async function compact(parts: StoreParts, candidates: Iterable<Partition>, minFiles: number): Promise<number> {
  let merged = 0;
  for (const p of candidates) {
    const run = compactionRun(p, minFiles);
    if (!run) continue;
    let planned: PlannedFile;
    try {
      planned = await parts.db.background((c) => returningFreedMemory(c, () => writeCompactedFile(c, p, run)));
    } catch (err) {
      // Compaction only saves reads later: a failure (a damaged file, set aside here) waits for the next flush.
      await setAsideAfter(parts, err, [p]);
      parts.log.warn({ err, site_id: p.siteId, date: p.date }, 'compaction failed');
      continue;
    }
    crashPoint('compaction.temp-written');
    await parts.lock.write(async () => parts.partitions.install([planned]));
    parts.log.info({ site_id: p.siteId, date: p.date, files: run.length }, 'compacted partition');
    merged++;
  }
  return merged;
}

/** Deletes partitions older than `retentionDays` before `today` (0 keeps everything); returns how many. */
export async function applyRetention(parts: StoreParts, retentionDays: number, today: Date): Promise<number> {
  if (retentionDays <= 0) return 0;
  const cutoff = utcDate(new Date(today.getTime() - retentionDays * DAY_MS));
  const old = [...parts.partitions.values()].filter((p) => p.date < cutoff);
  if (old.length === 0) return 0;
  await parts.lock.write(async () => {
    for (const p of old) {
      rmSync(p.dir, { recursive: true, force: true });
      if (old.length > 1) crashPoint('retention.deleted-one');
      parts.partitions.remove(p);
      await forgetDerived(parts, p);
      parts.log.info({ site_id: p.siteId, date: p.date }, 'retention: deleted partition');
    }
    await parts.db.run(`DELETE FROM ${HOT_TABLE} WHERE timestamp < $1::DATE`, [cutoff]);
  });
  return old.length;
}

/**
 * Deletes a site's partitions (events and derived files). The caller flushes first, so that
 * neither the hot table nor the write-ahead log holds any of its rows (but those that arrive
 * meanwhile).
 */
export async function removeSite(parts: StoreParts, eventsDir: string, derivedRoot: string, siteId: string): Promise<number> {
  let removed = 0;
  await parts.lock.write(async () => {
    // Listed under the lock: a flush installs partitions under it too.
    const ofSite = [...parts.partitions.values()].filter((p) => p.siteId === siteId);
    removed = ofSite.length;
    for (const p of ofSite) {
      rmSync(p.dir, { recursive: true, force: true });
      parts.partitions.remove(p);
      await forgetDerived(parts, p);
    }
    rmSync(dirname(partitionDir(eventsDir, siteId, '')), { recursive: true, force: true });
  });
  // A build of one of its partitions that was running meanwhile wrote into the site's
  // derived directory after it went; none starts after (its partitions are gone).
  await parts.deriver?.settled();
  rmSync(dirname(derivedDir(derivedRoot, siteId, '')), { recursive: true, force: true });
  parts.log.info({ site_id: siteId, partitions: removed }, "removed the site's events");
  return removed;
}
