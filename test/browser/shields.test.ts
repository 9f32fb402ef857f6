/**
 * A site's shields edited in the dashboard, in a real browser (Debian's headless Chromium)
 * against the real server: a bad entry is refused with the server's message and nothing is
 * saved; good entries are saved and shown back as the server normalized them (country upper-
 * case, `www.` dropped); then traffic on a shielded page is not counted — the Pages panel shows
 * only the page that is not shielded.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { sendEvent } from '../integration/support.js';

const SITE = 'shields-ui.test';

let server: RunningServer;
let browser: Browser;
let page: Page;
let adminKey = '';
const problems: string[] = [];

async function shieldsOfSite(): Promise<unknown> {
  const res = await fetch(`${server.url}/api/sites/${SITE}`, { headers: { authorization: `Bearer ${adminKey}` } });
  return ((await res.json()) as { shields: unknown }).shields;
}

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  adminKey = await createKey(server.url, await login(server.url), 'admin');
  const created = await fetch(`${server.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: SITE }),
  });
  expect(created.status).toBe(201);
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('console', (msg) => {
    // The refused save below is the one failed request this test provokes.
    if (msg.type() === 'error' && !/status of 400/.test(msg.text())) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('shields in the dashboard', () => {
  it('refuses a bad entry, saves good ones as the server normalizes them', async () => {
    await page.goto(server.url);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: SITE, exact: true }).waitFor();
    await page.goto(`${server.url}/sites/${SITE}/settings`);
    const card = page.locator('section[aria-labelledby="shields-title"]');
    const box = (name: string) => card.locator(`textarea[name="shield-${name}"]`);

    await box('ips').fill('203.0.113.0/24\nnot-an-ip');
    await card.getByRole('button', { name: 'Save shields' }).click();
    await card.getByText('shields.ips[1]: not an IP address or CIDR').waitFor();
    expect(await shieldsOfSite()).toEqual({ ips: [], countries: [], pages: [], hostnames: [] });

    await box('ips').fill('203.0.113.0/24');
    await box('countries').fill('xx');
    await box('pages').fill('/admin/*');
    await box('hostnames').fill('WWW.Shields-UI.test\n*.shields-ui.test');
    await card.getByRole('button', { name: 'Save shields' }).click();
    await card.locator('.ok', { hasText: 'Saved.' }).waitFor();
    const saved = {
      ips: ['203.0.113.0/24'],
      countries: ['XX'],
      pages: ['/admin/*'],
      hostnames: ['shields-ui.test', '*.shields-ui.test'],
    };
    expect(await shieldsOfSite()).toEqual(saved);
    expect(await box('countries').inputValue()).toBe('XX');
    expect(await box('hostnames').inputValue()).toBe('shields-ui.test\n*.shields-ui.test');

    // A reload reads them back.
    await page.reload();
    await box('pages').waitFor();
    expect(await box('pages').inputValue()).toBe('/admin/*');
  });

  it('traffic on a shielded page is not counted', async () => {
    for (const path of ['/admin/users', '/pricing', '/admin/'])
      expect((await sendEvent(server.url, { d: SITE, n: 'pageview', u: `https://${SITE}${path}` })).status).toBe(202);
    const today = new Date().toISOString().slice(0, 10);
    await page.goto(`${server.url}/sites/${SITE}?period=day&date=${today}`);
    await expect
      .poll(() =>
        page.$$eval('[data-panel="pages"] .rows .row', (rows) =>
          rows.map((r) => [...r.querySelectorAll('.row-label, .num')].map((c) => c.textContent ?? '')),
        ),
      )
      .toEqual([['/pricing', '1', '1']]);
    expect(problems).toEqual([]);
  });
});
