/**
 * `mallard-metrics demo` against a running server on a fresh data directory: the server's
 * answers for demo.example match what this file computes from the generator's own event
 * list (src/demo/generate.ts, a pure function of seed and end) with plain JS, not with the
 * query code: main stats, sources, goal conversions and revenue, a funnel, a retention row.
 * Then a second run is refused (nothing doubles), and "remove" deletes the site and every
 * file of its events, for good (a restart brings nothing back).
 *
 * The expectations follow the contract (docs/API.md, docs/METRICS.md): an anonymous
 * visitor is one per UTC day, address and User-Agent; an identity is the user id when
 * there is one; a visit ends after 30 minutes without events; engagement events are not
 * events; a visit's source is its first event's (utm_source, else the referrer's name).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DAYS, type DemoEvent, generateDemo } from '../../src/demo/generate.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { cli, listFiles, removeScratchDirs, scratchDir, stats } from './support.js';

const SITE = 'demo.example';
const SEED = 20241;
const DAY = 86_400_000;
let server: RunningServer;
let env: Record<string, string>;
let key = '';
let cookie = '';
let loadedOut = '';
let events: DemoEvent[] = [];
let range: { start_date: string; end_date: string };

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);

beforeAll(async () => {
  server = await startServer({ dataDir: scratchDir('demo') });
  cookie = await login(server.url);
  key = await createKey(server.url, cookie, 'admin');
  const url = new URL(server.url);
  env = {
    MALLARD_HOST: url.hostname,
    MALLARD_PORT: url.port,
    MALLARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
    MALLARD_DATA_DIR: scratchDir('demo-cli-unused'),
  };
  const loaded = await cli(['demo'], env);
  expect(loaded.code, loaded.stderr).toBe(0);
  loadedOut = loaded.stdout;
  const until = Date.parse(/up to (\S+) in/.exec(loadedOut)?.[1] ?? '');
  events = generateDemo(SEED, until).events.filter((e) => e.n !== 'engagement');
  range = { start_date: day(until - 29 * DAY), end_date: day(until) };
}, 60_000);

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

// --- the expectations, by hand -------------------------------------------------------------

const visitorOf = (e: DemoEvent) => `${day(e.timestamp)}|${e.ip}|${e.user_agent}`;
const identityOf = (e: DemoEvent) => (e.user_id === undefined ? visitorOf(e) : `user:${e.user_id}`);

/** Each identity's events, split where 30 minutes pass without one. */
function visits(list: DemoEvent[]): DemoEvent[][] {
  const byIdentity = new Map<string, DemoEvent[]>();
  for (const e of list) byIdentity.set(identityOf(e), [...(byIdentity.get(identityOf(e)) ?? []), e]);
  const out: DemoEvent[][] = [];
  for (const mine of byIdentity.values()) {
    mine.sort((a, b) => a.timestamp - b.timestamp);
    let current: DemoEvent[] = [];
    for (const e of mine) {
      const last = current.at(-1);
      if (last && e.timestamp - last.timestamp > 1800_000) {
        out.push(current);
        current = [];
      }
      current.push(e);
    }
    out.push(current);
  }
  return out;
}

const NAMES: Record<string, string> = {
  'www.google.com': 'Google',
  'mail.google.com': 'Gmail',
  'duckduckgo.com': 'DuckDuckGo',
  'www.bing.com': 'Bing',
  'news.ycombinator.com': 'Hacker News',
  'www.reddit.com': 'Reddit',
  't.co': 'Twitter',
  'www.linkedin.com': 'LinkedIn',
  'github.com': 'GitHub',
  'blog.example.org': 'blog.example.org',
};
const UTM_NAMES: Record<string, string> = { google: 'Google', twitter: 'Twitter', newsletter: 'newsletter' };

function sourceOf(e: DemoEvent): string {
  const utm = new URL(e.u).searchParams.get('utm_source');
  if (utm !== null) return UTM_NAMES[utm] ?? utm;
  if (e.r === undefined) return 'Direct / None';
  const host = new URL(e.r).hostname;
  return host === SITE ? 'Direct / None' : (NAMES[host] ?? host);
}

/** Stops the server gracefully and starts it again on its data directory (the CLI follows it). */
async function restart(): Promise<void> {
  await server.stop();
  server = await startServer({ dataDir: server.dataDir });
  env.MALLARD_PORT = new URL(server.url).port;
}

const round = (x: number, places: number) => Math.round(x * 10 ** places) / 10 ** places;
const distinct = (list: DemoEvent[], key: (e: DemoEvent) => string) => new Set(list.map(key)).size;

// --- the checks ----------------------------------------------------------------------------

describe('mallard-metrics demo', () => {
  it('loads the month through the ingest path and says how much, how fast', () => {
    const all = generateDemo(SEED, Date.parse(/up to (\S+) in/.exec(loadedOut)?.[1] ?? '')).events.length;
    expect(loadedOut).toMatch(new RegExp(`^demo site ${SITE} loaded: ${all} generated events up to \\S+ in \\d+\\.\\d s; `));
    console.log(`demo: ${loadedOut.trim()}`);
  });

  it('registers the site marked as demo, with its goals', async () => {
    const res = await fetch(`${server.url}/api/sites/${SITE}`, { headers: { authorization: `Bearer ${key}` } });
    expect(((await res.json()) as { demo: boolean }).demo).toBe(true);
    const goals = await fetch(`${server.url}/api/sites/${SITE}/goals`, { headers: { authorization: `Bearer ${key}` } });
    expect(
      ((await goals.json()) as { display_name: string; currency: string | null }[]).map((g) => [g.display_name, g.currency]),
    ).toEqual([
      ['Signup', null],
      ['Purchase', 'EUR'],
      ['Download', null],
      ['Visit /pricing', null],
    ]);
  });

  it('main stats', async () => {
    const all = visits(events);
    const pageviews = events.filter((e) => e.n === 'pageview').length;
    const bounces = all.filter((v) => v.length === 1).length;
    const duration = all.reduce((s, v) => s + ((v.at(-1)?.timestamp ?? 0) - (v[0]?.timestamp ?? 0)) / 1000, 0);
    expect(await stats(server.url, key, 'main', { site_id: SITE, ...range })).toEqual({
      unique_visitors: distinct(events, visitorOf),
      visits: all.length,
      total_pageviews: pageviews,
      views_per_visit: round(pageviews / all.length, 2),
      bounce_rate: round(bounces / all.length, 4),
      avg_visit_duration_secs: Math.round(duration / all.length),
      events: events.length,
    });
  });

  it('realtime: the people on the site as it loaded are there to see', async () => {
    // Visitors with an event in the 5 minutes before "now", taken before and after asking.
    const now = (t: number) =>
      distinct(
        events.filter((e) => e.timestamp >= t - 5 * 60_000),
        visitorOf,
      );
    const before = now(Date.now());
    const { visitors } = await stats<{ visitors: number }>(server.url, key, 'realtime', { site_id: SITE });
    const after = now(Date.now());
    expect(after).toBeGreaterThan(0);
    expect(visitors).toBeLessThanOrEqual(before);
    expect(visitors).toBeGreaterThanOrEqual(after);
  });

  it('sources: visitors by the source of their visit', async () => {
    const expected = new Map<string, Set<string>>();
    for (const v of visits(events)) {
      const first = v[0] as DemoEvent;
      const s = sourceOf(first);
      expected.set(s, (expected.get(s) ?? new Set()).add(visitorOf(first)));
    }
    const rows = await stats<{ value: string; visitors: number }[]>(server.url, key, 'breakdown/sources', {
      site_id: SITE,
      ...range,
      limit: 100,
    });
    expect(new Map(rows.map((r) => [r.value, r.visitors]))).toEqual(new Map([...expected].map(([s, v]) => [s, v.size])));
    expect(rows.length).toBeGreaterThanOrEqual(10);
  });

  it('goal conversions and the revenue total', async () => {
    const total = distinct(events, visitorOf);
    const goal = (value: string, matching: DemoEvent[]) => ({
      value,
      visitors: distinct(matching, visitorOf),
      events: matching.length,
      conversion_rate: round((distinct(matching, visitorOf) / total) * 100, 1),
    });
    const purchases = events.filter((e) => e.n === 'Purchase');
    const revenue = purchases.reduce((s, e) => s + Number(e.revenue?.amount), 0);
    const rows = await stats<Record<string, unknown>[]>(server.url, key, 'breakdown/events', { site_id: SITE, ...range });
    const byName = new Map(rows.map((r) => [r.value, r]));
    expect(byName.get('Signup')).toEqual(
      goal(
        'Signup',
        events.filter((e) => e.n === 'Signup'),
      ),
    );
    expect(byName.get('Visit /pricing')).toEqual(
      goal(
        'Visit /pricing',
        events.filter((e) => e.n === 'pageview' && new URL(e.u).pathname === '/pricing'),
      ),
    );
    expect(byName.get('Purchase')).toEqual({
      ...goal('Purchase', purchases),
      currency: 'EUR',
      total_revenue: revenue,
      average_revenue: round(revenue / purchases.length, 2),
      revenue_skipped: 0,
    });
    expect(revenue).toBeGreaterThan(0);
  });

  it('the funnel / → /pricing → Signup → Purchase converts as the events do', async () => {
    const steps = [
      (e: DemoEvent) => new URL(e.u).pathname === '/',
      (e: DemoEvent) => new URL(e.u).pathname === '/pricing',
      (e: DemoEvent) => e.n === 'Signup',
      (e: DemoEvent) => e.n === 'Purchase',
    ];
    const windowMs = 1800_000;
    const levels = new Map<string, number>();
    const byIdentity = new Map<string, DemoEvent[]>();
    for (const e of events) byIdentity.set(identityOf(e), [...(byIdentity.get(identityOf(e)) ?? []), e]);
    for (const [id, mine] of byIdentity) {
      // The furthest step reached in order, each within the window of its chain's first step.
      const starts: (number | null)[] = steps.map(() => null);
      let level = 0;
      for (const e of mine) {
        for (let j = steps.length - 1; j >= 0; j--) {
          if (!steps[j]?.(e)) continue;
          if (j === 0) starts[0] = e.timestamp;
          else if (starts[j - 1] !== null && e.timestamp - (starts[j - 1] as number) <= windowMs)
            starts[j] = starts[j - 1] as number;
          else continue;
          level = Math.max(level, j + 1);
        }
      }
      levels.set(id, level);
    }
    const reached = steps.map((_, k) => [...levels.values()].filter((l) => l >= k + 1).length);
    const rows = await stats<{ visitors: number }[]>(server.url, key, 'funnel', {
      site_id: SITE,
      ...range,
      steps: 'page:/,page:/pricing,event:Signup,event:Purchase',
      window: '30 minutes',
    });
    expect(rows.map((r) => r.visitors)).toEqual(reached);
    expect(reached[3]).toBeGreaterThan(0);
  });

  it('retention: the first weekly cohort, as the users come back', async () => {
    const monday = (ms: number) => {
      const d = Math.floor(ms / DAY) * DAY;
      return d - ((new Date(d).getUTCDay() + 6) % 7) * DAY;
    };
    const weeks = new Map<string, Set<number>>();
    for (const e of events) weeks.set(identityOf(e), (weeks.get(identityOf(e)) ?? new Set()).add(monday(e.timestamp)));
    const firstWeek = Math.min(...[...weeks.values()].map((w) => Math.min(...w)));
    const cohort = [...weeks.values()].filter((w) => Math.min(...w) === firstWeek);
    const lastWeek = monday(Date.parse(range.end_date));
    const periods = Math.round((lastWeek - firstWeek) / (7 * DAY));
    const retained = Array.from({ length: periods + 1 }, (_, k) => cohort.filter((w) => w.has(firstWeek + k * 7 * DAY)).length);
    const answer = await stats<{ cohorts: { cohort_date: string; size: number; retained: (number | null)[] }[] }>(
      server.url,
      key,
      'retention',
      { site_id: SITE, ...range, weeks: periods },
    );
    const first = answer.cohorts[0];
    expect(first?.cohort_date).toBe(day(firstWeek));
    expect(first?.size).toBe(cohort.length);
    expect(first?.retained).toEqual(retained);
    expect(retained[1]).toBeGreaterThan(0);
  });

  it('a second run is refused and doubles nothing', async () => {
    const before = await stats<{ events: number }>(server.url, key, 'main', { site_id: SITE, ...range });
    const again = await cli(['demo'], env);
    expect([again.code, again.stderr]).toEqual([
      1,
      `mallard-metrics: loading the demo failed: the demo site ${SITE} is already loaded; remove it first to load it again\n`,
    ]);
    const viaApi = await fetch(`${server.url}/api/demo`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    expect(viaApi.status).toBe(409);
    expect((await stats<{ events: number }>(server.url, key, 'main', { site_id: SITE, ...range })).events).toBe(before.events);
  });

  it('only the super-admin may load it', async () => {
    const created = await fetch(`${server.url}/api/users`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie, origin: server.url },
      body: JSON.stringify({ email: 'someone@example.com', password: 'another-password-1' }),
    });
    expect(created.status).toBe(201);
    const signedIn = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'someone@example.com', password: 'another-password-1' }),
    });
    expect(signedIn.status).toBe(200);
    const other = (signedIn.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const res = await fetch(`${server.url}/api/demo`, { method: 'POST', headers: { cookie: other, origin: server.url } });
    expect([res.status, await res.json()]).toEqual([403, { error: 'only the super-admin may do this' }]);
  });

  it('"demo remove" deletes the site and every file of its events, for good', async () => {
    const siteFiles = () =>
      ['events', 'derived'].flatMap((d) => {
        const dir = join(server.dataDir, d, `site_id=${SITE}`);
        return existsSync(dir) ? [dir, ...listFiles(dir)] : [];
      });
    // A graceful stop writes the events to files: the removal must delete those too.
    await restart();
    if (process.env.MALLARD_TEST_STORAGE !== 'clickhouse') expect(siteFiles().length).toBeGreaterThan(DEMO_DAYS);
    const removed = await cli(['demo', 'remove'], env);
    expect([removed.code, removed.stdout]).toEqual([0, `demo site ${SITE} removed with all its events\n`]);
    const empty = {
      unique_visitors: 0,
      visits: 0,
      total_pageviews: 0,
      views_per_visit: 0,
      bounce_rate: 0,
      avg_visit_duration_secs: 0,
      events: 0,
    };
    expect(await stats(server.url, key, 'main', { site_id: SITE, ...range })).toEqual(empty);
    expect((await fetch(`${server.url}/api/sites/${SITE}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(404);
    // Nothing of it is left to list as a site receiving events unregistered.
    const unregistered = await fetch(`${server.url}/api/unregistered-sites`, { headers: { authorization: `Bearer ${key}` } });
    expect(await unregistered.json()).toEqual([]);
    if (process.env.MALLARD_TEST_STORAGE !== 'clickhouse') expect(siteFiles()).toEqual([]);
    const twice = await cli(['demo', 'remove'], env);
    expect([twice.code, twice.stderr]).toEqual([1, `mallard-metrics: there is no demo site (${SITE}) to remove\n`]);

    // Nothing comes back from the log after a restart.
    await restart();
    expect(await stats(server.url, key, 'main', { site_id: SITE, ...range })).toEqual(empty);
    if (process.env.MALLARD_TEST_STORAGE !== 'clickhouse') expect(siteFiles()).toEqual([]);
  }, 180_000);
});
