import { describe, expect, it } from 'vitest';
import { validateEvent } from '../ingest/validate.js';
import { DEMO_DAYS, DEMO_SEED, DEMO_SITE, demoStart, generateDemo } from './generate.js';

const UNTIL = Date.parse('2026-03-18T15:30:00Z');

describe('generateDemo', () => {
  const { events, places } = generateDemo(DEMO_SEED, UNTIL);

  it('is a function of the seed and the end: the same arguments, the same events', () => {
    expect(generateDemo(DEMO_SEED, UNTIL)).toEqual({ events, places });
    expect(generateDemo(DEMO_SEED + 1, UNTIL).events).not.toEqual(events);
  });

  it('covers the 30 UTC days ending with the day of `until`, in time order, nothing after it', () => {
    expect(demoStart(UNTIL)).toBe(Date.parse('2026-02-17T00:00:00Z'));
    const days = new Set(events.map((e) => new Date(e.timestamp).toISOString().slice(0, 10)));
    expect(days.size).toBe(DEMO_DAYS);
    expect([...days].sort()[0]).toBe('2026-02-17');
    expect([...days].sort().at(-1)).toBe('2026-03-18');
    expect(events.every((e, i) => i === 0 || (events[i - 1]?.timestamp ?? 0) <= e.timestamp)).toBe(true);
    expect(Math.max(...events.map((e) => e.timestamp))).toBeLessThanOrEqual(UNTIL);
  });

  it('makes events a batch accepts, each for the demo site from a placed address', () => {
    for (const e of events) {
      expect(validateEvent(e, { batch: true }).siteIds).toEqual([DEMO_SITE]);
      expect(places.get(e.ip)?.countryCode).toMatch(/^[A-Z]{2}$/);
    }
  });

  it('has signed-in users who come back in later weeks, and purchases in one currency', () => {
    const weeksOf = new Map<string, Set<number>>();
    for (const e of events) {
      if (e.user_id === undefined) continue;
      const week = Math.floor((e.timestamp - demoStart(UNTIL)) / (7 * 86_400_000));
      weeksOf.set(e.user_id, (weeksOf.get(e.user_id) ?? new Set()).add(week));
    }
    expect([...weeksOf.values()].filter((w) => w.size >= 3).length).toBeGreaterThan(20);
    const purchases = events.filter((e) => e.n === 'Purchase');
    expect(purchases.length).toBeGreaterThan(50);
    expect(new Set(purchases.map((e) => e.revenue?.currency))).toEqual(new Set(['EUR']));
  });
});
