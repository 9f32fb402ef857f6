/**
 * Filters and breakdowns, table-driven in the manner of Plausible's own query tests: one
 * fixed multi-day data set, loaded through POST /api/events, and exact JSON answers worked
 * out by hand for every case below.
 *
 * Semantics under test (docs/DATA.md §2, §11, docs/METRICS.md, docs/API.md): visit
 * dimensions are taken from the visit's first event (entry page = first page view, exit
 * page = last page view); an event filter keeps the matching events; visitors = distinct
 * daily visitor ids among the kept events; pageviews/events = kept events; visits,
 * bounce_rate and visit_duration are over the visits containing a kept event, using the
 * whole visit's event count and duration — except that a page row's bounce rate and visit
 * duration are over the visits that entered on the page, and a page filter's bounce rate over
 * the visits that entered on a matching page (docs/METRICS.md, "Pages and entry pages").
 * A breakdown's percentage (and a goal's conversion_rate) is its visitors over all visitors
 * of the filtered period. Rows are ordered by visitors desc, then value (bytewise, so
 * "(not set)" < "/" < "A" < "a").
 *
 * Fixture, site filters.test, all times UTC. Geo from the test City database:
 * 203.0.113.x → US / California / San Francisco, 198.51.100.x → DE / Berlin / Berlin,
 * 192.0.2.x → FR (no region, no city). A visitor id is daily, so the same person on another
 * day is another visitor (A and A' below), and visits end at UTC midnight.
 *
 *   person  ip            browser / os (version)            width → device
 *   A       203.0.113.1   Chrome 120.0 / Windows 10          1920 → Desktop
 *   B       198.51.100.2  Firefox 121.0 / GNU/Linux (none)   1280 → Laptop
 *   C       203.0.113.3   Safari 17.2 / iOS 17.2             390  → Mobile
 *   D       198.51.100.4  Safari 17.2 / Mac 10.15             800  → Tablet
 *   E       192.0.2.5     Microsoft Edge 120.0 / Windows 10  none → Desktop (from the UA)
 *
 *   2026-03-02 (D1)
 *   e1  A  10:00 pageview /, referrer www.google.com/search?q=x                     V1: 3 events, 420 s,
 *   e2  A  10:05 pageview /pricing                                                 2 pageviews,
 *   e3  A  10:07 Signup on /pricing, plan=pro, revenue 49 USD                      entry /, exit /pricing,
 *                                                                                  Google, Organic Search
 *   e4  B  11:00 pageview /blog/Hello-World ?utm_source=newsletter&utm_medium=email&utm_campaign=spring
 *   e5  B  11:10 pageview /blog                                                    V2: 2 events, 600 s, Email
 *   e6  C  12:00 pageview /blog/hello-world, referrer news.ycombinator.com/item    V3: bounce, Hacker News,
 *                                                                                  Organic Social
 *   e7  D  13:00 pageview /                                                        V4: 4 events, 600 s,
 *   e8  D  13:02 Download on /docs, file=guide.pdf                                 2 pageviews, entry /,
 *   e9  D  13:04 pageview /docs                                                    exit /docs, Direct
 *   e10 D  13:10 Signup on /docs, plan=free
 *   2026-03-03 (D2)
 *   e11 A' 09:00 pageview /pricing ?utm_source=twitter&utm_medium=social&utm_campaign=launch
 *                &utm_content=banner&utm_term=analytics                           V5: 2 events, 60 s,
 *   e12 A' 09:01 Signup on /pricing, plan=pro, cta.variant=B, seats=5 (a number),    1 pageview, Twitter,
 *                revenue 49 USD
 *                                                                                  Organic Social
 *   e13 E  10:00 pageview /docs, referrer github.com/mallard                       V6: 2 events, 1200 s,
 *   e14 E  10:20 pageview https://docs.filters.test/docs/install                   GitHub, Referral
 *   e15 B' 15:00 pageview /blog                                                    V7: bounce, Direct
 *   e16 C' 23:40 pageview /, referrer www.bing.com/                                V8: 2 events, 600 s,
 *   e17 C' 23:50 pageview /blog                                                    Bing, Organic Search
 *   2026-03-04 (D3) — C's evening continues past midnight, which starts a new visit (and visitor)
 *   e18 C" 00:05 pageview /pricing (no referrer)                                   V9: bounce, Direct
 *
 * Totals for R = 2026-03-02..03 (V1–V8): 8 visitors, 8 visits, 13 pageviews, 17 events,
 * bounces V3 and V7 (0.25), durations 420+600+0+600+60+1200+0+600 = 3480 → mean 435,
 * views per visit 13/8 = 1.625 → 1.63. D1 alone: 4, 4, 7, 1.75, 0.25, 1620/4 = 405, 10.
 * D2 alone: 4, 4, 6, 1.5, 0.25, 1860/4 = 465, 7. With D3 (V1–V9): 9, 9, 14, 1.56, 3/9, 387, 18.
 *
 * Each case below states how its numbers follow from the visits above.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCityMmdb } from '../helpers/geo-fixture.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { bucket, loadBatch, main, removeScratchDirs, row, scratchDir, stats, UA, ZERO_MAIN } from './support.js';

const SITE = 'filters.test';
const EMPTY = 'filters-empty.test';
const UNI = 'filters-unicode.test';
const HOST = `https://${SITE}`;

const A = { ip: '203.0.113.1', ua: UA.chromeWindows, w: 1920 };
const B = { ip: '198.51.100.2', ua: UA.firefoxLinux, w: 1280 };
const C = { ip: '203.0.113.3', ua: UA.safariIphone, w: 390 };
const D = { ip: '198.51.100.4', ua: UA.safariMac, w: 800 };
const E = { ip: '192.0.2.5', ua: UA.edgeWindows };

interface Ev {
  who: { ip: string; ua: string; w?: number };
  t: string;
  u: string;
  n?: string;
  r?: string;
  p?: Record<string, string | number>;
  revenue?: { amount: number; currency: string };
}

const EVENTS: readonly Ev[] = [
  { who: A, t: '2026-03-02T10:00:00Z', u: `${HOST}/`, r: 'https://www.google.com/search?q=x' },
  { who: A, t: '2026-03-02T10:05:00Z', u: `${HOST}/pricing` },
  {
    who: A,
    t: '2026-03-02T10:07:00Z',
    u: `${HOST}/pricing`,
    n: 'Signup',
    p: { plan: 'pro' },
    revenue: { amount: 49, currency: 'USD' },
  },
  { who: B, t: '2026-03-02T11:00:00Z', u: `${HOST}/blog/Hello-World?utm_source=newsletter&utm_medium=email&utm_campaign=spring` },
  { who: B, t: '2026-03-02T11:10:00Z', u: `${HOST}/blog` },
  { who: C, t: '2026-03-02T12:00:00Z', u: `${HOST}/blog/hello-world`, r: 'https://news.ycombinator.com/item?id=1' },
  { who: D, t: '2026-03-02T13:00:00Z', u: `${HOST}/` },
  { who: D, t: '2026-03-02T13:02:00Z', u: `${HOST}/docs`, n: 'Download', p: { file: 'guide.pdf' } },
  { who: D, t: '2026-03-02T13:04:00Z', u: `${HOST}/docs` },
  { who: D, t: '2026-03-02T13:10:00Z', u: `${HOST}/docs`, n: 'Signup', p: { plan: 'free' } },
  {
    who: A,
    t: '2026-03-03T09:00:00Z',
    u: `${HOST}/pricing?utm_source=twitter&utm_medium=social&utm_campaign=launch&utm_content=banner&utm_term=analytics`,
  },
  {
    who: A,
    t: '2026-03-03T09:01:00Z',
    u: `${HOST}/pricing`,
    n: 'Signup',
    p: { plan: 'pro', 'cta.variant': 'B', seats: 5 },
    revenue: { amount: 49, currency: 'USD' },
  },
  { who: E, t: '2026-03-03T10:00:00Z', u: `${HOST}/docs`, r: 'https://github.com/mallard' },
  { who: E, t: '2026-03-03T10:20:00Z', u: 'https://docs.filters.test/docs/install' },
  { who: B, t: '2026-03-03T15:00:00Z', u: `${HOST}/blog` },
  { who: C, t: '2026-03-03T23:40:00Z', u: `${HOST}/`, r: 'https://www.bing.com/' },
  { who: C, t: '2026-03-03T23:50:00Z', u: `${HOST}/blog` },
  { who: C, t: '2026-03-04T00:05:00Z', u: `${HOST}/pricing` },
];

const toBatch = (e: Ev) => ({
  d: SITE,
  n: e.n ?? 'pageview',
  u: e.u,
  r: e.r,
  w: e.who.w,
  p: e.p,
  revenue: e.revenue,
  timestamp: e.t,
  ip: e.who.ip,
  user_agent: e.who.ua,
});

const R = { start_date: '2026-03-02', end_date: '2026-03-03' };
const D1 = { start_date: '2026-03-02', end_date: '2026-03-02' };
const D2 = { start_date: '2026-03-03', end_date: '2026-03-03' };
const D3 = { start_date: '2026-03-04', end_date: '2026-03-04' };
const ALL3 = { start_date: '2026-03-02', end_date: '2026-03-04' };

type Json = unknown;
/** `filters` as the JSON text the dashboard sends. */
const f = (...filters: Json[]) => ({ filters: JSON.stringify(filters) });
const is = (dim: string, ...values: string[]) => ['is', dim, values];
const CI = { case_sensitive: false };

const goal = (value: string, visitors: number, events: number, conversion_rate: number) => ({
  value,
  visitors,
  events,
  conversion_rate,
});

type Case = [string, string, Record<string, string | number>, unknown];

// --------------------------------------------------------------------------------------
// Every breakdown over R without filters. Percentages are over 8 visitors (12.5 each).
const UNFILTERED: Case[] = [
  ['main, R', 'main', R, main(8, 8, 13, 1.63, 0.25, 435, 17)],
  // V1–V9: 3480/9 = 386.7 → 387, 14/9 = 1.556 → 1.56, 3/9 bounces.
  ['main, R plus the day after midnight', 'main', ALL3, main(9, 9, 14, 1.56, 0.3333, 387, 18)],
  // Only V9 (C's continuation after midnight): one event, a bounce.
  ['main, the day after midnight alone', 'main', D3, main(1, 1, 1, 1, 1, 0, 1)],
  [
    // Page views only. / = e1 (V1), e7 (V4), e16 (V8). /blog = e5 (V2), e15 (V7), e17 (V8).
    // Bounce rate and visit duration are over the visits that entered on the page
    // (docs/METRICS.md, "Pages and entry pages"): / ← V1, V4, V8: (420+600+600)/3 = 540;
    // /blog ← V7 only, a bounce; /docs ← V6 (1200 s); /pricing ← V5 (two events, 60 s);
    // /docs/install ← none: 0 and 0.
    'pages',
    'breakdown/pages',
    R,
    [
      row('/', 3, 3, 3, 0, 540, 37.5),
      row('/blog', 3, 3, 3, 1, 0, 37.5),
      row('/docs', 2, 2, 2, 0, 1200, 25),
      row('/pricing', 2, 2, 2, 0, 60, 25),
      row('/blog/Hello-World', 1, 1, 1, 0, 600, 12.5),
      row('/blog/hello-world', 1, 1, 1, 1, 0, 12.5),
      row('/docs/install', 1, 1, 1, 0, 0, 12.5),
    ],
  ],
  [
    // Entry page per visit; pageviews count all page views of those visits.
    'entry-pages',
    'breakdown/entry-pages',
    R,
    [
      row('/', 3, 3, 6, 0, 540, 37.5),
      row('/blog', 1, 1, 1, 1, 0, 12.5),
      row('/blog/Hello-World', 1, 1, 2, 0, 600, 12.5),
      row('/blog/hello-world', 1, 1, 1, 1, 0, 12.5),
      row('/docs', 1, 1, 2, 0, 1200, 12.5),
      row('/pricing', 1, 1, 1, 0, 60, 12.5),
    ],
  ],
  [
    // Exit = last page view: V1 /pricing (not the Signup after it), V4 /docs (the Signup comes later), V6 /docs/install.
    'exit-pages',
    'breakdown/exit-pages',
    R,
    [
      row('/blog', 3, 3, 5, 0.3333, 400, 37.5),
      row('/pricing', 2, 2, 3, 0, 240, 25),
      row('/blog/hello-world', 1, 1, 1, 1, 0, 12.5),
      row('/docs', 1, 1, 2, 0, 600, 12.5),
      row('/docs/install', 1, 1, 2, 0, 1200, 12.5),
    ],
  ],
  [
    // Event dimension: e14 alone is on docs.filters.test; V6 still counts with its whole-visit duration.
    'hostnames',
    'breakdown/hostnames',
    R,
    [row('filters.test', 8, 8, 12, 0.25, 435, 100), row('docs.filters.test', 1, 1, 1, 0, 1200, 12.5)],
  ],
  [
    'sources',
    'breakdown/sources',
    R,
    [
      row('Direct / None', 2, 2, 3, 0.5, 300, 25),
      row('Bing', 1, 1, 2, 0, 600, 12.5),
      row('GitHub', 1, 1, 2, 0, 1200, 12.5),
      row('Google', 1, 1, 2, 0, 420, 12.5),
      row('Hacker News', 1, 1, 1, 1, 0, 12.5),
      row('Twitter', 1, 1, 1, 0, 60, 12.5),
      row('newsletter', 1, 1, 2, 0, 600, 12.5),
    ],
  ],
  [
    // V2 (utm only), V4, V5 (utm only), V7 have no referrer: (600+600+60+0)/4 = 315.
    'referrers',
    'breakdown/referrers',
    R,
    [
      row('Direct / None', 4, 4, 6, 0.25, 315, 50),
      row('bing.com', 1, 1, 2, 0, 600, 12.5),
      row('github.com/mallard', 1, 1, 2, 0, 1200, 12.5),
      row('google.com/search', 1, 1, 2, 0, 420, 12.5),
      row('news.ycombinator.com/item', 1, 1, 1, 1, 0, 12.5),
    ],
  ],
  [
    'channels',
    'breakdown/channels',
    R,
    [
      row('Direct', 2, 2, 3, 0.5, 300, 25),
      row('Organic Search', 2, 2, 4, 0, 510, 25),
      row('Organic Social', 2, 2, 2, 0.5, 30, 25),
      row('Email', 1, 1, 2, 0, 600, 12.5),
      row('Referral', 1, 1, 2, 0, 1200, 12.5),
    ],
  ],
  [
    // (not set) = V1, V3, V4, V6, V7, V8: 2820/6 = 470.
    'utm-source',
    'breakdown/utm-source',
    R,
    [row('(not set)', 6, 6, 10, 0.3333, 470, 75), row('newsletter', 1, 1, 2, 0, 600, 12.5), row('twitter', 1, 1, 1, 0, 60, 12.5)],
  ],
  [
    'utm-medium',
    'breakdown/utm-medium',
    R,
    [row('(not set)', 6, 6, 10, 0.3333, 470, 75), row('email', 1, 1, 2, 0, 600, 12.5), row('social', 1, 1, 1, 0, 60, 12.5)],
  ],
  [
    'utm-campaign',
    'breakdown/utm-campaign',
    R,
    [row('(not set)', 6, 6, 10, 0.3333, 470, 75), row('launch', 1, 1, 1, 0, 60, 12.5), row('spring', 1, 1, 2, 0, 600, 12.5)],
  ],
  [
    // (not set) = every visit but V5: 3420/7 = 488.6 → 489, 2/7 bounces.
    'utm-content',
    'breakdown/utm-content',
    R,
    [row('(not set)', 7, 7, 12, 0.2857, 489, 87.5), row('banner', 1, 1, 1, 0, 60, 12.5)],
  ],
  ['utm-term', 'breakdown/utm-term', R, [row('(not set)', 7, 7, 12, 0.2857, 489, 87.5), row('analytics', 1, 1, 1, 0, 60, 12.5)]],
  [
    'browsers',
    'breakdown/browsers',
    R,
    [
      row('Safari', 3, 3, 5, 0.3333, 400, 37.5),
      row('Chrome', 2, 2, 3, 0, 240, 25),
      row('Firefox', 2, 2, 3, 0.5, 300, 25),
      row('Microsoft Edge', 1, 1, 2, 0, 1200, 12.5),
    ],
  ],
  [
    'browser-versions',
    'breakdown/browser-versions',
    R,
    [
      row('Safari 17.2', 3, 3, 5, 0.3333, 400, 37.5),
      row('Chrome 120.0', 2, 2, 3, 0, 240, 25),
      row('Firefox 121.0', 2, 2, 3, 0.5, 300, 25),
      row('Microsoft Edge 120.0', 1, 1, 2, 0, 1200, 12.5),
    ],
  ],
  [
    // Windows = V1, V5, V6: (420+60+1200)/3 = 560.
    'os',
    'breakdown/os',
    R,
    [
      row('Windows', 3, 3, 5, 0, 560, 37.5),
      row('GNU/Linux', 2, 2, 3, 0.5, 300, 25),
      row('iOS', 2, 2, 3, 0.5, 300, 25),
      row('Mac', 1, 1, 2, 0, 600, 12.5),
    ],
  ],
  [
    'os-versions',
    'breakdown/os-versions',
    R,
    [
      row('Windows 10', 3, 3, 5, 0, 560, 37.5),
      row('GNU/Linux (not set)', 2, 2, 3, 0.5, 300, 25),
      row('iOS 17.2', 2, 2, 3, 0.5, 300, 25),
      row('Mac 10.15', 1, 1, 2, 0, 600, 12.5),
    ],
  ],
  [
    'devices',
    'breakdown/devices',
    R,
    [
      row('Desktop', 3, 3, 5, 0, 560, 37.5),
      row('Laptop', 2, 2, 3, 0.5, 300, 25),
      row('Mobile', 2, 2, 3, 0.5, 300, 25),
      row('Tablet', 1, 1, 2, 0, 600, 12.5),
    ],
  ],
  [
    'screen-sizes',
    'breakdown/screen-sizes',
    R,
    [
      row('Desktop', 3, 3, 5, 0, 560, 37.5),
      row('Laptop', 2, 2, 3, 0.5, 300, 25),
      row('Mobile', 2, 2, 3, 0.5, 300, 25),
      row('Tablet', 1, 1, 2, 0, 600, 12.5),
    ],
  ],
  [
    // US = V1, V3, V5, V8: (420+0+60+600)/4 = 270; DE = V2, V4, V7: 1200/3 = 400.
    'countries',
    'breakdown/countries',
    R,
    [row('US', 4, 4, 6, 0.25, 270, 50), row('DE', 3, 3, 5, 0.3333, 400, 37.5), row('FR', 1, 1, 2, 0, 1200, 12.5)],
  ],
  [
    'regions',
    'breakdown/regions',
    R,
    [
      row('California', 4, 4, 6, 0.25, 270, 50),
      row('Berlin', 3, 3, 5, 0.3333, 400, 37.5),
      row('(not set)', 1, 1, 2, 0, 1200, 12.5),
    ],
  ],
  [
    'cities',
    'breakdown/cities',
    R,
    [
      row('San Francisco', 4, 4, 6, 0.25, 270, 50),
      row('Berlin', 3, 3, 5, 0.3333, 400, 37.5),
      row('(not set)', 1, 1, 2, 0, 1200, 12.5),
    ],
  ],
  // Custom events only: Signup by A, D, A' (3/8); Download by D (1/8).
  ['events (goals)', 'breakdown/events', R, [goal('Signup', 3, 3, 37.5), goal('Download', 1, 1, 12.5)]],
  // With D3 the denominator is 9 visitors: 3/9 = 33.3, 1/9 = 11.1.
  ['events (goals) incl. the day after', 'breakdown/events', ALL3, [goal('Signup', 3, 3, 33.3), goal('Download', 1, 1, 11.1)]],
  [
    // Page views and the Download carry no plan: (none) covers every visit; pro = e3, e12; free = e10.
    'props/plan with (none)',
    'breakdown/props/plan',
    R,
    [row('(none)', 8, 8, 13, 0.25, 435, 100), row('pro', 2, 2, 0, 0, 240, 25), row('free', 1, 1, 0, 0, 600, 12.5)],
  ],
  ['props/file', 'breakdown/props/file', R, [row('(none)', 8, 8, 13, 0.25, 435, 100), row('guide.pdf', 1, 1, 0, 0, 600, 12.5)]],
  [
    // A key with a dot is one key, not a JSON path; only e12 has it.
    'props/cta.variant',
    'breakdown/props/cta.variant',
    R,
    [row('(none)', 8, 8, 13, 0.25, 435, 100), row('B', 1, 1, 0, 0, 60, 12.5)],
  ],
  [
    // A number-valued property reads as its text.
    'props/seats',
    'breakdown/props/seats',
    R,
    [row('(none)', 8, 8, 13, 0.25, 435, 100), row('5', 1, 1, 0, 0, 60, 12.5)],
  ],
  [
    'timeseries by day',
    'timeseries',
    { ...ALL3, interval: 'day' },
    [bucket('2026-03-02', 4, 4, 7, 0.25, 405), bucket('2026-03-03', 4, 4, 6, 0.25, 465), bucket('2026-03-04', 1, 1, 1, 1, 0)],
  ],
];

// --------------------------------------------------------------------------------------
// Filters, alone and combined with breakdowns on other dimensions.
const FILTERED: Case[] = [
  // --- visit filters
  // is_not US: V2, V4, V6, V7 → 7 pageviews, 2+4+2+1 = 9 events, (600+600+1200+0)/4 = 600.
  [
    'main, visit:country is_not US',
    'main',
    { ...R, ...f(['is_not', 'visit:country', ['US']]) },
    main(4, 4, 7, 1.75, 0.25, 600, 9),
  ],
  [
    // DE visits V2, V4, V7 (3 visitors): their page views. Entered: /blog ← V7 (a bounce),
    // / ← V4, /blog/Hello-World ← V2; nobody entered on /docs (D came in on /).
    'pages filtered by visit:country is DE',
    'breakdown/pages',
    { ...R, ...f(is('visit:country', 'DE')) },
    [
      row('/blog', 2, 2, 2, 1, 0, 66.7),
      row('/', 1, 1, 1, 0, 600, 33.3),
      row('/blog/Hello-World', 1, 1, 1, 0, 600, 33.3),
      row('/docs', 1, 1, 1, 0, 0, 33.3),
    ],
  ],
  [
    // Sources other than Direct: V1, V2, V3, V5, V6, V8 (6 visitors).
    'entry-pages filtered by visit:source is_not Direct / None',
    'breakdown/entry-pages',
    { ...R, ...f(['is_not', 'visit:source', ['Direct / None']]) },
    [
      row('/', 2, 2, 4, 0, 510, 33.3),
      row('/blog/Hello-World', 1, 1, 2, 0, 600, 16.7),
      row('/blog/hello-world', 1, 1, 1, 1, 0, 16.7),
      row('/docs', 1, 1, 2, 0, 1200, 16.7),
      row('/pricing', 1, 1, 1, 0, 60, 16.7),
    ],
  ],
  [
    // Google or Bing (one "is" with two values): V1 and V8, both enter on /.
    'entry-pages filtered by visit:source is Google, Bing',
    'breakdown/entry-pages',
    { ...R, ...f(is('visit:source', 'Google', 'Bing')) },
    [row('/', 2, 2, 4, 0, 510, 100)],
  ],
  [
    // Berlin = V2, V4, V7.
    'channels filtered by visit:city is Berlin',
    'breakdown/channels',
    { ...R, ...f(is('visit:city', 'Berlin')) },
    [row('Direct', 2, 2, 3, 0.5, 300, 66.7), row('Email', 1, 1, 2, 0, 600, 33.3)],
  ],
  [
    'regions filtered by visit:region is (not set)',
    'breakdown/regions',
    { ...R, ...f(is('visit:region', '(not set)')) },
    [row('(not set)', 1, 1, 2, 0, 1200, 100)],
  ],
  [
    // utm_source "newsletter" matched case-insensitively: V2 only.
    'cities filtered by visit:utm_source is NEWSLETTER (case-insensitive)',
    'breakdown/cities',
    { ...R, ...f(['is', 'visit:utm_source', ['NEWSLETTER'], CI]) },
    [row('Berlin', 1, 1, 2, 0, 600, 100)],
  ],
  [
    'cities filtered by visit:utm_source is NEWSLETTER (case-sensitive: nothing)',
    'breakdown/cities',
    { ...R, ...f(is('visit:utm_source', 'NEWSLETTER')) },
    [],
  ],
  [
    // V2 (spring) and V5 (launch).
    'utm-campaign filtered by visit:utm_medium is_not (not set)',
    'breakdown/utm-campaign',
    { ...R, ...f(['is_not', 'visit:utm_medium', ['(not set)']]) },
    [row('launch', 1, 1, 1, 0, 60, 50), row('spring', 1, 1, 2, 0, 600, 50)],
  ],
  [
    'utm-content filtered by visit:source is Twitter',
    'breakdown/utm-content',
    { ...R, ...f(is('visit:source', 'Twitter')) },
    [row('banner', 1, 1, 1, 0, 60, 100)],
  ],
  [
    // Desktop = V1, V5, V6: (not set) = V1, V6 → (420+1200)/2 = 810.
    'utm-term filtered by visit:device is Desktop',
    'breakdown/utm-term',
    { ...R, ...f(is('visit:device', 'Desktop')) },
    [row('(not set)', 2, 2, 4, 0, 810, 66.7), row('analytics', 1, 1, 1, 0, 60, 33.3)],
  ],
  [
    // Everything but V2 (spring): 7 visitors; (not set) = V1, V3, V4, V6, V7, V8.
    'utm-source filtered by visit:utm_campaign contains_not spr',
    'breakdown/utm-source',
    { ...R, ...f(['contains_not', 'visit:utm_campaign', ['spr']]) },
    [row('(not set)', 6, 6, 10, 0.3333, 470, 85.7), row('twitter', 1, 1, 1, 0, 60, 14.3)],
  ],
  [
    'browsers filtered by visit:browser is safari (case-insensitive)',
    'breakdown/browsers',
    { ...R, ...f(['is', 'visit:browser', ['safari'], CI]) },
    [row('Safari', 3, 3, 5, 0.3333, 400, 100)],
  ],
  [
    // iOS = V3 (C) and V8 (C').
    'browser-versions filtered by visit:os is iOS',
    'breakdown/browser-versions',
    { ...R, ...f(is('visit:os', 'iOS')) },
    [row('Safari 17.2', 2, 2, 3, 0.5, 300, 100)],
  ],
  [
    // Chrome 120.0 (V1, V5) and Edge 120.0 (V6), all Windows 10.
    'os-versions filtered by visit:browser_version is 120.0',
    'breakdown/os-versions',
    { ...R, ...f(is('visit:browser_version', '120.0')) },
    [row('Windows 10', 3, 3, 5, 0, 560, 100)],
  ],
  [
    // Exit /blog = V2 (B), V7 (B'), V8 (C').
    'screen-sizes filtered by visit:exit_page is /blog',
    'breakdown/screen-sizes',
    { ...R, ...f(is('visit:exit_page', '/blog')) },
    [row('Laptop', 2, 2, 3, 0.5, 300, 66.7), row('Mobile', 1, 1, 2, 0, 600, 33.3)],
  ],
  [
    // V6 enters on /docs; its two events are on two hostnames.
    'hostnames filtered by visit:entry_page is /docs',
    'breakdown/hostnames',
    { ...R, ...f(is('visit:entry_page', '/docs')) },
    [row('docs.filters.test', 1, 1, 1, 0, 1200, 100), row('filters.test', 1, 1, 1, 0, 1200, 100)],
  ],
  [
    'referrers filtered by visit:referrer matches google|bing',
    'breakdown/referrers',
    { ...R, ...f(['matches', 'visit:referrer', ['google|bing']]) },
    [row('bing.com', 1, 1, 2, 0, 600, 50), row('google.com/search', 1, 1, 2, 0, 420, 50)],
  ],

  // --- event filters: only matching events count, visit metrics use whole visits
  [
    // Kept: e5 (V2, newsletter), e15 (V7, direct), e17 (V8, Bing) — one page view each.
    'sources filtered by event:page is /blog',
    'breakdown/sources',
    { ...R, ...f(is('event:page', '/blog')) },
    [row('Bing', 1, 1, 1, 0, 600, 33.3), row('Direct / None', 1, 1, 1, 1, 0, 33.3), row('newsletter', 1, 1, 1, 0, 600, 33.3)],
  ],
  [
    // Kept: e3, e12 (both US, no page views): V1 and V5, (420+60)/2 = 240.
    'countries filtered by event:props:plan is pro',
    'breakdown/countries',
    { ...R, ...f(is('event:props:plan', 'pro')) },
    [row('US', 2, 2, 0, 0, 240, 100)],
  ],
  [
    // Kept: e9 (D, Mac) and e13 (E, Windows) — the Download on /docs is no page view but
    // matches too; it is D's and changes nothing. Equal counts are ordered by name.
    'os filtered by event:page is /docs',
    'breakdown/os',
    { ...R, ...f(is('event:page', '/docs')) },
    [row('Mac', 1, 1, 1, 0, 600, 50), row('Windows', 1, 1, 1, 0, 1200, 50)],
  ],
  [
    // Kept: e14 only; V6 counts whole (2 events, 1200 s) though one page view was kept.
    'main, event:hostname is docs.filters.test',
    'main',
    { ...R, ...f(is('event:hostname', 'docs.filters.test')) },
    main(1, 1, 1, 1, 0, 1200, 1),
  ],
  [
    'hostnames filtered by event:hostname contains docs',
    'breakdown/hostnames',
    { ...R, ...f(['contains', 'event:hostname', ['docs']]) },
    [row('docs.filters.test', 1, 1, 1, 0, 1200, 100)],
  ],
  [
    // Pages containing "blog": e4, e5, e6, e15, e17 (B, C, B', C'). Entered: /blog ← V7 (a
    // bounce), /blog/Hello-World ← V2, /blog/hello-world ← V3 (a bounce).
    'pages filtered by event:page contains blog',
    'breakdown/pages',
    { ...R, ...f(['contains', 'event:page', ['blog']]) },
    [row('/blog', 3, 3, 3, 1, 0, 75), row('/blog/Hello-World', 1, 1, 1, 0, 600, 25), row('/blog/hello-world', 1, 1, 1, 1, 0, 25)],
  ],
  // Case-sensitive "hello": e6 only (V3, a bounce).
  ['main, event:page contains hello', 'main', { ...R, ...f(['contains', 'event:page', ['hello']]) }, main(1, 1, 1, 1, 1, 0, 1)],
  [
    // Case-insensitive "HELLO": e4 (V2, 600 s) and e6 (V3, bounce).
    'main, event:page contains HELLO (case-insensitive)',
    'main',
    { ...R, ...f(['contains', 'event:page', ['HELLO'], CI]) },
    main(2, 2, 2, 1, 0.5, 300, 2),
  ],
  [
    'main, event:page contains HELLO (case-sensitive: nothing)',
    'main',
    { ...R, ...f(['contains', 'event:page', ['HELLO']]) },
    ZERO_MAIN,
  ],
  [
    'pages filtered by event:page matches ^/blog/[a-z-]+$',
    'breakdown/pages',
    { ...R, ...f(['matches', 'event:page', ['^/blog/[a-z-]+$']]) },
    [row('/blog/hello-world', 1, 1, 1, 1, 0, 100)],
  ],
  [
    'pages filtered by event:page matches ^/blog/[a-z-]+$ (case-insensitive)',
    'breakdown/pages',
    { ...R, ...f(['matches', 'event:page', ['^/blog/[a-z-]+$'], CI]) },
    [row('/blog/Hello-World', 1, 1, 1, 0, 600, 50), row('/blog/hello-world', 1, 1, 1, 1, 0, 50)],
  ],
  [
    // Everything not under /blog, custom events included: visitors A, D, A', E, C' (5).
    // Entered: / ← V1, V4, V8; /docs ← V6; /pricing ← V5; /docs/install ← none.
    'pages filtered by event:page matches_not ^/blog',
    'breakdown/pages',
    { ...R, ...f(['matches_not', 'event:page', ['^/blog']]) },
    [
      row('/', 3, 3, 3, 0, 540, 60),
      row('/docs', 2, 2, 2, 0, 1200, 40),
      row('/pricing', 2, 2, 2, 0, 60, 40),
      row('/docs/install', 1, 1, 1, 0, 0, 20),
    ],
  ],
  [
    // Kept: e9 (D, V4) and e13 (E, V6), e14 (E, V6). Entered: /docs ← V6; /docs/install ← none.
    'pages filtered by event:page is /docs, /docs/install',
    'breakdown/pages',
    { ...R, ...f(is('event:page', '/docs', '/docs/install')) },
    [row('/docs', 2, 2, 2, 0, 1200, 100), row('/docs/install', 1, 1, 1, 0, 0, 50)],
  ],
  [
    // Kept: the three Signups: e3 (V1 Google), e10 (V4 direct), e12 (V5 Twitter); no page views.
    'sources filtered by event:goal is Signup',
    'breakdown/sources',
    { ...R, ...f(is('event:goal', 'Signup')) },
    [row('Direct / None', 1, 1, 0, 0, 600, 33.3), row('Google', 1, 1, 0, 0, 420, 33.3), row('Twitter', 1, 1, 0, 0, 60, 33.3)],
  ],
  [
    // Kept: e3 (V1), e10 (V4), e12 (V5, social).
    'utm-medium filtered by event:name is Signup',
    'breakdown/utm-medium',
    { ...R, ...f(is('event:name', 'Signup')) },
    [row('(not set)', 2, 2, 0, 0, 510, 66.7), row('social', 1, 1, 0, 0, 60, 33.3)],
  ],

  // --- and / or / not
  [
    // FR (V6) or Firefox (V2, V7).
    'sources filtered by or(country FR, browser Firefox)',
    'breakdown/sources',
    { ...R, ...f(['or', [is('visit:country', 'FR'), is('visit:browser', 'Firefox')]]) },
    [row('Direct / None', 1, 1, 1, 1, 0, 33.3), row('GitHub', 1, 1, 2, 0, 1200, 33.3), row('newsletter', 1, 1, 2, 0, 600, 33.3)],
  ],
  [
    // Not Desktop: B, C, D, B', C' (5).
    'devices filtered by not(device Desktop)',
    'breakdown/devices',
    { ...R, ...f(['not', is('visit:device', 'Desktop')]) },
    [row('Laptop', 2, 2, 3, 0.5, 300, 40), row('Mobile', 2, 2, 3, 0.5, 300, 40), row('Tablet', 1, 1, 2, 0, 600, 20)],
  ],
  [
    // (US or DE) and not page~blog: kept V1 e1–e3, V4 e7–e10, V5 e11–e12, V8 e16 → 6 page views, 10 events,
    // none of those visits bounces, (420+600+60+600)/4 = 420.
    'main, and(or(US, DE), not(contains blog))',
    'main',
    {
      ...R,
      ...f([
        'and',
        [
          ['or', [is('visit:country', 'US'), is('visit:country', 'DE')]],
          ['not', ['contains', 'event:page', ['blog']]],
        ],
      ]),
    },
    main(4, 4, 6, 1.5, 0, 420, 10),
  ],
  [
    // Same filter by country: US = A (V1), A' (V5), C' (V8: only e16 kept); DE = D (V4).
    'countries filtered by and(or(US, DE), not(contains blog))',
    'breakdown/countries',
    {
      ...R,
      ...f([
        'and',
        [
          ['or', [is('visit:country', 'US'), is('visit:country', 'DE')]],
          ['not', ['contains', 'event:page', ['blog']]],
        ],
      ]),
    },
    [row('US', 3, 3, 4, 0, 360, 75), row('DE', 1, 1, 2, 0, 600, 25)],
  ],
  [
    // Two top-level filters are and-ed: US visits V1, V3, V5, V8 minus V3 (entry /blog/hello-world):
    // 2+1+2 page views, 3+2+2 events, (420+60+600)/3 = 360, 5/3 = 1.67.
    'main, two top-level filters (US and entry page is_not /blog/hello-world)',
    'main',
    { ...R, ...f(is('visit:country', 'US'), ['is_not', 'visit:entry_page', ['/blog/hello-world']]) },
    main(3, 3, 5, 1.67, 0, 360, 7),
  ],

  // --- goals and props under filters
  [
    // DE visitors B, D, B' (3): D did both goals.
    'events (goals) filtered by visit:country is DE',
    'breakdown/events',
    { ...R, ...f(is('visit:country', 'DE')) },
    [goal('Download', 1, 1, 33.3), goal('Signup', 1, 1, 33.3)],
  ],
  [
    // Organic Social = V3 (C) and V5 (A'); A' signed up.
    'events (goals) filtered by visit:channel is Organic Social',
    'breakdown/events',
    { ...R, ...f(is('visit:channel', 'Organic Social')) },
    [goal('Signup', 1, 1, 50)],
  ],
  [
    // The goal filter keeps only Signup events, but a conversion rate divides by every visitor
    // of the period (Plausible): Signup by A, D, A' of 8 visitors = 37.5, as unfiltered.
    'events (goals) filtered by event:goal is Signup',
    'breakdown/events',
    { ...R, ...f(is('event:goal', 'Signup')) },
    [goal('Signup', 3, 3, 37.5)],
  ],
  [
    // Same, within DE (B, D, B'): D signed up, 1/3.
    'events (goals) filtered by event:goal is Signup and visit:country is DE',
    'breakdown/events',
    { ...R, ...f(is('event:goal', 'Signup'), is('visit:country', 'DE')) },
    [goal('Signup', 1, 1, 33.3)],
  ],
  [
    // US visits V1, V3, V5, V8 (A, C, A', C').
    'props/plan filtered by visit:country is US',
    'breakdown/props/plan',
    { ...R, ...f(is('visit:country', 'US')) },
    [row('(none)', 4, 4, 6, 0.25, 270, 100), row('pro', 2, 2, 0, 0, 240, 50)],
  ],
  [
    'props/plan filtered by event:name is Signup',
    'breakdown/props/plan',
    { ...R, ...f(is('event:name', 'Signup')) },
    [row('pro', 2, 2, 0, 0, 240, 66.7), row('free', 1, 1, 0, 0, 600, 33.3)],
  ],
  [
    // Everything but e3 and e12: all 8 visitors remain.
    'props/plan filtered by event:props:plan is_not pro',
    'breakdown/props/plan',
    { ...R, ...f(['is_not', 'event:props:plan', ['pro']]) },
    [row('(none)', 8, 8, 13, 0.25, 435, 100), row('free', 1, 1, 0, 0, 600, 12.5)],
  ],
  // Kept: e12 only (V5: 2 events, 60 s); a number in the filter's values matches the number 5.
  [
    'main, event:props:seats is 5 (a JSON number)',
    'main',
    { ...R, ...f(['is', 'event:props:seats', [5]]) },
    main(1, 1, 0, 0, 0, 60, 1),
  ],
  ['main, event:props:cta.variant is B', 'main', { ...R, ...f(is('event:props:cta.variant', 'B')) }, main(1, 1, 0, 0, 0, 60, 1)],
  // "(none)" filters on a missing property: 17 − 3 plan-carrying events.
  [
    'main, event:props:plan is (none)',
    'main',
    { ...R, ...f(is('event:props:plan', '(none)')) },
    main(8, 8, 13, 1.63, 0.25, 435, 14),
  ],

  // --- timeseries, the day boundary, compare
  [
    // US: D1 = V1, V3; D2 = V5, V8.
    'timeseries by day filtered by visit:country is US',
    'timeseries',
    { ...R, interval: 'day', ...f(is('visit:country', 'US')) },
    [bucket('2026-03-02', 2, 2, 3, 0.5, 210), bucket('2026-03-03', 2, 2, 3, 0, 330)],
  ],
  // C's evening, cut at the end of the custom range: only V8 (23:40, 23:50) is in D2.
  [
    'main, D2 filtered by visit:os is iOS (the visit before midnight)',
    'main',
    { ...D2, ...f(is('visit:os', 'iOS')) },
    main(1, 1, 2, 2, 0, 600, 2),
  ],
  [
    // Over D2..D3 the evening is two visits by two visitors: V8 exits /blog, V9 (a bounce) /pricing.
    'exit-pages D2..D3 filtered by visit:os is iOS',
    'breakdown/exit-pages',
    { start_date: '2026-03-03', end_date: '2026-03-04', ...f(is('visit:os', 'iOS')) },
    [row('/blog', 1, 1, 2, 0, 600, 50), row('/pricing', 1, 1, 1, 1, 0, 50)],
  ],
  [
    // D2 against D1: pageviews 6 vs 7 (−14.3 %), events 7 vs 10 (−30 %), duration 465 vs 405 (+14.8 %).
    'main, compare=previous_period',
    'main',
    { ...D2, compare: 'previous_period' },
    {
      ...main(4, 4, 6, 1.5, 0.25, 465, 7),
      previous: main(4, 4, 7, 1.75, 0.25, 405, 10),
      change: {
        unique_visitors: 0,
        visits: 0,
        total_pageviews: -14.3,
        views_per_visit: -14.3,
        bounce_rate: 0,
        avg_visit_duration_secs: 14.8,
        events: -30,
      },
    },
  ],
  [
    // US on D2 (V5, V8) against US on D1 (V1, V3): bounce 0 vs 0.5 (−50 points), duration 330 vs 210 (+57.1 %).
    'main, compare=previous_period with visit:country is US',
    'main',
    { ...D2, compare: 'previous_period', ...f(is('visit:country', 'US')) },
    {
      ...main(2, 2, 3, 1.5, 0, 330, 4),
      previous: main(2, 2, 3, 1.5, 0.5, 210, 4),
      change: {
        unique_visitors: 0,
        visits: 0,
        total_pageviews: 0,
        views_per_visit: 0,
        bounce_rate: -50,
        avg_visit_duration_secs: 57.1,
        events: 0,
      },
    },
  ],
  [
    // The day before D1 has no data: every change is null.
    'main, compare=previous_period against an empty period',
    'main',
    { ...D1, compare: 'previous_period' },
    {
      ...main(4, 4, 7, 1.75, 0.25, 405, 10),
      previous: ZERO_MAIN,
      change: {
        unique_visitors: null,
        visits: null,
        total_pageviews: null,
        views_per_visit: null,
        bounce_rate: null,
        avg_visit_duration_secs: null,
        events: null,
      },
    },
  ],
];

// --------------------------------------------------------------------------------------
// Nothing to count: a filter that matches nothing, and a site without events.
const NOTHING = f(is('visit:country', 'JP'));
const EMPTY_CASES: Case[] = [
  ['no match: main', 'main', { ...R, ...NOTHING }, ZERO_MAIN],
  ['no match: pages', 'breakdown/pages', { ...R, ...NOTHING }, []],
  ['no match: sources', 'breakdown/sources', { ...R, ...NOTHING }, []],
  ['no match: events', 'breakdown/events', { ...R, ...NOTHING }, []],
  ['no match: props/plan', 'breakdown/props/plan', { ...R, ...NOTHING }, []],
  ['no match: timeseries', 'timeseries', { ...R, interval: 'day', ...NOTHING }, [bucket('2026-03-02'), bucket('2026-03-03')]],
  [
    'no match: compare',
    'main',
    { ...D2, compare: 'previous_period', ...f(is('event:page', '/nowhere')) },
    {
      ...ZERO_MAIN,
      previous: ZERO_MAIN,
      change: {
        unique_visitors: null,
        visits: null,
        total_pageviews: null,
        views_per_visit: null,
        bounce_rate: null,
        avg_visit_duration_secs: null,
        events: null,
      },
    },
  ],
  ['empty site: main', 'main', { ...R, site_id: EMPTY }, ZERO_MAIN],
  ['empty site: main with a filter', 'main', { ...R, site_id: EMPTY, ...f(is('visit:country', 'US')) }, ZERO_MAIN],
  ['empty site: pages', 'breakdown/pages', { ...R, site_id: EMPTY }, []],
  ['empty site: countries with a filter', 'breakdown/countries', { ...R, site_id: EMPTY, ...f(is('event:page', '/')) }, []],
  ['empty site: events', 'breakdown/events', { ...R, site_id: EMPTY }, []],
  ['empty site: props/plan', 'breakdown/props/plan', { ...R, site_id: EMPTY }, []],
  [
    'empty site: timeseries',
    'timeseries',
    { ...R, site_id: EMPTY, interval: 'day', ...f(is('visit:country', 'US')) },
    [bucket('2026-03-02'), bucket('2026-03-03')],
  ],
];

// --------------------------------------------------------------------------------------
// Case-insensitive matching beyond ASCII, on its own site (filters-unicode.test, 2026-03-02):
//   U1 203.0.113.21 10:00 pageview /ΟΔΟΣ                     (Greek capitals, ending in Σ)
//   U2 203.0.113.22 10:00 pageview /İstanbul                 (capital I with dot above)
//   U3 203.0.113.23 10:00 pageview /straße, then 10:01 Download with file=ÜBERSICHT.pdf
// Each visitor one visit; U1 and U2 bounce, U3: 2 events, 60 s. A case-insensitive filter
// must at least match the exact stored text, whatever the letters.
const UNI_EVENTS = [
  {
    d: UNI,
    n: 'pageview',
    u: `https://${UNI}/ΟΔΟΣ`,
    timestamp: '2026-03-02T10:00:00Z',
    ip: '203.0.113.21',
    user_agent: UA.firefoxLinux,
  },
  {
    d: UNI,
    n: 'pageview',
    u: `https://${UNI}/İstanbul`,
    timestamp: '2026-03-02T10:00:00Z',
    ip: '203.0.113.22',
    user_agent: UA.firefoxLinux,
  },
  {
    d: UNI,
    n: 'pageview',
    u: `https://${UNI}/straße`,
    timestamp: '2026-03-02T10:00:00Z',
    ip: '203.0.113.23',
    user_agent: UA.firefoxLinux,
  },
  {
    d: UNI,
    n: 'Download',
    u: `https://${UNI}/straße`,
    p: { file: 'ÜBERSICHT.pdf' },
    timestamp: '2026-03-02T10:01:00Z',
    ip: '203.0.113.23',
    user_agent: UA.firefoxLinux,
  },
];
const U = { ...D1, site_id: UNI };
const UNICODE_CASES: Case[] = [
  [
    'unicode: pages, no filter',
    'breakdown/pages',
    U,
    // Values sort bytewise (UTF-8): s (73) < İ (C4 B0) < Ο (CE 9F).
    [row('/straße', 1, 1, 1, 0, 60, 33.3), row('/İstanbul', 1, 1, 1, 1, 0, 33.3), row('/ΟΔΟΣ', 1, 1, 1, 1, 0, 33.3)],
  ],
  ['unicode: is /ΟΔΟΣ', 'breakdown/pages', { ...U, ...f(is('event:page', '/ΟΔΟΣ')) }, [row('/ΟΔΟΣ', 1, 1, 1, 1, 0, 100)]],
  [
    'unicode: is /ΟΔΟΣ (case-insensitive) matches the page itself',
    'breakdown/pages',
    { ...U, ...f(['is', 'event:page', ['/ΟΔΟΣ'], CI]) },
    [row('/ΟΔΟΣ', 1, 1, 1, 1, 0, 100)],
  ],
  [
    'unicode: contains İ (case-insensitive) matches /İstanbul',
    'breakdown/pages',
    { ...U, ...f(['contains', 'event:page', ['İ'], CI]) },
    [row('/İstanbul', 1, 1, 1, 1, 0, 100)],
  ],
  [
    'unicode: is_not /ΟΔΟΣ (case-insensitive) excludes it',
    'breakdown/pages',
    { ...U, ...f(['is_not', 'event:page', ['/ΟΔΟΣ'], CI]) },
    [row('/straße', 1, 1, 1, 0, 60, 50), row('/İstanbul', 1, 1, 1, 1, 0, 50)],
  ],
  [
    'unicode: contains_not ΟΣ (case-insensitive) excludes /ΟΔΟΣ',
    'main',
    { ...U, ...f(['contains_not', 'event:page', ['ΟΣ'], CI]) },
    main(2, 2, 2, 1, 0.5, 30, 3),
  ],
  [
    'unicode: matches ^/οδος$ (case-insensitive) matches /ΟΔΟΣ',
    'breakdown/pages',
    { ...U, ...f(['matches', 'event:page', ['^/οδος$'], CI]) },
    [row('/ΟΔΟΣ', 1, 1, 1, 1, 0, 100)],
  ],
  [
    'unicode: props/file filtered by is übersicht.pdf (case-insensitive)',
    'breakdown/props/file',
    { ...U, ...f(['is', 'event:props:file', ['übersicht.pdf'], CI]) },
    [row('ÜBERSICHT.pdf', 1, 1, 0, 0, 60, 100)],
  ],
];

let server: RunningServer;
let readKey: string;

beforeAll(async () => {
  const geoDb = buildCityMmdb(scratchDir('filters-geo'));
  server = await startServer({
    dataDir: scratchDir('filters'),
    env: { MALLARD_GEOIP_DB: geoDb, MALLARD_FLUSH_INTERVAL: '86400' },
  });
  const cookie = await login(server.url);
  readKey = await createKey(server.url, cookie, 'read');
  const ingestKey = await createKey(server.url, cookie, 'ingest');
  await loadBatch(server.url, ingestKey, EVENTS.map(toBatch));
  await loadBatch(server.url, ingestKey, UNI_EVENTS);
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

const ask = (endpoint: string, params: Record<string, string | number>) =>
  stats(server.url, readKey, endpoint, { site_id: SITE, ...params });

describe('breakdowns without filters', () => {
  it.each(UNFILTERED)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params)).toEqual(expected);
  });
});

describe('filters', () => {
  it.each(FILTERED)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params)).toEqual(expected);
  });
});

describe('case-insensitive filters beyond ASCII', () => {
  it.each(UNICODE_CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params)).toEqual(expected);
  });
});

describe('nothing to count', () => {
  it.each(EMPTY_CASES)('%s', async (_name, endpoint, params, expected) => {
    expect(await ask(endpoint, params)).toEqual(expected);
  });
});
