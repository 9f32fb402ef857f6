/**
 * Which sites have stored events, how many and since when the last one: what the Sites page
 * shows for sites that receive events without being registered (docs/API.md, "Sites that
 * receive events"). Written once for every backend: each store names its sites without
 * reading events (`siteIds`) and hands out the chosen sites' events (`eventsOf`), so the
 * registered sites' events, nearly all of them, are never read.
 */
import { join, raw, render, sql } from '../query/sql.js';
import type { EventStore } from './storage.js';

export interface SiteActivity {
  siteId: string;
  /** Stored events (page views and custom events; engagement rows are not events). */
  events: number;
  /** When the last of them happened. */
  lastSeen: Date;
}

/**
 * The sites with stored events that `include` accepts, the most recently seen first (then
 * by id), at most `limit`. A site whose rows are all engagement rows is left out.
 */
export async function siteActivity(
  store: Pick<EventStore, 'siteIds' | 'read'>,
  include: (siteId: string) => boolean,
  limit: number,
): Promise<SiteActivity[]> {
  const ids = (await store.siteIds()).filter(include);
  if (ids.length === 0) return [];
  return store.read(async (q) => {
    const query = sql`SELECT site_id, count(*) AS event_count, max(timestamp) AS last_at
      FROM ${raw(q.eventsOf(ids))}
      WHERE site_id IN (${join(
        ids.map((id) => sql`${id}`),
        ', ',
      )})
      GROUP BY site_id ORDER BY last_at DESC, site_id LIMIT ${limit}`;
    const { text, params } = render(query, q.dialect);
    const rows = await q.all<{ site_id: string; event_count: bigint | number; last_at: Date }>(text, params);
    return rows.map((r) => ({ siteId: r.site_id, events: Number(r.event_count), lastSeen: r.last_at }));
  });
}
