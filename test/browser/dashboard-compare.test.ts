/**
 * Comparison in the dashboard, in a real browser (Debian's headless Chromium) against the real
 * server (built dist/main.js): the comparison picker puts `compare` in the URL, the top stats
 * and the breakdown rows show the exact changes, and the chart draws the comparison's visitors
 * as a second line (its tooltip names the comparison's bucket).
 *
 * Traffic: the events of test/integration/compare-fixture.ts, through POST /api/events, viewed
 * over 2024-02-28..29 (P). Against the previous period (02-26..27), worked out there:
 *   visitors 4 vs 5 (↓ 20 %), visits 4 vs 5 (↓ 20 %), pageviews 6 vs 6 (→ 0 %), views per visit
 *   1.5 vs 1.2 (↑ 25 %), bounce rate 50 % vs 60 % (↓ 10 points), duration 240 vs 252 s (↓ 4.8 %);
 *   pages: / 3 vs 2 (↑ 50 %), /blog and /new-page new, /pricing 1 vs 3 (↓ 66.7 %); sources: Direct
 *   2 vs 3 (↓ 33.3 %), Google and Hacker News 1 vs 1 (→ 0 %); the chart's buckets 02-28, 02-29
 *   beside 02-26 (2 visitors), 02-27 (3).
 * Year over year (2023-02-28 alone: Feb 29 has no twin): visitors 4 vs 1 (↑ 300 %), bounce rate
 * new (0 % before); pages / 3 vs 1 (↑ 200 %), /blog 1 vs 1 (→ 0 %).
 */
import { mkdirSync } from 'node:fs';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ARTIFACTS, launchBrowser, shoot } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { COMPARE_EVENTS } from '../integration/compare-fixture.js';
import { batchEvent } from '../integration/fixture.js';
import { loadBatch } from '../integration/support.js';

const SITE = 'compare.test';
const RANGE = 'period=custom&from=2024-02-28&to=2024-02-29';

let server: RunningServer;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Console errors and uncaught exceptions of the page. */
const problems: string[] = [];

const path = () => {
  const u = new URL(page.url());
  return u.pathname + u.search;
};

/** Each top stat's change as shown: [direction, number]. */
const statChanges = () =>
  page.$$eval('.top-stats [data-stat]', (els) =>
    Object.fromEntries(
      els.map((e) => {
        const c = e.querySelector('.change');
        const dir = !c ? 'none' : c.classList.contains('up') ? 'up' : c.classList.contains('down') ? 'down' : 'flat';
        return [e.getAttribute('data-stat'), [dir, c?.querySelector('.change-value')?.textContent ?? c?.textContent ?? '']];
      }),
    ),
  );

/** The rows of a breakdown panel: [label, visitors, direction, change]. */
const rowChanges = (panel: string) =>
  page.$$eval(`[data-panel="${panel}"] .rows .row`, (rows) =>
    rows.map((r) => {
      const c = r.querySelector('[data-col="change"] .change');
      const dir = !c ? 'none' : c.classList.contains('up') ? 'up' : c.classList.contains('down') ? 'down' : 'flat';
      return [
        r.querySelector('.row-label')?.textContent ?? '',
        r.querySelector('[data-col="visitors"]')?.textContent ?? '',
        dir,
        c?.querySelector('.change-value')?.textContent ?? c?.textContent ?? '',
      ];
    }),
  );

/** The chart's series as drawn, and the tooltip's lines over the bucket at `x` (0..1 of the width). */
async function chartAt(x: number): Promise<{ series: string | null; tip: string[] }> {
  const over = page.locator('.plot .u-over');
  const box = await over.boundingBox();
  const width = box?.width ?? 2;
  await over.hover({ position: { x: Math.min(width - 2, Math.max(2, width * x)), y: (box?.height ?? 0) / 2 } });
  const tip = await page.locator('.chart-tip:not([hidden]) .key').allTextContents();
  return { series: await page.locator('.plot').getAttribute('data-series'), tip };
}

beforeAll(async () => {
  mkdirSync(DASHBOARD_ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  const key = await createKey(server.url, await login(server.url), 'admin');
  const res = await fetch(`${server.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: SITE }),
  });
  expect(res.status).toBe(201);
  await loadBatch(
    server.url,
    key,
    COMPARE_EVENTS.map((e) => batchEvent(SITE, e)),
  );
  // A fixed locale: the tooltip names dates the way the browser's locale does.
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC' });
  page = await context.newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console: ${msg.text()} (${msg.location().url})`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
});

afterAll(async () => {
  await context?.close();
  await browser?.close();
  await server?.stop();
});

describe('comparison in the dashboard', () => {
  it('signs in and opens the period without a comparison: one visitors line, no changes', async () => {
    await page.goto(server.url);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: SITE, exact: true }).waitFor();
    await page.goto(`${server.url}/sites/${SITE}?${RANGE}`);
    await expect
      .poll(() => rowChanges('pages'))
      .toEqual([
        ['/', '3', 'none', ''],
        ['/blog', '1', 'none', ''],
        ['/new-page', '1', 'none', ''],
        ['/pricing', '1', 'none', ''],
      ]);
    await page.locator('.plot canvas').waitFor();
    expect((await chartAt(0.02)).series).toBe('Visitors,Pageviews');
    expect(await page.locator('select[name="compare"]').inputValue()).toBe('');
  });

  it('compares with the previous period: exact changes, and the chart draws the comparison line', async () => {
    await page.locator('select[name="compare"]').selectOption('previous_period');
    expect(path()).toBe(`/sites/${SITE}?${RANGE}&compare=previous_period`);
    await expect.poll(statChanges).toEqual({
      unique_visitors: ['down', '20%'],
      visits: ['down', '20%'],
      total_pageviews: ['flat', '0%'],
      views_per_visit: ['up', '25%'],
      bounce_rate: ['down', '10 pts'],
      avg_visit_duration_secs: ['down', '4.8%'],
    });
    // A lower bounce rate is good news.
    expect(await page.locator('[data-stat="bounce_rate"] .change.good').count()).toBe(1);
    await expect
      .poll(() => rowChanges('pages'))
      .toEqual([
        ['/', '3', 'up', '50%'],
        ['/blog', '1', 'flat', 'new'],
        ['/new-page', '1', 'flat', 'new'],
        ['/pricing', '1', 'down', '66.7%'],
      ]);
    await expect
      .poll(() => rowChanges('sources'))
      .toEqual([
        ['Direct / None', '2', 'down', '33.3%'],
        ['Google', '1', 'flat', '0%'],
        ['Hacker News', '1', 'flat', '0%'],
      ]);
    await expect
      .poll(() => chartAt(0.02))
      .toEqual({
        series: 'Visitors,Pageviews,Visitors (comparison)',
        tip: ['Visitors 2', 'Pageviews 3', 'Visitors 2 on Feb 26, 2024'],
      });
    expect((await chartAt(0.98)).tip).toEqual(['Visitors 2', 'Pageviews 3', 'Visitors 3 on Feb 27, 2024']);
    expect(await page.locator('.chart-card .legend .key').allTextContents()).toEqual([
      'Visitors',
      'Pageviews',
      'Visitors (comparison)',
    ]);
    await page.mouse.move(0, 0);
    await shoot(page, 'desktop-overview-compare-previous');
  });

  it('compares year over year (Feb 29 has no twin: the second bucket has none)', async () => {
    await page.locator('select[name="compare"]').selectOption('year_over_year');
    expect(path()).toBe(`/sites/${SITE}?${RANGE}&compare=year_over_year`);
    await expect.poll(statChanges).toMatchObject({ unique_visitors: ['up', '300%'], bounce_rate: ['flat', 'new'] });
    await expect
      .poll(() => rowChanges('pages'))
      .toEqual([
        ['/', '3', 'up', '200%'],
        ['/blog', '1', 'flat', '0%'],
        ['/new-page', '1', 'flat', 'new'],
        ['/pricing', '1', 'flat', 'new'],
      ]);
    await expect
      .poll(() => chartAt(0.02))
      .toEqual({
        series: 'Visitors,Pageviews,Visitors (comparison)',
        tip: ['Visitors 2', 'Pageviews 3', 'Visitors 1 on Feb 28, 2023'],
      });
    expect((await chartAt(0.98)).tip).toEqual(['Visitors 2', 'Pageviews 3', 'No comparison bucket']);
  });

  it('turns the comparison off again, and the back button brings it back', async () => {
    await page.locator('select[name="compare"]').selectOption('');
    expect(path()).toBe(`/sites/${SITE}?${RANGE}`);
    await expect.poll(async () => (await chartAt(0.02)).series).toBe('Visitors,Pageviews');
    expect(await page.locator('.top-stats .change').count()).toBe(0);
    await page.goBack();
    expect(path()).toBe(`/sites/${SITE}?${RANGE}&compare=year_over_year`);
    expect(await page.locator('select[name="compare"]').inputValue()).toBe('year_over_year');
    await expect.poll(async () => (await chartAt(0.02)).series).toBe('Visitors,Pageviews,Visitors (comparison)');
  });

  it('logged no console errors, CSP violations or uncaught exceptions', () => {
    expect(problems).toEqual([]);
  });
});
