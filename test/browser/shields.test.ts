/**
 * A site's shields edited in the dashboard, in a real browser (Debian's headless Chromium)
 * against the real server: a bad entry is refused with the server's message and nothing is
 * saved; good entries are saved and shown back as the server normalized them (country upper-
 * case, `www.` dropped); then traffic on a shielded page is not counted — the Pages panel shows
 * only the page that is not shielded.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../helpers/server.js';
import { openSitePage, type SitePage } from '../helpers/site-page.js';
import { sendEvent } from '../integration/support.js';

const SITE = 'shields-ui.test';

let server: RunningServer;
let ui: SitePage;
let page: Page;
let adminKey = '';
let problems: string[] = [];

async function shieldsOfSite(): Promise<unknown> {
  const res = await fetch(`${server.url}/api/sites/${SITE}`, { headers: { authorization: `Bearer ${adminKey}` } });
  return ((await res.json()) as { shields: unknown }).shields;
}

beforeAll(async () => {
  // The refused save below is the one failed request this test provokes (a 400).
  ui = await openSitePage(SITE, 400);
  ({ server, page, adminKey, problems } = ui);
});

afterAll(async () => {
  await ui?.close();
});

describe('shields in the dashboard', () => {
  it('refuses a bad entry, saves good ones as the server normalizes them', async () => {
    await ui.signIn();
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
