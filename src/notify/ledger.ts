/**
 * What was sent: one row per site, kind and period (`weekly` 2026-W48, `spike` and a 12-hour
 * window, …) in the metadata database's `notifications_sent`. A message is claimed here
 * before it is sent, so no restart or second round can send it again: a crash between the
 * claim and the send loses that one message rather than sending it twice.
 */
import type { MetadataDb } from '../storage/metadata.js';

export class Ledger {
  constructor(private readonly db: MetadataDb) {}

  /** True when this call claimed the message; false when it was claimed before. */
  async claim(siteId: string, kind: string, period: string, now = new Date()): Promise<boolean> {
    const rows = await this.db.all<{ n: bigint | number }>(
      `INSERT INTO notifications_sent (site_id, kind, period, sent_at) VALUES ($1, $2, $3, $4::TIMESTAMP)
       ON CONFLICT DO NOTHING RETURNING 1 AS n`,
      [siteId, kind, period, now.toISOString()],
    );
    return rows.length === 1;
  }

  /** Gives a claim back (the message could not be sent), so a later round tries again. */
  async release(siteId: string, kind: string, period: string): Promise<void> {
    await this.db.run('DELETE FROM notifications_sent WHERE site_id = $1 AND kind = $2 AND period = $3', [siteId, kind, period]);
  }
}
