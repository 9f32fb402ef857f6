/**
 * The cold tier's partitions, by key and by site then date, so that a query opens only its
 * own site's files (no walk over every partition of every site per request).
 */
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { utcDate } from '../../utc-days.js';
import { crashPoint } from '../crash-points.js';
import { dropSuperseded, type Partition, partitionKey } from './cold-layout.js';
import type { PlannedFile } from './flush-writer.js';

export class PartitionIndex {
  private readonly bySite = new Map<string, Map<string, Partition>>();

  /** `byKey` is shared, read-only, with the flush writer and the deriver. */
  constructor(readonly byKey: Map<string, Partition>) {
    for (const p of byKey.values()) this.index(p);
  }

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<Partition> {
    return this.byKey.values();
  }

  get(key: string): Partition | undefined {
    return this.byKey.get(key);
  }

  private index(p: Partition): void {
    const dates = this.bySite.get(p.siteId) ?? new Map<string, Partition>();
    this.bySite.set(p.siteId, dates);
    dates.set(p.date, p);
  }

  remove(p: Partition): void {
    this.byKey.delete(partitionKey(p.siteId, p.date));
    this.bySite.get(p.siteId)?.delete(p.date);
  }

  /** One site's partition of a day. */
  day(siteId: string, date: string): Partition | undefined {
    return this.bySite.get(siteId)?.get(date);
  }

  /** The sites with at least one partition. */
  sites(): string[] {
    return [...this.bySite].filter(([, dates]) => dates.size > 0).map(([site]) => site);
  }

  /** The site's partitions whose day lies in [from, to) (all of them without a range). */
  ofSite(siteId: string, from?: Date, to?: Date): Partition[] {
    const dates = this.bySite.get(siteId);
    if (!dates) return [];
    const first = from ? utcDate(from) : '';
    const last = to ? utcDate(new Date(to.getTime() - 1)) : '\uffff';
    return [...dates.values()].filter((p) => p.date >= first && p.date <= last);
  }

  /** Renames written files into place and retires what they replace. The caller holds the store's write lock. */
  install(planned: readonly PlannedFile[]): void {
    for (const f of planned) {
      renameSync(f.tmp, join(f.partition.dir, f.name));
      if (planned.length > 1) crashPoint('flush.renamed-one');
      if (f.from !== null) crashPoint('install.before-drop');
      f.partition.files.push({ name: f.name, id: f.id, from: f.from });
      dropSuperseded(f.partition);
      this.byKey.set(partitionKey(f.partition.siteId, f.partition.date), f.partition);
      this.index(f.partition);
    }
  }
}
