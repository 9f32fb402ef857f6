/**
 * The data set several integration suites share: five visitors (IPs from the geo
 * fixture's ranges, distinct browsers) over 2026-01-10..12, with referrers, UTM tags,
 * custom events with props, a multi-visit day and a visit that ends at UTC midnight.
 * Each suite writes its own expected answers for it by hand.
 */
import { row, UA } from './support.js';

export const GOOGLE = 'https://www.google.com/search?q=mallard';
export const HN = 'https://news.ycombinator.com/item?id=4242';
export const NEWSLETTER = '?utm_source=newsletter&utm_medium=email';

export interface Ev {
  t: string;
  ip: string;
  ua: string;
  path: string;
  w?: number;
  r?: string;
  q?: string;
  n?: string;
  p?: Record<string, string>;
  user?: string;
}

export const V1 = { ip: '203.0.113.10', ua: UA.chromeWindows, w: 1920 };
export const V2 = { ip: '198.51.100.20', ua: UA.firefoxLinux, w: 1280 };
export const V3 = { ip: '203.0.113.30', ua: UA.safariIphone, w: 390 };
export const V4 = { ip: '198.51.100.40', ua: UA.safariMac, w: 800 };
export const V5 = { ip: '203.0.113.50', ua: UA.edgeWindows };

export const EVENTS: readonly Ev[] = [
  { ...V1, t: '2026-01-10T10:00:00Z', path: '/', r: GOOGLE },
  { ...V1, t: '2026-01-10T10:10:00Z', path: '/pricing', r: GOOGLE },
  { ...V1, t: '2026-01-10T10:12:00Z', path: '/pricing', r: GOOGLE, n: 'signup', p: { plan: 'pro' } },
  { ...V2, t: '2026-01-10T10:30:00Z', path: '/' },
  { ...V2, t: '2026-01-10T11:01:00Z', path: '/blog' },
  { ...V2, t: '2026-01-10T11:11:00Z', path: '/blog/post-1' },
  { ...V3, t: '2026-01-10T23:00:00Z', path: '/blog', r: HN },
  { ...V3, t: '2026-01-10T23:30:00Z', path: '/', r: HN },
  { ...V1, t: '2026-01-11T09:00:00Z', path: '/', r: GOOGLE },
  { ...V4, t: '2026-01-11T14:00:00Z', path: '/', q: NEWSLETTER },
  { ...V4, t: '2026-01-11T14:20:00Z', path: '/docs', q: NEWSLETTER, n: 'download', p: { file: 'guide.pdf' } },
  { ...V4, t: '2026-01-11T14:40:00Z', path: '/docs', q: NEWSLETTER },
  { ...V5, t: '2026-01-12T08:00:00Z', path: '/pricing' },
  { ...V2, t: '2026-01-12T12:00:00Z', path: '/blog', r: GOOGLE },
  { ...V2, t: '2026-01-12T12:15:00Z', path: '/blog/post-1', r: GOOGLE },
  { ...V2, t: '2026-01-12T12:15:30Z', path: '/blog/post-1', r: GOOGLE, n: 'signup', p: { plan: 'free' } },
];

export const batchEvent = (site: string, e: Ev) => ({
  d: site,
  n: e.n ?? 'pageview',
  u: `https://${site}${e.path}${e.q ?? ''}`,
  r: e.r,
  w: e.w,
  p: e.p,
  timestamp: e.t,
  ip: e.ip,
  user_agent: e.ua,
  user_id: e.user,
});

/** The fixture's pages breakdown over its three days (2026-01-10 … 12), worked out by hand. */
export const PAGES = [
  // Bounce rate and visit duration are over the visits that entered on the page
  // (docs/METRICS.md, "Pages and entry pages"): / ← A1, A2, A5, A6 (2 bounces of 4,
  // (720+0+0+2400)/4 = 780); /blog ← A3, A4, A8 ((600+1800+930)/3 = 1110); /pricing ← A7 (a
  // bounce); nobody entered on /blog/post-1 or /docs.
  row('/', 5, 5, 5, 0.5, 780, 71.4),
  row('/blog', 3, 3, 3, 0, 1110, 42.9),
  row('/blog/post-1', 2, 2, 2, 0, 0, 28.6),
  row('/pricing', 2, 2, 2, 1, 0, 28.6),
  row('/docs', 1, 1, 1, 0, 0, 14.3),
];
