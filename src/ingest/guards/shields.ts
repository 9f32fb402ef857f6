/**
 * A site's shields compiled for the ingest hot path: asked once per event and site, so the
 * lists are turned into lookups once per version of the site (the registry replaces a
 * site's frozen shields object on every change; compiled rules are cached by that object).
 * IP rules become sorted, merged ranges searched by bisection: IPv4 as integers, IPv6 as
 * 8 groups read without allocating (a BlockList check parses the address into a new socket
 * address at every call, microseconds for IPv6). The IP is only compared, never kept.
 */
import { isIP } from 'node:net';
import type { Shields } from '../../sites/shields.js';
import { ipv4Number, normalizeIp, parseIpv6 } from '../enrich/ip.js';

export type ShieldReason = 'shield_ip' | 'shield_country' | 'shield_page' | 'shield_hostname';

/** What a shield looks at: the client IP, and what put_page and put_geo found. */
export interface Shielded {
  ip: string;
  country: string | null;
  pathname: string;
  hostname: string;
}

/** IPv4 ranges [start, end] (inclusive), sorted and disjoint. */
class V4Ranges {
  private readonly starts: Float64Array;
  private readonly ends: Float64Array;

  constructor(ranges: [number, number][]) {
    ranges.sort((a, b) => a[0] - b[0]);
    const merged: [number, number][] = [];
    for (const [s, e] of ranges) {
      const last = merged[merged.length - 1];
      if (last && s <= last[1] + 1) last[1] = Math.max(last[1], e);
      else merged.push([s, e]);
    }
    this.starts = Float64Array.from(merged, (r) => r[0]);
    this.ends = Float64Array.from(merged, (r) => r[1]);
  }

  get size(): number {
    return this.starts.length;
  }

  has(n: number): boolean {
    // The last range starting at or before n.
    let lo = 0;
    let hi = this.starts.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.starts[mid] as number) <= n) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && n <= (this.ends[found] as number);
  }
}

/** `a[ai..ai+8)` compared with the address `b` (8 groups each): <0, 0 or >0. */
function compare6(a: Uint16Array, ai: number, b: Uint16Array): number {
  for (let k = 0; k < 8; k++) {
    const d = (a[ai + k] as number) - (b[k] as number);
    if (d !== 0) return d;
  }
  return 0;
}

/** IPv6 ranges, each start and end 8 groups in one flat array, sorted by start. */
class V6Ranges {
  private readonly starts: Uint16Array;
  private readonly ends: Uint16Array;

  constructor(ranges: [Uint16Array, Uint16Array][]) {
    ranges.sort((a, b) => compare6(a[0], 0, b[0]));
    const merged: [Uint16Array, Uint16Array][] = [];
    for (const [s, e] of ranges) {
      const last = merged[merged.length - 1];
      if (last && compare6(s, 0, last[1]) <= 0) {
        if (compare6(e, 0, last[1]) > 0) last[1] = e;
      } else merged.push([s, e]);
    }
    this.starts = new Uint16Array(merged.length * 8);
    this.ends = new Uint16Array(merged.length * 8);
    merged.forEach(([s, e], i) => {
      this.starts.set(s, i * 8);
      this.ends.set(e, i * 8);
    });
  }

  get size(): number {
    return this.starts.length / 8;
  }

  has(addr: Uint16Array): boolean {
    let lo = 0;
    let hi = this.size - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (compare6(this.starts, mid * 8, addr) <= 0) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found >= 0 && compare6(this.ends, found * 8, addr) >= 0;
  }
}

/** The range a validated IPv4 rule covers (address = /32). */
function v4Range(addr: string, bits: number): [number, number] {
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipv4Number(addr) / size) * size;
  return [start, start + size - 1];
}

/** The range a validated IPv6 rule covers (address = /128). */
function v6Range(addr: string, bits: number): [Uint16Array, Uint16Array] {
  const start = new Uint16Array(8);
  parseIpv6(addr, start);
  const end = new Uint16Array(8);
  for (let k = 0; k < 8; k++) {
    const keep = Math.min(16, Math.max(0, bits - 16 * k)); // leading bits of this group in the prefix
    const mask = keep === 0 ? 0 : (0xffff << (16 - keep)) & 0xffff;
    start[k] = (start[k] as number) & mask;
    end[k] = (start[k] as number) | (~mask & 0xffff);
  }
  return [start, end];
}

/** The client address being matched: one per process, the pipeline runs one event at a time. */
const scratch6 = new Uint16Array(8);

/**
 * `*` matches any run of characters (`/` too), everything else itself. Greedy with a return
 * to the last `*`: O(pattern × path) at worst, where a regular expression with several `*`
 * can take exponentially long on a path that almost matches.
 */
export function wildcardMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let star = -1;
  let resume = 0;
  while (t < text.length) {
    if (p < pattern.length && pattern[p] === '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.length && pattern[p] === text[t]) {
      p++;
      t++;
    } else if (star >= 0) {
      p = star + 1;
      t = ++resume;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === '*') p++;
  return p === pattern.length;
}

export class ShieldRules {
  private readonly v4: V4Ranges;
  private readonly v6: V6Ranges;
  private readonly countries: ReadonlySet<string>;
  private readonly exactPages: ReadonlySet<string>;
  /** Patterns whose only `*` is the last character, without it. */
  private readonly pagePrefixes: readonly string[];
  private readonly pagePatterns: readonly string[];
  /** null = any hostname. */
  private readonly hosts: ReadonlySet<string> | null;
  /** `.example.com` for `*.example.com`. */
  private readonly hostSuffixes: readonly string[];

  constructor(shields: Shields) {
    const v4: [number, number][] = [];
    const v6: [Uint16Array, Uint16Array][] = [];
    for (const rule of shields.ips) {
      const [text = '', prefix] = rule.split('/');
      let addr = text;
      let bits = prefix === undefined ? undefined : Number(prefix);
      // IPv4-mapped IPv6 (::ffff:192.0.2.1) rules cover the IPv4 addresses clients are matched as.
      const norm = isIP(text) === 6 ? normalizeIp(text) : null;
      if (norm?.family === 4 && (bits === undefined || bits >= 96)) {
        addr = norm.ip;
        bits = bits === undefined ? undefined : bits - 96;
      }
      if (isIP(addr) === 4) v4.push(v4Range(addr, bits ?? 32));
      else v6.push(v6Range(addr, bits ?? 128));
    }
    this.v4 = new V4Ranges(v4);
    this.v6 = new V6Ranges(v6);
    this.countries = new Set(shields.countries);
    const exact = new Set<string>();
    const prefixes: string[] = [];
    const patterns: string[] = [];
    for (const page of shields.pages) {
      const star = page.indexOf('*');
      if (star < 0) exact.add(page);
      else if (star === page.length - 1) prefixes.push(page.slice(0, -1));
      else patterns.push(page);
    }
    this.exactPages = exact;
    this.pagePrefixes = prefixes;
    this.pagePatterns = patterns;
    const hosts = shields.hostnames.filter((h) => !h.startsWith('*.'));
    this.hostSuffixes = shields.hostnames.filter((h) => h.startsWith('*.')).map((h) => h.slice(1));
    this.hosts = shields.hostnames.length === 0 ? null : new Set(hosts);
  }

  /** The first shield the event meets (IP, country, page, hostname), or null when none. */
  verdict(e: Shielded): ShieldReason | null {
    if (this.ipShielded(e.ip)) return 'shield_ip';
    if (e.country !== null && this.countries.has(e.country)) return 'shield_country';
    if (this.pageShielded(e.pathname)) return 'shield_page';
    if (this.hosts !== null && !this.hostAllowed(e.hostname)) return 'shield_hostname';
    return null;
  }

  private ipShielded(ip: string): boolean {
    if (ip === '' || this.v4.size + this.v6.size === 0) return false; // imports carry no address
    if (!ip.includes(':')) return this.v4.size > 0 && this.v4.has(ipv4Number(ip));
    const a = scratch6;
    if (!parseIpv6(ip, a)) return false;
    if (a[0] === 0 && a[1] === 0 && a[2] === 0 && a[3] === 0 && a[4] === 0 && a[5] === 0xffff) {
      // IPv4-mapped (::ffff:192.0.2.1, ::ffff:c000:201) is matched as IPv4.
      return this.v4.size > 0 && this.v4.has((a[6] as number) * 65536 + (a[7] as number));
    }
    return this.v6.size > 0 && this.v6.has(a);
  }

  private pageShielded(path: string): boolean {
    if (this.exactPages.has(path)) return true;
    for (const prefix of this.pagePrefixes) if (path.startsWith(prefix)) return true;
    for (const pattern of this.pagePatterns) if (wildcardMatch(pattern, path)) return true;
    return false;
  }

  private hostAllowed(host: string): boolean {
    if (this.hosts?.has(host)) return true;
    for (const suffix of this.hostSuffixes) if (host.endsWith(suffix)) return true;
    return false;
  }
}

const compiled = new WeakMap<Shields, ShieldRules>();

/** The compiled rules of a shields object (compiled at its first use); null when it shields nothing. */
export function shieldRules(shields: Shields | undefined): ShieldRules | null {
  if (shields === undefined) return null;
  if (shields.ips.length + shields.countries.length + shields.pages.length + shields.hostnames.length === 0) return null;
  let rules = compiled.get(shields);
  if (rules === undefined) {
    rules = new ShieldRules(shields);
    compiled.set(shields, rules);
  }
  return rules;
}
