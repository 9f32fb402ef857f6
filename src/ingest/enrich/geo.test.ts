import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import maxmind from 'maxmind';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCityMmdb } from '../../../test/helpers/geo-fixture.js';
import { defaultGeoDbPath, type GeoInfo, GeoLookup } from './geo.js';

const NONE: GeoInfo = { countryCode: null, region: null, city: null, regionCode: null, cityGeonameId: null };

const nonPublic: string[] = [
  '127.0.0.1',
  '10.0.0.1',
  '172.16.5.4',
  '172.31.255.255', // the last address of each range too
  '100.127.255.255',
  '169.254.255.255',
  '239.255.255.255',
  '10.255.255.255',
  '192.168.1.1', // the bundled DB wrongly answers AU for this one
  '100.64.0.1',
  '169.254.1.1',
  '0.0.0.0',
  '224.0.0.1',
  '255.255.255.255',
  '::ffff:10.0.0.1',
  '::',
  '::1',
  'fe80::1',
  'fe80::1%eth0',
  'fc00::1',
  'fd12:3456::1',
  'ff02::1',
];
const garbage: string[] = ['', '   ', 'garbage', '999.1.1.1', '1.2.3', '1.2.3.4.5', 'example.com', '::ffff:zzzz'];

describe('GeoLookup with the bundled country database', () => {
  let geo: GeoLookup;
  beforeAll(async () => {
    geo = await GeoLookup.open();
  });

  it('resolves the default path inside the npm package', () => {
    expect(defaultGeoDbPath()).toMatch(/@ip-location-db[\\/]geo-whois-asn-country-mmdb[\\/]geo-whois-asn-country\.mmdb$/);
  });

  it.each<[string, string]>([
    ['8.8.8.8', 'US'], // Google Public DNS
    ['2001:4860:4860::8888', 'US'], // Google Public DNS over IPv6
    ['::ffff:8.8.8.8', 'US'], // IPv4-mapped, as Node reports dual-stack sockets
    [' 8.8.8.8 ', 'US'],
    ['193.0.0.1', 'NL'], // RIPE NCC, Amsterdam
    ['202.12.27.33', 'JP'], // M-root, WIDE project, Tokyo
  ])('%s → %s (country only)', (ip, cc) => {
    expect(geo.lookup(ip)).toEqual({ ...NONE, countryCode: cc });
  });

  it.each(nonPublic)('non-public %s → nulls', (ip) => {
    expect(geo.lookup(ip)).toEqual(NONE);
  });

  // Just outside each non-public range: answered by the database (read directly here), not cut off.
  it.each([
    '9.255.255.255',
    '11.0.0.1',
    '100.63.255.255',
    '100.128.0.1',
    '126.255.255.255',
    '128.0.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '223.255.255.255',
  ])('public %s → what the database says', async (ip) => {
    const reader = await maxmind.open(defaultGeoDbPath());
    const cc = (reader.get(ip) as { country_code?: string } | null)?.country_code ?? null;
    expect(cc).not.toBeNull();
    expect(geo.lookup(ip)).toEqual({ ...NONE, countryCode: cc?.toUpperCase() });
  });

  it.each(garbage)('invalid %j → nulls, no throw', (ip) => {
    expect(geo.lookup(ip)).toEqual(NONE);
  });
});

describe('GeoLookup with a GeoIP2-City shaped database', () => {
  let dir: string;
  let geo: GeoLookup;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mallard-geo-'));
    geo = await GeoLookup.open(buildCityMmdb(dir));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it.each<[string, GeoInfo]>([
    [
      '203.0.113.7',
      { countryCode: 'US', region: 'California', city: 'San Francisco', regionCode: 'US-CA', cityGeonameId: '5391959' },
    ],
    [
      '203.0.113.255',
      { countryCode: 'US', region: 'California', city: 'San Francisco', regionCode: 'US-CA', cityGeonameId: '5391959' },
    ],
    [
      '::ffff:203.0.113.7',
      { countryCode: 'US', region: 'California', city: 'San Francisco', regionCode: 'US-CA', cityGeonameId: '5391959' },
    ],
    [
      '::ffff:cb00:7107',
      { countryCode: 'US', region: 'California', city: 'San Francisco', regionCode: 'US-CA', cityGeonameId: '5391959' },
    ],
    ['198.51.100.200', { countryCode: 'DE', region: 'Berlin', city: 'Berlin', regionCode: 'DE-BE', cityGeonameId: '2950159' }],
    ['192.0.2.1', { ...NONE, countryCode: 'FR' }],
    ['2001:db8::1', { countryCode: 'JP', region: 'Tokyo', city: 'Tokyo', regionCode: 'JP-13', cityGeonameId: '1850147' }],
    ['[2001:db8:ffff::5]', { countryCode: 'JP', region: 'Tokyo', city: 'Tokyo', regionCode: 'JP-13', cityGeonameId: '1850147' }],
    // Plausible's places (test/compat/plausible/translate.ts): a region with a digit code, a city without a region.
    ['198.18.7.1', { countryCode: 'EE', region: 'Harjumaa', city: 'Tallinn', regionCode: 'EE-37', cityGeonameId: '588409' }],
    ['198.18.10.1', { countryCode: 'EE', region: null, city: 'City 689123', regionCode: null, cityGeonameId: '689123' }],
    ['8.8.8.8', NONE], // not in the fixture
    ['203.0.114.1', NONE],
    ['10.0.0.1', NONE],
    ['garbage', NONE],
  ])('%s → %j', (ip, expected) => {
    expect(geo.lookup(ip)).toEqual(expected);
  });
});

describe('GeoLookup.open', () => {
  it('rejects for a missing file', async () => {
    await expect(GeoLookup.open('/nonexistent/geo.mmdb')).rejects.toThrow();
  });
});
