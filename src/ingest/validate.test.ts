/**
 * The validator's fast path against the schema: wherever `parsedFast` answers, its answer
 * is the schema's; whatever the schema refuses, the fast path leaves to the schema. Inputs
 * are drawn from values at and beyond every limit, of every JSON type.
 */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../bench/lib.js';
import { LIMITS, parsedBySchema, parsedFast, ValidationError, validateEvent } from './validate.js';

const text = (n: number) => 'x'.repeat(n);
/** Always the schema's to decide: drawn rarely, so that most inputs test the fast path. */
const REVENUE: Record<string, readonly unknown[]> = { ra: ['12.5'], rc: ['EUR'], revenue: [{ amount: '1', currency: 'usd' }] };
const ANY = [undefined, null, true, false, 0, 1, -1, 1.5, 100_000, 100_001, '', 'a', {}, [], { a: 1 }];
const FIELDS: Record<string, readonly unknown[]> = {
  d: ['a.com', 'a.com,b.org', text(LIMITS.siteId * LIMITS.sitesPerEvent), text(LIMITS.siteId * LIMITS.sitesPerEvent + 1)],
  domain: ['a.com'],
  n: ['pageview', 'Signup', text(LIMITS.name), text(LIMITS.name + 1)],
  name: ['x'],
  u: ['https://a.com/p?utm_source=x', 'https://a.com/ü', text(LIMITS.url), `https://a.com/${text(LIMITS.url)}`],
  url: ['http://a.com/'],
  r: ['https://www.google.com/', text(LIMITS.referrer), text(LIMITS.referrer + 1)],
  referrer: ['https://t.co/x'],
  w: [0, 360, 1920, 100_000, 100_001, -1, 1.5, '1920'],
  p: [
    { plan: 'pro', n: 3, ok: true, gone: null },
    { [text(LIMITS.propKey)]: text(LIMITS.propValue) },
    { [text(LIMITS.propKey + 1)]: 'v' },
    { k: text(LIMITS.propValue + 1) },
    { '': 'v' },
    { nested: { a: 1 } },
    { list: [1] },
    Object.fromEntries(Array.from({ length: LIMITS.propKeys }, (_, i) => [`k${i}`, i])),
    Object.fromEntries(Array.from({ length: LIMITS.propKeys + 1 }, (_, i) => [`k${i}`, i])),
    '{"k":"v","n":2}',
    '{not json',
    '"a string"',
    '[1]',
    [],
  ],
  props: [{ a: 'b' }],
  m: [{ a: 1.25 }],
  h: [0, 1, 2, true, false, '1'],
  sd: [0, 55, 100, 101, -1, 2.5, '50'],
  e: [0, 1234, LIMITS.engagedMs + 1, -1, 0.5, '1000'],
  timestamp: ['2026-01-02T03:04:05Z', '2026-01-02', text(40), text(41), 1_700_000_000_000, Number.NaN],
  ip: ['81.2.69.160', '::1', text(45), text(46)],
  user_agent: ['Mozilla/5.0', text(LIMITS.userAgent), text(LIMITS.userAgent + 1)],
  user_id: ['u1', '', text(LIMITS.userId), text(LIMITS.userId + 1)],
  other: ['ignored', { deep: [1] }],
};

function schemaAnswer(input: Record<string, unknown>): unknown {
  try {
    return parsedBySchema(input);
  } catch (err) {
    if (err instanceof ValidationError) return 'refused';
    throw err;
  }
}

describe('the validator fast path', () => {
  it('answers as the schema does, or leaves the input to it (50,000 drawn inputs)', () => {
    const rand = mulberry32(20261205);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
    let answered = 0;
    for (let i = 0; i < 50_000; i++) {
      const input: Record<string, unknown> = {};
      for (const [field, values] of Object.entries(FIELDS)) {
        const roll = rand();
        if (roll < 0.7) continue;
        input[field] = roll < 0.98 ? pick(values) : pick(ANY);
      }
      for (const [field, values] of Object.entries(REVENUE)) if (rand() < 0.02) input[field] = pick(values);
      const fast = parsedFast(input);
      if (fast === null) continue;
      answered++;
      expect(fast, JSON.stringify(input)).toEqual(schemaAnswer(input));
    }
    // The fast path must be the usual path, not a rare one.
    expect(answered).toBeGreaterThan(5_000);
  });

  it('takes a tracker page view and a flat batch event itself', () => {
    const pageview = { d: 'a.com', n: 'pageview', u: 'https://a.com/', r: null, w: 1440, h: 0 };
    const batch = {
      ...pageview,
      p: '{"plan":"pro"}',
      timestamp: '2026-01-02T03:04:05.123Z',
      ip: '81.2.69.160',
      user_agent: 'UA',
    };
    expect(parsedFast(pageview)).toEqual(pageview);
    expect(parsedFast(batch)).toEqual({ ...batch, p: { plan: 'pro' } });
  });

  it('reads the engagement fields: sd 0..100, e ≥ 0 capped at 30 minutes, 400 naming the field otherwise', () => {
    const ev = (extra: Record<string, unknown>) =>
      validateEvent({ d: 'a.com', n: 'engagement', u: 'https://a.com/', ...extra }, { batch: false });
    expect(ev({ sd: 100, e: 0 })).toMatchObject({ scrollDepth: 100, engagedMs: 0 });
    expect(ev({})).toMatchObject({ scrollDepth: null, engagedMs: null });
    expect(ev({ e: 45 * 60_000 })).toMatchObject({ engagedMs: 30 * 60_000 });
    expect(() => ev({ sd: 101 })).toThrow(/^sd: /);
    expect(() => ev({ sd: '5' })).toThrow(/^sd: /);
    expect(() => ev({ e: -1 })).toThrow(/^e: /);
    expect(() => ev({ e: 1.5 })).toThrow(/^e: /);
  });

  it('reads ISO times as before: no zone is UTC, a space may stand for T, impossible dates are refused', () => {
    const at = (timestamp: string) =>
      validateEvent(
        { d: 'a.com', n: 'x', u: 'https://a.com/', timestamp },
        { batch: true, now: Date.parse('2030-01-01T00:00:00Z') },
      ).timestamp?.toISOString();
    expect(at('2026-01-02 03:04')).toBe('2026-01-02T03:04:00.000Z');
    expect(at('2026-01-02T03:04:05.5+02:00')).toBe('2026-01-02T01:04:05.500Z');
    expect(at('2024-02-29')).toBe('2024-02-29T00:00:00.000Z');
    for (const bad of ['2026-02-29', '2026-13-01', '2026-04-31', '0050-01-01', '2026-1-01', '2026-01-02T03']) {
      expect(() => at(bad), bad).toThrow('timestamp: not an ISO 8601 time or epoch milliseconds');
    }
  });
});
