/**
 * The demo site's traffic: a month of visits to a small SaaS site (`demo.example`) ending at
 * `until`, as the server-side batch events (`POST /api/events` fields) a backend would send,
 * and where each visitor's address is. A pure function of the seed and `until`: the same
 * arguments give the same events, so a test can recompute every number the dashboard shows.
 *
 * What it holds, so that every panel has something to show: sources (search engines,
 * social sites, referrers, UTM campaigns), entry and exit pages, countries and regions,
 * devices, browsers and systems (real User-Agent strings), time on page and scroll depth,
 * goals with revenue (EUR), a signup funnel (/ → /pricing → Signup → Purchase) that
 * converts, and signed-in users (`user_id`) who come back over days and weeks.
 *
 * Shapes kept simple on purpose: an anonymous visitor makes one or two visits, a signed-in
 * user at most one a day, and no visit crosses midnight UTC (cookieless ids rotate there).
 */
import type { GeoInfo } from '../ingest/enrich/geo.js';
import { mulberry32 } from '../seeded-random.js';

export const DEMO_SITE = 'demo.example';
export const DEMO_SEED = 20241;
export const DEMO_DAYS = 30;
export const DEMO_CURRENCY = 'EUR';

/** The goals the demo registers (names as the goals registry takes them). */
export const DEMO_GOALS: readonly { event_name?: string; page_path?: string; currency?: string }[] = [
  { event_name: 'Signup' },
  { event_name: 'Purchase', currency: DEMO_CURRENCY },
  { event_name: 'Download' },
  { page_path: '/pricing' },
];

/** One event as POST /api/events takes it. */
export interface DemoEvent {
  d: string;
  n: string;
  u: string;
  r?: string;
  w: number;
  p?: Record<string, string>;
  revenue?: { amount: string; currency: string };
  sd?: number;
  e?: number;
  /** Epoch milliseconds. */
  timestamp: number;
  ip: string;
  user_agent: string;
  user_id?: string;
}

export interface DemoTraffic {
  events: DemoEvent[];
  /** Where each visitor address is: the demo's own geo lookup (its addresses are not real). */
  places: ReadonlyMap<string, GeoInfo>;
}

const DAY_MS = 86_400_000;
const ORIGIN = `https://${DEMO_SITE}`;

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly (readonly [T, number])[]): T => {
  const total = items.reduce((s, [, w]) => s + w, 0);
  let x = rand() * total;
  for (const [item, w] of items) {
    x -= w;
    if (x < 0) return item;
  }
  return (items[items.length - 1] as readonly [T, number])[0];
};
const between = (rand: Rand, lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));

interface Source {
  referrer?: string;
  /** Query string of the landing URL (UTM tags). */
  utm?: string;
  /** Where visitors of this source land. */
  entries: readonly (readonly [string, number])[];
}

const HOME: Source['entries'] = [
  ['/', 8],
  ['/pricing', 1],
  ['/features', 1],
];
const BLOG: Source['entries'] = [
  ['/blog/cookieless-analytics', 4],
  ['/blog/duckdb-in-production', 3],
  ['/', 2],
];
const DOCS: Source['entries'] = [
  ['/docs', 2],
  ['/docs/getting-started', 3],
  ['/', 1],
];

const DIRECT: Source = { entries: HOME };
const SOURCES: readonly (readonly [Source, number])[] = [
  [DIRECT, 26],
  [{ referrer: 'https://www.google.com/', entries: [...HOME, ...BLOG, ...DOCS] }, 27],
  [{ referrer: 'https://duckduckgo.com/', entries: [...HOME, ...DOCS] }, 6],
  [{ referrer: 'https://www.bing.com/', entries: HOME }, 4],
  [{ referrer: 'https://news.ycombinator.com/', entries: BLOG }, 6],
  [{ referrer: 'https://www.reddit.com/r/selfhosted/', entries: BLOG }, 4],
  [{ referrer: 'https://t.co/', entries: BLOG }, 4],
  [{ referrer: 'https://www.linkedin.com/', entries: HOME }, 2],
  [{ referrer: 'https://github.com/', entries: DOCS }, 5],
  [{ referrer: 'https://blog.example.org/review', entries: HOME }, 3],
  [{ utm: 'utm_source=newsletter&utm_medium=email&utm_campaign=december', entries: BLOG }, 6],
  [{ utm: 'utm_source=google&utm_medium=cpc&utm_campaign=brand', entries: HOME }, 4],
  [{ utm: 'utm_source=twitter&utm_medium=social&utm_campaign=launch', entries: HOME }, 3],
];

/** Where a page leads next (a walk stops with the remaining weight). */
const NEXT: Readonly<Record<string, readonly (readonly [string, number])[]>> = {
  '/': [
    ['/pricing', 30],
    ['/features', 20],
    ['/blog', 8],
    ['/docs', 7],
    ['/about', 4],
  ],
  '/features': [
    ['/pricing', 30],
    ['/docs', 10],
    ['/', 5],
  ],
  '/blog': [
    ['/blog/cookieless-analytics', 25],
    ['/blog/duckdb-in-production', 20],
  ],
  '/blog/cookieless-analytics': [
    ['/', 12],
    ['/pricing', 6],
    ['/blog', 6],
  ],
  '/blog/duckdb-in-production': [
    ['/', 10],
    ['/docs', 8],
    ['/blog', 5],
  ],
  '/docs': [
    ['/docs/getting-started', 35],
    ['/pricing', 8],
  ],
  '/docs/getting-started': [
    ['/docs/api', 25],
    ['/pricing', 10],
  ],
  '/docs/api': [['/docs', 10]],
  '/about': [
    ['/contact', 15],
    ['/', 10],
  ],
  '/contact': [],
};
/** The weight of leaving after a page. */
const LEAVE = 45;

interface Device {
  ua: string;
  widths: readonly number[];
}

const DEVICES: readonly (readonly [Device, number])[] = [
  [
    {
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      widths: [1920, 1536, 1366, 2560],
    },
    26,
  ],
  [
    {
      ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      widths: [1440, 1512, 1728],
    },
    12,
  ],
  [
    {
      ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
      widths: [1440, 1512, 1280],
    },
    9,
  ],
  [{ ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0', widths: [1920, 1366] }, 7],
  [
    {
      ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0',
      widths: [1920, 1536],
    },
    6,
  ],
  [{ ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', widths: [1920, 2560] }, 3],
  [
    {
      ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
      widths: [390, 393, 430],
    },
    18,
  ],
  [
    {
      ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
      widths: [412, 360, 384],
    },
    13,
  ],
  [
    {
      ua: 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36',
      widths: [384, 412],
    },
    3,
  ],
  [
    {
      ua: 'Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1',
      widths: [820, 1024],
    },
    3,
  ],
];

/** [country, region, city, weight] */
const PLACES: readonly (readonly [string, string, string, number])[] = [
  ['US', 'California', 'San Francisco', 10],
  ['US', 'New York', 'New York', 8],
  ['US', 'Texas', 'Austin', 5],
  ['DE', 'Berlin', 'Berlin', 7],
  ['DE', 'Bavaria', 'Munich', 5],
  ['GB', 'England', 'London', 8],
  ['GB', 'Scotland', 'Edinburgh', 2],
  ['FR', 'Île-de-France', 'Paris', 6],
  ['NL', 'North Holland', 'Amsterdam', 4],
  ['IN', 'Karnataka', 'Bengaluru', 6],
  ['IN', 'Maharashtra', 'Mumbai', 3],
  ['CA', 'Ontario', 'Toronto', 4],
  ['BR', 'São Paulo', 'São Paulo', 3],
  ['JP', 'Tokyo', 'Tokyo', 3],
  ['AU', 'New South Wales', 'Sydney', 3],
  ['SE', 'Stockholm', 'Stockholm', 2],
  ['PL', 'Masovia', 'Warsaw', 2],
  ['ES', 'Madrid', 'Madrid', 2],
];

const PLANS: readonly (readonly [readonly [string, string], number])[] = [
  [['starter', '19.00'], 5],
  [['pro', '49.00'], 3],
  [['business', '99.00'], 1],
];

/** The signed-in part of the site, where customers come back to. */
const APP_PAGES: readonly (readonly [string, number])[] = [
  ['/app', 10],
  ['/app/reports', 6],
  ['/app/settings', 2],
  ['/docs/api', 2],
];

const USERS = 420;

/** A visit's events, built one after the other from a start time. */
class Visit {
  readonly events: DemoEvent[] = [];
  private page = '';
  constructor(
    private readonly rand: Rand,
    private at: number,
    private readonly who: { ip: string; user_agent: string; w: number; user_id?: string },
    private readonly first: { referrer?: string; utm?: string },
  ) {}

  private push(n: string, path: string, extra: Partial<DemoEvent> = {}): void {
    const landing = this.events.length === 0;
    const query = landing && this.first.utm ? `?${this.first.utm}` : '';
    const event: DemoEvent = {
      d: DEMO_SITE,
      n,
      u: `${ORIGIN}${path}${query}`,
      w: this.who.w,
      timestamp: this.at,
      ip: this.who.ip,
      user_agent: this.who.user_agent,
      ...extra,
    };
    const referrer = landing ? this.first.referrer : this.page === '' ? undefined : `${ORIGIN}${this.page}`;
    if (referrer !== undefined) event.r = referrer;
    if (this.who.user_id !== undefined) event.user_id = this.who.user_id;
    this.events.push(event);
  }

  /** A page view, and the engagement event its page sends when left (time on page, scroll depth). */
  view(path: string, readSecs: number): void {
    this.push('pageview', path);
    this.page = path;
    const engagedMs = readSecs * 1000;
    this.at += engagedMs;
    this.push('engagement', path, { e: engagedMs, sd: Math.min(100, between(this.rand, 25, 70) + Math.floor(readSecs / 4)) });
    this.at += between(this.rand, 1, 4) * 1000;
  }

  /** A custom event on the current page, a few seconds on. */
  custom(name: string, extra: Partial<DemoEvent> = {}): void {
    this.push(name, this.page, extra);
    this.at += between(this.rand, 2, 10) * 1000;
  }
}

const readTime = (rand: Rand, path: string) =>
  path.startsWith('/blog/') ? between(rand, 40, 260) : path.startsWith('/docs') ? between(rand, 30, 200) : between(rand, 5, 70);

/** An anonymous visit: landing page by source, then a walk, with the signup funnel on the way. */
function anonymousVisit(rand: Rand, start: number, who: Visit['who'], from?: Source): DemoEvent[] {
  const source = from ?? pick(rand, SOURCES);
  const visit = new Visit(rand, start, who, source);
  let path = pick(rand, source.entries);
  for (let views = 0; views < 8; views++) {
    visit.view(path, readTime(rand, path));
    if (path === '/docs/getting-started' && rand() < 0.15) visit.custom('Download', { p: { file: 'mallard-metrics.tar.gz' } });
    if (path === '/pricing' && rand() < 0.28) {
      const [plan, amount] = pick(rand, PLANS);
      visit.view('/signup', between(rand, 20, 90));
      visit.custom('Signup', { p: { plan } });
      if (rand() < 0.42) {
        visit.view('/checkout', between(rand, 30, 120));
        visit.custom('Purchase', { p: { plan }, revenue: { amount, currency: DEMO_CURRENCY } });
      }
      break;
    }
    const next = NEXT[path] ?? [];
    const step = pick<string | null>(rand, [...next, [null, LEAVE]]);
    if (step === null) break;
    path = step;
  }
  return visit.events;
}

/** A signed-in customer's visit to the app. */
function userVisit(rand: Rand, start: number, who: Visit['who']): DemoEvent[] {
  const visit = new Visit(rand, start, who, rand() < 0.3 ? { referrer: 'https://mail.google.com/' } : {});
  const views = between(rand, 1, 4);
  for (let i = 0; i < views; i++) {
    const path = i === 0 ? '/app' : pick(rand, APP_PAGES);
    visit.view(path, between(rand, 20, 240));
  }
  return visit.events;
}

/** Anonymous visitors on a day: a slow rise, quieter weekends, some noise. */
function visitorsOn(rand: Rand, dayIndex: number, weekday: number): number {
  const base = 95 + dayIndex * 1.6;
  const weekend = weekday === 0 || weekday === 6 ? 0.6 : 1;
  return Math.round(base * weekend * (0.85 + rand() * 0.3));
}

/** The first UTC midnight of the demo period (DEMO_DAYS days ending with the day of `until`). */
export function demoStart(until: number): number {
  return Math.floor(until / DAY_MS) * DAY_MS - (DEMO_DAYS - 1) * DAY_MS;
}

/** The demo traffic of the DEMO_DAYS UTC days ending with the day of `until`; no event after `until`. */
export function generateDemo(seed: number, until: number): DemoTraffic {
  const rand = mulberry32(seed);
  const events: DemoEvent[] = [];
  const places = new Map<string, GeoInfo>();
  let address = 0;
  // Benchmarking addresses (198.18.0.0/15, RFC 2544): never a real visitor's.
  const newAddress = (): string => {
    const n = address++;
    const [country, region, city] = pick(
      rand,
      PLACES.map(([c, r, ci, w]) => [[c, r, ci] as const, w] as const),
    );
    const ip = `198.${18 + ((n >> 16) & 1)}.${(n >> 8) & 255}.${n & 255}`;
    places.set(ip, { countryCode: country, region, city, regionCode: null, cityGeonameId: null });
    return ip;
  };
  const device = () => {
    const d = pick(rand, DEVICES);
    return { user_agent: d.ua, w: d.widths[between(rand, 0, d.widths.length - 1)] as number };
  };

  // Customers: each starts coming in the month on a day of their own and comes back less
  // and less often, so weekly cohorts show a retention curve.
  const users = Array.from({ length: USERS }, (_, i) => ({
    user_id: `demo-user-${i + 1}`,
    ip: newAddress(),
    ...device(),
    firstDay: Math.floor(rand() ** 1.3 * DEMO_DAYS),
    loyalty: 0.35 + rand() * 0.55,
  }));

  const first = demoStart(until);
  for (let day = 0; day < DEMO_DAYS; day++) {
    const midnight = first + day * DAY_MS;
    const weekday = new Date(midnight).getUTCDay();
    // Visits start between 00:00 and 22:30 UTC, busier in the European and American daytime.
    const startAt = () => midnight + Math.floor((rand() * 0.55 + rand() * 0.45) * 22.5 * 3_600_000);
    const dayEvents: DemoEvent[] = [];
    const count = visitorsOn(rand, day, weekday);
    for (let v = 0; v < count; v++) {
      const who = { ip: newAddress(), ...device() };
      const visit = anonymousVisit(rand, startAt(), who);
      dayEvents.push(...visit);
      // Some come back later the same day, typing the address: a second visit, same visitor.
      const end = visit[visit.length - 1]?.timestamp ?? midnight;
      if (end - midnight < 18 * 3_600_000 && rand() < 0.12) {
        dayEvents.push(...anonymousVisit(rand, end + between(rand, 60, 240) * 60_000, who, DIRECT));
      }
    }
    for (const u of users) {
      const age = day - u.firstDay;
      if (age < 0) continue;
      const comes = age === 0 || rand() < u.loyalty * Math.exp(-age / 9) * (weekday === 0 || weekday === 6 ? 0.5 : 1);
      if (comes) dayEvents.push(...userVisit(rand, startAt(), u));
    }
    // Today's visits that would end after `until` have not happened yet.
    const ends = new Map<string, number>();
    for (const e of dayEvents) {
      const key = `${e.ip}|${e.user_id ?? ''}`;
      ends.set(key, Math.max(ends.get(key) ?? 0, e.timestamp));
    }
    events.push(...dayEvents.filter((e) => (ends.get(`${e.ip}|${e.user_id ?? ''}`) ?? 0) <= until));
  }
  // A few people on the site as it loads, so realtime has someone to show: visits begun in the
  // last four minutes, as far as they have got by `until`.
  for (let v = between(rand, 3, 6); v > 0; v--) {
    const visit = anonymousVisit(rand, until - between(rand, 20, 240) * 1000, { ip: newAddress(), ...device() });
    events.push(...visit.filter((e) => e.timestamp <= until));
  }
  events.sort((a, b) => a.timestamp - b.timestamp);
  return { events, places };
}
