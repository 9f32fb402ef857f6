/**
 * Periods in a site's time zone: boundaries at local midnight, across daylight-saving
 * changes and half-hour offsets. Expected instants worked out from the zones' offsets.
 */
import { describe, expect, it } from 'vitest';
import {
  fromWallClock,
  resolveComparison,
  resolvePeriod,
  resolveSitePeriod,
  timeseriesInterval,
  wallClock,
  yearEarlier,
} from './period.js';

const iso = (d: Date) => d.toISOString();

describe('wall clocks', () => {
  it.each([
    ['2026-01-10T03:00:00.000Z', 'America/New_York', '2026-01-09T22:00:00.000Z'],
    ['2026-07-10T03:00:00.000Z', 'America/New_York', '2026-07-09T23:00:00.000Z'],
    ['2026-01-09T18:30:00.000Z', 'Asia/Kolkata', '2026-01-10T00:00:00.000Z'],
    ['2026-03-29T01:30:00.000Z', 'Europe/Berlin', '2026-03-29T03:30:00.000Z'],
  ])('%s in %s shows %s', (instant, tz, wall) => {
    expect(iso(wallClock(new Date(instant), tz))).toBe(wall);
    expect(iso(fromWallClock(new Date(wall), tz))).toBe(instant);
  });

  // Zones whose clocks change at midnight: a day's first instant in a gap is the change (Santiago
  // jumps from 00:00 -04 to 01:00 -03 at 04:00Z); in an overlap, the first showing of the time
  // (Havana shows 00:00 at 04:00Z, -04, and again at 05:00Z, -05; Berlin 02:30 at 00:30Z and 01:30Z).
  it.each([
    ['2022-09-11T00:00:00.000Z', 'America/Santiago', '2022-09-11T04:00:00.000Z'],
    ['2022-09-11T00:30:00.000Z', 'America/Santiago', '2022-09-11T04:00:00.000Z'],
    ['2026-03-29T02:30:00.000Z', 'Europe/Berlin', '2026-03-29T01:00:00.000Z'],
    ['2023-11-05T00:00:00.000Z', 'America/Havana', '2023-11-05T04:00:00.000Z'],
    ['2024-03-23T23:30:00.000Z', 'America/Asuncion', '2024-03-24T02:30:00.000Z'],
    ['2026-10-25T02:30:00.000Z', 'Europe/Berlin', '2026-10-25T00:30:00.000Z'],
  ])('wall %s in %s is first reached at %s', (wall, tz, instant) => {
    expect(iso(fromWallClock(new Date(wall), tz))).toBe(instant);
  });
});

describe('resolveSitePeriod', () => {
  const NOW = new Date('2026-03-08T03:30:00Z'); // New York: 03-07 22:30 (EST)
  it.each([
    [
      'today late in New York’s evening is still its 03-07',
      { period: 'today' },
      'America/New_York',
      '2026-03-07T05:00:00.000Z',
      '2026-03-08T05:00:00.000Z',
    ],
    // 03-08 is 23 hours long there: clocks spring forward at 02:00.
    [
      'the day of the spring change',
      { period: 'day', date: '2026-03-08' },
      'America/New_York',
      '2026-03-08T05:00:00.000Z',
      '2026-03-09T04:00:00.000Z',
    ],
    [
      'a custom range in Kolkata',
      { start_date: '2026-01-10', end_date: '2026-01-11' },
      'Asia/Kolkata',
      '2026-01-09T18:30:00.000Z',
      '2026-01-11T18:30:00.000Z',
    ],
    [
      'a month across the European change',
      { period: 'month', date: '2026-03-15' },
      'Europe/Berlin',
      '2026-02-28T23:00:00.000Z',
      '2026-03-31T22:00:00.000Z',
    ],
    // Santiago has no 2022-09-11 00:00: the day starts at 01:00 -03 (04:00Z), not at 23:00 the day before.
    [
      'a day that starts in a gap',
      { period: 'day', date: '2022-09-11' },
      'America/Santiago',
      '2022-09-11T04:00:00.000Z',
      '2022-09-12T03:00:00.000Z',
    ],
    // Asuncion's 2024-03-23 ends 25 hours after it starts: 23:00–24:00 shows twice (-03, then -04).
    [
      'a day that ends after an overlap',
      { period: 'day', date: '2024-03-23' },
      'America/Asuncion',
      '2024-03-23T03:00:00.000Z',
      '2024-03-24T04:00:00.000Z',
    ],
    ['UTC is unchanged', { period: 'today' }, 'UTC', '2026-03-08T00:00:00.000Z', '2026-03-09T00:00:00.000Z'],
    ['no zone is UTC', { period: '7d' }, null, '2026-03-02T00:00:00.000Z', '2026-03-09T00:00:00.000Z'],
  ])('%s', (_name, q, tz, from, to) => {
    const p = resolveSitePeriod(q, tz, NOW);
    expect([iso(p.from), iso(p.to)]).toEqual([from, to]);
  });

  it('realtime is the same 30 whole minutes whatever the zone; only its labels follow the zone', () => {
    const at = new Date('2026-03-08T03:30:42.500Z');
    const p = resolveSitePeriod({ period: 'realtime' }, 'Asia/Kolkata', at);
    expect([iso(p.from), iso(p.to), p.interval, p.timezone]).toEqual([
      '2026-03-08T03:01:00.000Z',
      '2026-03-08T03:31:00.000Z',
      'minute',
      'Asia/Kolkata',
    ]);
    const utc = resolveSitePeriod({ period: 'realtime' }, null, at);
    expect([iso(utc.from), iso(utc.to), utc.timezone]).toEqual([
      '2026-03-08T03:01:00.000Z',
      '2026-03-08T03:31:00.000Z',
      undefined,
    ]);
  });

  it('realtime on a whole minute starts 29 minutes before it', () => {
    const p = resolvePeriod({ period: 'realtime' }, new Date('2026-03-08T00:00:00.000Z'));
    expect([iso(p.from), iso(p.to)]).toEqual(['2026-03-07T23:31:00.000Z', '2026-03-08T00:01:00.000Z']);
  });
});

describe('timeseriesInterval', () => {
  const realtime = resolvePeriod({ period: 'realtime' }, new Date('2026-01-10T12:00:30Z'));
  const day = resolvePeriod({ period: 'day', date: '2026-01-10' });
  it.each([
    ['realtime defaults to minutes', realtime, undefined, 'minute'],
    ['realtime takes minute', realtime, 'minute', 'minute'],
    ['a day defaults to hours', day, undefined, 'hour'],
    ['a day takes days', day, 'day', 'day'],
  ])('%s', (_name, period, requested, expected) => {
    expect(timeseriesInterval(period, requested)).toBe(expected);
  });
  it.each([
    [realtime, 'hour', 'interval: period=realtime has only minute buckets'],
    [day, 'minute', 'interval: minute is for period=realtime only'],
    [day, 'second', 'interval: must be one of minute, hour, day, week, month'],
  ])('refuses %#', (period, requested, message) => {
    expect(() => timeseriesInterval(period, requested)).toThrow(message);
  });
});

describe('resolveComparison', () => {
  const NOW = new Date('2026-12-06T12:00:00Z');
  it.each([
    ['previous_period of a day', { period: 'day', date: '2024-03-01' }, null, 'previous_period', '2024-02-29', '2024-03-01'],
    [
      'previous_period of March: its 31 days before',
      { period: 'month', date: '2024-03-10' },
      null,
      'previous_period',
      '2024-01-30',
      '2024-03-01',
    ],
    [
      'previous_period of a custom range',
      { start_date: '2024-02-28', end_date: '2024-02-29' },
      null,
      'previous_period',
      '2024-02-26',
      '2024-02-28',
    ],
    [
      'year_over_year of Feb 29: Feb 28',
      { period: 'day', date: '2024-02-29' },
      null,
      'year_over_year',
      '2023-02-28',
      '2023-03-01',
    ],
    [
      'year_over_year of a range ending Feb 29',
      { start_date: '2024-02-28', end_date: '2024-02-29' },
      null,
      'year_over_year',
      '2023-02-28',
      '2023-03-01',
    ],
    [
      'year_over_year of a leap February',
      { period: 'month', date: '2024-02-10' },
      null,
      'year_over_year',
      '2023-02-01',
      '2023-03-01',
    ],
    [
      'year_over_year of March 2025 (from a common year)',
      { period: 'month', date: '2025-03-10' },
      null,
      'year_over_year',
      '2024-03-01',
      '2024-04-01',
    ],
  ])('%s', (_name, q, tz, compare, from, to) => {
    const period = resolveSitePeriod(q, tz, NOW);
    const c = resolveComparison({ compare }, period);
    expect([iso(c?.from ?? new Date(0)), iso(c?.to ?? new Date(0))]).toEqual([`${from}T00:00:00.000Z`, `${to}T00:00:00.000Z`]);
    expect(c?.interval).toBe(period.interval);
  });

  it('in a time zone: local midnights, across the spring-forward day (Berlin, 2024-03-31)', () => {
    const period = resolveSitePeriod({ period: 'day', date: '2024-04-01' }, 'Europe/Berlin', NOW);
    expect(iso(period.from)).toBe('2024-03-31T22:00:00.000Z');
    const c = resolveComparison({ compare: 'previous_period' }, period);
    // 03-31 starts at 00:00 CET (23:00Z the day before) and is 23 hours long.
    expect([iso(c?.from ?? new Date(0)), iso(c?.to ?? new Date(0)), c?.timezone]).toEqual([
      '2024-03-30T23:00:00.000Z',
      '2024-03-31T22:00:00.000Z',
      'Europe/Berlin',
    ]);
  });

  it('custom dates, with or without compare=custom; none asked: undefined', () => {
    const period = resolveSitePeriod({ period: 'day', date: '2024-02-29' }, null, NOW);
    const dates = { compare_start_date: '2023-01-01', compare_end_date: '2023-01-31' };
    for (const q of [dates, { ...dates, compare: 'custom' }]) {
      const c = resolveComparison(q, period);
      expect([iso(c?.from ?? new Date(0)), iso(c?.to ?? new Date(0))]).toEqual([
        '2023-01-01T00:00:00.000Z',
        '2023-02-01T00:00:00.000Z',
      ]);
    }
    expect(resolveComparison({}, period)).toBeUndefined();
  });

  it.each([
    ['an unknown mode', { compare: 'yesterday' }, 'compare: must be one of previous_period, year_over_year, custom'],
    ['custom without dates', { compare: 'custom' }, 'compare_start_date: required with compare=custom'],
    ['a start without an end', { compare_start_date: '2024-01-01' }, 'compare_end_date: required with compare=custom'],
    [
      'reversed dates',
      { compare_start_date: '2024-01-02', compare_end_date: '2024-01-01' },
      'compare_end_date: before compare_start_date',
    ],
    [
      'dates with another mode',
      { compare: 'previous_period', compare_start_date: '2024-01-01', compare_end_date: '2024-01-02' },
      'compare: compare_start_date/compare_end_date go with compare=custom, not previous_period',
    ],
  ])('refuses %s', (_name, q, message) => {
    const period = resolveSitePeriod({ period: 'day', date: '2024-02-29' }, null, NOW);
    expect(() => resolveComparison(q, period)).toThrow(message);
  });

  it.each([
    // 2023-01-01 is a Sunday; a year earlier is a Saturday: forward to Sunday the 2nd.
    ['year_over_year of a Sunday', { period: 'day', date: '2023-01-01' }, 'year_over_year', '2022-01-02', '2022-01-03'],
    // The day before Sunday the 8th is a Saturday; the next Sunday is the period itself: back a week.
    ['previous_period of one Sunday', { period: 'day', date: '2023-01-08' }, 'previous_period', '2023-01-01', '2023-01-02'],
    // Seven days before a Sunday start on a Sunday: nothing to move.
    [
      'previous_period of a week',
      { start_date: '2023-01-01', end_date: '2023-01-07' },
      'previous_period',
      '2022-12-25',
      '2023-01-01',
    ],
    // Mon 2023-01-02 .. Wed 01-04: the three days before start on Friday 2022-12-30; the next Monday is the
    // period's first day, so back to Monday 2022-12-26 (the end moves as much: to 12-28, inclusive).
    [
      'previous_period of three days',
      { start_date: '2023-01-02', end_date: '2023-01-04' },
      'previous_period',
      '2022-12-26',
      '2022-12-29',
    ],
  ])('match_day_of_week: %s', (_name, q, compare, from, to) => {
    const period = resolveSitePeriod(q, null, NOW);
    const c = resolveComparison({ compare, match_day_of_week: true }, period);
    expect([iso(c?.from ?? new Date(0)), iso(c?.to ?? new Date(0))]).toEqual([`${from}T00:00:00.000Z`, `${to}T00:00:00.000Z`]);
  });

  it('match_day_of_week leaves custom dates as they are', () => {
    const period = resolveSitePeriod({ period: 'day', date: '2023-01-01' }, null, NOW);
    const c = resolveComparison(
      { compare_start_date: '2022-06-01', compare_end_date: '2022-06-01', match_day_of_week: true },
      period,
    );
    expect(iso(c?.from ?? new Date(0))).toBe('2022-06-01T00:00:00.000Z');
  });

  it('refuses a comparison of realtime', () => {
    expect(() => resolveComparison({ compare: 'previous_period' }, resolveSitePeriod({ period: 'realtime' }, null, NOW))).toThrow(
      'compare: not available with period=realtime',
    );
  });
});

describe('yearEarlier', () => {
  it.each([
    ['2024-02-29', '2023-02-28'],
    ['2024-02-28', '2023-02-28'],
    ['2024-03-01', '2023-03-01'],
    ['2025-02-28', '2024-02-28'],
    ['2024-12-31', '2023-12-31'],
  ])('%s → %s', (d, expected) => {
    expect(
      yearEarlier(new Date(`${d}T00:00:00Z`))
        .toISOString()
        .slice(0, 10),
    ).toBe(expected);
  });
});
