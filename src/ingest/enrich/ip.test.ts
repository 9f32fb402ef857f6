import { describe, expect, it } from 'vitest';
import { ipv4Number, normalizeIp, parseIpv6 } from './ip.js';

describe('ipv4Number', () => {
  it.each([
    ['0.0.0.0', 0],
    ['0.0.0.1', 1],
    ['1.0.0.0', 16_777_216],
    ['192.0.2.1', 3_221_225_985],
    ['255.255.255.255', 4_294_967_295],
  ])('%s → %i', (ip, n) => {
    expect(ipv4Number(ip)).toBe(n);
  });
});

const groups = (ip: string): string | null => {
  const out = new Uint16Array(8);
  return parseIpv6(ip, out) ? [...out].map((g) => g.toString(16)).join(':') : null;
};

describe('parseIpv6', () => {
  it.each([
    ['::', '0:0:0:0:0:0:0:0'],
    ['::1', '0:0:0:0:0:0:0:1'],
    ['1::', '1:0:0:0:0:0:0:0'],
    ['2001:DB8::ff00:42:8329', '2001:db8:0:0:0:ff00:42:8329'],
    ['2001:db8:0:0:0:ff00:42:8329', '2001:db8:0:0:0:ff00:42:8329'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['fe80::1%eth0', 'fe80:0:0:0:0:0:0:1'],
    ['::ffff:192.0.2.1', '0:0:0:0:0:ffff:c000:201'],
    ['::ffff:c000:201', '0:0:0:0:0:ffff:c000:201'],
    ['::192.0.2.1', '0:0:0:0:0:0:c000:201'],
    ['64:ff9b::192.0.2.1', '64:ff9b:0:0:0:0:c000:201'],
    ['1:2:3:4:5:6:192.0.2.1', '1:2:3:4:5:6:c000:201'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['1::8', '1:0:0:0:0:0:0:8'],
    ['1:2:3:4:5:6:7', null],
    ['1:2:3:4:5:6:7:8:9', null],
    ['1:2:3:4:5:6:7:8::', null],
    ['1::2::3', null],
    ['1:2:', null],
    ['1::2:', null],
    [':1::', null],
    ['::ffff:192.0.2', null],
    ['1:2:3:4:5:6:7:192.0.2.1', null],
    ['12345::', null],
    ['g::', null],
    ['', null],
  ])('%s → %s', (ip, out) => {
    expect(groups(ip)).toBe(out);
  });
});

describe('normalizeIp', () => {
  it.each([
    [' 192.0.2.1 ', { ip: '192.0.2.1', family: 4 }],
    ['[2001:db8::1]', { ip: '2001:db8::1', family: 6 }],
    ['fe80::1%eth0', { ip: 'fe80::1', family: 6 }],
    ['::ffff:192.0.2.1', { ip: '192.0.2.1', family: 4 }],
    ['::FFFF:c000:0201', { ip: '192.0.2.1', family: 4 }],
    ['nope', null],
  ])('%j → %j', (raw, out) => {
    expect(normalizeIp(raw)).toEqual(out);
  });
});
