/** `change` (docs/METRICS.md, "Change"): percent for counts and averages, points for rates, null against 0. */
import { describe, expect, it } from 'vitest';
import { change, engagementValues } from './metrics.js';

describe('change', () => {
  it.each([
    ['visitors', 4, 5, -20],
    ['visitors', 3, 1, 200],
    ['visitors', 0, 3, -100],
    ['events', 7, 3, 133.3],
    ['views_per_visit', 1.5, 1.2, 25],
    ['visit_duration', 240, 252, -4.8],
    ['visitors', 5, 0, null],
    ['visitors', 0, 0, null],
    // Rates: the difference in points (a bounce rate is a fraction, the others percent).
    ['bounce_rate', 0.5, 0.6, -10],
    ['bounce_rate', 0.5, 0.6667, -16.7],
    ['bounce_rate', 1, 0, null],
    ['percentage', 75, 40, 35],
    ['conversion_rate', 25, 20, 5],
    ['conversion_rate', 25, 0, null],
  ] as const)('%s %d against %d → %s', (field, current, previous, expected) => {
    expect(change(field, current, previous)).toBe(expected);
  });
});

describe('engagementValues', () => {
  it('means over the visitors who reported each, rounded; null where none did', () => {
    // 3 visitors reported time: (20 + 5.5 + 1) s / 3 = 8.83 → 9; 2 reported depth: (40 + 75) / 2 = 57.5 → 58.
    expect(engagementValues({ timeVisitors: 3, timeMs: 26_500, scrollVisitors: 2, scrollSum: 115 })).toEqual({
      time_on_page: 9,
      scroll_depth: 58,
    });
    expect(engagementValues({ timeVisitors: 0, timeMs: 0, scrollVisitors: 1, scrollSum: 30 })).toEqual({
      time_on_page: null,
      scroll_depth: 30,
    });
    expect(engagementValues(undefined)).toEqual({ time_on_page: null, scroll_depth: null });
  });
});
