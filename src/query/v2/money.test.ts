import { describe, expect, it } from 'vitest';
import { decimalString, money } from './money.js';
import { revenueValue } from './revenue.js';

describe('decimalString', () => {
  it.each<[number, number, string]>([
    [2012000, 4, '201.2000'],
    [67066, 3, '67.066'],
    [5, 4, '0.0005'],
    [0, 3, '0.000'],
    [-123450, 4, '-12.3450'],
    [42, 0, '42'],
  ])('%i at scale %i is %s', (units, scale, text) => {
    expect(decimalString(units, scale)).toBe(text);
  });
});

describe('money: Plausible v2 money objects (CLDR English, half to even)', () => {
  it.each<[string, string, string, string, number]>([
    // [amount, currency, short, long, value]; the first four are Plausible's own test answers.
    ['67.066', 'USD', '$67.1', '$67.07', 67.066],
    ['201.2000', 'USD', '$201.2', '$201.20', 201.2],
    ['50.45', 'USD', '$50.4', '$50.45', 50.45],
    ['96336315', 'USD', '$96.3M', '$96,336,315.00', 96336315],
    ['100.0000', 'EUR', '€100.0', '€100.00', 100],
    ['0.000', 'USD', '$0.0', '$0.00', 0],
    // Half to even on the exact decimal: 0.125 → 0.12, 0.135 → 0.14.
    ['0.125', 'GBP', '£0.1', '£0.12', 0.125],
    ['0.135', 'GBP', '£0.1', '£0.14', 0.135],
    ['1234.5', 'JPY', '¥1.2K', '¥1,234', 1234.5],
    ['-12.3450', 'USD', '-$12.3', '-$12.34', -12.345],
    ['1234.5', 'CHF', 'CHF\u00a01.2K', 'CHF\u00a01,234.50', 1234.5],
  ])('%s %s', (amount, currency, short, long, value) => {
    expect(money(amount, currency)).toEqual({ short, long, value, currency });
  });
});

describe('revenueValue', () => {
  // 100.3 + 40.3 + 60.6 = 201.2 USD over 3 completions; 201.2 / 3 = 67.0666… cut to 67.066.
  const paid = { currency: 'USD', totalUnits: 2_012_000, paid: 3, skipped: 1 };
  it('total is the exact sum; average the mean cut to 3 decimals', () => {
    expect(revenueValue('total_revenue', paid)).toEqual({ short: '$201.2', long: '$201.20', value: 201.2, currency: 'USD' });
    expect(revenueValue('average_revenue', paid)).toEqual({ short: '$67.1', long: '$67.07', value: 67.066, currency: 'USD' });
  });
  it('nothing paid is 0 in the currency; no currency is null', () => {
    const none = { currency: 'EUR', totalUnits: 0, paid: 0, skipped: 2 };
    expect(revenueValue('average_revenue', none)).toEqual({ short: '€0.0', long: '€0.00', value: 0, currency: 'EUR' });
    expect(revenueValue('total_revenue', none)?.value).toBe(0);
    expect(revenueValue('total_revenue', null)).toBeNull();
  });
  it('cuts toward zero: a refund-heavy mean of -10.0005 over 2 is -5.000', () => {
    expect(revenueValue('average_revenue', { currency: 'USD', totalUnits: -100_005, paid: 2, skipped: 0 })?.value).toBe(-5);
  });
});
