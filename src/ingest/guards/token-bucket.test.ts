import { describe, expect, it } from 'vitest';
import { burstFor, TokenBuckets } from './token-bucket.js';

function clock(start = 1_000_000) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Takes until refused; returns how many were allowed (at most `max`). */
function drain(b: TokenBuckets, key: string, rate: number, max = 100_000): number {
  for (let i = 0; i < max; i++) if (!b.take(key, rate).ok) return i;
  return max;
}

describe('burstFor', () => {
  it.each([
    [1, 2],
    [5, 10],
    [0.5, 1],
    [0.01, 1],
    [2.5, 5],
  ])('rate %d → burst %d', (rate, burst) => {
    expect(burstFor(rate)).toBe(burst);
  });
});

describe('TokenBuckets', () => {
  it('allows a full burst, then refuses with the seconds to wait', () => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now });
    expect(drain(b, 'a', 5)).toBe(10);
    expect(b.take('a', 5)).toEqual({ ok: false, retryAfter: 1, key: 'a' });
  });

  it('refills at the rate, never above the burst', () => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now });
    expect(drain(b, 'a', 2)).toBe(4);
    c.advance(499);
    expect(b.take('a', 2).ok).toBe(false);
    c.advance(1);
    expect(b.take('a', 2).ok).toBe(true);
    expect(b.take('a', 2).ok).toBe(false);
    c.advance(3_600_000);
    expect(drain(b, 'a', 2)).toBe(4);
  });

  it.each([
    // rate, ms elapsed after draining, Retry-After
    [1, 0, 1],
    [0.1, 0, 10],
    [0.1, 9_000, 1],
    [0.1, 8_999, 2],
    [0.01, 0, 100],
    [1000, 0, 1],
  ])('rate %d, %d ms after draining: Retry-After %d', (rate, elapsed, retryAfter) => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now });
    drain(b, 'k', rate);
    c.advance(elapsed);
    expect(b.take('k', rate)).toEqual({ ok: false, retryAfter, key: 'k' });
  });

  it('keeps keys apart', () => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now });
    expect(drain(b, 'a', 1)).toBe(2);
    expect(drain(b, 'b', 1)).toBe(2);
    expect(b.take('a', 1).ok).toBe(false);
  });

  it('takeAll takes from every bucket or from none', () => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now });
    expect(drain(b, 'full', 1, 1)).toBe(1); // one of two left
    expect(drain(b, 'empty', 1)).toBe(2);
    const both = [
      { key: 'full', rate: 1, burst: 2 },
      { key: 'empty', rate: 1, burst: 2 },
    ];
    expect(b.takeAll(both)).toEqual({ ok: false, retryAfter: 1, key: 'empty' });
    // 'full' was not charged for the refused event
    expect(b.take('full', 1).ok).toBe(true);
    expect(b.take('full', 1).ok).toBe(false);
  });

  it('names the bucket with the longest wait', () => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now });
    drain(b, 'slow', 0.1);
    drain(b, 'fast', 10);
    const r = b.takeAll([
      { key: 'fast', rate: 10, burst: 20 },
      { key: 'slow', rate: 0.1, burst: 1 },
    ]);
    expect(r).toEqual({ ok: false, retryAfter: 10, key: 'slow' });
  });

  it('forgets buckets that have refilled, at the next sweep', () => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now, sweepMs: 1000 });
    b.take('a', 1);
    drain(b, 'b', 0.01);
    expect(b.size).toBe(2);
    c.advance(5000);
    b.take('c', 1);
    // 'a' is full again (a fresh bucket is the same), 'b' is not (100 s per token)
    expect(b.size).toBe(2);
    expect(b.take('b', 0.01).ok).toBe(false);
  });

  it('never holds more than maxKeys, evicting the least recently used', () => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now, maxKeys: 3 });
    for (const k of ['a', 'b', 'c']) drain(b, k, 1);
    b.take('a', 1); // a is now the most recently used
    drain(b, 'd', 1);
    expect(b.size).toBe(3);
    // b was evicted: it starts over with a full bucket; a and c are still empty
    expect(b.take('a', 1).ok).toBe(false);
    expect(b.take('c', 1).ok).toBe(false);
    expect(b.take('b', 1).ok).toBe(true);
    expect(b.size).toBe(3);
  });

  it('stays bounded under a flood of distinct keys', () => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now, maxKeys: 1000 });
    for (let i = 0; i < 50_000; i++) b.take(`k${i}`, 1);
    expect(b.size).toBe(1000);
  });

  it('a clock going backwards refills nothing', () => {
    const c = clock();
    const b = new TokenBuckets({ now: c.now });
    drain(b, 'a', 1);
    c.advance(-10_000);
    expect(b.take('a', 1).ok).toBe(false);
  });
});
