import { describe, expect, it } from 'vitest';
import { Drop } from '../event.js';
import { IngestGuards, ipKey, RateLimited, type SiteRules } from './guards.js';
import { normalizeOrigin, originAllowed } from './origin.js';
import { sign } from './signature.js';

const SITES: Record<string, SiteRules> = {
  'open.test': { origins: [], rateLimit: null, signingSecret: null },
  'shop.test': { origins: ['https://shop.test', 'https://www.shop.test:8443'], rateLimit: null, signingSecret: null },
  'slow.test': { origins: [], rateLimit: 1, signingSecret: null },
  'fast.test': { origins: [], rateLimit: 100, signingSecret: null },
  'signed.test': { origins: [], rateLimit: null, signingSecret: 'signed-secret-0123456' },
  'signed2.test': { origins: [], rateLimit: null, signingSecret: 'another-secret-987654' },
};
const sites = { get: (id: string) => SITES[id] };

function guards(ipRateLimit = 0) {
  let t = 1_000_000;
  const g = new IngestGuards({ sites, ipRateLimit, now: () => t });
  return {
    g,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('normalizeOrigin', () => {
  it.each([
    ['https://example.com', 'https://example.com'],
    ['HTTPS://Example.COM', 'https://example.com'],
    ['https://example.com:443', 'https://example.com'],
    ['http://example.com:8080', 'http://example.com:8080'],
    ['https://example.com/', 'https://example.com'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['null', null],
    ['', null],
    ['file://', null],
    ['chrome-extension://abc', null],
    ['https://example.com/path', null],
    ['https://example.com?q', null],
    ['https://user@example.com', null],
  ])('%s → %s', (value, normalized) => {
    expect(normalizeOrigin(value)).toBe(normalized);
  });
});

describe('originAllowed', () => {
  const allowed = ['https://shop.test', 'http://localhost:3000'];
  it.each([
    [undefined, allowed, true],
    ['https://evil.test', [], true],
    ['https://shop.test', allowed, true],
    ['https://SHOP.test', allowed, true],
    ['https://shop.test:443', allowed, true],
    ['http://localhost:3000', allowed, true],
    ['http://shop.test', allowed, false],
    ['https://shop.test:8443', allowed, false],
    ['https://www.shop.test', allowed, false],
    ['https://shop.test.evil.test', allowed, false],
    ['http://localhost:3001', allowed, false],
    ['null', allowed, false],
  ])('%s with %o → %s', (origin, list, ok) => {
    expect(originAllowed(origin as string | undefined, list)).toBe(ok);
  });
});

describe('IngestGuards.origin', () => {
  it('checks every site of the event and names the refused one', () => {
    const { g } = guards();
    expect(g.origin(['shop.test'], 'https://shop.test')).toBeUndefined();
    expect(g.origin(['shop.test'], undefined)).toBeUndefined();
    expect(g.origin(['unknown.test'], 'https://evil.test')).toBeUndefined();
    const drop = g.origin(['open.test', 'shop.test'], 'https://evil.test');
    expect(drop).toBeInstanceOf(Drop);
    expect(drop?.reason).toBe('forbidden_origin');
    expect(drop?.message).toBe('origin https://evil.test is not allowed for site shop.test');
  });
});

describe('IngestGuards.siteRate', () => {
  it('limits only sites with a rate: burst 2×, then 429 with Retry-After', () => {
    const { g, advance } = guards();
    for (let i = 0; i < 1000; i++) expect(g.siteRate(['open.test', 'unknown.test'])).toBeUndefined();
    expect(g.siteRate(['slow.test'])).toBeUndefined();
    expect(g.siteRate(['slow.test'])).toBeUndefined();
    const refused = g.siteRate(['slow.test']);
    expect(refused).toBeInstanceOf(RateLimited);
    expect(refused?.reason).toBe('rate_limited');
    expect(refused?.retryAfter).toBe(1);
    expect(refused?.message).toBe('rate limited: site slow.test is over its limit of 1 events per second');
    advance(1000);
    expect(g.siteRate(['slow.test'])).toBeUndefined();
  });

  it('an event for several sites is charged to each, or to none when one is over', () => {
    const { g } = guards();
    g.siteRate(['slow.test']);
    g.siteRate(['slow.test']);
    for (let i = 0; i < 5; i++) expect(g.siteRate(['fast.test', 'slow.test'])?.message).toMatch(/site slow\.test/);
    // fast.test was not charged for the refused events: its whole burst of 200 is left
    for (let i = 0; i < 200; i++) expect(g.siteRate(['fast.test'])).toBeUndefined();
    expect(g.siteRate(['fast.test'])).toBeInstanceOf(RateLimited);
  });
});

describe('IngestGuards.clientIp', () => {
  it('is off at 0', () => {
    const { g } = guards(0);
    for (let i = 0; i < 1000; i++) expect(g.clientIp('203.0.113.1')).toBeUndefined();
  });

  it('allows a burst of 2× the rate per address, then 429 without naming the address', () => {
    const { g, advance } = guards(3);
    for (let i = 0; i < 6; i++) expect(g.clientIp('203.0.113.1')).toBeUndefined();
    const refused = g.clientIp('203.0.113.1');
    expect(refused?.retryAfter).toBe(1);
    expect(refused?.message).toBe('rate limited: more than 3 events per second from this address');
    expect(refused?.message).not.toContain('203.0.113');
    expect(g.clientIp('203.0.113.2')).toBeUndefined();
    advance(334);
    expect(g.clientIp('203.0.113.1')).toBeUndefined();
  });

  it('a fractional rate: one event per 10 s', () => {
    const { g, advance } = guards(0.1);
    expect(g.clientIp('203.0.113.1')).toBeUndefined();
    expect(g.clientIp('203.0.113.1')?.retryAfter).toBe(10);
    advance(4000);
    expect(g.clientIp('203.0.113.1')?.retryAfter).toBe(6);
  });

  it('IPv6 addresses of one /64 share a bucket', () => {
    const { g } = guards(1);
    expect(g.clientIp('2001:db8:1:2::1')).toBeUndefined();
    expect(g.clientIp('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBeUndefined();
    expect(g.clientIp('2001:db8:1:2::99')).toBeInstanceOf(RateLimited);
    expect(g.clientIp('2001:db8:1:3::1')).toBeUndefined();
  });
});

describe('ipKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['2001:db8::1', '2001:0db8:0000:0000::/64'],
    ['2001:DB8:0:0:1::', '2001:0db8:0000:0000::/64'],
    ['::1', '0000:0000:0000:0000::/64'],
    ['::', '0000:0000:0000:0000::/64'],
    ['fe80::1%eth0', 'fe80:0000:0000:0000::/64'],
    ['2001:db8:aa:bb:cc:dd:ee:ff', '2001:0db8:00aa:00bb::/64'],
    ['64:ff9b::192.0.2.33', '0064:ff9b:0000:0000::/64'],
    ['', ''],
  ])('%s → %s', (ip, key) => {
    expect(ipKey(ip)).toBe(key);
  });
});

describe('IngestGuards.signature', () => {
  const body = Buffer.from('[]');
  it('is not needed when no site of the batch has a secret', () => {
    const { g } = guards();
    expect(g.signature(['open.test', 'unknown.test'], undefined, body)).toBeNull();
  });

  it('is needed for every site with a secret', () => {
    const { g } = guards();
    const s1 = sign(body, 'signed-secret-0123456');
    const s2 = sign(body, 'another-secret-987654');
    expect(g.signature(['open.test', 'signed.test'], undefined, body)).toEqual({
      ok: false,
      error: 'X-Mallard-Signature: missing',
    });
    expect(g.signature(['open.test', 'signed.test'], s1, body)?.ok).toBe(true);
    expect(g.signature(['signed.test', 'signed2.test'], s1, body)?.ok).toBe(false);
    expect(g.signature(['signed.test', 'signed2.test'], `${s1},${s2}`, body)?.ok).toBe(true);
  });
});
