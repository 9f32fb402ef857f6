import { describe, expect, it } from 'vitest';
import { majorMinor, parseUserAgent, type UserAgentInfo } from './user-agent.js';

const cases: Array<[string, string, UserAgentInfo]> = [
  [
    'Chrome on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    { browser: 'Chrome', browserVersion: '120.0', os: 'Windows', osVersion: '10', uaDevice: 'Desktop' },
  ],
  [
    'Safari on a Mac',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15',
    { browser: 'Safari', browserVersion: '17.2', os: 'Mac', osVersion: '10.15', uaDevice: 'Desktop' },
  ],
  [
    'Mobile Safari on iPhone',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1',
    { browser: 'Safari', browserVersion: '17.2', os: 'iOS', osVersion: '17.2', uaDevice: 'Mobile' },
  ],
  [
    'Safari on iPad',
    'Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1',
    { browser: 'Safari', browserVersion: '16.6', os: 'iOS', osVersion: '16.6', uaDevice: 'Tablet' },
  ],
  [
    'Chrome on Android phone',
    'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.144 Mobile Safari/537.36',
    { browser: 'Chrome', browserVersion: '120.0', os: 'Android', osVersion: '14', uaDevice: 'Mobile' },
  ],
  [
    'Chrome WebView',
    'Mozilla/5.0 (Linux; Android 13; SM-S918B Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36',
    { browser: 'Chrome', browserVersion: '119.0', os: 'Android', osVersion: '13', uaDevice: 'Mobile' },
  ],
  [
    'Chrome on iOS (CriOS)',
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1',
    { browser: 'Chrome', browserVersion: '120.0', os: 'iOS', osVersion: '17.1', uaDevice: 'Mobile' },
  ],
  [
    'Firefox on Ubuntu',
    'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
    { browser: 'Firefox', browserVersion: '121.0', os: 'Ubuntu', osVersion: null, uaDevice: 'Desktop' },
  ],
  [
    'Firefox on Linux',
    'Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0',
    { browser: 'Firefox', browserVersion: '121.0', os: 'GNU/Linux', osVersion: null, uaDevice: 'Desktop' },
  ],
  [
    'Firefox on Android',
    'Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0',
    { browser: 'Firefox', browserVersion: '121.0', os: 'Android', osVersion: '14', uaDevice: 'Mobile' },
  ],
  [
    'Edge on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91',
    { browser: 'Microsoft Edge', browserVersion: '120.0', os: 'Windows', osVersion: '10', uaDevice: 'Desktop' },
  ],
  [
    'Opera on Windows',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36 OPR/105.0.0.0',
    { browser: 'Opera', browserVersion: '105.0', os: 'Windows', osVersion: '10', uaDevice: 'Desktop' },
  ],
  [
    'Samsung Internet',
    'Mozilla/5.0 (Linux; Android 13; SAMSUNG SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36',
    { browser: 'Samsung Browser', browserVersion: '23.0', os: 'Android', osVersion: '13', uaDevice: 'Mobile' },
  ],
  [
    'Chrome on Android tablet',
    'Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    { browser: 'Chrome', browserVersion: '120.0', os: 'Android', osVersion: '13', uaDevice: 'Tablet' },
  ],
  [
    'Chrome OS',
    'Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
    { browser: 'Chrome', browserVersion: '120.0', os: 'Chrome OS', osVersion: '14541.0', uaDevice: 'Desktop' },
  ],
  [
    'Internet Explorer 11',
    'Mozilla/5.0 (Windows NT 6.1; WOW64; Trident/7.0; rv:11.0) like Gecko',
    { browser: 'Internet Explorer', browserVersion: '11.0', os: 'Windows', osVersion: '7', uaDevice: 'Desktop' },
  ],
  [
    'Yandex Browser',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/118.0.0.0 YaBrowser/23.11.0.0 Safari/537.36',
    { browser: 'Yandex Browser', browserVersion: '23.11', os: 'Windows', osVersion: '10', uaDevice: 'Desktop' },
  ],
  [
    'Brave (major version only: kept as given, as Plausible does)',
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Brave/120',
    { browser: 'Brave', browserVersion: '120', os: 'Windows', osVersion: '10', uaDevice: 'Desktop' },
  ],
  [
    'UC Browser',
    'Mozilla/5.0 (Linux; U; Android 10; en-US; RMX2020 Build/QP1A.190711.020) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/78.0.3904.108 UCBrowser/13.4.0.1306 Mobile Safari/537.36',
    { browser: 'UC Browser', browserVersion: '13.4', os: 'Android', osVersion: '10', uaDevice: 'Mobile' },
  ],
  [
    'Kindle Silk',
    'Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/120.3.1 like Chrome/120.0.6099.230 Safari/537.36',
    { browser: 'Silk', browserVersion: '120.3', os: 'Android', osVersion: '9', uaDevice: 'Tablet' },
  ],
  [
    'PlayStation console counts as Desktop',
    'Mozilla/5.0 (PlayStation; PlayStation 5/2.26) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/13.0 Safari/605.1.15',
    { browser: 'Safari', browserVersion: '13.0', os: 'PlayStation', osVersion: '5', uaDevice: 'Desktop' },
  ],
  ['unrecognised UA', 'curl/8.4.0', { browser: null, browserVersion: null, os: null, osVersion: null, uaDevice: 'Desktop' }],
  ['empty UA', '', { browser: null, browserVersion: null, os: null, osVersion: null, uaDevice: null }],
  ['blank UA', '   ', { browser: null, browserVersion: null, os: null, osVersion: null, uaDevice: null }],
];

describe('parseUserAgent', () => {
  it.each(cases)('%s', (_name, ua, expected) => {
    expect(parseUserAgent(ua)).toEqual(expected);
  });

  it('returns the memoized result for a repeated UA', () => {
    const ua = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:109.0) Gecko/20100101 Firefox/115.0';
    const first = parseUserAgent(ua);
    expect(parseUserAgent(ua)).toBe(first);
    expect(first).toEqual({ browser: 'Firefox', browserVersion: '115.0', os: 'Windows', osVersion: '10', uaDevice: 'Desktop' });
  });

  it('keeps answering correctly after the cache evicts old entries', () => {
    for (let i = 0; i < 10_050; i++) parseUserAgent(`TestAgent/${i}.0 (X11; Linux x86_64)`);
    expect(parseUserAgent('TestAgent/0.0 (X11; Linux x86_64)')).toEqual({
      browser: null,
      browserVersion: null,
      os: 'GNU/Linux',
      osVersion: null,
      uaDevice: 'Desktop',
    });
  });
});

describe('majorMinor', () => {
  it.each([
    ['120.0.6099.144', '120.0'],
    ['17.2', '17.2'],
    ['120', '120'],
    ['14.5.1-gn', '14.5'],
    ['abc', null],
    [undefined, null],
  ])('%s → %s', (input, expected) => {
    expect(majorMinor(input)).toBe(expected);
  });
});
