/**
 * The dashboard's realtime view in a real browser (Debian's headless Chromium) against the
 * real server: choosing "Realtime" shows visitors now, the last 30 minutes' pages and a
 * 30-point minute chart; an event sent through the API afterwards appears by itself (no
 * reload); a hidden tab asks nothing and asks at once when shown again; leaving realtime
 * stops the refreshes.
 *
 * Traffic of rt-ui.test, through POST /api/events, relative to the test's start:
 *   A /          1 minute ago            B /pricing   2 minutes ago
 *   C /          12 minutes ago, then /pricing 10 s later (one visit)
 *   D /old       45 minutes ago (outside the 30 minutes)
 * Visitors now (last 5 minutes): A, B = 2. Pages: / A C (2 visitors, 2 views), /pricing B C
 * (2, 2), ties by name. Unique visitors 3, page views 4.
 * Then E views /new now: visitors now 3; pages gain /new (1, 1); unique visitors 4, views 5.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ARTIFACTS, launchBrowser, shoot } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, UA } from '../integration/support.js';

const SITE = 'rt-ui.test';
/** The dashboard's realtime refresh (dashboard/src/period.ts REALTIME_REFRESH_MS). */
const REFRESH_MS = 5_000;

let server: RunningServer;
let browser: Browser;
let page: Page;
let key = '';
const problems: string[] = [];
/** Stats requests the page sent since `statsRequests.length = 0`. */
const statsRequests: string[] = [];

const ev = (ip: string, minutesAgo: number, path: string) => ({
  d: SITE,
  n: 'pageview',
  u: `https://${SITE}${path}`,
  ip,
  user_agent: UA.chromeWindows,
  timestamp: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
});

const panelRows = (panel: string) =>
  page.$$eval(`[data-panel="${panel}"] .rows .row`, (rows) =>
    rows.map((r) => [...r.querySelectorAll('.row-label, .num')].map((c) => c.textContent ?? '')),
  );
const stat = (name: string) => page.locator(`.top-stats [data-stat="${name}"] .stat-value`).textContent();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Pretends the tab is hidden or shown again, as the browser does when the user switches tabs. */
const setVisibility = (state: 'hidden' | 'visible') =>
  page.evaluate((s) => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => s });
    document.dispatchEvent(new Event('visibilitychange'));
  }, state);

/** The stats requests the page sends over two refresh intervals and a second, after what it had started settles. */
async function requestsOverTwoRefreshes(): Promise<string[]> {
  await sleep(1000);
  statsRequests.length = 0;
  await sleep(2 * REFRESH_MS + 1000);
  return [...statsRequests];
}

beforeAll(async () => {
  mkdirSync(DASHBOARD_ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  key = await createKey(server.url, await login(server.url), 'admin');
  const created = await fetch(`${server.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: SITE }),
  });
  expect(created.status).toBe(201);
  await loadBatch(server.url, key, [
    ev('10.3.0.1', 1, '/'),
    ev('10.3.0.2', 2, '/pricing'),
    ev('10.3.0.3', 12, '/'),
    ev('10.3.0.3', 12 - 10 / 60, '/pricing'),
    ev('10.3.0.4', 45, '/old'),
  ]);
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('request', (req) => {
    if (new URL(req.url()).pathname.startsWith('/api/stats/')) statsRequests.push(req.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('realtime in the dashboard', () => {
  it('choosing Realtime shows visitors now, the last 30 minutes’ pages and a 30-minute chart', async () => {
    await page.goto(server.url);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: SITE, exact: true }).waitFor();
    await page.goto(`${server.url}/sites/${SITE}`);
    await page.locator('select[name="period"]').selectOption('realtime');
    expect(new URL(page.url()).searchParams.get('period')).toBe('realtime');

    await expect.poll(() => page.locator('.realtime-count').textContent()).toBe('2');
    await expect
      .poll(() => panelRows('pages'))
      .toEqual([
        ['/', '2', '2'],
        ['/pricing', '2', '2'],
      ]);
    await expect.poll(() => stat('unique_visitors')).toBe('3');
    await expect.poll(() => stat('total_pageviews')).toBe('4');
    await expect.poll(() => page.locator('.plot').getAttribute('data-points')).toBe('30');
    expect(await page.locator('#chart-title').textContent()).toBe('Visitors and pageviews, last 30 minutes');
    expect(await page.locator('.chart-card .segmented [aria-pressed="true"]').textContent()).toBe('Minutes');
    // No comparison in realtime.
    expect(await page.locator('input[name="compare"]').count()).toBe(0);
    await shoot(page, 'desktop-realtime');
  });

  it('a new event appears by itself, without a reload', async () => {
    await page.evaluate(() => {
      (window as unknown as { stillHere: boolean }).stillHere = true;
    });
    await loadBatch(server.url, key, [ev('10.3.0.5', 0, '/new')]);
    await expect
      .poll(() => panelRows('pages'))
      .toEqual([
        ['/', '2', '2'],
        ['/pricing', '2', '2'],
        ['/new', '1', '1'],
      ]);
    await expect.poll(() => page.locator('.realtime-count').textContent()).toBe('3');
    await expect.poll(() => stat('unique_visitors')).toBe('4');
    await expect.poll(() => stat('total_pageviews')).toBe('5');
    expect(await page.locator('.plot').getAttribute('data-points')).toBe('30');
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
  });

  it('a hidden tab asks nothing; shown again, it asks at once', async () => {
    await setVisibility('hidden');
    expect(await requestsOverTwoRefreshes()).toEqual([]);
    await setVisibility('visible');
    await expect
      .poll(() => statsRequests.some((u) => u.includes('/api/stats/timeseries') && u.includes('period=realtime')))
      .toBe(true);
  });

  it('leaving realtime stops the refreshes', async () => {
    await page.locator('select[name="period"]').selectOption('today');
    await expect.poll(() => page.locator('#chart-title').textContent()).toBe('Visitors and pageviews');
    await expect.poll(() => page.locator('.chart-card').getAttribute('aria-busy')).toBe('false');
    expect(await requestsOverTwoRefreshes()).toEqual([]);
  });

  it('logged no errors', () => {
    expect(problems).toEqual([]);
  });
});
