import { describe, expect, it } from 'vitest';
import { lastWhole } from './periods.js';

describe('report periods', () => {
  it.each([
    // [now, time zone, week key, start, end] — 2026-12-06 is a Sunday
    ['2026-12-06T12:00:00Z', null, '2026-W48', '2026-11-23', '2026-11-29'],
    ['2026-12-07T00:30:00Z', null, '2026-W49', '2026-11-30', '2026-12-06'],
    // 23:30 UTC Sunday is already Monday in Berlin: that week is over there.
    ['2026-12-06T23:30:00Z', 'Europe/Berlin', '2026-W49', '2026-11-30', '2026-12-06'],
    // The ISO year of a week is its Thursday's: Mon 2026-12-28 … Sun 2027-01-03 is 2026-W53.
    ['2027-01-05T10:00:00Z', null, '2026-W53', '2026-12-28', '2027-01-03'],
    ['2027-01-12T10:00:00Z', null, '2027-W01', '2027-01-04', '2027-01-10'],
  ] as const)('weekly at %s (%s): %s', (now, tz, key, start, end) => {
    expect(lastWhole('weekly', new Date(now), tz)).toEqual({ kind: 'weekly', key, start_date: start, end_date: end });
  });

  it.each([
    ['2026-12-06T12:00:00Z', null, '2026-11', '2026-11-01', '2026-11-30'],
    ['2026-03-01T00:00:00Z', null, '2026-02', '2026-02-01', '2026-02-28'],
    ['2024-03-10T00:00:00Z', null, '2024-02', '2024-02-01', '2024-02-29'],
    ['2027-01-01T03:00:00Z', null, '2026-12', '2026-12-01', '2026-12-31'],
    // Still 2026-12-31 in Los Angeles: November is the last whole month there.
    ['2027-01-01T03:00:00Z', 'America/Los_Angeles', '2026-11', '2026-11-01', '2026-11-30'],
  ] as const)('monthly at %s (%s): %s', (now, tz, key, start, end) => {
    expect(lastWhole('monthly', new Date(now), tz)).toEqual({ kind: 'monthly', key, start_date: start, end_date: end });
  });
});
