/**
 * Each site's report and alert settings (settings.ts), in the metadata database's
 * `notifications` table and in memory for the scheduler's every round. Removing a site
 * deletes its row (registry.ts); `forget` drops the copy.
 */

import { WriteQueue } from '../sites/write-queue.js';
import type { MetadataDb } from '../storage/metadata.js';
import { type Alerts, NO_ALERTS, NO_REPORTS, type Reports } from './settings.js';

export interface Subscription {
  reports: Reports;
  alerts: Alerts;
}

const NONE: Subscription = Object.freeze({ reports: NO_REPORTS, alerts: NO_ALERTS });

export class Subscriptions {
  private readonly bySite = new Map<string, Subscription>();
  private readonly writes = new WriteQueue();

  private constructor(private readonly db: MetadataDb) {}

  static async open(db: MetadataDb): Promise<Subscriptions> {
    const store = new Subscriptions(db);
    for (const r of await db.all<{ site_id: string; reports: string; alerts: string }>(
      'SELECT site_id, reports, alerts FROM notifications',
    )) {
      store.bySite.set(r.site_id, { reports: JSON.parse(r.reports) as Reports, alerts: JSON.parse(r.alerts) as Alerts });
    }
    return store;
  }

  get(siteId: string): Subscription {
    return this.bySite.get(siteId) ?? NONE;
  }

  /** The sites with any recipient. */
  sites(): string[] {
    return [...this.bySite.keys()];
  }

  /** Replaces what the change names; the other part stays. */
  set(siteId: string, change: Partial<Subscription>): Promise<Subscription> {
    return this.writes.run(async () => {
      const next = { ...this.get(siteId), ...change };
      await this.db.transaction([
        ['DELETE FROM notifications WHERE site_id = $1', [siteId]],
        [
          'INSERT INTO notifications (site_id, reports, alerts) VALUES ($1, $2, $3)',
          [siteId, JSON.stringify(next.reports), JSON.stringify(next.alerts)],
        ],
      ]);
      this.bySite.set(siteId, next);
      return next;
    });
  }

  forget(siteId: string): void {
    this.bySite.delete(siteId);
  }
}
