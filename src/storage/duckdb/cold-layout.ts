/**
 * The cold tier on disk: `events/site_id=<site>/date=<YYYY-MM-DD>/<id>.parquet`, where
 * `<id>` is the highest ingest sequence number the file may hold. A compacted file
 * (`<id>.c.parquet`) replaces every file of its partition with an id ≤ its own. Those two
 * rules make every crash recoverable: anything a finished file covers is deleted from the
 * hot tier and from older files at start-up, so no event is counted twice.
 */
import { mkdirSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface ColdFile {
  name: string;
  id: bigint;
  compacted: boolean;
}

export interface Partition {
  siteId: string;
  date: string;
  dir: string;
  files: ColdFile[];
}

const FILE = /^(\d{20})(\.c)?\.parquet$/;

export const partitionKey = (siteId: string, date: string) => `${siteId}\u0000${date}`;

export function fileName(id: bigint, compacted: boolean): string {
  return `${id.toString().padStart(20, '0')}${compacted ? '.c' : ''}.parquet`;
}

export function partitionDir(eventsDir: string, siteId: string, date: string): string {
  return join(eventsDir, `site_id=${siteId}`, `date=${date}`);
}

export function maxId(p: Partition): bigint {
  return p.files.reduce((m, f) => (f.id > m ? f.id : m), 0n);
}

/** Lists partitions, deleting temp files and files superseded by a compacted one. */
export function scanPartitions(eventsDir: string): Map<string, Partition> {
  mkdirSync(eventsDir, { recursive: true });
  const out = new Map<string, Partition>();
  for (const siteEntry of readdirSync(eventsDir)) {
    if (!siteEntry.startsWith('site_id=')) continue;
    const siteId = siteEntry.slice('site_id='.length);
    for (const dateEntry of readdirSync(join(eventsDir, siteEntry))) {
      if (!dateEntry.startsWith('date=')) continue;
      const date = dateEntry.slice('date='.length);
      const dir = join(eventsDir, siteEntry, dateEntry);
      const files: ColdFile[] = [];
      for (const name of readdirSync(dir)) {
        const m = FILE.exec(name);
        if (m?.[1]) files.push({ name, id: BigInt(m[1]), compacted: m[2] !== undefined });
        else if (name.endsWith('.tmp')) unlinkSync(join(dir, name));
      }
      const p: Partition = { siteId, date, dir, files };
      dropSuperseded(p);
      if (p.files.length === 0) rmSync(dir, { recursive: true, force: true });
      else out.set(partitionKey(siteId, date), p);
    }
  }
  return out;
}

/** Deletes files a compacted file replaces; returns their names. */
export function dropSuperseded(p: Partition): string[] {
  const newest = p.files.filter((f) => f.compacted).reduce<ColdFile | null>((m, f) => (!m || f.id > m.id ? f : m), null);
  if (!newest) return [];
  const gone = p.files.filter((f) => f !== newest && f.id <= newest.id);
  for (const f of gone) unlinkSync(join(p.dir, f.name));
  p.files = p.files.filter((f) => !gone.includes(f));
  return gone.map((f) => f.name);
}

export function partitionBytes(p: Partition): number {
  return p.files.reduce((n, f) => n + statSync(join(p.dir, f.name)).size, 0);
}
