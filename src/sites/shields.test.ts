import { describe, expect, it } from 'vitest';
import {
  NO_SHIELDS,
  normalizeHostnameRule,
  normalizeIpRule,
  parseStoredShields,
  shieldsField,
  storedShields,
} from './shields.js';

/** The first problem, as the routes report it (path after `shields`). */
const problem = (value: unknown): string => {
  const r = shieldsField.safeParse(value);
  if (r.success) return 'ok';
  const issue = r.error.issues[0];
  return `${issue?.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}: ${issue?.message}`;
};

describe('normalizeIpRule', () => {
  it.each([
    ['203.0.113.0/24', '203.0.113.0/24'],
    [' 198.51.100.7 ', '198.51.100.7'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.0.2.1/32', '192.0.2.1/32'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::1', '::1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1'],
    ['2001:db8::/128', '2001:db8::/128'],
    ['192.0.2.1/33', undefined],
    ['2001:db8::/129', undefined],
    ['192.0.2.1/', undefined],
    ['192.0.2.1/-1', undefined],
    ['192.0.2.1/2a', undefined],
    ['192.0.2.256', undefined],
    ['192.0.2', undefined],
    ['fe80::1%eth0', undefined],
    ['example.com', undefined],
    ['', undefined],
  ])('%j → %j', (input, out) => {
    expect(normalizeIpRule(input)).toBe(out);
  });
});

describe('normalizeHostnameRule', () => {
  it.each([
    ['Example.COM', 'example.com'],
    ['www.example.com', 'example.com'],
    ['example.com.', 'example.com'],
    ['*.Example.com', '*.example.com'],
    ['*.www.example.com', '*.www.example.com'],
    ['bücher.de', 'xn--bcher-kva.de'],
    ['localhost', 'localhost'],
    ['*', undefined],
    ['*.', undefined],
    ['a.*.com', undefined],
    ['https://example.com', undefined],
    ['example.com/path', undefined],
    ['example.com:8080', undefined],
    ['exa mple.com', undefined],
    ['-bad.com', undefined],
    ['', undefined],
    [`${'a'.repeat(64)}.com`, undefined],
  ])('%j → %j', (input, out) => {
    expect(normalizeHostnameRule(input)).toBe(out);
  });
});

describe('shieldsField', () => {
  it('normalizes every list, drops duplicates and fills missing lists', () => {
    expect(
      shieldsField.parse({
        ips: ['203.0.113.0/24', '203.0.113.0/24', '2001:DB8::1'],
        countries: ['xx', 'De', 'XX'],
        pages: ['/admin/*'],
      }),
    ).toEqual({ ips: ['203.0.113.0/24', '2001:db8::1'], countries: ['XX', 'DE'], pages: ['/admin/*'], hostnames: [] });
  });

  it('gives NO_SHIELDS for an empty object or empty lists', () => {
    expect(shieldsField.parse({})).toBe(NO_SHIELDS);
    expect(shieldsField.parse({ ips: [], countries: [], pages: [], hostnames: [] })).toBe(NO_SHIELDS);
  });

  it.each([
    [{ ips: ['1.2.3.4', '1.2.3.4', 'nope'] }, '.ips[2]: not an IP address or CIDR'],
    [{ countries: ['USA'] }, '.countries[0]: not a 2-letter country code'],
    [{ countries: ['1A'] }, '.countries[0]: not a 2-letter country code'],
    [{ pages: ['/ok', 'admin/*'] }, '.pages[1]: not a path pattern starting with / (at most 500 characters)'],
    [{ pages: [`/${'a'.repeat(500)}`] }, '.pages[0]: not a path pattern starting with / (at most 500 characters)'],
    [{ hostnames: ['http://x.com'] }, '.hostnames[0]: not a hostname like example.com or *.example.com'],
    [{ ips: [5] }, '.ips[0]: must be a string'],
    [{ ips: '1.2.3.4' }, '.ips: must be an array of strings'],
    [{ ips: Array.from({ length: 501 }, (_, i) => `10.0.${i >> 8}.${i & 255}`) }, '.ips: at most 500 entries'],
    [5, ': must be an object with ips, countries, pages and hostnames lists, or null'],
  ])('%j → %s', (input, message) => {
    expect(problem(input)).toBe(message);
  });

  it('accepts 500 entries', () => {
    const ips = Array.from({ length: 500 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);
    expect(shieldsField.parse({ ips }).ips).toHaveLength(500);
  });

  it('refuses unknown keys', () => {
    const r = shieldsField.safeParse({ ip: ['1.2.3.4'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.code).toBe('unrecognized_keys');
  });
});

describe('stored shields', () => {
  it('are NULL when empty and JSON text otherwise, read back equal', () => {
    expect(storedShields(NO_SHIELDS)).toBe(null);
    expect(parseStoredShields(null)).toBe(NO_SHIELDS);
    const s = shieldsField.parse({ countries: ['XX'], hostnames: ['*.example.com'] });
    const text = storedShields(s);
    expect(text).toBe('{"ips":[],"countries":["XX"],"pages":[],"hostnames":["*.example.com"]}');
    expect(parseStoredShields(text)).toEqual(s);
  });
});
