/**
 * The demo in a real browser (Debian's headless Chromium) against the real server: an empty
 * install's Sites page offers "Load demo data"; one click loads demo.example and opens its
 * dashboard, with the banner saying the data is generated and panels full of it (the
 * visitors count is the generator's: distinct day, address and User-Agent); the Behavior
 * tab shows a funnel that converts and retention cohorts; "Remove demo" removes it all and
 * the empty Sites page is back. Screenshots: /tmp/demo-*.png (looked at by hand).
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateDemo } from '../../src/demo/generate.js';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';

const SITE = 'demo.example';
let server: RunningServer;
let browser: Browser;
let page: Page;
let adminKey = '';
const problems: string[] = [];
let until = 0;

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  adminKey = await createKey(server.url, await login(server.url), 'admin');
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const shot = (name: string) => page.screenshot({ path: `/tmp/demo-${name}.png`, fullPage: true });

describe('the demo, from an empty install', () => {
  it('offers "Load demo data" on the empty Sites page', async () => {
    await page.goto(server.url);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('No sites yet.').waitFor();
    await page.getByRole('button', { name: 'Load demo data' }).waitFor();
    await shot('empty');
  });

  it('loads it in one click: the dashboard with its banner and full panels', async () => {
    const answered = page.waitForResponse((r) => r.url().endsWith('/api/demo') && r.request().method() === 'POST');
    await page.getByRole('button', { name: 'Load demo data' }).click();
    const res = await answered;
    expect(res.status()).toBe(201);
    until = ((await res.json()) as { until: number }).until;
    await page.waitForURL((u) => u.pathname === `/sites/${SITE}`);
    await expect
      .poll(() => page.getByRole('note').textContent())
      .toBe(`Demo data — generated, not real traffic. ${SITE} was filled by mallard-metrics demo.Remove demo`);

    const events = generateDemo(20241, until).events.filter((e) => e.n !== 'engagement');
    const dayOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const visitors = new Set(events.map((e) => `${dayOf(e.timestamp)}|${e.ip}|${e.user_agent}`)).size;
    await expect
      .poll(() => page.locator('[data-stat="unique_visitors"] .stat-value').textContent(), { timeout: 15_000 })
      .toBe(visitors.toLocaleString('en-US'));
    for (const panel of ['sources', 'pages', 'locations', 'devices', 'goals']) {
      await expect
        .poll(() => page.locator(`[data-panel="${panel}"] .rows .row`).count(), { timeout: 15_000, message: panel })
        .toBeGreaterThanOrEqual(3);
    }
    await shot('dashboard');
  });

  it('the Behavior tab: a funnel that converts, retention cohorts', async () => {
    await page.getByRole('link', { name: 'Behavior' }).click();
    const funnel = page.locator('[data-section="funnel"]');
    await funnel.locator('input[name="funnel-step-0"]').fill('/');
    await funnel.locator('input[name="funnel-step-1"]').fill('/pricing');
    await funnel.getByRole('button', { name: '+ Add step' }).click();
    await funnel.locator('select[name="funnel-kind-2"]').selectOption('event');
    await funnel.locator('input[name="funnel-step-2"]').fill('Signup');
    await funnel.getByRole('button', { name: '+ Add step' }).click();
    await funnel.locator('select[name="funnel-kind-3"]').selectOption('event');
    await funnel.locator('input[name="funnel-step-3"]').fill('Purchase');
    await funnel.getByRole('button', { name: 'Show funnel' }).click();
    const visitors = () => funnel.locator('.funnel-step .funnel-visitors').allTextContents();
    await expect.poll(async () => (await visitors()).length, { timeout: 15_000 }).toBe(4);
    const counts = (await visitors()).map((t) => Number(t.replace(/,/g, '')));
    expect(counts.every((n, i) => n > 0 && (i === 0 || n < (counts[i - 1] ?? 0)))).toBe(true);
    await funnel.scrollIntoViewIfNeeded();
    await shot('funnel');

    const retention = page.locator('[data-section="retention"]');
    await retention.locator('table.retention').waitFor({ timeout: 15_000 });
    expect(await retention.locator('tbody tr').count()).toBeGreaterThanOrEqual(4);
    await retention.scrollIntoViewIfNeeded();
    await retention.screenshot({ path: '/tmp/demo-retention.png' });
  });

  it('"Remove demo" removes it and brings the empty install back', async () => {
    await page.getByRole('button', { name: 'Remove demo' }).click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.getByText('No sites yet.').waitFor();
    await page.getByRole('button', { name: 'Load demo data' }).waitFor();
    const site = await fetch(`${server.url}/api/sites/${SITE}`, { headers: { authorization: `Bearer ${adminKey}` } });
    expect(site.status).toBe(404);
    await shot('removed');
    expect(problems).toEqual([]);
  });
});
