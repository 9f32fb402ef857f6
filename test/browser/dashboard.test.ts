/**
 * The dashboard in a real browser (Debian's headless Chromium) against the real server
 * (built dist/main.js) on a fresh data directory without MALLARD_ADMIN_PASSWORD, so the
 * first-run screen appears. One signed-in page walks the whole product like a site owner:
 * setup → add a site → API key → traffic (the real tracker on a fixture page, plus a
 * batch with known timestamps) → exact numbers → filter by clicking a row (chip, URL,
 * back button) → periods and comparison → behavior (funnel drop-off, flow, sequence,
 * sessions, retention) → CSV export → share link → revoke the key → sign out and in.
 * The tests share that state and run in order. Every page records console errors and
 * uncaught exceptions (the strict CSP reports violations there); the last test insists
 * there were none. Screenshots of every main view, desktop (1280×800) and phone (375×740),
 * go to test-artifacts/dashboard/ (dashboard-clickhouse/ on ClickHouse).
 *
 * The traffic, and the numbers computed from it by hand:
 * - today, through the tracker on http://shop.test:<port>: A views / then /pricing;
 *   B views /; C views /pricing; D views / (four User-Agents: four visitors, w = 1280).
 * - ten days ago at 12:00 UTC, through POST /api/events: V1 / → /pricing (+60 s) →
 *   Signup (+120 s); V2 and V4 / → /pricing (+60 s); V3 and V5 / only.
 * Last 30 days: 9 visitors, 9 visits, 13 page views, 13/9 = 1.44 views per visit,
 * bounces B C D V3 V5 = 5/9 = 56 %; pages / 8, /pricing 5; goal Signup 1 visitor, 11.1 %.
 * Filtered to page /pricing: A C V1 V2 V4 = 5 visitors, 5 visits, 5 page views; the bounce rate is
 * over the visits that entered on /pricing (docs/METRICS.md): C only, a bounce, 100 %.
 * Last 7 days: 4 visitors, 5 page views, 1.25, 75 %; the 7 days before: 5 and 8 (−20 %, −37.5 %).
 * The day ten days ago: 5 visitors, 8 page views, 1.6, 40 %, duration 240/5 = 48 s; funnel
 * / → /pricing → Signup: 5, 3, 1 (drop-off 2 = 40 %, 2 = 66.7 %).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DASHBOARD_ARTIFACTS,
  FixtureServer,
  fixture,
  launchBrowser,
  Recorder,
  shoot,
  shootPhone,
  trackerTag,
} from '../helpers/browser.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, sendBatch, UA } from '../integration/support.js';

const PASSWORD = 'correct horse battery';
const SITE = 'shop.test';
const DAY_MS = 86_400_000;
/** Ten days ago (UTC): inside "last 30 days" and "the 7 days before the last 7", outside "last 7 days". */
const PAST_DAY = new Date(Date.now() - 10 * DAY_MS).toISOString().slice(0, 10);

let server: RunningServer;
let browser: Browser;
let fx: FixtureServer;
let admin: BrowserContext;
let page: Page;
let ingestKey = '';
let shareUrl = '';
/** Console errors and uncaught exceptions of every dashboard page. */
const problems: string[] = [];
/** The 401 of the deliberately wrong password: the one error the browser is expected to log. */
let expectedLoginFailures = 0;

function watch(p: Page): Page {
  p.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const loc = msg.location().url;
    if (loc.endsWith('/api/auth/login') && msg.text().includes('401') && expectedLoginFailures > 0) {
      expectedLoginFailures--;
      return;
    }
    problems.push(`console: ${msg.text()} (${loc})`);
  });
  p.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return p;
}

const path = () => {
  const u = new URL(page.url());
  return u.pathname + u.search;
};

/** The six top stats as shown. */
function topStats(p: Page = page) {
  return p.$$eval('.top-stats [data-stat]', (els) =>
    Object.fromEntries(els.map((e) => [e.getAttribute('data-stat'), e.querySelector('.stat-value')?.textContent ?? ''])),
  );
}

/** The visible rows of a breakdown panel: [label, visitors, next column]. */
function panelRows(panel: string, p: Page = page) {
  return p.$$eval(`[data-panel="${panel}"] .rows .row`, (rows) =>
    rows.map((r) => [...r.querySelectorAll('.row-label, .num')].map((c) => c.textContent ?? '')),
  );
}

const show = (stats: Record<string, string>) => expect.poll(() => topStats(), { timeout: 10_000 }).toEqual(stats);
const rowsOf = (panel: string, rows: string[][]) => expect.poll(() => panelRows(panel), { timeout: 10_000 }).toEqual(rows);

beforeAll(async () => {
  mkdirSync(DASHBOARD_ARTIFACTS, { recursive: true });
  // An empty value counts as unset: the server starts without an admin password.
  [server, browser, fx] = await Promise.all([
    startServer({ env: { MALLARD_ADMIN_PASSWORD: '' } }),
    launchBrowser(),
    FixtureServer.start(),
  ]);
  admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = watch(await admin.newPage());
});

afterAll(async () => {
  await admin?.close();
  await Promise.all([browser?.close(), fx?.close()]);
  await server?.stop();
});

describe('dashboard in Chromium', () => {
  it('serves index.html for app routes and hashed, immutable, gzipped assets with nothing inline', async () => {
    const res = await fetch(`${server.url}/sites/${SITE}/behavior?period=7d`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    // The page carries the sign-in status (here: no password chosen yet), so it is private.
    expect(res.headers.get('cache-control')).toBe('private, no-cache');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await res.text();
    expect(html).toContain('<meta name="mallard-auth" content="setup" />');
    // The CSP forbids inline script and style: the page has neither.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).not.toMatch(/<style|\sstyle=/);
    const assets = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((m) => m[1] ?? '');
    expect(assets).toHaveLength(3); // icon, stylesheet, script
    expect(html).not.toMatch(/https?:\/\//); // nothing from elsewhere: works offline

    for (const asset of assets) {
      expect(asset).toMatch(/^\/assets\/[a-z]+-[A-Za-z0-9]{8}\.(js|css|svg)$/);
      const plain = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'identity' } });
      expect(plain.status).toBe(200);
      expect(plain.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const etag = plain.headers.get('etag') ?? '';
      expect(etag).toMatch(/^"[0-9a-f]{20}"$/);
      const again = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'identity', 'if-none-match': etag } });
      expect(again.status).toBe(304);
      const gz = await fetch(`${server.url}${asset}`, { headers: { 'accept-encoding': 'gzip' } });
      expect(gz.headers.get('content-encoding')).toBe('gzip');
      expect(gz.headers.get('vary')).toBe('accept-encoding');
      expect(Buffer.from(await gz.arrayBuffer())).toEqual(Buffer.from(await plain.arrayBuffer())); // fetch inflates
    }
    expect((await fetch(`${server.url}/assets/main-00000000.js`)).status).toBe(404);
    expect((await fetch(`${server.url}/nowhere`)).status).toBe(404);
  });

  it('first run: the setup screen chooses the admin password and signs in', async () => {
    expect(await (await fetch(`${server.url}/api/auth/status`)).json()).toEqual({ setup_required: true, authenticated: false });
    await page.goto(server.url);
    await page.getByRole('heading', { name: 'Welcome' }).waitFor();
    await shoot(page, 'desktop-setup');
    await page.getByLabel('New password').fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(`${PASSWORD}!`);
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await page.getByText('The two passwords differ.').waitFor();
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Set password and continue' }).click();
    await page.getByRole('heading', { name: 'Sites' }).waitFor();
    await page.getByText('No sites yet.').waitFor();
    expect(await (await fetch(`${server.url}/api/auth/status`)).json()).toEqual({ setup_required: false, authenticated: false });
    // The page's status follows the session, each variant with its own validator.
    const session = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
    const signedIn = await fetch(`${server.url}/`, { headers: { cookie: session } });
    const signedOut = await fetch(`${server.url}/`);
    expect(await signedIn.text()).toContain('<meta name="mallard-auth" content="signed-in" />');
    expect(await signedOut.text()).toContain('<meta name="mallard-auth" content="signed-out" />');
    expect(signedIn.headers.get('etag')).not.toBe(signedOut.headers.get('etag'));
  });

  it('adds a site with its allowed origin and shows the tracking snippet', async () => {
    // People paste URLs: the form keeps the domain.
    await page.getByLabel('Domain').fill(`https://${SITE}/`);
    await page.getByLabel('Allowed origins').fill(fx.origin(SITE));
    await page.getByRole('button', { name: 'Add site' }).click();
    await page.locator('.snippet').waitFor();
    expect(path()).toBe(`/sites/${SITE}/settings`);
    expect(await page.locator('.snippet').textContent()).toBe(
      `<script defer data-domain="${SITE}" src="${server.url}/tracking/script.js"></script>`,
    );
    expect(await page.locator('textarea[name="origins"]').inputValue()).toBe(fx.origin(SITE));
    expect(await page.locator('.site-picker select').inputValue()).toBe(SITE);
    await shoot(page, 'desktop-site-settings');
    await shootPhone(page, 'phone-site-settings');
  });

  it('creates an ingest API key, shows it once and lists it', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByLabel('Name').fill('importer');
    await page.getByLabel('Scope').selectOption('ingest');
    await page.getByRole('button', { name: 'Create key' }).click();
    ingestKey = (await page.locator('.new-key').textContent()) ?? '';
    expect(ingestKey).toMatch(/^mm_[A-Za-z0-9_-]{20,}$/);
    await expect.poll(() => page.locator('.key-list li').allInnerTexts()).toHaveLength(1);
    expect(await page.locator('.key-list .key-name').textContent()).toBe('importer');
    expect(await page.locator('.key-list .badge').textContent()).toBe('ingest');
    await shoot(page, 'desktop-keys');
    // Shown once: after leaving the page the secret is gone, the key stays listed.
    await page.getByRole('link', { name: 'Sites' }).click();
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('.key-list li').first().waitFor();
    expect(await page.locator('.new-key').count()).toBe(0);
    expect(await page.content()).not.toContain(ingestKey);
  });

  it('shows the exact numbers of tracker and imported traffic', async () => {
    // Today, through the real tracker on the site's own origin.
    const tag = trackerTag(`${server.url}/tracking/script.js`, { 'data-domain': SITE, 'data-allow-automation': true });
    const home = fx.page(SITE, '/', fixture('page.html', { TRACKER: tag, OUTBOUND: 'http://partner.test/' }));
    const pricing = fx.page(SITE, '/pricing', fixture('page.html', { TRACKER: tag, OUTBOUND: 'http://partner.test/' }));
    // The pages' clocks stand still: no time is engaged, so the script sends no engagement
    // events and the Top pages rows are the counts alone (engagement: tracker-engagement.test.ts
    // for what the script sends, engagement.test.ts for the panel's columns).
    const visit = async (userAgent: string, start: string, clickThrough: boolean) => {
      const r = await Recorder.open(browser, { userAgent, fixedTime: Date.now() });
      try {
        await r.page.goto(start);
        await r.waitForSent(1);
        if (clickThrough) {
          await r.page.click('#internal');
          await r.waitForSent(2);
        }
        return await r.statuses();
      } finally {
        await r.close();
      }
    };
    const statuses = await Promise.all([
      visit(UA.chromeWindows, home, true), // A
      visit(UA.firefoxLinux, home, false), // B
      visit(UA.safariMac, pricing, false), // C
      visit(UA.edgeWindows, home, false), // D
    ]);
    // 202: the allowed origin entered in the form let the events in.
    expect(statuses).toEqual([[202, 202], [202], [202], [202]]);

    // Ten days ago, through the API with the key made in the dashboard.
    const at = (secs: number) => `${PAST_DAY}T12:0${secs / 60}:00Z`;
    const ev = (ip: string, n: string, path: string, secs: number) => ({
      d: SITE,
      n,
      u: `https://${SITE}${path}`,
      w: 1280,
      ip,
      user_agent: UA.chromeWindows,
      timestamp: at(secs),
    });
    await loadBatch(server.url, ingestKey, [
      ev('10.0.0.1', 'pageview', '/', 0),
      ev('10.0.0.1', 'pageview', '/pricing', 60),
      ev('10.0.0.1', 'Signup', '/pricing', 120),
      ev('10.0.0.2', 'pageview', '/', 0),
      ev('10.0.0.2', 'pageview', '/pricing', 60),
      ev('10.0.0.3', 'pageview', '/', 0),
      ev('10.0.0.4', 'pageview', '/', 0),
      ev('10.0.0.4', 'pageview', '/pricing', 60),
      ev('10.0.0.5', 'pageview', '/', 0),
    ]);

    await page.getByRole('link', { name: 'Sites' }).click();
    await page.getByRole('link', { name: SITE, exact: true }).waitFor();
    await shoot(page, 'desktop-sites');
    // Every panel asks for its own data at once: count the stats requests in flight together.
    let inFlight = 0;
    let mostInFlight = 0;
    const isStats = (r: { url(): string }) => new URL(r.url()).pathname.startsWith('/api/stats/');
    const started = (r: { url(): string }) => {
      if (isStats(r)) mostInFlight = Math.max(mostInFlight, ++inFlight);
    };
    const ended = (r: { url(): string }) => {
      if (isStats(r)) inFlight--;
    };
    page.on('request', started);
    page.on('requestfinished', ended);
    page.on('requestfailed', ended);
    await page.getByRole('link', { name: SITE, exact: true }).click();
    expect(path()).toBe(`/sites/${SITE}`);
    await show({
      unique_visitors: '9',
      visits: '9',
      total_pageviews: '13',
      views_per_visit: '1.44',
      bounce_rate: '56%',
      avg_visit_duration_secs: expect.stringMatching(/^\d+s$/),
    });
    // [page, visitors, page views]
    await rowsOf('pages', [
      ['/', '8', '8'],
      ['/pricing', '5', '5'],
    ]);
    await rowsOf('sources', [['Direct / None', '9', '100%']]);
    // [browser, visitors, %]: A and V1–V5 in Chrome; ties by name.
    await rowsOf('devices', [
      ['Chrome', '6', '66.7%'],
      ['Firefox', '1', '11.1%'],
      ['Microsoft Edge', '1', '11.1%'],
      ['Safari', '1', '11.1%'],
    ]);
    await page.locator('[data-panel="devices"] [data-tab="devices"]').click();
    await rowsOf('devices', [['Laptop', '9', '100%']]); // w = 1280
    // [goal, visitors, events, conversion rate]
    await rowsOf('goals', [['Signup', '1', '1', '11.1%']]);
    // No event carries props: the properties panel falls back to typing a key.
    await page.locator('[data-panel="props"]', { hasText: 'No custom properties in this period.' }).waitFor();
    expect(await page.locator('[data-panel="props"] input[name="prop"]').count()).toBe(1);
    // A, B, C and D were here within the last 5 minutes.
    await expect.poll(() => page.locator('.realtime-count').textContent()).toBe('4');
    page.off('request', started);
    page.off('requestfinished', ended);
    page.off('requestfailed', ended);
    // main, timeseries, the first tab of five panels and the property keys: all eight in parallel
    // (the realtime count asks a second later, not in one of the browser's six connections).
    expect(mostInFlight).toBe(8);
    // The chart's last bucket is today: hovering it shows A–D's numbers.
    const over = page.locator('.plot .u-over');
    const box = await over.boundingBox();
    await over.hover({ position: { x: (box?.width ?? 2) - 2, y: (box?.height ?? 0) / 2 } });
    await expect
      .poll(() => page.locator('.chart-tip:not([hidden]) .key').allTextContents())
      .toEqual(['Visitors 4', 'Pageviews 5']);
    await shoot(page, 'desktop-overview');
    await page.mouse.move(0, 0);
    await shootPhone(page, 'phone-overview');
    await page.emulateMedia({ colorScheme: 'dark' });
    await shoot(page, 'desktop-overview-dark');
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('filters the whole dashboard by a clicked row; the chip, the URL and the back button follow', async () => {
    // Rows are buttons: the keyboard can do it too.
    await page.locator('[data-panel="pages"] .row', { hasText: '/pricing' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('.chip', { hasText: 'Page is /pricing' }).waitFor();
    await show({
      unique_visitors: '5',
      visits: '5',
      total_pageviews: '5',
      views_per_visit: '1',
      bounce_rate: '100%',
      avg_visit_duration_secs: expect.stringMatching(/^\d+s$/),
    });
    await rowsOf('pages', [['/pricing', '5', '5']]);
    const url = new URL(page.url());
    expect(url.pathname).toBe(`/sites/${SITE}`);
    expect(JSON.parse(url.searchParams.get('filters') ?? '')).toEqual([['is', 'event:page', ['/pricing']]]);
    await shoot(page, 'desktop-overview-filtered');

    // The URL alone restores the view (a shared or reloaded link).
    await page.reload();
    await page.locator('.chip', { hasText: 'Page is /pricing' }).waitFor();
    await show({
      unique_visitors: '5',
      visits: '5',
      total_pageviews: '5',
      views_per_visit: '1',
      bounce_rate: '100%',
      avg_visit_duration_secs: expect.stringMatching(/^\d+s$/),
    });

    await page.goBack();
    expect(path()).toBe(`/sites/${SITE}`);
    await expect.poll(() => page.locator('.chip').count()).toBe(0);
    await show({
      unique_visitors: '9',
      visits: '9',
      total_pageviews: '13',
      views_per_visit: '1.44',
      bounce_rate: '56%',
      avg_visit_duration_secs: expect.stringMatching(/^\d+s$/),
    });

    // The chip's × removes the filter as well.
    await page.locator('[data-panel="pages"] .row', { hasText: '/pricing' }).click();
    await page.getByRole('button', { name: 'Remove filter: Page is /pricing' }).click();
    await expect.poll(() => page.locator('.chip').count()).toBe(0);
    expect(path()).toBe(`/sites/${SITE}`);
    await show({
      unique_visitors: '9',
      visits: '9',
      total_pageviews: '13',
      views_per_visit: '1.44',
      bounce_rate: '56%',
      avg_visit_duration_secs: expect.stringMatching(/^\d+s$/),
    });
  });

  it('keeps its layout while the data arrives (heights are reserved)', async () => {
    // Hold every stats answer, measure, release them, measure again: nothing may move.
    const held: (() => Promise<void>)[] = [];
    let holding = true;
    await page.route('**/api/stats/**', (route) => (holding ? held.push(() => route.continue()) : route.continue()));
    const layout = () =>
      page.$$eval('.top-stats, .chart-card, [data-panel]', (els) =>
        els.map((e) => {
          const r = e.getBoundingClientRect();
          return [e.className, Math.round(r.top), Math.round(r.height)];
        }),
      );
    let before: unknown[];
    try {
      await page.goto(`${server.url}/sites/${SITE}`);
      await expect.poll(() => held.length).toBe(9);
      before = await layout();
    } finally {
      // Released even when the wait fails, so later tests do not see a dashboard stuck loading.
      holding = false;
      await Promise.all(held.map((release) => release()));
      await page.unroute('**/api/stats/**');
    }
    await show({
      unique_visitors: '9',
      visits: '9',
      total_pageviews: '13',
      views_per_visit: '1.44',
      bounce_rate: '56%',
      avg_visit_duration_secs: expect.stringMatching(/^\d+s$/),
    });
    await rowsOf('goals', [['Signup', '1', '1', '11.1%']]);
    await page.locator('.plot canvas').waitFor();
    expect(await layout()).toEqual(before);
  });

  it('changes the period, compares with the previous one, and takes a custom range', async () => {
    await page.locator('select[name="period"]').selectOption('7d');
    expect(path()).toBe(`/sites/${SITE}?period=7d`);
    await show({
      unique_visitors: '4',
      visits: '4',
      total_pageviews: '5',
      views_per_visit: '1.25',
      bounce_rate: '75%',
      avg_visit_duration_secs: expect.stringMatching(/^\d+s$/),
    });
    await rowsOf('pages', [
      ['/', '3', '3'],
      ['/pricing', '2', '2'],
    ]);

    await page.locator('select[name="compare"]').selectOption('previous_period');
    expect(path()).toBe(`/sites/${SITE}?period=7d&compare=previous_period`);
    const change = (stat: string) =>
      page.$eval(`[data-stat="${stat}"] .change`, (e) => [
        e.classList.contains('down') ? 'down' : 'up',
        e.querySelector('.change-value')?.textContent,
      ]);
    // 4 visitors against 5, 5 page views against 8.
    await expect.poll(() => change('unique_visitors'), { timeout: 10_000 }).toEqual(['down', '20%']);
    expect(await change('total_pageviews')).toEqual(['down', '37.5%']);
    await shoot(page, 'desktop-overview-compare');
    await page.locator('select[name="compare"]').selectOption('');
    expect(path()).toBe(`/sites/${SITE}?period=7d`);

    await page.locator('select[name="period"]').selectOption('custom');
    await page.locator('input[name="from"]').fill(PAST_DAY);
    await page.locator('input[name="to"]').fill(PAST_DAY);
    await page.getByRole('button', { name: 'Apply' }).click();
    expect(path()).toBe(`/sites/${SITE}?period=custom&from=${PAST_DAY}&to=${PAST_DAY}`);
    await show({
      unique_visitors: '5',
      visits: '5',
      total_pageviews: '8',
      views_per_visit: '1.6',
      bounce_rate: '40%',
      avg_visit_duration_secs: '48s',
    });
    await rowsOf('pages', [
      ['/', '5', '5'],
      ['/pricing', '3', '3'],
    ]);
    // One day: the chart is by the hour.
    expect(await page.locator('.chart-card .segmented [aria-pressed="true"]').textContent()).toBe('Hours');
  });

  it('behavior: sessions, a funnel with its drop-off, page flow, a sequence and retention', async () => {
    await page.getByRole('link', { name: 'Behavior' }).click();
    expect(path()).toBe(`/sites/${SITE}/behavior?period=custom&from=${PAST_DAY}&to=${PAST_DAY}`);
    const sessions = () =>
      page.$$eval('[data-section="sessions"] [data-stat]', (els) => els.map((e) => e.querySelector('.stat-value')?.textContent));
    await expect.poll(sessions, { timeout: 10_000 }).toEqual(['5', '48s', '1.6', '40%']);

    const funnel = page.locator('[data-section="funnel"]');
    expect(await funnel.locator('input[name="funnel-step-0"]').inputValue()).toBe('/');
    await funnel.locator('input[name="funnel-step-1"]').fill('/pricing');
    await funnel.getByRole('button', { name: '+ Add step' }).click();
    await funnel.locator('select[name="funnel-kind-2"]').selectOption('event');
    await funnel.locator('input[name="funnel-step-2"]').fill('Signup');
    await funnel.getByRole('button', { name: 'Show funnel' }).click();
    const steps = () =>
      funnel
        .locator('.funnel-step')
        .evaluateAll((els) =>
          els.map((e) => [
            e.querySelector('.funnel-visitors')?.textContent,
            e.querySelector('.funnel-rate')?.textContent,
            e.querySelector('.dropoff')?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
          ]),
        );
    await expect.poll(steps, { timeout: 10_000 }).toEqual([
      ['5', '100%', null],
      ['3', '60%', '↓ 2 dropped off (40%)'],
      ['1', '20%', '↓ 2 dropped off (66.7%)'],
    ]);

    // From the most viewed page, /: V1, V2 and V4 went on to /pricing.
    const flow = page.locator('[data-section="flow"]');
    await expect.poll(() => flow.locator('input[name="flow-page"]').inputValue()).toBe('/');
    await expect
      .poll(() => flow.locator('.flow > .flow-node > .flow-row').evaluateAll((els) => els.map((e) => e.textContent?.trim())))
      .toEqual([expect.stringMatching(/^\S*\s*\/pricing\s*3$/)]);

    const seq = page.locator('[data-section="sequence"]');
    await seq.locator('input[name="sequence-step-0"]').fill('/pricing');
    await seq.locator('input[name="sequence-step-1"]').fill('Signup');
    await seq.getByRole('button', { name: 'Check' }).click();
    await expect
      .poll(() =>
        seq
          .locator('.sequence-result')
          .textContent()
          .then((t) => t?.replace(/\s+/g, ' ').trim()),
      )
      .toBe('1 of 5 visitors (20%) did these steps in this order (1 time in all).');

    const retention = page.locator('[data-section="retention"]');
    await retention.locator('table.retention').waitFor();
    const grid = await retention
      .locator('tbody tr')
      .evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(1, 4).map((c) => c.textContent)));
    // One cohort of 5 on that day; the days after the range are not observable: "not yet".
    expect(grid).toEqual([['5', '100%', 'not yet']]);
    expect(await retention.locator('.note').textContent()).toContain('0 signed-in and 5 anonymous visitors.');
    await shoot(page, 'desktop-behavior');
    await shootPhone(page, 'phone-behavior');
  });

  it('exports the current period as CSV', async () => {
    const link = page.getByRole('link', { name: 'Export CSV' });
    const href = new URL((await link.getAttribute('href')) ?? '', server.url);
    expect(Object.fromEntries(href.searchParams)).toEqual({
      site_id: SITE,
      start_date: PAST_DAY,
      end_date: PAST_DAY,
      format: 'csv',
    });
    const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
    expect(download.suggestedFilename()).toBe(`${SITE}-${PAST_DAY}-${PAST_DAY}-aggregates.csv`);
    const csv = readFileSync((await download.path()) ?? '', 'utf8');
    expect(csv).toBe(
      'date,visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events\r\n' +
        `${PAST_DAY},5,5,8,1.6,0.4,48,9\r\n`,
    );
  });

  it('creates a share link whose page is a read-only dashboard of the site', async () => {
    await page.getByRole('link', { name: 'Settings', exact: true }).click();
    await page.getByPlaceholder('Label (optional)').fill('Team');
    await page.getByRole('button', { name: 'Create share link' }).click();
    shareUrl = (await page.locator('.share-url').textContent()) ?? '';
    expect(shareUrl).toMatch(new RegExp(`^${server.url}/share/[A-Za-z0-9_-]{43}$`));
    await expect.poll(() => page.locator('.share-list li').count()).toBe(1);

    const visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const shared = watch(await visitor.newPage());
      await shared.goto(shareUrl);
      await shared.locator('.shared-site', { hasText: SITE }).waitFor();
      await expect
        .poll(() => topStats(shared), { timeout: 10_000 })
        .toEqual({
          unique_visitors: '9',
          visits: '9',
          total_pageviews: '13',
          views_per_visit: '1.44',
          bounce_rate: '56%',
          avg_visit_duration_secs: expect.stringMatching(/^\d+s$/),
        });
      await expect
        .poll(() => panelRows('pages', shared))
        .toEqual([
          ['/', '8', '8'],
          ['/pricing', '5', '5'],
        ]);
      // Read-only: no admin navigation, no settings, no sign-out; overview and behavior only.
      expect(await shared.locator('.topnav, .site-picker').count()).toBe(0);
      expect(await shared.locator('.tabs a').allTextContents()).toEqual(['Overview', 'Behavior']);
      expect(await visitor.cookies()).toEqual([]);
      // Filtering works there too.
      await shared.locator('[data-panel="pages"] .row', { hasText: '/pricing' }).click();
      await expect.poll(() => topStats(shared).then((s) => s.unique_visitors)).toBe('5');
      await shared.goBack();
      await expect.poll(() => topStats(shared).then((s) => s.unique_visitors)).toBe('9');
      await shoot(shared, 'desktop-share');
      await shootPhone(shared, 'phone-share');
      // Closed first: its realtime count polls, and a poll after the revocation would be a 401 it does not expect.
      await shared.close();

      // Revoked in the settings, the link stops working (this page expects its 401s: not watched).
      await page.getByRole('button', { name: 'Revoke' }).click();
      await page.getByRole('button', { name: 'Yes, revoke' }).click();
      await page.getByText('No share links.').waitFor();
      const after = await visitor.newPage();
      await after.goto(shareUrl);
      await after.getByRole('heading', { name: 'This link does not work' }).waitFor();
      expect(await after.getByRole('alert').textContent()).toBe(
        'This share link is invalid or has been revoked. Ask whoever shared it for a new one.',
      );
    } finally {
      await visitor.close();
    }
  });

  it('revokes the API key, which then stops working', async () => {
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.locator('.key-list li').first().waitFor();
    await page.getByRole('button', { name: 'Revoke' }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByText('No API keys.').waitFor();
    const res = await sendBatch(server.url, ingestKey, [{ d: SITE, n: 'pageview', u: `https://${SITE}/` }]);
    expect(res.status).toBe(401);
  });

  it('signs out; a wrong password is refused with a message; the right one signs in again', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.goto(`${server.url}/sites/${SITE}`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await shoot(page, 'desktop-login');
    expectedLoginFailures = 1;
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Wrong password.').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await show({
      unique_visitors: '9',
      visits: '9',
      total_pageviews: '13',
      views_per_visit: '1.44',
      bounce_rate: '56%',
      avg_visit_duration_secs: expect.stringMatching(/^\d+s$/),
    });
  });

  it('logged no console errors, CSP violations or uncaught exceptions', () => {
    expect(expectedLoginFailures).toBe(0);
    expect(problems).toEqual([]);
  });
});
