/**
 * Segments in the dashboard, in a real browser (Debian's headless Chromium) against the real
 * server (built dist/main.js): filter by clicking a row, save the filters as a segment (the
 * segment replaces the chip, the numbers stay), reload, pick the segment again and see the
 * filtered numbers; a share link lists and applies it read-only; deleting it brings back
 * every visitor. The tests share one signed-in page and run in order; console errors, CSP
 * violations and uncaught exceptions fail the last test.
 *
 * Traffic of shop.test on DAY (three days ago, UTC), through POST /api/events:
 *   P1 10:00:00 /, 10:01:00 /pricing                 (Chrome, Windows)
 *   P2 10:00:00 /                                     (Safari, iPhone) bounce
 *   P3 10:00:00 /, 10:02:00 /pricing, 10:03:00 /docs  (Safari, iPhone)
 *   P4 10:00:00 /blog                                 (Firefox, Linux) bounce
 * Everyone: 4 visitors, 4 visits, 2+1+3+1 = 7 page views, 7/4 = 1.75 per visit, bounces P2 P4
 * = 50 %, durations 60+0+180+0 → 60 s.
 * Page /pricing (an event filter: the kept page views, the visits holding one): P1 and P3 →
 * 2 visitors, 2 visits, 2 page views, 1 per visit, no bounce, (60+180)/2 = 120 s.
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ARTIFACTS, launchBrowser, shoot, watchProblems } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, UA } from '../integration/support.js';

const SHOP = 'shop.test';
const DAY = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
const RANGE = `period=custom&from=${DAY}&to=${DAY}`;
const PRICING = [['is', 'event:page', ['/pricing']]];

const EVERYONE = {
  unique_visitors: '4',
  visits: '4',
  total_pageviews: '7',
  views_per_visit: '1.75',
  bounce_rate: '50%',
  avg_visit_duration_secs: '1m 00s',
};
const ON_PRICING = {
  unique_visitors: '2',
  visits: '2',
  total_pageviews: '2',
  views_per_visit: '1',
  bounce_rate: '0%',
  avg_visit_duration_secs: '2m 00s',
};

let server: RunningServer;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
let adminKey = '';
let segmentId = '';
const problems: string[] = [];

const watch = (p: Page) => watchProblems(p, problems);

/** The six top stats as shown. */
function topStats(p: Page) {
  return p.$$eval('.top-stats [data-stat]', (els) =>
    Object.fromEntries(els.map((e) => [e.getAttribute('data-stat'), e.querySelector('.stat-value')?.textContent ?? ''])),
  );
}
const show = (stats: Record<string, string>, p: Page = page) => expect.poll(() => topStats(p)).toEqual(stats);
const pagesRows = (p: Page = page) =>
  p.$$eval('[data-panel="pages"] .rows .row', (rows) =>
    rows.map((r) => [...r.querySelectorAll('.row-label, .num')].map((c) => c.textContent ?? '')),
  );
const options = (p: Page = page) =>
  p.locator('select[name="segment"] option').evaluateAll((os) => os.map((o) => o.textContent ?? ''));
const urlParams = (p: Page = page) => new URL(p.url()).searchParams;

async function segmentsViaApi(): Promise<unknown> {
  const res = await fetch(`${server.url}/api/sites/${SHOP}/segments`, { headers: { authorization: `Bearer ${adminKey}` } });
  expect(res.status).toBe(200);
  return res.json();
}

beforeAll(async () => {
  mkdirSync(DASHBOARD_ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  const cookie = await login(server.url);
  adminKey = await createKey(server.url, cookie, 'admin');
  const res = await fetch(`${server.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: SHOP }),
  });
  expect(res.status).toBe(201);
  const at = (secs: number) => new Date(Date.parse(`${DAY}T10:00:00Z`) + secs * 1000).toISOString();
  const ev = (ip: string, ua: string, w: number, secs: number, path: string) => ({
    d: SHOP,
    n: 'pageview',
    u: `https://${SHOP}${path}`,
    w,
    ip,
    user_agent: ua,
    timestamp: at(secs),
  });
  await loadBatch(server.url, adminKey, [
    ev('10.2.0.1', UA.chromeWindows, 1920, 0, '/'),
    ev('10.2.0.1', UA.chromeWindows, 1920, 60, '/pricing'),
    ev('10.2.0.2', UA.safariIphone, 390, 0, '/'),
    ev('10.2.0.3', UA.safariIphone, 390, 0, '/'),
    ev('10.2.0.3', UA.safariIphone, 390, 120, '/pricing'),
    ev('10.2.0.3', UA.safariIphone, 390, 180, '/docs'),
    ev('10.2.0.4', UA.firefoxLinux, 1280, 0, '/blog'),
  ]);
  admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = watch(await admin.newPage());
});

afterAll(async () => {
  await admin?.close();
  await browser?.close();
  await server?.stop();
});

describe('segments in the dashboard', () => {
  it('signs in; without segments or filters there is no picker', async () => {
    await page.goto(`${server.url}/sites/${SHOP}?${RANGE}`);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await show(EVERYONE);
    expect(await page.locator('.segments').count()).toBe(0);
  });

  it('saves the filters as a segment, which then stands in for them with the same numbers', async () => {
    await page.locator('[data-panel="pages"] .row', { hasText: '/pricing' }).click();
    await page.locator('.chip', { hasText: 'Page is /pricing' }).waitFor();
    await show(ON_PRICING);

    await page.getByRole('button', { name: 'Save as segment' }).click();
    await page.getByLabel('Segment name').fill('Pricing visitors');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => urlParams().get('segment')).toMatch(/^[0-9a-f-]{36}$/);
    segmentId = urlParams().get('segment') ?? '';
    expect(urlParams().get('filters')).toBeNull();
    expect(await page.locator('.chip').count()).toBe(0);
    expect(await page.locator('select[name="segment"]').inputValue()).toBe(segmentId);
    await show(ON_PRICING);
    expect(await segmentsViaApi()).toEqual([{ id: segmentId, name: 'Pricing visitors', filters: PRICING }]);
    await shoot(page, 'desktop-overview-segment');
  });

  it('after a reload, picking the segment shows the filtered numbers again', async () => {
    await page.locator('select[name="segment"]').selectOption({ label: 'All visitors' });
    await show(EVERYONE);
    expect(urlParams().get('segment')).toBeNull();

    await page.reload();
    await show(EVERYONE);
    expect(await options()).toEqual(['All visitors', 'Pricing visitors']);
    await page.locator('select[name="segment"]').selectOption({ label: 'Pricing visitors' });
    await show(ON_PRICING);
    await expect.poll(() => pagesRows()).toEqual([['/pricing', '2', '2']]);
    expect(urlParams().get('segment')).toBe(segmentId);
    // The numbers are those of the filters inline, asked of the API directly.
    const res = await fetch(
      `${server.url}/api/stats/main?site_id=${SHOP}&start_date=${DAY}&end_date=${DAY}&filters=${encodeURIComponent(JSON.stringify(PRICING))}`,
      { headers: { authorization: `Bearer ${adminKey}` } },
    );
    expect(await res.json()).toEqual({
      unique_visitors: 2,
      visits: 2,
      total_pageviews: 2,
      views_per_visit: 1,
      bounce_rate: 0,
      avg_visit_duration_secs: 120,
      events: 2,
    });
  });

  it('a share link lists and applies the segment, and cannot change it', async () => {
    const res = await fetch(`${server.url}/api/sites/${SHOP}/shares`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: '{}',
    });
    const { token } = (await res.json()) as { token: string };
    const visitor = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const shared = watch(await visitor.newPage());
    await shared.goto(`${server.url}/share/${token}?${RANGE}`);
    await show(EVERYONE, shared);
    expect(await options(shared)).toEqual(['All visitors', 'Pricing visitors']);
    await shared.locator('select[name="segment"]').selectOption({ label: 'Pricing visitors' });
    await show(ON_PRICING, shared);
    expect(await shared.getByRole('button', { name: 'Delete segment' }).count()).toBe(0);
    await shared.locator('[data-panel="pages"] .row', { hasText: '/pricing' }).click();
    await shared.locator('.chip', { hasText: 'Page is /pricing' }).waitFor();
    expect(await shared.getByRole('button', { name: 'Save as segment' }).count()).toBe(0);
    await visitor.close();
  });

  it('deletes the segment: every visitor again, and no picker left', async () => {
    await page.getByRole('button', { name: 'Delete segment' }).click();
    await page.getByRole('button', { name: 'Yes, delete segment' }).click();
    await show(EVERYONE);
    expect(urlParams().get('segment')).toBeNull();
    await expect.poll(() => page.locator('.segments').count()).toBe(0);
    expect(await segmentsViaApi()).toEqual([]);
  });

  it('logged no console errors, CSP violations or uncaught exceptions', () => {
    expect(problems).toEqual([]);
  });
});
