/**
 * "Import history" in the site settings, in a real browser (Debian's headless Chromium) against
 * the real server: an Umami export chosen in the card is uploaded, the progress bar runs to
 * its end and the summary names what was imported and the bad line; the same file again is
 * refused with the server's message (the one failed request this test provokes, a 409).
 *
 * The file (Umami's website_event CSV), 2026-11-02: session S1 / 10:00 and /pricing 10:05,
 * session S2 / 11:00, and one row of event_type 3 (line 5, after the header). Imported 3
 * events from 4 records, 1 rejected (invalid); page views 3, visitors 2.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ARTIFACTS } from '../helpers/browser.js';
import type { RunningServer } from '../helpers/server.js';
import { openSitePage, type SitePage } from '../helpers/site-page.js';
import { stats } from '../integration/support.js';

const SITE = 'import-ui.test';
const S1 = '6f1c1b5e-2a8f-4f5e-9a59-1d2c3b4a5f61';
const S2 = '0b7e2d44-93c1-4b0f-8e6a-7c5d4e3f2a12';
const CSV = `${[
  'website_id,session_id,hostname,browser,os,device,screen,country,url_path,url_query,referrer_domain,event_type,event_name,created_at',
  `w,${S1},${SITE},chrome,Windows 10,desktop,1920x1080,US,/,,,1,,2026-11-02 10:00:00`,
  `w,${S1},${SITE},chrome,Windows 10,desktop,1920x1080,US,/pricing,,,1,,2026-11-02 10:05:00`,
  `w,${S2},${SITE},firefox,Linux,laptop,1366x768,FR,/,,,1,,2026-11-02 11:00:00`,
  `w,${S2},${SITE},firefox,Linux,laptop,1366x768,FR,/,,,3,,2026-11-02 11:01:00`,
].join('\n')}\n`;

let server: RunningServer;
let ui: SitePage;
let page: Page;
let adminKey = '';
let problems: string[] = [];

beforeAll(async () => {
  mkdirSync(DASHBOARD_ARTIFACTS, { recursive: true });
  ui = await openSitePage(SITE, 409);
  ({ server, page, adminKey, problems } = ui);
});

afterAll(async () => {
  await ui?.close();
});

describe('import history in the dashboard', () => {
  it('uploads an Umami export with progress, then shows what was imported and the bad line', async () => {
    await ui.signIn();
    await page.goto(`${server.url}/sites/${SITE}/settings`);
    const card = page.locator('section[aria-labelledby="import-title"]');
    expect(await card.locator('select[name="import-format"]').inputValue()).toBe('umami');
    await card.locator('input[name="import-file"]').setInputFiles({
      name: 'website_event.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(CSV),
    });
    await card.getByRole('button', { name: 'Upload and import' }).click();

    const bar = card.getByRole('progressbar', { name: 'Import progress' });
    await card.locator('progress[data-state="done"]').waitFor();
    expect(await bar.evaluate((p: HTMLProgressElement) => [p.value, p.max])).toEqual([1, 1]);
    expect(await card.locator('.import-progress').textContent()).toContain('Done.');
    expect(await card.locator('p.ok[role="status"]').textContent()).toBe(
      'Imported 3 events from 4 records; 1 rejected (invalid: 1).',
    );
    expect(await card.locator('.import-errors li').allTextContents()).toEqual([
      'Line 5: event_type: 3 is not 1 (page view) or 2 (custom event)',
    ]);
    await card.scrollIntoViewIfNeeded();
    await card.screenshot({ path: join(DASHBOARD_ARTIFACTS, 'import-history.png') });
    const counted = await stats<Record<string, number>>(server.url, adminKey, 'main', {
      site_id: SITE,
      start_date: '2026-11-02',
      end_date: '2026-11-02',
    });
    expect(counted).toMatchObject({ total_pageviews: 3, unique_visitors: 2, events: 3 });

    // The same file again: refused, nothing stored twice.
    await card.getByRole('button', { name: 'Upload and import' }).click();
    await card
      .getByText(
        /^This file was imported into import-ui\.test on \d{4}-\d\d-\d\d \(3 events\); importing it again would count them twice\.$/,
      )
      .waitFor();
    expect(
      await stats<Record<string, number>>(server.url, adminKey, 'main', {
        site_id: SITE,
        start_date: '2026-11-02',
        end_date: '2026-11-02',
      }),
    ).toMatchObject({ total_pageviews: 3 });
    expect(problems).toEqual([]);
  });
});
