/**
 * Periods (product.md §3): `realtime|day|today|7d|30d|month|6mo|12mo|year|all` or a custom
 * `start_date`/`end_date` (inclusive), resolved to a half-open UTC time range plus the
 * default timeseries interval.
 */
import { badRequest } from '../http/errors.js';

export const PERIODS = ['realtime', 'day', 'today', '7d', '30d', 'month', '6mo', '12mo', 'year', 'all', 'custom'] as const;
export type PeriodName = (typeof PERIODS)[number];
export type Interval = 'minute' | 'hour' | 'day' | 'week' | 'month';

export interface Period {
  name: PeriodName;
  from: Date; // inclusive
  to: Date; // exclusive
  interval: Interval;
}

const DAY = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseDate(value: string, param: string): Date {
  if (!DATE.test(value)) throw badRequest(`${param}: expected YYYY-MM-DD`);
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) throw badRequest(`${param}: not a real date`);
  if (d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9998)
    throw badRequest(`${param}: out of range (1970-01-01 to 9998-12-31)`);
  return d;
}

const startOfDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * DAY);
const monthStart = (d: Date, offset = 0) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1));

export function resolvePeriod(
  q: { period?: string; date?: string; start_date?: string; end_date?: string },
  now = new Date(),
): Period {
  const today = startOfDay(now);
  if (q.start_date !== undefined || q.end_date !== undefined) {
    if (q.start_date === undefined || q.end_date === undefined) throw badRequest('start_date and end_date go together');
    if (q.period !== undefined && q.period !== 'custom') throw badRequest('period: use either period or start_date/end_date');
    const from = parseDate(q.start_date, 'start_date');
    const last = parseDate(q.end_date, 'end_date');
    if (last < from) throw badRequest('end_date: before start_date');
    const days = (last.getTime() - from.getTime()) / DAY + 1;
    return { name: 'custom', from, to: addDays(last, 1), interval: days <= 1 ? 'hour' : days <= 92 ? 'day' : 'month' };
  }
  const name = (q.period ?? '30d') as PeriodName;
  if (!PERIODS.includes(name) || name === 'custom') throw badRequest(`period: must be one of ${PERIODS.slice(0, -1).join(', ')}`);
  const anchor = q.date !== undefined ? parseDate(q.date, 'date') : today;
  switch (name) {
    case 'realtime':
      return { name, from: new Date(now.getTime() - 5 * 60_000), to: new Date(now.getTime() + 1), interval: 'minute' };
    case 'day':
      return { name, from: anchor, to: addDays(anchor, 1), interval: 'hour' };
    case 'today':
      return { name, from: today, to: addDays(today, 1), interval: 'hour' };
    case '7d':
      return { name, from: addDays(today, -6), to: addDays(today, 1), interval: 'day' };
    case '30d':
      return { name, from: addDays(today, -29), to: addDays(today, 1), interval: 'day' };
    case 'month':
      return { name, from: monthStart(anchor), to: monthStart(anchor, 1), interval: 'day' };
    case '6mo':
      return { name, from: monthStart(today, -5), to: monthStart(today, 1), interval: 'month' };
    case '12mo':
      return { name, from: monthStart(today, -11), to: monthStart(today, 1), interval: 'month' };
    case 'year':
      return {
        name,
        from: new Date(Date.UTC(anchor.getUTCFullYear(), 0, 1)),
        to: new Date(Date.UTC(anchor.getUTCFullYear() + 1, 0, 1)),
        interval: 'month',
      };
    default:
      return { name: 'all', from: new Date(0), to: addDays(today, 1), interval: 'month' };
  }
}

/** Timestamp literal for binding: DuckDB TIMESTAMP text in UTC. */
export const tsParam = (d: Date) => d.toISOString().replace('T', ' ').replace('Z', '');
