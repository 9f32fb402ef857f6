import { describe, expect, it } from 'vitest';
import { LoginLockout, lockoutKey } from './lockout.js';

const T0 = 1_700_000_000_000;
const sec = (s: number) => T0 + s * 1000;

describe('LoginLockout', () => {
  it('allows attempts until the 5th failure within the window, then locks until the oldest leaves it', () => {
    const l = new LoginLockout({ maxFailures: 5, windowSecs: 900 });
    for (let i = 0; i < 4; i++) {
      l.fail('203.0.113.7', sec(i * 10));
      expect(l.retryAfter('203.0.113.7', sec(i * 10))).toBe(0);
    }
    l.fail('203.0.113.7', sec(40));
    // oldest failure at 0 s leaves the 900 s window at 900 s
    expect(l.retryAfter('203.0.113.7', sec(40))).toBe(860);
    expect(l.retryAfter('203.0.113.7', sec(899.2))).toBe(1);
    expect(l.retryAfter('203.0.113.7', sec(900))).toBe(0);
    // one more failure re-locks until the (new) oldest of five leaves: 10 s + 900 s
    l.fail('203.0.113.7', sec(900));
    expect(l.retryAfter('203.0.113.7', sec(900))).toBe(10);
  });

  it('never answers less than one second while locked', () => {
    const l = new LoginLockout({ maxFailures: 1, windowSecs: 1 });
    l.fail('198.51.100.1', T0);
    expect(l.retryAfter('198.51.100.1', T0 + 999)).toBe(1);
    expect(l.retryAfter('198.51.100.1', T0 + 1000)).toBe(0);
  });

  it('failures older than the window do not count', () => {
    const l = new LoginLockout({ maxFailures: 3, windowSecs: 60 });
    l.fail('198.51.100.1', sec(0));
    l.fail('198.51.100.1', sec(30));
    l.fail('198.51.100.1', sec(61));
    expect(l.retryAfter('198.51.100.1', sec(61))).toBe(0);
    l.fail('198.51.100.1', sec(62));
    expect(l.retryAfter('198.51.100.1', sec(62))).toBe(28);
  });

  it('a success clears the address; other addresses are independent', () => {
    const l = new LoginLockout({ maxFailures: 2, windowSecs: 900 });
    l.fail('10.0.0.1', T0);
    l.fail('10.0.0.1', T0);
    l.fail('10.0.0.2', T0);
    expect(l.retryAfter('10.0.0.1', T0)).toBe(900);
    expect(l.retryAfter('10.0.0.2', T0)).toBe(0);
    l.succeed('10.0.0.1');
    expect(l.retryAfter('10.0.0.1', T0)).toBe(0);
    expect(l.size).toBe(1);
  });

  it('counts IPv6 addresses per /64', () => {
    const l = new LoginLockout({ maxFailures: 2, windowSecs: 900 });
    l.fail('2001:db8:1:2::1', T0);
    l.fail('2001:db8:1:2:ffff:ffff:ffff:ffff', T0);
    expect(l.retryAfter('2001:db8:1:2::99', T0)).toBe(900);
    expect(l.retryAfter('2001:db8:1:3::1', T0)).toBe(0);
  });

  it('stays bounded, forgetting the least recently failing address first', () => {
    const l = new LoginLockout({ maxFailures: 1, windowSecs: 900, maxTracked: 3 });
    for (const ip of ['10.0.0.1', '10.0.0.2', '10.0.0.3']) l.fail(ip, T0);
    l.fail('10.0.0.1', T0 + 1); // now the most recent
    l.fail('10.0.0.4', T0 + 2);
    expect(l.size).toBe(3);
    expect(l.retryAfter('10.0.0.2', T0 + 2)).toBe(0); // forgotten
    expect(l.retryAfter('10.0.0.1', T0 + 2)).toBe(900);
    expect(l.retryAfter('10.0.0.3', T0 + 2)).toBe(900);
    expect(l.retryAfter('10.0.0.4', T0 + 2)).toBe(900);
  });
});

describe('lockoutKey', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['2001:0db8:0001:0002:0003:0004:0005:0006', '2001:db8:1:2::/64'],
    ['2001:DB8:1:2::', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1:2:3:4', 'fe80:0:0:0::/64'],
    ['not an ip', 'not an ip'],
  ])('%s → %s', (ip, key) => {
    expect(lockoutKey(ip)).toBe(key);
  });
});
