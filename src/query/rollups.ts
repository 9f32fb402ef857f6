/**
 * Per-day totals of a site, reused until that day's stored events change.
 *
 * Visitor ids are keyed by the UTC day and visits end at UTC midnight (product.md §1), so
 * over whole UTC days the unfiltered main stats are exact sums of per-day parts: distinct
 * visitors, visits, page views, events, one-event visits and summed visit length. A
 * dashboard's top stats and its day/week/month chart over 30 days then read 30 small
 * records instead of scanning every event. Days still in the hot tier are computed fresh
 * on every request (their answers can still change); cached days are keyed by the
 * storage's day version, so a flush, a compaction or a late batch invalidates them.
 */
import type { QueryRunner } from '../storage/storage.js';
import type { Period } from './period.js';
import { tsParam } from './period.js';
import { raw, render, sql } from './sql.js';

export interface DayTotals {
  visitors: number;
  visits: number;
  pageviews: number;
  events: number;
  /** Visits with exactly one event. */
  bounces: number;
  /** Sum over visits of last − first event time, in milliseconds. */
  durationMs: number;
}

export const NO_TOTALS: DayTotals = { visitors: 0, visits: 0, pageviews: 0, events: 0, bounces: 0, durationMs: 0 };

const DAY_MS = 86_400_000;
const atMidnight = (d: Date) => d.getTime() % DAY_MS === 0;

/** Whether a query can be answered from day totals: no filters, UTC days, whole days. */
export function rollupEligible(period: Period, filterCount: number): boolean {
  return filterCount === 0 && !period.timezone && period.name !== 'realtime' && atMidnight(period.from) && atMidnight(period.to);
}

export function addTotals(a: DayTotals, b: DayTotals): DayTotals {
  return {
    visitors: a.visitors + b.visitors,
    visits: a.visits + b.visits,
    pageviews: a.pageviews + b.pageviews,
    events: a.events + b.events,
    bounces: a.bounces + b.bounces,
    durationMs: a.durationMs + b.durationMs,
  };
}

export class DailyRollups {
  private cache = new Map<string, { version: string; totals: DayTotals }>();

  constructor(private readonly maxEntries = 100_000) {}

  /**
   * Totals per UTC day (`YYYY-MM-DD`) of [from, to), days without events absent; null
   * when the storage cannot tell day versions (then the caller runs its usual query).
   */
  async days(q: QueryRunner, siteId: string, from: Date, to: Date): Promise<Map<string, DayTotals> | null> {
    if (!q.dayVersions) return null;
    const versions = await q.dayVersions(siteId, from, to);
    const out = new Map<string, DayTotals>();
    const missing: string[] = [];
    for (const [day, version] of versions) {
      const hit = version === null ? undefined : this.cache.get(`${siteId}|${day}`);
      if (hit && hit.version === version) out.set(day, hit.totals);
      else missing.push(day);
    }
    if (missing.length === 0) return out;
    missing.sort();
    const first = new Date(`${missing[0]}T00:00:00Z`);
    const end = new Date(new Date(`${missing[missing.length - 1]}T00:00:00Z`).getTime() + DAY_MS);
    const fresh = await computeDays(q, siteId, first, end);
    if (this.cache.size > this.maxEntries) this.cache.clear(); // bounded; refills on demand
    for (const day of missing) {
      const totals = fresh.get(day) ?? NO_TOTALS;
      out.set(day, totals);
      const version = versions.get(day);
      if (version) this.cache.set(`${siteId}|${day}`, { version, totals });
    }
    return out;
  }
}

/** One pass over the days [from, to): event counts per day, visit counts per day of the visit's start. */
async function computeDays(q: QueryRunner, siteId: string, from: Date, to: Date): Promise<Map<string, DayTotals>> {
  const { text, params } = render(sql`WITH
    ev AS (SELECT visitor_id, session_id, timestamp, event_name FROM ${raw(q.events)} e
           WHERE site_id = ${siteId} AND timestamp >= ${tsParam(from)}::TIMESTAMP AND timestamp < ${tsParam(to)}::TIMESTAMP),
    per_event AS (SELECT timestamp::DATE AS d, count(DISTINCT visitor_id) AS visitors,
           count(*) FILTER (WHERE event_name = 'pageview') AS pageviews, count(*) AS events FROM ev GROUP BY 1),
    visit AS (SELECT min(timestamp)::DATE AS d, count(*) AS n, epoch_ms(max(timestamp)) - epoch_ms(min(timestamp)) AS span
           FROM ev GROUP BY session_id),
    per_visit AS (SELECT d, count(*) AS visits, count(*) FILTER (WHERE n = 1) AS bounces, sum(span) AS duration_ms
           FROM visit GROUP BY d)
    SELECT strftime(d, '%Y-%m-%d') AS day, visitors, pageviews, events,
           coalesce(visits, 0) AS visits, coalesce(bounces, 0) AS bounces, coalesce(duration_ms, 0) AS duration_ms
    FROM per_event LEFT JOIN per_visit USING (d)`);
  const rows = await q.all<Record<string, unknown>>(text, params);
  return new Map(
    rows.map((r) => [
      String(r.day),
      {
        visitors: Number(r.visitors),
        visits: Number(r.visits),
        pageviews: Number(r.pageviews),
        events: Number(r.events),
        bounces: Number(r.bounces),
        durationMs: Number(r.duration_ms),
      },
    ]),
  );
}
