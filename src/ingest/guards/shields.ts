/**
 * A site's shields compiled for the ingest hot path: asked once per event and site, so the
 * lists are turned into lookups once per version of the site (the registry replaces a
 * site's frozen shields object on every change; compiled rules are cached by that object).
 * IPv4 rules become sorted, merged integer ranges searched by bisection — a BlockList check
 * allocates a socket address per call (see enrich/geo.ts) — and IPv6 rules a BlockList.
 * The IP is only compared, never kept.
 */
import { BlockList, isIP } from 'node:net';
import type { Shields } from '../../sites/shields.js';
import { ipv4Number, normalizeIp } from '../enrich/ip.js';

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

/** The range a validated IPv4 rule covers (address = /32). */
function v4Range(addr: string, bits: number): [number, number] {
  const size = 2 ** (32 - bits);
  const start = Math.floor(ipv4Number(addr) / size) * size;
  return [start, start + size - 1];
}

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
  private readonly v6: BlockList | null;
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
    const ranges: [number, number][] = [];
    let v6: BlockList | null = null;
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
      if (isIP(addr) === 4) ranges.push(v4Range(addr, bits ?? 32));
      else {
        v6 ??= new BlockList();
        if (bits === undefined) v6.addAddress(addr, 'ipv6');
        else v6.addSubnet(addr, bits, 'ipv6');
      }
    }
    this.v4 = new V4Ranges(ranges);
    this.v6 = v6;
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
    if (ip === '') return false; // imports carry no address
    if (!ip.includes(':')) return this.v4.size > 0 && this.v4.has(ipv4Number(ip));
    const norm = normalizeIp(ip);
    if (norm === null) return false;
    if (norm.family === 4) return this.v4.size > 0 && this.v4.has(ipv4Number(norm.ip));
    return this.v6?.check(norm.ip, 'ipv6') === true;
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
