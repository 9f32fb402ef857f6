/**
 * Periods the picker offers, how each becomes API parameters, and which chart intervals
 * make sense for it. Dates are UTC, as the server's. Realtime is the server's last 30
 * minutes in minute buckets, refreshed while it is on screen (use-api.ts).
 */
import type { Params } from './api.js';

export type PeriodId = 'realtime' | 'today' | '7d' | '30d' | 'month' | '6mo' | '12mo' | 'all' | 'custom';
export type Interval = 'minute' | 'hour' | 'day' | 'week' | 'month';

export const PERIODS: readonly { id: PeriodId; label: string }[] = [
  { id: 'realtime', label: 'Realtime' },
  { id: 'today', label: 'Today' },
  { id: '7d', label: 'Last 7 days' },
  { id: '30d', label: 'Last 30 days' },
  { id: 'month', label: 'This month' },
  { id: '6mo', label: 'Last 6 months' },
  { id: '12mo', label: 'Last 12 months' },
  { id: 'all', label: 'All time' },
  { id: 'custom', label: 'Custom range' },
];

export const DEFAULT_PERIOD: PeriodId = '30d';
export const INTERVALS: readonly Interval[] = ['minute', 'hour', 'day', 'week', 'month'];

/**
 * How often a realtime view asks again: Plausible-like liveness without a request storm
 * (about ten small queries of the last 30 minutes per refresh). Nothing is asked while the
 * tab is hidden; coming back asks at once.
 */
export const REALTIME_REFRESH_MS = 5_000;

export interface PeriodChoice {
  period: PeriodId;
  /** Custom range, YYYY-MM-DD inclusive. */
  from?: string;
  to?: string;
}

const DAY = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real `YYYY-MM-DD` day (not 2026-02-31, which Date would roll over into March). */
export function isDate(s: string | undefined): s is string {
  if (s === undefined || !DATE.test(s)) return false;
  const t = Date.parse(`${s}T00:00:00Z`);
  return !Number.isNaN(t) && new Date(t).toISOString().slice(0, 10) === s;
}

export const todayUtc = (now = new Date()) => now.toISOString().slice(0, 10);

export function addDays(date: string, n: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + n * DAY).toISOString().slice(0, 10);
}

/** The API's period parameters: `period`, or `start_date` + `end_date` for a custom range. */
export function periodParams(p: PeriodChoice): Params {
  if (p.period === 'custom' && isDate(p.from) && isDate(p.to)) return { start_date: p.from, end_date: p.to };
  return { period: p.period === 'custom' ? DEFAULT_PERIOD : p.period };
}

/** Days the choice covers (about, for named periods). */
function spanDays(p: PeriodChoice): number {
  switch (p.period) {
    case 'today':
      return 1;
    case '7d':
      return 7;
    case '30d':
    case 'month':
      return 31;
    case '6mo':
      return 184;
    case '12mo':
      return 366;
    case 'all':
      return 3650;
    default:
      return isDate(p.from) && isDate(p.to) ? (Date.parse(p.to) - Date.parse(p.from)) / DAY + 1 : 31;
  }
}

/** The chart intervals that give a readable number of points (realtime: its 30 minutes). */
export function intervalsFor(p: PeriodChoice): Interval[] {
  if (p.period === 'realtime') return ['minute'];
  const days = spanDays(p);
  return INTERVALS.filter((i) => {
    if (i === 'minute') return false;
    const points = i === 'hour' ? days * 24 : i === 'day' ? days : i === 'week' ? days / 7 : days / 30;
    return points > 1 && points <= 400 && !(i === 'hour' && days > 7);
  });
}

export function defaultInterval(p: PeriodChoice): Interval {
  if (p.period === 'realtime') return 'minute';
  const days = spanDays(p);
  if (days <= 1) return 'hour';
  if (days <= 92) return 'day';
  return p.period === 'all' ? 'month' : days <= 200 ? 'week' : 'month';
}

export function periodLabel(p: PeriodChoice): string {
  if (p.period === 'custom' && isDate(p.from) && isDate(p.to)) return p.from === p.to ? p.from : `${p.from} – ${p.to}`;
  return PERIODS.find((x) => x.id === p.period)?.label ?? p.period;
}
