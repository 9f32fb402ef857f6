/**
 * Realistic tracker traffic for the benchmarks: browser User-Agents, page views as the
 * tracker sends them, public client addresses. Every function draws from the seeded
 * generator it is given (mulberry32 in lib.ts), so a benchmark sends the same requests on
 * every run as long as it calls them in the same order.
 */

export function pick<T>(rand: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rand() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

export const USER_AGENTS: readonly string[] = [
  ...[124, 125, 126].map(
    (v) => `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
  ),
  ...[125, 126].map(
    (v) =>
      `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36`,
  ),
  'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0',
  'Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36',
];
const PATHS = [
  '/',
  '/',
  '/pricing',
  '/blog',
  '/blog/cookieless-analytics-explained',
  '/blog/duckdb-and-parquet-for-event-data',
  '/blog/2024/06/release-notes',
  '/docs',
  '/docs/getting-started',
  '/docs/api/events',
  '/docs/self-hosting/docker',
  '/features',
  '/about',
  '/contact',
  '/signup',
  '/login',
  '/changelog',
  '/careers/senior-backend-engineer',
];
const QUERIES = [
  '',
  '',
  '',
  '',
  '?utm_source=newsletter&utm_medium=email&utm_campaign=june',
  '?ref=producthunt',
  '?utm_source=twitter&utm_medium=social',
];
const REFERRERS: readonly (string | null)[] = [
  null,
  null,
  'https://www.google.com/',
  'https://www.google.com/',
  'https://duckduckgo.com/',
  'https://www.bing.com/',
  'https://news.ycombinator.com/',
  'https://www.reddit.com/r/selfhosted/',
  'https://github.com/',
  'https://t.co/',
];
const WIDTHS = [360, 390, 414, 768, 1024, 1280, 1366, 1440, 1536, 1920, 2560];
// first octets of public IPv4 space (no private, loopback, CGNAT, multicast, reserved)
const PUBLIC_OCTETS = [
  2, 5, 23, 24, 31, 37, 45, 46, 50, 62, 66, 68, 71, 73, 77, 81, 86, 89, 93, 98, 104, 109, 151, 176, 185, 188, 193, 212, 217,
];

export const publicIp = (rand: () => number) =>
  `${pick(rand, PUBLIC_OCTETS)}.${1 + Math.floor(rand() * 254)}.${Math.floor(rand() * 256)}.${1 + Math.floor(rand() * 254)}`;

/** The body of a tracker page view (`POST /api/event`), before JSON.stringify. */
export function pageview(rand: () => number, site: string): Record<string, unknown> {
  const path = pick(rand, PATHS);
  const internal = rand() < 0.3 && path !== '/';
  return {
    d: site,
    n: 'pageview',
    u: `https://${site}${path}${pick(rand, QUERIES)}`,
    r: internal ? `https://${site}/` : pick(rand, REFERRERS),
    w: pick(rand, WIDTHS),
  };
}

/**
 * Headers of `POST /api/event` as a browser sends them (sendBeacon: text/plain). The
 * client address is in X-Forwarded-For, for a server that trusts 127.0.0.1 as a proxy:
 * visitors, sessions and geo lookups are then as varied as on a real site behind a proxy.
 */
export function browserHeaders(rand: () => number, site: string, ips: readonly string[]): Record<string, string> {
  return {
    'content-type': 'text/plain;charset=UTF-8',
    'user-agent': pick(rand, USER_AGENTS),
    'x-forwarded-for': pick(rand, ips),
    accept: '*/*',
    'accept-language': 'en-US,en;q=0.9',
    origin: `https://${site}`,
  };
}
