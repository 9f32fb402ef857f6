import { describe, expect, it } from 'vitest';
import { utcDate } from './utc-days.js';

describe('utcDate', () => {
  it.each<[string, string]>([
    ['2024-03-15T00:00:00.000Z', '2024-03-15'],
    ['2024-03-15T23:59:59.999Z', '2024-03-15'],
    ['2024-03-15T23:30:00-02:00', '2024-03-16'],
    ['2024-03-16T01:00:00+03:00', '2024-03-15'],
    ['2024-02-29T12:00:00Z', '2024-02-29'],
    ['1999-12-31T23:59:59Z', '1999-12-31'],
    ['1969-12-31T23:59:59.999Z', '1969-12-31'],
    ['1970-01-01T00:00:00Z', '1970-01-01'],
  ])('%s → %s', (iso, day) => {
    expect(utcDate(new Date(iso))).toBe(day);
  });

  it('throws for an invalid date', () => {
    expect(() => utcDate(new Date('nope'))).toThrow(RangeError);
  });
});
