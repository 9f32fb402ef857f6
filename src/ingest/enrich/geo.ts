/**
 * IP → country / region / city, from a MaxMind DB (.mmdb) file.
 *
 * Why it exists: the client IP is never stored (docs/DATA.md §1), so its location is
 * resolved at ingest. Out of the box the CC0 country database bundled by
 * `@ip-location-db/geo-whois-asn-country-mmdb` is used (country only); an operator
 * may point at a GeoLite2/GeoIP2 City file for region and city. Both record shapes
 * are read: ip-location-db's flat `{country_code, state1?, city?}` and MaxMind's
 * `{country.iso_code, subdivisions[0].names.en, city.names.en}`. MaxMind's records also give
 * the region's ISO 3166-2 code (`subdivisions[0].iso_code`, after the country's) and the
 * city's GeoNames id (`city.geoname_id`): what Plausible's Stats API answers regions and
 * cities by. The flat shape has neither.
 * Private, loopback, link-local and multicast addresses have no location (some
 * databases still answer for them, wrongly), and a bad IP never throws.
 */
import { createRequire } from 'node:module';
import { BlockList } from 'node:net';
import { dirname, join } from 'node:path';
import maxmind, { type Reader, type Response } from 'maxmind';
import { ipv4Number, normalizeIp } from './ip.js';

export interface GeoInfo {
  countryCode: string | null;
  region: string | null;
  city: string | null;
  /** ISO 3166-2 (`EE-37`, `DE-BE`). */
  regionCode: string | null;
  /** The GeoNames id, in decimal (`588409`). */
  cityGeonameId: string | null;
}

export const NO_GEO: GeoInfo = Object.freeze({
  countryCode: null,
  region: null,
  city: null,
  regionCode: null,
  cityGeonameId: null,
});

/** Path of the bundled CC0 country database. */
export function defaultGeoDbPath(): string {
  const pkg = createRequire(import.meta.url).resolve('@ip-location-db/geo-whois-asn-country-mmdb/package.json');
  return join(dirname(pkg), 'geo-whois-asn-country.mmdb');
}

/**
 * IPv4 addresses that never have a public location, as (network, prefix length). Checked
 * with integer arithmetic: a BlockList check allocates a socket address per call, which
 * was 3% of the ingest profile.
 */
const NON_PUBLIC_V4 = (
  [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ] as const
).map(([net, prefix]) => ({ top: ipv4Number(net) >>> (32 - prefix), shift: 32 - prefix }));

const nonPublicV4 = (ip: string) => {
  const n = ipv4Number(ip);
  return NON_PUBLIC_V4.some((r) => n >>> r.shift === r.top);
};

/** IPv6 addresses that never have a public location. */
const NON_PUBLIC_V6 = new BlockList();
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NON_PUBLIC_V6.addSubnet(net, prefix, 'ipv6');

function field(o: unknown, key: string): unknown {
  return typeof o === 'object' && o !== null ? (o as Record<string, unknown>)[key] : undefined;
}

function text(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : null;
}

/** Reads either record shape into a GeoInfo. */
function fromRecord(rec: unknown): GeoInfo {
  const flatCountry = text(field(rec, 'country_code'));
  const country = flatCountry ?? text(field(field(rec, 'country'), 'iso_code'));
  if (country === null || !/^[A-Za-z]{2}$/.test(country)) return NO_GEO;
  const countryCode = country.toUpperCase();
  if (flatCountry !== null) {
    return {
      countryCode,
      region: text(field(rec, 'state1')),
      city: text(field(rec, 'city')),
      regionCode: null,
      cityGeonameId: null,
    };
  }
  const subs = field(rec, 'subdivisions');
  const first: unknown = Array.isArray(subs) ? subs[0] : undefined;
  const subdivision = text(field(first, 'iso_code'));
  const cityRec = field(rec, 'city');
  const id = field(cityRec, 'geoname_id');
  return {
    countryCode,
    region: text(field(field(first, 'names'), 'en')),
    city: text(field(field(cityRec, 'names'), 'en')),
    regionCode:
      subdivision !== null && /^[A-Za-z0-9]{1,3}$/.test(subdivision) ? `${countryCode}-${subdivision.toUpperCase()}` : null,
    cityGeonameId: typeof id === 'number' && Number.isInteger(id) && id > 0 ? String(id) : null,
  };
}

export class GeoLookup {
  private constructor(private readonly reader: Reader<Response>) {}

  /** Opens an .mmdb file (default: the bundled country database). */
  static async open(path?: string): Promise<GeoLookup> {
    const reader = await maxmind.open<Response>(path ?? defaultGeoDbPath());
    return new GeoLookup(reader);
  }

  /** Location of an IP; all nulls when unknown, non-public or not an IP. Never throws. */
  lookup(ip: string): GeoInfo {
    const norm = normalizeIp(ip);
    if (norm === null) return NO_GEO;
    try {
      if (norm.family === 4 ? nonPublicV4(norm.ip) : NON_PUBLIC_V6.check(norm.ip, 'ipv6')) return NO_GEO;
      const rec: unknown = this.reader.get(norm.ip);
      return rec === null || rec === undefined ? NO_GEO : fromRecord(rec);
    } catch {
      return NO_GEO;
    }
  }
}
