/**
 * A newcomer's first minutes in a real browser (Debian's headless Chromium) against the real
 * server, with no site registered at the start:
 *
 * 1. Events for arrived.test (not registered; `site_ids` is empty, so they are stored):
 *    10.4.0.1 and 10.4.0.2 each view / yesterday (UTC) at 10:00 and 10:15 → the Sites page
 *    says "No sites yet" and, under "Receiving events, not registered", "arrived.test
 *    2 events · last <yesterday> 10:15 AM" (en-US, UTC). Register → it is a site, gone from
 *    that list; its dashboard shows its 2 unique visitors and 2 page views.
 * 2. fresh.test, registered with no events: its dashboard shows the snippet (this server's
 *    origin, the site id) with a working copy button and "Waiting for the first page view…";
 *    one page view through POST /api/event turns it into the dashboard without a reload (1
 *    visitor, 1 page view), after which it asks no more. later.test, left while waiting,
 *    asks no more either.
 *
 * Screenshots of each state: /tmp/first-site-*.png.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, sendEvent, UA } from '../integration/support.js';

/** How often a waiting dashboard asks (dashboard/src/components/waiting.ts FIRST_EVENT_POLL_MS). */
const POLL_MS = 2_000;

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let key = '';
const problems: string[] = [];
/** The has-events requests the page sent since `asked.length = 0`. */
const asked: string[] = [];

const DAY_MS = 86_400_000;
const yesterday = new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS - DAY_MS);
const at = (h: number, m: number) => new Date(yesterday.getTime() + (h * 60 + m) * 60_000);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** en-US "medium" date and "short" time of yesterday 10:15 UTC, spelled out by hand (newer ICU puts a narrow space before AM: read as a space). */
const LAST_SEEN = `${MONTHS[yesterday.getUTCMonth()]} ${yesterday.getUTCDate()}, ${yesterday.getUTCFullYear()}, 10:15 AM`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stat = (name: string) => page.locator(`.top-stats [data-stat="${name}"] .stat-value`).textContent();
const snippetOf = (site: string) => `<script defer data-domain="${site}" src="${server.url}/tracking/script.js"></script>`;

async function register(site: string): Promise<void> {
  const res = await fetch(`${server.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: site }),
  });
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  key = await createKey(server.url, await login(server.url), 'admin');
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  page.on('request', (req) => {
    if (new URL(req.url()).pathname.endsWith('/has-events')) asked.push(req.url());
  });
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('sites that receive events without being registered', () => {
  it('are listed on the Sites page with their count and last event', async () => {
    await loadBatch(server.url, key, [
      {
        d: 'arrived.test',
        n: 'pageview',
        u: 'https://arrived.test/',
        ip: '10.4.0.1',
        user_agent: UA.chromeWindows,
        timestamp: at(10, 0),
      },
      {
        d: 'arrived.test',
        n: 'pageview',
        u: 'https://arrived.test/',
        ip: '10.4.0.2',
        user_agent: UA.firefoxLinux,
        timestamp: at(10, 15),
      },
    ]);
    await page.goto(server.url);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const region = page.getByRole('region', { name: 'Receiving events, not registered' });
    await region.waitFor();
    expect(await page.locator('#sites-title ~ .empty').textContent()).toBe(
      'No sites yet. Add your first site to start counting visitors.',
    );
    const rows = await region
      .locator('li')
      .evaluateAll((lis) => lis.map((li) => [...li.children].map((c) => c.textContent?.replaceAll('\u202f', ' ').trim())));
    expect(rows).toEqual([['arrived.test', `2 events · last ${LAST_SEEN}`, 'Register']]);
    await page.screenshot({ path: '/tmp/first-site-unregistered.png', fullPage: true });
  });

  it('Register makes one a site, with the events it already had', async () => {
    await page.getByRole('button', { name: 'Register arrived.test' }).click();
    await page.getByRole('link', { name: 'arrived.test', exact: true }).waitFor();
    await expect.poll(() => page.getByRole('region', { name: 'Receiving events, not registered' }).count()).toBe(0);
    expect(await page.locator('#sites-title ~ .empty').count()).toBe(0);
    await page.screenshot({ path: '/tmp/first-site-registered.png', fullPage: true });
    await page.getByRole('link', { name: 'arrived.test', exact: true }).click();
    await expect.poll(() => stat('unique_visitors')).toBe('2');
    await expect.poll(() => stat('total_pageviews')).toBe('2');
    expect(await page.locator('.waiting').count()).toBe(0);
  });
});

describe('a new site waits for its first event', () => {
  it('shows the snippet to copy and the waiting state', async () => {
    await register('fresh.test');
    await page.goto(`${server.url}/sites/fresh.test`);
    await page.getByRole('status').filter({ hasText: 'Waiting for the first page view…' }).waitFor();
    expect(await page.locator('.waiting pre.snippet code').first().textContent()).toBe(snippetOf('fresh.test'));
    // Nothing of the (empty) dashboard meanwhile.
    expect(await page.locator('.top-stats').count()).toBe(0);
    await page.getByRole('button', { name: 'Copy snippet' }).click();
    await expect.poll(() => page.getByRole('button', { name: 'Copied' }).count()).toBe(1);
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(snippetOf('fresh.test'));
    await page.screenshot({ path: '/tmp/first-site-waiting.png', fullPage: true });
    await page.setViewportSize({ width: 375, height: 740 });
    await page.screenshot({ path: '/tmp/first-site-waiting-phone.png', fullPage: true });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('turns into the dashboard by itself when the first event lands, then asks no more', async () => {
    await page.evaluate(() => {
      (window as unknown as { stillHere: boolean }).stillHere = true;
    });
    const sent = await sendEvent(server.url, { d: 'fresh.test', n: 'pageview', u: 'https://fresh.test/' });
    expect(sent.status).toBe(202);
    await expect.poll(() => stat('unique_visitors')).toBe('1');
    await expect.poll(() => stat('total_pageviews')).toBe('1');
    expect(await page.locator('.waiting').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
    const pages = () =>
      page.$$eval('[data-panel="pages"] .rows .row', (rows) =>
        rows.map((r) => [...r.querySelectorAll('.row-label, .num')].map((c) => c.textContent ?? '')),
      );
    await expect.poll(pages).toEqual([['/', '1', '1']]);
    await expect.poll(() => page.locator('.realtime-count').textContent()).toBe('1');
    await expect.poll(() => page.locator('.skeleton').count()).toBe(0);
    await page.screenshot({ path: '/tmp/first-site-dashboard.png', fullPage: true });
    await sleep(1000);
    asked.length = 0;
    await sleep(2 * POLL_MS + 1000);
    expect(asked).toEqual([]);
  });

  it('asks no more once the page is left', async () => {
    await register('later.test');
    await page.goto(`${server.url}/sites/later.test`);
    await page.getByRole('status').filter({ hasText: 'Waiting for the first page view…' }).waitFor();
    // Still waiting: it asks on its timer (the positive control of the check below).
    asked.length = 0;
    await expect.poll(() => asked.length).toBeGreaterThan(0);
    await page.getByRole('link', { name: 'Sites', exact: true }).click();
    await page.locator('#sites-title').waitFor();
    await sleep(1000);
    asked.length = 0;
    await sleep(2 * POLL_MS + 1000);
    expect(asked).toEqual([]);
  });

  it('logged no errors', () => {
    expect(problems).toEqual([]);
  });
});
