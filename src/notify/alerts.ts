/**
 * Traffic alerts (docs/API.md, "Reports and alerts"): a spike when the visitors now (the last
 * 5 minutes, as the dashboard's "current visitors") reach the site's `spike_visitors`, a drop
 * when the visitors of the last 12 hours are fewer than its `drop_visitors`. Each is sent at
 * most once per 12-hour window of UTC time (00:00–12:00, 12:00–24:00), the ledger's period.
 */
import type { Period } from '../query/period.js';
import { mainStats, realtimeVisitors } from '../query/stats.js';
import type { QueryRunner } from '../storage/storage.js';
import type { Message } from './mailer.js';
import type { Alerts } from './settings.js';

export const ALERT_WINDOW_MS = 12 * 3_600_000;

export interface Alert {
  kind: 'spike' | 'drop';
  /** The ledger's period: the 12-hour window, `2026-12-06T12`. */
  window: string;
  message: Message;
}

const visitorCount = (n: number) => `${n} visitor${n === 1 ? '' : 's'}`;

export async function dueAlerts(q: QueryRunner, siteId: string, alerts: Alerts, now: Date): Promise<Alert[]> {
  const start = Math.floor(now.getTime() / ALERT_WINDOW_MS) * ALERT_WINDOW_MS;
  const window = new Date(start).toISOString().slice(0, 13);
  const out: Alert[] = [];
  const to = alerts.emails;
  if (alerts.spike_visitors !== null) {
    const visitors = await realtimeVisitors(q, siteId, now);
    if (visitors >= alerts.spike_visitors) {
      const subject = `Traffic spike on ${siteId}: ${visitorCount(visitors)} now`;
      const text = `${visitorCount(visitors)} on ${siteId} in the last 5 minutes (your alert is set at ${alerts.spike_visitors}).\n`;
      out.push({ kind: 'spike', window, message: { to, subject, text, html: `<p>${text}</p>` } });
    }
  }
  if (alerts.drop_visitors !== null) {
    const last12h: Period = { name: 'custom', from: new Date(now.getTime() - ALERT_WINDOW_MS), to: now, interval: 'hour' };
    const { unique_visitors: visitors } = await mainStats(q, { siteId, period: last12h, filters: [] });
    if (visitors < alerts.drop_visitors) {
      const subject = `Traffic drop on ${siteId}: ${visitorCount(visitors)} in 12 hours`;
      const text = `${visitorCount(visitors)} on ${siteId} in the last 12 hours (your alert is set below ${alerts.drop_visitors}).\n`;
      out.push({ kind: 'drop', window, message: { to, subject, text, html: `<p>${text}</p>` } });
    }
  }
  return out;
}
