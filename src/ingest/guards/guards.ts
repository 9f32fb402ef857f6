/**
 * The ingestion guards, applied by the ingest routes before the pipeline runs: the per-IP
 * limit of POST /api/event, the per-site rate limits, the `Origin` check, and signed
 * batches with replay protection. Refusals are typed drops, counted like the others.
 * Client IPs are map keys in memory only: never logged, never stored.
 */
import { isIP } from 'node:net';
import { Drop } from '../event.js';
import { originAllowed } from './origin.js';
import { SeenBatches } from './replay.js';
import { type Verdict, verifySignature } from './signature.js';
import { burstFor, type Limit, TokenBuckets } from './token-bucket.js';

/** What the guards need to know about a site (from the site registry). */
export interface SiteRules {
  /** Allowed browser origins; [] = any. */
  origins: string[];
  /** Events per second, burst twice that (at least 1); null = unlimited. */
  rateLimit: number | null;
  /** Batches for the site must be signed with it; null = no signature needed. */
  signingSecret: string | null;
}

export interface SiteLookup {
  get(id: string): SiteRules | undefined;
}

/** A rate-limit refusal: 429 with `Retry-After: retryAfter`. */
export class RateLimited extends Drop {
  constructor(
    message: string,
    readonly retryAfter: number,
  ) {
    super('rate_limited', message);
  }
}

export interface GuardOptions {
  sites: SiteLookup;
  /** Events per second per client IP on POST /api/event; 0 = off. */
  ipRateLimit: number;
  now?: () => number;
}

export class IngestGuards {
  private readonly sites: SiteLookup;
  private readonly ipRate: number;
  private readonly ipBuckets: TokenBuckets;
  private readonly siteBuckets: TokenBuckets;
  readonly seen: SeenBatches;

  constructor(opts: GuardOptions) {
    this.sites = opts.sites;
    this.ipRate = opts.ipRateLimit;
    this.ipBuckets = new TokenBuckets({ now: opts.now });
    this.siteBuckets = new TokenBuckets({ now: opts.now });
    this.seen = new SeenBatches({ now: opts.now });
  }

  /** The per-IP limit; undefined when allowed or off. */
  clientIp(ip: string): RateLimited | undefined {
    if (this.ipRate <= 0) return undefined;
    const taken = this.ipBuckets.take(ipKey(ip), this.ipRate);
    if (taken.ok) return undefined;
    return new RateLimited(`rate limited: more than ${this.ipRate} events per second from this address`, taken.retryAfter);
  }

  /** The `Origin` header must be one the event's every site allows. */
  origin(siteIds: readonly string[], header: string | undefined): Drop | undefined {
    for (const site of siteIds) {
      if (!originAllowed(header, this.sites.get(site)?.origins ?? [])) {
        return new Drop('forbidden_origin', `origin ${String(header).slice(0, 200)} is not allowed for site ${site}`);
      }
    }
    return undefined;
  }

  /** One token from each limited site of the event, or none when one of them is over its limit. */
  siteRate(siteIds: readonly string[], now?: number): RateLimited | undefined {
    const limits: Limit[] = [];
    for (const site of siteIds) {
      const rate = this.sites.get(site)?.rateLimit ?? null;
      if (rate !== null && rate > 0) limits.push({ key: site, rate, burst: burstFor(rate) });
    }
    if (limits.length === 0) return undefined;
    const taken = this.siteBuckets.takeAll(limits, now);
    if (taken.ok) return undefined;
    const rate = limits.find((l) => l.key === taken.key)?.rate;
    return new RateLimited(`rate limited: site ${taken.key} is over its limit of ${rate} events per second`, taken.retryAfter);
  }

  /**
   * The signature check of a batch writing to `siteIds`: null when none of them has a
   * secret, else the verdict over the raw body.
   */
  signature(siteIds: Iterable<string>, header: string | string[] | undefined, body: Buffer): Verdict | null {
    const secrets: string[] = [];
    for (const site of siteIds) {
      const secret = this.sites.get(site)?.signingSecret ?? null;
      if (secret !== null && secret !== '') secrets.push(secret);
    }
    return secrets.length === 0 ? null : verifySignature(header, body, secrets);
  }
}

/**
 * The bucket key of a client: the IPv4 address, or the /64 prefix of an IPv6 address
 * (one subscriber usually holds a whole /64, so single addresses are free to rotate).
 */
export function ipKey(ip: string): string {
  if (isIP(ip) !== 6) return ip;
  const groups = expandIpv6(ip);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : ip;
}

function expandIpv6(ip: string): string[] | null {
  let text = ip.toLowerCase().split('%')[0] ?? '';
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const fill = tail === undefined ? 0 : 8 - left.length - right.length;
  const groups = [...left, ...Array.from({ length: fill }, () => '0'), ...right].map((g) => g.padStart(4, '0'));
  return groups.length === 8 ? groups : null;
}
