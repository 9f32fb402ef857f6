/** `change` (docs/METRICS.md, "Change"): percent for counts and averages, points for rates, null against 0. */
import { describe, expect, it } from 'vitest';
import { change } from './metrics.js';

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
