import { describe, expect, it } from 'vitest';
import { SeenBatches } from './replay.js';

function clock(start = 5_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('SeenBatches', () => {
  it('claims a key once', () => {
    const seen = new SeenBatches();
    expect(seen.claim('a')).toBe(true);
    expect(seen.claim('a')).toBe(false);
    expect(seen.claim('b')).toBe(true);
  });

  it('a released key may be claimed again', () => {
    const seen = new SeenBatches();
    expect(seen.claim('a')).toBe(true);
    seen.release('a');
    expect(seen.claim('a')).toBe(true);
  });

  it('forgets keys after the ttl (24 h by default)', () => {
    const c = clock();
    const seen = new SeenBatches({ now: c.now });
    seen.claim('a');
    c.advance(24 * 3_600_000 - 1);
    expect(seen.claim('a')).toBe(false);
    c.advance(1);
    expect(seen.claim('a')).toBe(true);
    expect(seen.size).toBe(1);
  });

  it('holds at most maxEntries, forgetting the oldest', () => {
    const seen = new SeenBatches({ maxEntries: 3 });
    for (const k of ['a', 'b', 'c', 'd']) expect(seen.claim(k)).toBe(true);
    expect(seen.size).toBe(3);
    expect(seen.claim('d')).toBe(false);
    expect(seen.claim('b')).toBe(false);
    expect(seen.claim('a')).toBe(true);
  });
});
