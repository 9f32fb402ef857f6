import { describe, expect, it } from 'vitest';
import { type Shields, shieldsField } from '../../sites/shields.js';
import { type Shielded, ShieldRules, shieldRules, wildcardMatch } from './shields.js';

const shields = (s: Partial<Record<keyof Shields, string[]>>): Shields => shieldsField.parse(s);
const event: Shielded = { ip: '8.8.8.8', country: 'US', pathname: '/', hostname: 'example.com' };
const verdict = (s: Partial<Record<keyof Shields, string[]>>, e: Partial<Shielded>) =>
  new ShieldRules(shields(s)).verdict({ ...event, ...e });

describe('IP shields', () => {
  const ips = ['203.0.113.0/24', '198.51.100.7', '10.0.0.0/8', '10.20.0.0/16', '2001:db8::/32', '2001:db8:ffff::1', 'fe80::1'];
  it.each([
    ['203.0.113.0', 'shield_ip'],
    ['203.0.113.255', 'shield_ip'],
    ['203.0.112.255', null],
    ['203.0.114.0', null],
    ['198.51.100.7', 'shield_ip'],
    ['198.51.100.6', null],
    ['198.51.100.8', null],
    ['10.255.255.255', 'shield_ip'],
    ['11.0.0.0', null],
    ['9.255.255.255', null],
    ['::ffff:203.0.113.9', 'shield_ip'],
    ['::ffff:cb00:7109', 'shield_ip'], // 203.0.113.9 in hex
    ['::ffff:203.0.114.9', null],
    ['2001:db8::1', 'shield_ip'],
    ['2001:DB8:1234::', 'shield_ip'],
    ['2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', 'shield_ip'],
    ['2001:db9::', null],
    ['2001:db7:ffff:ffff:ffff:ffff:ffff:ffff', null],
    ['fe80::1', 'shield_ip'],
    ['fe80::2', null],
    ['', null],
  ])('%s → %s', (ip, reason) => {
    expect(verdict({ ips }, { ip })).toBe(reason);
  });

  it('covers all of IPv4 with /0 and one address with /32 or /128', () => {
    expect(verdict({ ips: ['0.0.0.0/0'] }, { ip: '255.255.255.255' })).toBe('shield_ip');
    expect(verdict({ ips: ['0.0.0.0/0'] }, { ip: '0.0.0.0' })).toBe('shield_ip');
    expect(verdict({ ips: ['0.0.0.0/0'] }, { ip: '2001:db8::1' })).toBe(null);
    expect(verdict({ ips: ['192.0.2.1/32'] }, { ip: '192.0.2.1' })).toBe('shield_ip');
    expect(verdict({ ips: ['192.0.2.1/32'] }, { ip: '192.0.2.2' })).toBe(null);
    expect(verdict({ ips: ['2001:db8::1/128'] }, { ip: '2001:db8::1' })).toBe('shield_ip');
    expect(verdict({ ips: ['2001:db8::1/128'] }, { ip: '2001:db8::2' })).toBe(null);
  });

  it('cuts IPv6 prefixes inside a hex digit exactly', () => {
    // 2001:db8:8000::/33 covers 2001:db8:8000:: … 2001:db8:ffff:ffff:…; /126 four addresses.
    const ips = ['2001:db8:8000::/33', '2001:db8:1::4/126', '::/0'];
    expect(verdict({ ips: ips.slice(0, 2) }, { ip: '2001:db8:8000::' })).toBe('shield_ip');
    expect(verdict({ ips: ips.slice(0, 2) }, { ip: '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff' })).toBe('shield_ip');
    expect(verdict({ ips: ips.slice(0, 2) }, { ip: '2001:db8:7fff:ffff:ffff:ffff:ffff:ffff' })).toBe(null);
    expect(verdict({ ips: ips.slice(0, 2) }, { ip: '2001:db9::' })).toBe(null);
    expect(verdict({ ips: ips.slice(0, 2) }, { ip: '2001:db8:1::3' })).toBe(null);
    expect(verdict({ ips: ips.slice(0, 2) }, { ip: '2001:db8:1::4' })).toBe('shield_ip');
    expect(verdict({ ips: ips.slice(0, 2) }, { ip: '2001:db8:1::7' })).toBe('shield_ip');
    expect(verdict({ ips: ips.slice(0, 2) }, { ip: '2001:db8:1::8' })).toBe(null);
    expect(verdict({ ips: [ips[2] as string] }, { ip: 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff' })).toBe('shield_ip');
    expect(verdict({ ips: [ips[2] as string] }, { ip: '::' })).toBe('shield_ip');
    expect(verdict({ ips: [ips[2] as string] }, { ip: '192.0.2.1' })).toBe(null);
  });

  it('reads zone ids and embedded IPv4 of IPv6 clients', () => {
    expect(verdict({ ips: ['fe80::/10'] }, { ip: 'fe80::1%eth0' })).toBe('shield_ip');
    expect(verdict({ ips: ['64:ff9b::/96'] }, { ip: '64:ff9b::192.0.2.1' })).toBe('shield_ip');
    expect(verdict({ ips: ['192.0.2.0/24'] }, { ip: '64:ff9b::192.0.2.1' })).toBe(null);
  });

  it('takes a CIDR written with host bits set as its network', () => {
    expect(verdict({ ips: ['192.0.2.77/30'] }, { ip: '192.0.2.76' })).toBe('shield_ip');
    expect(verdict({ ips: ['192.0.2.77/30'] }, { ip: '192.0.2.79' })).toBe('shield_ip');
    expect(verdict({ ips: ['192.0.2.77/30'] }, { ip: '192.0.2.80' })).toBe(null);
    expect(verdict({ ips: ['192.0.2.77/30'] }, { ip: '192.0.2.75' })).toBe(null);
  });

  it('matches IPv4 clients against IPv4-mapped IPv6 rules', () => {
    expect(verdict({ ips: ['::ffff:192.0.2.0/120'] }, { ip: '192.0.2.200' })).toBe('shield_ip');
    expect(verdict({ ips: ['::ffff:192.0.2.0/120'] }, { ip: '192.0.3.1' })).toBe(null);
    expect(verdict({ ips: ['::ffff:192.0.2.5'] }, { ip: '192.0.2.5' })).toBe('shield_ip');
  });

  it('merges overlapping and adjacent ranges', () => {
    const ips = ['192.0.2.0/25', '192.0.2.128/25', '192.0.2.10', '192.0.2.0/24', '192.0.4.0/24'];
    for (const [ip, reason] of [
      ['192.0.2.0', 'shield_ip'],
      ['192.0.2.127', 'shield_ip'],
      ['192.0.2.128', 'shield_ip'],
      ['192.0.2.255', 'shield_ip'],
      ['192.0.3.0', null],
      ['192.0.4.17', 'shield_ip'],
      ['192.0.5.0', null],
    ] as const)
      expect([ip, verdict({ ips }, { ip })]).toEqual([ip, reason]);
  });
});

describe('country shields', () => {
  it('match the upper-cased codes; an event without a country is not shielded', () => {
    expect(verdict({ countries: ['us', 'DE'] }, { country: 'US' })).toBe('shield_country');
    expect(verdict({ countries: ['us', 'DE'] }, { country: 'DE' })).toBe('shield_country');
    expect(verdict({ countries: ['us', 'DE'] }, { country: 'FR' })).toBe(null);
    expect(verdict({ countries: ['us', 'DE'] }, { country: null })).toBe(null);
  });
});

describe('page shields', () => {
  const pages = ['/admin/*', '/exact', '/blog/*/draft', '/*.php', '/a*b*c'];
  it.each([
    ['/admin/', 'shield_page'],
    ['/admin/users/5', 'shield_page'],
    ['/admin', null],
    ['/administrator', null],
    ['/exact', 'shield_page'],
    ['/exact/', null],
    ['/Exact', null],
    ['/blog/2026/draft', 'shield_page'],
    ['/blog/a/b/draft', 'shield_page'],
    ['/blog/2026/draft/x', null],
    ['/wp-login.php', 'shield_page'],
    ['/x/y.php', 'shield_page'],
    ['/x.phpx', null],
    ['/abc', 'shield_page'],
    ['/a-b-c', 'shield_page'],
    ['/a-c-b', null],
    ['/', null],
  ])('%s → %s', (pathname, reason) => {
    expect(verdict({ pages }, { pathname })).toBe(reason);
  });

  it('wildcardMatch: * is any run, every other character literal', () => {
    expect(wildcardMatch('*', '')).toBe(true);
    expect(wildcardMatch('/a.b', '/a.b')).toBe(true);
    expect(wildcardMatch('/a.b', '/axb')).toBe(false);
    expect(wildcardMatch('/(x)?', '/(x)?')).toBe(true);
    expect(wildcardMatch('/**', '/a/b')).toBe(true);
    expect(wildcardMatch('/a*a*a*a*a*a*b', `/${'a'.repeat(2000)}`)).toBe(false);
  });
});

describe('hostname shields', () => {
  const hostnames = ['Example.com', '*.example.com', 'www.other.org'];
  it.each([
    ['example.com', null],
    ['blog.example.com', null],
    ['a.b.example.com', null],
    ['notexample.com', 'shield_hostname'],
    ['example.com.evil.net', 'shield_hostname'],
    ['other.org', null], // stored hostnames have no www.; the rule neither
    ['sub.other.org', 'shield_hostname'],
    ['localhost', 'shield_hostname'],
  ])('%s → %s', (hostname, reason) => {
    expect(verdict({ hostnames }, { hostname })).toBe(reason);
  });

  it('a wildcard alone does not allow the apex', () => {
    expect(verdict({ hostnames: ['*.example.com'] }, { hostname: 'example.com' })).toBe('shield_hostname');
  });

  it('an empty list allows every hostname', () => {
    expect(verdict({ pages: ['/x'] }, { hostname: 'anything.net' })).toBe(null);
  });
});

describe('verdict order and compilation', () => {
  it('names the first shield met: ip, country, page, hostname', () => {
    const all = { ips: ['8.8.8.8'], countries: ['US'], pages: ['/'], hostnames: ['other.com'] };
    expect(verdict(all, {})).toBe('shield_ip');
    expect(verdict(all, { ip: '8.8.4.4' })).toBe('shield_country');
    expect(verdict(all, { ip: '8.8.4.4', country: 'FR' })).toBe('shield_page');
    expect(verdict(all, { ip: '8.8.4.4', country: 'FR', pathname: '/a' })).toBe('shield_hostname');
    expect(verdict(all, { ip: '8.8.4.4', country: 'FR', pathname: '/a', hostname: 'other.com' })).toBe(null);
  });

  it('compiles a shields object once; none for empty shields', () => {
    const s = shields({ ips: ['192.0.2.1'] });
    expect(shieldRules(s)).toBe(shieldRules(s));
    expect(shieldRules(shields({ ips: ['192.0.2.1'] }))).not.toBe(shieldRules(s));
    expect(shieldRules(shields({}))).toBe(null);
    expect(shieldRules(undefined)).toBe(null);
  });
});
