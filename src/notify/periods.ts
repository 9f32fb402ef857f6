/**
 * The periods reports cover: the last whole ISO week (Monday to Sunday) or calendar month
 * before now, in the site's time zone, as the dates a stats request names; and the key the
 * ledger records each under.
 */

import { wallClock } from '../query/period.js';
import { DAY_MS } from '../utc-days.js';

export type ReportKind = 'weekly' | 'monthly';

export interface ReportPeriod {
  kind: ReportKind;
  /** The ledger's key: `2026-W48`, `2026-11`. */
  key: string;
  start_date: string;
  end_date: string;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** The ISO 8601 week-numbering year and week of a date (its Thursday decides the year). */
function isoWeek(monday: Date): string {
  const thursday = new Date(monday.getTime() + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return `${year}-W${String(week).padStart(2, '0')}`;
}

export function lastWhole(kind: ReportKind, now: Date, tz: string | null): ReportPeriod {
  const wall = tz ? wallClock(now, tz) : now;
  const today = new Date(Date.UTC(wall.getUTCFullYear(), wall.getUTCMonth(), wall.getUTCDate()));
  if (kind === 'weekly') {
    const thisMonday = new Date(today.getTime() - ((today.getUTCDay() + 6) % 7) * DAY_MS);
    const monday = new Date(thisMonday.getTime() - 7 * DAY_MS);
    return { kind, key: isoWeek(monday), start_date: day(monday), end_date: day(new Date(thisMonday.getTime() - DAY_MS)) };
  }
  const first = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth() - 1, 1));
  const last = new Date(Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), 0));
  return { kind, key: day(first).slice(0, 7), start_date: day(first), end_date: day(last) };
}
