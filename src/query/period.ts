/**
 * Periods (docs/DATA.md §10): `realtime|day|today|7d|30d|month|6mo|12mo|year|all` or a custom
 * `start_date`/`end_date` (inclusive), resolved to a half-open UTC time range plus the
 * default timeseries interval.
 */
import { invalidInput } from '../errors.js';
import { DAY_MS, timestampText } from '../utc-days.js';
import { type Sql, spelled, sql } from './sql.js';

export const PERIODS = ['realtime', 'day', 'today', '7d', '30d', 'month', '6mo', '12mo', 'year', 'all', 'custom'] as const;
export type PeriodName = (typeof PERIODS)[number];
export type Interval = 'minute' | 'hour' | 'day' | 'week' | 'month';

export interface Period {
  name: PeriodName;
  from: Date; // inclusive
  to: Date; // exclusive
  interval: Interval;
  /** The site's IANA time zone: calendar periods and time buckets follow its clocks. Absent = UTC. */
  timezone?: string;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function parseDate(value: string, param: string): Date {
  if (!DATE.test(value)) throw invalidInput(`${param}: expected YYYY-MM-DD`);
  const d = new Date(`${value}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== value) throw invalidInput(`${param}: not a real date`);
  if (d.getUTCFullYear() < 1970 || d.getUTCFullYear() > 9998)
    throw invalidInput(`${param}: out of range (1970-01-01 to 9998-12-31)`);
  return d;
}

/** Realtime's minute buckets (docs/DATA.md §10): the current minute and the 29 before it. */
export const REALTIME_MINUTES = 30;
const MINUTE_MS = 60_000;
/** "Visitors now" (`/api/stats/realtime`): anyone with an event in the last 5 minutes. */
export const CURRENT_VISITORS_MS = 5 * MINUTE_MS;

/** Where "visitors now" counts from. */
export const currentVisitorsSince = (now: Date): Date => new Date(now.getTime() - CURRENT_VISITORS_MS);

/**
 * The realtime window: whole minutes, so that its 30 one-minute buckets are all whole and
 * the same on every engine; it ends with the current minute (events sent up to 5 minutes
 * ahead count once their minute comes).
 */
function realtimeWindow(now: Date): { from: Date; to: Date } {
  const minute = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS;
  return { from: new Date(minute - (REALTIME_MINUTES - 1) * MINUTE_MS), to: new Date(minute + MINUTE_MS) };
}

const startOfDay = (d: Date) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
const addDays = (d: Date, n: number) => new Date(d.getTime() + n * DAY_MS);
const monthStart = (d: Date, offset = 0) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1));

export function resolvePeriod(
  q: { period?: string; date?: string; start_date?: string; end_date?: string },
  now = new Date(),
): Period {
  const today = startOfDay(now);
  if (q.start_date !== undefined || q.end_date !== undefined) {
    if (q.start_date === undefined || q.end_date === undefined) throw invalidInput('start_date and end_date go together');
    if (q.period !== undefined && q.period !== 'custom') throw invalidInput('period: use either period or start_date/end_date');
    const from = parseDate(q.start_date, 'start_date');
    const last = parseDate(q.end_date, 'end_date');
    if (last < from) throw invalidInput('end_date: before start_date');
    const days = (last.getTime() - from.getTime()) / DAY_MS + 1;
    return { name: 'custom', from, to: addDays(last, 1), interval: days <= 1 ? 'hour' : days <= 92 ? 'day' : 'month' };
  }
  const name = (q.period ?? '30d') as PeriodName;
  if (!PERIODS.includes(name) || name === 'custom')
    throw invalidInput(`period: must be one of ${PERIODS.slice(0, -1).join(', ')}`);
  const anchor = q.date !== undefined ? parseDate(q.date, 'date') : today;
  switch (name) {
    case 'realtime':
      return { name, ...realtimeWindow(now), interval: 'minute' };
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

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall-clock time of an instant in a time zone, as a Date whose UTC fields hold it. */
export function wallClock(instant: Date, tz: string): Date {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  const part: Record<string, number> = {};
  for (const { type, value } of f.formatToParts(instant)) part[type] = Number(value);
  const { year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = part;
  return new Date(Date.UTC(year, month - 1, day, hour % 24, minute, second, instant.getUTCMilliseconds()));
}

/**
 * The instant at which a time zone's clocks show `wall` (a Date whose UTC fields hold the
 * wall time). Some zones change their clocks at midnight (America/Santiago springs forward
 * from 00:00 to 01:00, America/Havana falls back from 01:00 to 00:00), so a day's boundary
 * can fall in a gap or an overlap. In a gap, the first instant whose clocks show `wall` or
 * later (the change itself), so that no instant of the day before is counted in the day; in
 * an overlap, the earlier of the two (a day runs from its first midnight to the next day's
 * first: every instant belongs to one day).
 */
export function fromWallClock(wall: Date, tz: string): Date {
  const t = wall.getTime();
  const offsetAt = (instant: number) => wallClock(new Date(instant), tz).getTime() - instant;
  const first = t - offsetAt(t);
  const guess = t - offsetAt(first);
  if (wallClock(new Date(guess), tz).getTime() === t) {
    // In an overlap `guess` may be the later showing: the offset of a few hours before gives the earlier.
    const earlier = t - offsetAt(guess - 6 * 3_600_000);
    return new Date(earlier < guess && wallClock(new Date(earlier), tz).getTime() === t ? earlier : guess);
  }
  // In a gap: with the offset after the change the clocks show less than `wall`, with the
  // one before more. The change lies between those two instants.
  let lo = Math.min(t - offsetAt(guess), guess);
  let hi = Math.max(t - offsetAt(guess), guess);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (wallClock(new Date(mid), tz).getTime() >= t) hi = mid;
    else lo = mid;
  }
  return new Date(hi);
}

/**
 * `resolvePeriod` in a site's time zone: "today", months and custom dates start at the
 * site's local midnight. Realtime is the same instants everywhere; only its minute labels
 * are the site's wall clock, as hour labels are (every zone's offset is whole minutes).
 */
export function resolveSitePeriod(
  q: Parameters<typeof resolvePeriod>[0],
  tz: string | null | undefined,
  now = new Date(),
): Period {
  if (!tz || tz === 'UTC') return resolvePeriod(q, now);
  if (q.period === 'realtime') return { ...resolvePeriod(q, now), timezone: tz };
  return inTimeZone(resolvePeriod(q, wallClock(now, tz)), tz);
}

/** A period resolved on wall-clock dates, moved to the instants a time zone gives them. */
export function inTimeZone(p: Period, tz: string | null | undefined): Period {
  if (!tz || tz === 'UTC' || p.name === 'realtime') return p;
  return { ...p, from: p.name === 'all' ? p.from : fromWallClock(p.from, tz), to: fromWallClock(p.to, tz), timezone: tz };
}

/**
 * The one rule for where `all` starts: the site's local midnight (UTC midnight on a UTC
 * site) of the day of its first event, or the period's last day when it has none. Other
 * periods are returned as they are.
 */
export function startAllAt(period: Period, firstEvent: Date | null): Period {
  if (period.name !== 'all') return period;
  const tz = period.timezone;
  const lastDayStart = tz ? fromWallClock(addDays(wallClock(period.to, tz), -1), tz) : addDays(period.to, -1);
  if (!firstEvent || firstEvent >= lastDayStart) return { ...period, from: lastDayStart };
  const from = tz ? fromWallClock(startOfDay(wallClock(firstEvent, tz)), tz) : startOfDay(firstEvent);
  return { ...period, from };
}

const INTERVALS: readonly Interval[] = ['minute', 'hour', 'day', 'week', 'month'];

/**
 * The timeseries interval of a request: the one asked for, or the period's default. Minute
 * buckets belong to realtime alone (30 of them), and realtime has no other.
 */
export function timeseriesInterval(period: Period, requested: string | undefined): Interval {
  if (requested === undefined) return period.interval;
  if (!(INTERVALS as readonly string[]).includes(requested))
    throw invalidInput(`interval: must be one of ${INTERVALS.join(', ')}`);
  if (period.name === 'realtime' && requested !== 'minute')
    throw invalidInput('interval: period=realtime has only minute buckets');
  if (period.name !== 'realtime' && requested === 'minute') throw invalidInput('interval: minute is for period=realtime only');
  return requested as Interval;
}

/** Timestamp literal for binding: DuckDB TIMESTAMP text in UTC. */
export { timestampText as tsParam } from '../utc-days.js';

/** A time as a bound timestamp parameter, compared with stored times in any engine. */
export const timeParam = (d: Date): Sql => spelled((dialect) => dialect.timestamp(sql`${timestampText(d)}`));

export const COMPARISONS = ['previous_period', 'year_over_year', 'custom'] as const;
export type ComparisonMode = (typeof COMPARISONS)[number];

/**
 * The period a comparison is made against (docs/API.md, "Comparison"), or undefined when the
 * request asks for none: `previous_period` — as many days, ending where the period starts;
 * `year_over_year` — the same dates a year earlier (Feb 29 → Feb 28); `custom` —
 * `compare_start_date`..`compare_end_date`, inclusive. Dates are the site's calendar days,
 * as the period's are; the comparison keeps the period's default interval. `match_day_of_week`
 * (v2's `include.comparisons`) moves a previous_period or year_over_year comparison to start
 * on the period's weekday (`matchWeekday`).
 */
export function resolveComparison(
  q: { compare?: string; compare_start_date?: string; compare_end_date?: string; match_day_of_week?: boolean },
  period: Period,
): Period | undefined {
  const dates = q.compare_start_date !== undefined || q.compare_end_date !== undefined;
  if (q.compare === undefined && !dates) return undefined;
  if (q.compare !== undefined && !(COMPARISONS as readonly string[]).includes(q.compare)) {
    throw invalidInput(`compare: must be one of ${COMPARISONS.join(', ')}`);
  }
  if (period.name === 'realtime') throw invalidInput('compare: not available with period=realtime');
  const mode = (q.compare ?? 'custom') as ComparisonMode;
  if (dates && mode !== 'custom')
    throw invalidInput(`compare: compare_start_date/compare_end_date go with compare=custom, not ${mode}`);
  const tz = period.timezone;
  // Calendar arithmetic on the site's wall-clock dates, moved back to instants at the end.
  const wall = (d: Date) => (tz ? wallClock(d, tz) : d);
  const at = (from: Date, to: Date): Period => ({
    ...inTimeZone({ ...period, name: 'custom', from, to }, tz),
    interval: period.interval,
  });
  if (mode === 'custom') {
    if (q.compare_start_date === undefined) throw invalidInput('compare_start_date: required with compare=custom');
    if (q.compare_end_date === undefined) throw invalidInput('compare_end_date: required with compare=custom');
    const from = parseDate(q.compare_start_date, 'compare_start_date');
    const last = parseDate(q.compare_end_date, 'compare_end_date');
    if (last < from) throw invalidInput('compare_end_date: before compare_start_date');
    return at(from, addDays(last, 1));
  }
  const from = startOfDay(wall(period.from));
  const to = startOfDay(wall(period.to));
  const [first, end] =
    mode === 'previous_period'
      ? [addDays(from, -Math.round((to.getTime() - from.getTime()) / DAY_MS)), from]
      : [yearEarlier(from), addDays(yearEarlier(addDays(to, -1)), 1)];
  const shift = q.match_day_of_week ? matchWeekday(first, from) : 0;
  return at(addDays(first, shift), addDays(end, shift));
}

/**
 * Days to move a comparison starting on `first` so that it starts on the weekday of the
 * period's first day, `periodFirst`, as Plausible's `match_day_of_week` does: forward to the
 * next such day, or back to the previous one when the next would be the period's own first day.
 */
export function matchWeekday(first: Date, periodFirst: Date): number {
  const ahead = (periodFirst.getUTCDay() - first.getUTCDay() + 7) % 7;
  if (ahead === 0) return 0;
  return addDays(first, ahead).getTime() === periodFirst.getTime() ? ahead - 7 : ahead;
}

/** The same calendar date a year earlier; Feb 29 becomes Feb 28. */
export function yearEarlier(d: Date): Date {
  const y = d.getUTCFullYear() - 1;
  const lastOfMonth = new Date(Date.UTC(y, d.getUTCMonth() + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, d.getUTCMonth(), Math.min(d.getUTCDate(), lastOfMonth)));
}
