/**
 * A keyed token-bucket rate limiter, in memory only. Each key (a site id, a client IP)
 * has a bucket of `burst` tokens refilled at `rate` tokens per second; an event takes one
 * token from every bucket it is charged to, or none when any of them is empty.
 *
 * The map is bounded: buckets that have refilled to full are forgotten (a fresh bucket is
 * the same thing), the sweep runs at most every `sweepMs`, and past `maxKeys` the least
 * recently used key is evicted (it starts again with a full bucket). Keys are never
 * written anywhere.
 */

export interface Limit {
  key: string;
  /** Tokens per second (> 0). */
  rate: number;
  /** Bucket size (≥ 1). */
  burst: number;
}

/**
 * Allowed, or refused with the whole seconds until a token is available (≥ 1, for
 * Retry-After) and the key of the bucket that is furthest from one.
 */
export type Take = { ok: true } | { ok: false; retryAfter: number; key: string };

interface Bucket {
  tokens: number;
  at: number;
  rate: number;
  burst: number;
}

export interface TokenBucketOptions {
  maxKeys?: number;
  sweepMs?: number;
  now?: () => number;
}

/** The bucket size for a rate: twice the rate, and room for at least one event. */
export const burstFor = (rate: number): number => Math.max(1, 2 * rate);

export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly maxKeys: number;
  private readonly sweepMs: number;
  private readonly now: () => number;
  private lastSweep: number;

  constructor(opts: TokenBucketOptions = {}) {
    this.maxKeys = opts.maxKeys ?? 100_000;
    this.sweepMs = opts.sweepMs ?? 10_000;
    this.now = opts.now ?? Date.now;
    this.lastSweep = this.now();
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Takes one token for `key`. */
  take(key: string, rate: number, burst = burstFor(rate)): Take {
    return this.takeAll([{ key, rate, burst }]);
  }

  /** Takes one token from each bucket (distinct keys), or none at all when any of them is empty. */
  takeAll(limits: readonly Limit[], now = this.now()): Take {
    if (now - this.lastSweep >= this.sweepMs) this.sweep(now);
    let wait = 0;
    let empty = '';
    const buckets = limits.map((l) => {
      const b = this.refill(l, now);
      const w = (1 - b.tokens) / b.rate;
      if (b.tokens < 1 && w > wait) [wait, empty] = [w, l.key];
      return b;
    });
    if (wait > 0) return { ok: false, retryAfter: Math.max(1, Math.ceil(wait)), key: empty };
    for (const b of buckets) b.tokens -= 1;
    return { ok: true };
  }

  /** The key's bucket brought up to `now`, moved to the most recently used end of the map. */
  private refill(l: Limit, now: number): Bucket {
    const found = this.buckets.get(l.key);
    let b: Bucket;
    if (found) {
      this.buckets.delete(l.key);
      const elapsed = Math.max(0, now - found.at) / 1000;
      b = { tokens: Math.min(l.burst, found.tokens + elapsed * l.rate), at: now, rate: l.rate, burst: l.burst };
    } else {
      b = { tokens: l.burst, at: now, rate: l.rate, burst: l.burst };
      while (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next().value;
        if (oldest === undefined) break;
        this.buckets.delete(oldest);
      }
    }
    this.buckets.set(l.key, b);
    return b;
  }

  /** Forgets the buckets that are full again. */
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [key, b] of this.buckets) {
      if (b.tokens + (Math.max(0, now - b.at) / 1000) * b.rate >= b.burst) this.buckets.delete(key);
    }
  }
}
