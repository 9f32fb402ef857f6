/**
 * Login lockout: per client address, after `maxFailures` failed password checks within
 * `windowSecs`, further attempts are refused (429) until the oldest of those failures
 * leaves the window — even with the right password. A success clears the address.
 *
 * Held in memory only (a restart clears it) and never logged or stored. IPv6 addresses
 * count per /64, since one host usually owns the whole prefix. The map is bounded: beyond
 * `maxTracked` addresses the one that failed least recently is forgotten.
 *
 * An attempt is recorded as a failure *before* the (slow, async) password check and
 * cleared on success, so parallel attempts cannot slip past the limit while the checks run.
 */
import { isIP } from 'node:net';

export interface LockoutOptions {
  maxFailures: number;
  windowSecs: number;
  /** Distinct addresses remembered at most (default 10,000). */
  maxTracked?: number;
}

/** The key an address counts under: the IPv4 address, or the /64 prefix of an IPv6 one. */
export function lockoutKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const [head = '', tail] = ip.toLowerCase().split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

export class LoginLockout {
  /** key → times (ms) of its recent failures, oldest first; at most maxFailures kept. */
  private readonly failures = new Map<string, number[]>();
  private readonly windowMs: number;
  private readonly maxTracked: number;

  constructor(private readonly opts: LockoutOptions) {
    this.windowMs = opts.windowSecs * 1000;
    this.maxTracked = opts.maxTracked ?? 10_000;
  }

  /** Seconds the address must wait (≥ 1), or 0 when it may try now. */
  retryAfter(ip: string, now = Date.now()): number {
    const key = lockoutKey(ip);
    const times = this.recent(key, now);
    if (times.length < this.opts.maxFailures) return 0;
    const oldest = times[times.length - this.opts.maxFailures] ?? now;
    return Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
  }

  /** Records a failed (or not yet verified) attempt. */
  fail(ip: string, now = Date.now()): void {
    const key = lockoutKey(ip);
    const times = this.recent(key, now);
    times.push(now);
    if (times.length > this.opts.maxFailures) times.splice(0, times.length - this.opts.maxFailures);
    this.failures.delete(key); // re-insert: Map order is then "least recently failed first"
    this.failures.set(key, times);
    if (this.failures.size > this.maxTracked) this.evict();
  }

  /** A successful sign-in: forgets the address's failures. */
  succeed(ip: string): void {
    this.failures.delete(lockoutKey(ip));
  }

  /** Addresses currently remembered (for tests). */
  get size(): number {
    return this.failures.size;
  }

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key);
    if (!times) return [];
    const fresh = times.filter((t) => t > now - this.windowMs);
    if (fresh.length === 0) this.failures.delete(key);
    else if (fresh.length !== times.length) this.failures.set(key, fresh);
    return fresh;
  }

  /** Forgets the least recently failing addresses (first in Map order) beyond the bound. */
  private evict(): void {
    for (const key of this.failures.keys()) {
      if (this.failures.size <= this.maxTracked) return;
      this.failures.delete(key);
    }
  }
}
