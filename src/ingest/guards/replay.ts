/**
 * The signed batches already accepted, remembered in memory for `ttlMs` (24 h) so that an
 * identical replay is refused. Bounded: past `maxEntries` the oldest is forgotten first.
 * A restart forgets them all.
 */

export interface ReplayOptions {
  ttlMs?: number;
  maxEntries?: number;
  now?: () => number;
}

export class SeenBatches {
  /** key → expiry; insertion order is expiry order (one ttl for all). */
  private readonly seen = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(opts: ReplayOptions = {}) {
    this.ttlMs = opts.ttlMs ?? 24 * 3_600_000;
    this.maxEntries = opts.maxEntries ?? 100_000;
    this.now = opts.now ?? Date.now;
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Records `key` and returns true, or returns false when it was recorded before (a replay).
   * Claim before storing and `release` when storing fails, so two identical requests in
   * flight at once cannot both land.
   */
  claim(key: string): boolean {
    const now = this.now();
    this.expire(now);
    if (this.seen.has(key)) return false;
    while (this.seen.size >= this.maxEntries) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
    this.seen.set(key, now + this.ttlMs);
    return true;
  }

  /** Forgets `key` (its batch was not accepted after all). */
  release(key: string): void {
    this.seen.delete(key);
  }

  private expire(now: number): void {
    for (const [key, expires] of this.seen) {
      if (expires > now) break;
      this.seen.delete(key);
    }
  }
}
