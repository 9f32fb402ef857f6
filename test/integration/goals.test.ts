/**
 * Configured goals (/api/sites/:id/goals) through real HTTP against the built server: the
 * goal list's rules and errors, and what goals change in the stats — the Goals panel
 * (breakdown/events), `event:goal` filters, v2 by goal, funnel steps by goal name.
 *
 * Fixture (site goals.test, 2026-03-10 UTC), six visitors:
 *   A Chrome   10:00 pageview /         10:01 pageview /blog/one   10:02 Signup (/blog/one)
 *   B Firefox  11:00 pageview /blog/two 11:01 pageview /pricing
 *   C Safari   12:00 pageview /pricing  12:01 Signup (/pricing)    12:02 Download (/pricing)
 *   D iPhone   13:00 pageview /         13:01 Download (/)         13:02 Download (/)
 *   E Chrome   14:00 pageview /blog     (not /blog/*: the pattern needs the slash)
 *   F Firefox  15:00 pageview /docs     15:01 Signup (/docs)
 * Goals: "Sign up" = event Signup; "Visit /blog/*" = page views on /blog/*; "Pricing page" =
 * page views on /pricing. Download is not a goal once goals are configured.
 *
 * By hand: Sign up A C F (3 visitors, 3 events); Visit /blog/* A B (page views /blog/one,
 * /blog/two: 2, 2); Pricing page B C (2, 2). Six visitors in all, so rates 50.0 / 33.3 / 33.3.
 * Without goals (every custom event a goal): Signup A C F 3/3, Download C D 2 visitors, 3 events.
 *
 * Revenue: the Signups carry A 10 USD, C 19.99 EUR, F 5.01 EUR. "Sign up" is a EUR goal:
 * total 25 (19.99 + 5.01), average 12.5 over the two EUR completions, A's USD one skipped.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, removeScratchDirs, scratchDir, stats, statsUrl, UA } from './support.js';

const SITE = 'goals.test';
const OTHER = 'goals-other.test';
const DAY = { site_id: SITE, start_date: '2026-03-10', end_date: '2026-03-10' };

let server: RunningServer;
let admin: string;
let reader: string;
let otherAdmin: string;

const who = {
  A: { ip: '203.0.113.1', user_agent: UA.chromeWindows },
  B: { ip: '198.51.100.2', user_agent: UA.firefoxLinux },
  C: { ip: '203.0.113.3', user_agent: UA.safariMac },
  D: { ip: '198.51.100.4', user_agent: UA.safariIphone },
  E: { ip: '203.0.113.5', user_agent: UA.chromeWindows },
  F: { ip: '198.51.100.6', user_agent: UA.firefoxLinux },
};
const ev = (w: keyof typeof who, time: string, n: string, path: string, revenue?: { amount: string; currency: string }) => ({
  d: SITE,
  n,
  u: `https://${SITE}${path}`,
  timestamp: `2026-03-10T${time}:00Z`,
  revenue,
  ...who[w],
});

async function call(method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}
const goalsPath = (site = SITE) => `/api/sites/${site}/goals`;
const f = (...filters: unknown[]) => ({ filters: JSON.stringify(filters) });
const goalRow = (value: string, visitors: number, events: number, conversion_rate: number) => ({
  value,
  visitors,
  events,
  conversion_rate,
});
/** The revenue fields of the EUR goal "Sign up". */
const eur = (total_revenue: number, average_revenue: number | null, revenue_skipped: number) => ({
  currency: 'EUR',
  total_revenue,
  average_revenue,
  revenue_skipped,
});
/** A v2 revenue value of the EUR goal "Sign up": Plausible's money object. */
const euro = (value: number, short: string, long: string) => ({ short, long, value, currency: 'EUR' });
const EUR_25 = euro(25, '€25.0', '€25.00');
const EUR_12_5 = euro(12.5, '€12.5', '€12.50');
const EUR_0 = euro(0, '€0.0', '€0.00');
const EUR_5_01 = euro(5.01, '€5.0', '€5.01');
const EUR_19_99 = euro(19.99, '€20.0', '€19.99');
const goalsPanel = (params: Record<string, string> = {}) => stats(server.url, reader, 'breakdown/events', { ...DAY, ...params });

async function v2(body: Record<string, unknown>) {
  const r = await call('POST', '/api/v2/query', reader, { site_id: SITE, date_range: ['2026-03-10', '2026-03-10'], ...body });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return (r.body as { results: unknown[] }).results;
}

beforeAll(async () => {
  server = await startServer({ dataDir: scratchDir('goals') });
  const cookie = await login(server.url);
  admin = await createKey(server.url, cookie, 'admin');
  reader = await createKey(server.url, cookie, 'read');
  otherAdmin = await createKey(server.url, cookie, 'admin', [OTHER]);
  for (const id of [SITE, OTHER]) expect((await call('POST', '/api/sites', admin, { id })).status).toBe(201);
  await loadBatch(server.url, admin, [
    ev('A', '10:00', 'pageview', '/'),
    ev('A', '10:01', 'pageview', '/blog/one'),
    ev('A', '10:02', 'Signup', '/blog/one', { amount: '10', currency: 'USD' }),
    ev('B', '11:00', 'pageview', '/blog/two'),
    ev('B', '11:01', 'pageview', '/pricing'),
    ev('C', '12:00', 'pageview', '/pricing'),
    ev('C', '12:01', 'Signup', '/pricing', { amount: '19.99', currency: 'EUR' }),
    ev('C', '12:02', 'Download', '/pricing'),
    ev('D', '13:00', 'pageview', '/'),
    ev('D', '13:01', 'Download', '/'),
    ev('D', '13:02', 'Download', '/'),
    ev('E', '14:00', 'pageview', '/blog'),
    ev('F', '15:00', 'pageview', '/docs'),
    ev('F', '15:01', 'Signup', '/docs', { amount: '5.01', currency: 'eur' }),
  ]);
});

afterAll(async () => {
  await server?.stop();
  removeScratchDirs();
});

describe('a site without goals', () => {
  it('counts every custom event as a goal, as before', async () => {
    expect(await goalsPanel()).toEqual([goalRow('Signup', 3, 3, 50), goalRow('Download', 2, 3, 33.3)]);
  });
});

describe('the goal list', () => {
  const ids: string[] = [];

  it('creates goals: by event with a display name, by page with the default name', async () => {
    const signup = await call('POST', goalsPath(), admin, { event_name: 'Signup', display_name: 'Sign up', currency: 'EUR' });
    expect(signup.status).toBe(201);
    const blog = await call('POST', goalsPath(), admin, { page_path: '/blog/*' });
    const pricing = await call('POST', goalsPath(), admin, { page_path: '/pricing', display_name: 'Pricing page' });
    for (const r of [signup, blog, pricing]) ids.push((r.body as { id: string }).id);
    expect(blog.body).toEqual({
      id: ids[1],
      event_name: null,
      page_path: '/blog/*',
      display_name: 'Visit /blog/*',
      currency: null,
    });
    expect((await call('GET', goalsPath(), reader)).body).toEqual([
      { id: ids[0], event_name: 'Signup', page_path: null, display_name: 'Sign up', currency: 'EUR' },
      { id: ids[1], event_name: null, page_path: '/blog/*', display_name: 'Visit /blog/*', currency: null },
      { id: ids[2], event_name: null, page_path: '/pricing', display_name: 'Pricing page', currency: null },
    ]);
  });

  it.each<[string, unknown, number, string]>([
    ['both kinds', { event_name: 'x', page_path: '/x' }, 400, 'event_name or page_path: give exactly one of them'],
    ['neither kind', { display_name: 'x' }, 400, 'event_name or page_path: give exactly one of them'],
    ['a path without /', { page_path: 'blog' }, 400, 'page_path: must start with /'],
    ['an empty event name', { event_name: '  ' }, 400, 'event_name: must not be empty'],
    ['a number as event name', { event_name: 5 }, 400, 'event_name: must be a string'],
    [
      'page views by event name',
      { event_name: 'pageview' },
      400,
      'event_name: page views are goals by page_path, not by event name',
    ],
    ['a bad currency', { event_name: 'Buy', currency: 'EURO' }, 400, 'currency: must be an ISO 4217 code like EUR'],
    ['revenue on a page goal', { page_path: '/buy', currency: 'EUR' }, 400, 'currency: only custom-event goals carry revenue'],
    ['an unknown field', { event_name: 'x', colour: 'red' }, 400, 'colour: unknown field'],
    ['a taken display name', { event_name: 'Other', display_name: 'Sign up' }, 409, 'goal "Sign up" already exists'],
    ['a counted event again', { event_name: 'Signup', display_name: 'Again' }, 409, 'goal "Sign up" already counts Signup'],
    ['not JSON', '{"event_name":', 400, ''],
  ])('refuses %s', async (_label, body, status, error) => {
    const r = await call('POST', goalsPath(), admin, body);
    expect(r.status).toBe(status);
    if (error !== '') expect(r.body).toEqual({ error });
  });

  it('takes a currency in any case and stores it upper-case', async () => {
    const r = await call('POST', goalsPath(OTHER), admin, { event_name: 'Purchase', currency: 'eur' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ event_name: 'Purchase', display_name: 'Purchase', currency: 'EUR' });
  });

  it('answers 401/403/404 as the site routes do', async () => {
    expect((await call('POST', goalsPath(), reader, { event_name: 'x' })).status).toBe(403);
    expect((await call('GET', goalsPath(), otherAdmin)).status).toBe(403);
    expect((await fetch(`${server.url}${goalsPath()}`)).status).toBe(401);
    expect(await call('GET', goalsPath('unregistered.test'), admin)).toEqual({
      status: 404,
      body: { error: 'no site unregistered.test' },
    });
    expect((await call('DELETE', `${goalsPath()}/not-an-id`, admin)).status).toBe(400);
    // Another site's goal id is not this site's goal.
    const others = (await call('GET', goalsPath(OTHER), admin)).body as { id: string }[];
    expect(await call('DELETE', `${goalsPath()}/${others[0]?.id}`, admin)).toEqual({
      status: 404,
      body: { error: 'no such goal' },
    });
  });
});

describe('stats with goals', () => {
  it('the Goals panel lists the configured goals, most visitors first, Download no longer', async () => {
    expect(await goalsPanel()).toEqual([
      { ...goalRow('Sign up', 3, 3, 50), ...eur(25, 12.5, 1) },
      goalRow('Pricing page', 2, 2, 33.3),
      goalRow('Visit /blog/*', 2, 2, 33.3),
    ]);
  });

  it('rates goals over the visitors of the segment the other filters keep', async () => {
    // Chrome: A and E. A signed up and read /blog/one; nobody on Chrome saw /pricing.
    // A's signup was paid in USD: no EUR revenue, one skipped.
    expect(await goalsPanel(f(['is', 'visit:browser', ['Chrome']]))).toEqual([
      { ...goalRow('Sign up', 1, 1, 50), ...eur(0, null, 1) },
      goalRow('Visit /blog/*', 1, 1, 50),
    ]);
    // A goal filter keeps its goals' rows; the rate stays over all six visitors.
    expect(await goalsPanel(f(['is', 'event:goal', ['Pricing page']]))).toEqual([goalRow('Pricing page', 2, 2, 33.3)]);
    expect(await goalsPanel({ limit: '1', page: '2' })).toEqual([goalRow('Pricing page', 2, 2, 33.3)]);
    // Firefox: B and F; F's 5.01 EUR is the only amount.
    // Every goal 1 visitor, 1 event: by name.
    expect(await goalsPanel(f(['is', 'visit:browser', ['Firefox']]))).toEqual([
      goalRow('Pricing page', 1, 1, 50),
      { ...goalRow('Sign up', 1, 1, 50), ...eur(5.01, 5.01, 0) },
      goalRow('Visit /blog/*', 1, 1, 50),
    ]);
  });

  it.each<[string, unknown[], number, number, number]>([
    // [filters, visitors, page views, events]
    ['a page goal', [['is', 'event:goal', ['Visit /blog/*']]], 2, 2, 2],
    ['an event goal by contains', [['contains', 'event:goal', ['sign']]], 0, 0, 0],
    ['an event goal by contains, case-insensitive', [['contains', 'event:goal', ['sign'], { case_sensitive: false }]], 3, 0, 3],
    ['two goals', [['is', 'event:goal', ['Sign up', 'Pricing page']]], 4, 2, 5],
    ['a name that is no goal', [['is', 'event:goal', ['Download']]], 0, 0, 0],
  ])('main stats filtered by %s', async (_label, filters, visitors, pageviews, events) => {
    const m = await stats<Record<string, number>>(server.url, reader, 'main', { ...DAY, filters: JSON.stringify(filters) });
    expect([m.unique_visitors, m.total_pageviews, m.events]).toEqual([visitors, pageviews, events]);
  });

  it('main stats filtered to revenue goals of one currency carry their revenue', async () => {
    const m = await stats<Record<string, unknown>>(server.url, reader, 'main', {
      ...DAY,
      ...f(['is', 'event:goal', ['Sign up']]),
    });
    expect(m).toMatchObject({ unique_visitors: 3, events: 3, ...eur(25, 12.5, 1) });
    // A goal without a currency among them does not stop it (as Plausible's): the revenue goals'
    // currency, and only their completions' amounts — the same as "Sign up" alone.
    const mixed = await stats<Record<string, unknown>>(server.url, reader, 'main', {
      ...DAY,
      ...f(['is', 'event:goal', ['Sign up', 'Pricing page']]),
    });
    // Visitors: Sign up A C F, Pricing page B C.
    expect(mixed).toMatchObject({ unique_visitors: 4, ...eur(25, 12.5, 1) });
    const unfiltered = await stats<Record<string, unknown>>(server.url, reader, 'main', DAY);
    expect(unfiltered.total_revenue).toBeUndefined();
  });

  it('refuses goal filters a name comparison cannot answer', async () => {
    const res = await fetch(statsUrl(server.url, 'main', { ...DAY, ...f(['matches', 'event:goal', ['^S']]) }), {
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      error: 'filters: event:goal can only be filtered with is or contains (the site has configured goals)',
    });
  });

  it('v2 groups by goal, alone and with a visit dimension', async () => {
    expect(await v2({ metrics: ['visitors', 'events', 'conversion_rate'], dimensions: ['event:goal'] })).toEqual([
      { dimensions: ['Sign up'], metrics: [3, 3, 50] },
      { dimensions: ['Pricing page'], metrics: [2, 2, 33.33] },
      { dimensions: ['Visit /blog/*'], metrics: [2, 2, 33.33] },
    ]);
    expect(
      await v2({
        metrics: ['visitors'],
        dimensions: ['event:goal', 'visit:browser'],
        order_by: [['event:goal', 'desc']],
        pagination: { limit: 4, offset: 1 },
      }),
    ).toEqual([
      // Offset 1 skips ['Visit /blog/*', 'Chrome']: ties go by the dimension values, ascending.
      { dimensions: ['Visit /blog/*', 'Firefox'], metrics: [1] },
      { dimensions: ['Sign up', 'Chrome'], metrics: [1] },
      { dimensions: ['Sign up', 'Firefox'], metrics: [1] },
      { dimensions: ['Sign up', 'Safari'], metrics: [1] },
    ]);
  });

  it('v2 answers revenue metrics by goal and for goal filters of one currency', async () => {
    const body = {
      site_id: SITE,
      date_range: ['2026-03-10', '2026-03-10'],
      metrics: ['visitors', 'total_revenue', 'average_revenue'],
    };
    const byGoal = await call('POST', '/api/v2/query', reader, { ...body, dimensions: ['event:goal'] });
    expect(byGoal.status).toBe(200);
    expect(byGoal.body).toMatchObject({
      results: [
        { dimensions: ['Sign up'], metrics: [3, EUR_25, EUR_12_5] },
        { dimensions: ['Pricing page'], metrics: [2, null, null] },
        { dimensions: ['Visit /blog/*'], metrics: [2, null, null] },
      ],
      meta: { revenue_skipped: 1 },
    });
    expect((byGoal.body as { meta: object }).meta).not.toHaveProperty('metric_warnings');
    const filtered = await call('POST', '/api/v2/query', reader, { ...body, filters: [['is', 'event:goal', ['Sign up']]] });
    expect(filtered.body).toMatchObject({
      results: [{ dimensions: [], metrics: [3, EUR_25, EUR_12_5] }],
      meta: { revenue_skipped: 1 },
    });
    // A revenue goal and one without a currency: the revenue goal's currency and completions (as Plausible's).
    const mixed = await call('POST', '/api/v2/query', reader, {
      ...body,
      filters: [['is', 'event:goal', ['Sign up', 'Pricing page']]],
    });
    expect(mixed.body).toMatchObject({
      results: [{ dimensions: [], metrics: [4, EUR_25, EUR_12_5] }],
      meta: { revenue_skipped: 1 },
    });
  });

  it('v2 answers revenue null with a warning when no revenue goal is selected', async () => {
    const warning = {
      code: 'no_revenue_goals_matching',
      warning: 'Revenue metrics are null as there are no matching revenue goals.',
    };
    const body = { site_id: SITE, date_range: ['2026-03-10', '2026-03-10'], metrics: ['visitors', 'total_revenue'] };
    // No goal filter or dimension: all six visitors, no goals selected.
    const unfiltered = await call('POST', '/api/v2/query', reader, body);
    expect(unfiltered).toMatchObject({
      status: 200,
      body: { results: [{ dimensions: [], metrics: [6, null] }], meta: { metric_warnings: { total_revenue: warning } } },
    });
    // Only a page goal (no currency) selected: Visit /blog/* is A and B.
    const pageGoal = await call('POST', '/api/v2/query', reader, { ...body, filters: [['is', 'event:goal', ['Visit /blog/*']]] });
    expect(pageGoal.body).toMatchObject({
      results: [{ dimensions: [], metrics: [2, null] }],
      meta: { metric_warnings: { total_revenue: warning } },
    });
  });

  it('v2 orders by revenue: values ascending, goals without a currency last', async () => {
    const r = await call('POST', '/api/v2/query', reader, {
      site_id: SITE,
      date_range: ['2026-03-10', '2026-03-10'],
      metrics: ['average_revenue', 'visitors'],
      dimensions: ['event:goal'],
      order_by: [['average_revenue', 'asc']],
      pagination: { limit: 2, offset: 0 },
    });
    // Sign up 12.5 EUR first; the two page goals null, tied, by name.
    expect(r.body).toMatchObject({
      results: [
        { dimensions: ['Sign up'], metrics: [EUR_12_5, 3] },
        { dimensions: ['Pricing page'], metrics: [null, 2] },
      ],
      query: { order_by: [['average_revenue', 'asc']] },
    });
  });

  it('v2 answers revenue by other dimensions, with and without the goal dimension', async () => {
    const body = {
      site_id: SITE,
      date_range: ['2026-03-10', '2026-03-10'],
      metrics: ['visitors', 'total_revenue', 'average_revenue'],
    };
    // Sign up by browser: A Chrome paid 10 USD (skipped), C Safari 19.99 EUR, F Firefox 5.01 EUR.
    const byBrowser = await call('POST', '/api/v2/query', reader, {
      ...body,
      dimensions: ['visit:browser'],
      filters: [['is', 'event:goal', ['Sign up']]],
    });
    expect(byBrowser.body).toMatchObject({
      results: [
        // Chrome: A's amount was USD, so nothing in EUR: 0, as Plausible's.
        { dimensions: ['Chrome'], metrics: [1, EUR_0, EUR_0] },
        { dimensions: ['Firefox'], metrics: [1, EUR_5_01, EUR_5_01] },
        { dimensions: ['Safari'], metrics: [1, EUR_19_99, EUR_19_99] },
      ],
      meta: { revenue_skipped: 1 },
    });
    // By goal and browser: the page goals have no currency (null); rows 2..4 of 6 by goal, then browser.
    const byBoth = await call('POST', '/api/v2/query', reader, {
      ...body,
      dimensions: ['event:goal', 'visit:browser'],
      order_by: [['event:goal', 'asc']],
      pagination: { limit: 3, offset: 2 },
    });
    expect(byBoth.body).toMatchObject({
      results: [
        { dimensions: ['Sign up', 'Chrome'], metrics: [1, EUR_0, EUR_0] },
        { dimensions: ['Sign up', 'Firefox'], metrics: [1, EUR_5_01, EUR_5_01] },
        { dimensions: ['Sign up', 'Safari'], metrics: [1, EUR_19_99, EUR_19_99] },
      ],
      meta: { revenue_skipped: 1 },
    });
    // By day: both EUR amounts fall on 2026-03-10.
    const byDay = await call('POST', '/api/v2/query', reader, {
      ...body,
      dimensions: ['time:day'],
      filters: [['is', 'event:goal', ['Sign up']]],
    });
    expect(byDay.body).toMatchObject({ results: [{ dimensions: ['2026-03-10'], metrics: [3, EUR_25, EUR_12_5] }] });
  });

  it('breakdowns filtered to a revenue goal carry each row its revenue', async () => {
    const rows = await stats<Record<string, unknown>[]>(server.url, reader, 'breakdown/browsers', {
      ...DAY,
      ...f(['is', 'event:goal', ['Sign up']]),
    });
    expect(rows.map((r) => [r.value, r.visitors, r.currency, r.total_revenue, r.average_revenue, r.revenue_skipped])).toEqual([
      ['Chrome', 1, 'EUR', 0, null, 1],
      ['Firefox', 1, 'EUR', 5.01, 5.01, 0],
      ['Safari', 1, 'EUR', 19.99, 19.99, 0],
    ]);
    // A goal without a currency among the filter's goals: the revenue goal's currency, its completions only.
    // Visitors: Sign up A (Chrome) C (Safari) F (Firefox), Pricing page B (Firefox) C.
    const mixed = await stats<Record<string, unknown>[]>(server.url, reader, 'breakdown/browsers', {
      ...DAY,
      ...f(['is', 'event:goal', ['Sign up', 'Pricing page']]),
    });
    expect(mixed.map((r) => [r.value, r.visitors, r.currency, r.total_revenue, r.average_revenue, r.revenue_skipped])).toEqual([
      ['Firefox', 2, 'EUR', 5.01, 5.01, 0],
      ['Chrome', 1, 'EUR', 0, null, 1],
      ['Safari', 1, 'EUR', 19.99, 19.99, 0],
    ]);
  });

  it('funnels take goals as steps', async () => {
    // Visit /blog/*: A 10:01, B 11:00; then Sign up: A 10:02. B never signs up.
    const steps = await stats<{ visitors: number }[]>(server.url, reader, 'funnel', {
      ...DAY,
      steps: JSON.stringify(['goal:Visit /blog/*', 'goal:Sign up']),
    });
    expect(steps.map((s) => s.visitors)).toEqual([2, 1]);
    const res = await fetch(statsUrl(server.url, 'funnel', { ...DAY, steps: 'goal:Sign up,goal:Nope' }), {
      headers: { authorization: `Bearer ${reader}` },
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'steps[1]: the site has no goal named "Nope"' });
  });
});

describe('goals over time', () => {
  it('survive a restart, go when deleted, and go with their site', async () => {
    await server.stop();
    server = await startServer({ dataDir: server.dataDir });
    const listed = (await call('GET', goalsPath(), admin)).body as { id: string; display_name: string }[];
    expect(listed.map((g) => g.display_name)).toEqual(['Sign up', 'Visit /blog/*', 'Pricing page']);

    expect((await call('DELETE', `${goalsPath()}/${listed[2]?.id}`, admin)).status).toBe(204);
    expect((await call('DELETE', `${goalsPath()}/${listed[2]?.id}`, admin)).status).toBe(404);
    expect(((await goalsPanel()) as { value: string }[]).map((r) => r.value)).toEqual(['Sign up', 'Visit /blog/*']);

    expect((await call('DELETE', `/api/sites/${SITE}`, admin)).status).toBe(204);
    expect((await call('POST', '/api/sites', admin, { id: SITE })).status).toBe(201);
    expect((await call('GET', goalsPath(), admin)).body).toEqual([]);
    // Back to every custom event being a goal.
    expect(await goalsPanel()).toEqual([goalRow('Signup', 3, 3, 50), goalRow('Download', 2, 3, 33.3)]);
  });
});
