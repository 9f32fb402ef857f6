import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { userKey, visitorId } from './visitor-id.js';

const SECRET = Buffer.from('test-secret-0123456789abcdef', 'utf8');
const UA = 'Mozilla/5.0 Test';

describe('visitorId', () => {
  it('matches a known answer (openssl dgst -sha256 -hmac, first 8 bytes)', () => {
    // printf 'v1\0visitor\0%s\0%s\0%s\0%s' 2024-03-15 example.com 203.0.113.7 'Mozilla/5.0 Test'
    //   | openssl dgst -sha256 -hmac test-secret-0123456789abcdef  →  ba4fd2a2dc7f0576…
    expect(visitorId(SECRET, '2024-03-15', 'example.com', '203.0.113.7', UA)).toBe(0xba4fd2a2dc7f0576n);
  });

  it('equals createHmac for secrets shorter than, equal to and longer than a block, and any text', () => {
    for (const length of [1, 16, 63, 64, 65, 200]) {
      for (let i = 0; i < 20; i++) {
        const secret = randomBytes(length);
        const [day, site, ip, ua] = [
          '2026-12-06',
          `s${i}.example`,
          `10.0.0.${i}`,
          `Agent ✓ ${randomBytes(i).toString('base64')}`,
        ];
        const expected = createHmac('sha256', secret)
          .update(['v1', 'visitor', day, site, ip, ua].join('\0'), 'utf8')
          .digest()
          .readBigUInt64BE(0);
        expect(visitorId(secret, day, site, ip, ua)).toBe(expected);
      }
    }
  });

  it('is stable for the same inputs', () => {
    const a = visitorId(SECRET, '2024-03-15', 'example.com', '203.0.113.7', UA);
    const b = visitorId(Buffer.from('test-secret-0123456789abcdef'), '2024-03-15', 'example.com', '203.0.113.7', UA);
    expect(a).toBe(b);
  });

  it('is an unsigned 64-bit value', () => {
    const id = visitorId(SECRET, '2024-03-15', 'example.com', '203.0.113.7', UA);
    expect(id >= 0n && id < 2n ** 64n).toBe(true);
  });

  const base = visitorId(SECRET, '2024-03-15', 'example.com', '203.0.113.7', UA);
  it.each<[string, bigint]>([
    ['another day', visitorId(SECRET, '2024-03-16', 'example.com', '203.0.113.7', UA)],
    ['another site', visitorId(SECRET, '2024-03-15', 'example.org', '203.0.113.7', UA)],
    ['another IP', visitorId(SECRET, '2024-03-15', 'example.com', '203.0.113.8', UA)],
    ['another UA', visitorId(SECRET, '2024-03-15', 'example.com', '203.0.113.7', 'Mozilla/5.0 Other')],
    ['another secret', visitorId(Buffer.from('other-secret'), '2024-03-15', 'example.com', '203.0.113.7', UA)],
    ['fields shifted across the separator', visitorId(SECRET, '2024-03-15', 'example.com2', '03.0.113.7', UA)],
  ])('differs for %s', (_name, other) => {
    expect(other).not.toBe(base);
  });
});

describe('userKey', () => {
  it('matches a known answer', () => {
    // printf 'v1\0user\0%s\0%s' example.com user-42 | openssl dgst -sha256 -hmac test-secret-0123456789abcdef
    //   →  d386361dae229086…
    expect(userKey(SECRET, 'example.com', 'user-42')).toBe(0xd386361dae229086n);
  });

  it('is stable and depends on site and user', () => {
    const k = userKey(SECRET, 'example.com', 'user-42');
    expect(userKey(SECRET, 'example.com', 'user-42')).toBe(k);
    expect(userKey(SECRET, 'example.org', 'user-42')).not.toBe(k);
    expect(userKey(SECRET, 'example.com', 'user-43')).not.toBe(k);
  });

  it('never equals a visitor id over the same text (domain separation)', () => {
    // Same field text as a visitor message would not collide thanks to the prefix.
    expect(userKey(SECRET, 'example.com', 'user-42')).not.toBe(visitorId(SECRET, 'example.com', 'user-42', '', ''));
  });
});
