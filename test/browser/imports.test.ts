/**
 * Imported data in the dashboard, in a real browser (Debian's headless Chromium) against the
 * real server: after `import export.zip` (the built CLI, server stopped), the top stats add the
 * imported days to the site's own and say so; filters on two imported tables leave them out and
 * say why; the site
 * settings list the import, and deleting it brings the site's own numbers back.
 *
 * Site imports-ui.test. Own traffic on DAY (three days ago, UTC): V1 /, /about; V2 /.
 * → 2 visitors, 2 visits, 3 page views. Imported (Plausible visitors table):
 *   DAY − 1: 10 visitors, 30 page views, 12 visits · DAY: 5 visitors, 8 page views, 6 visits.
 * Shown for DAY − 1 … DAY: 17 visitors, 20 visits, 41 page views; filtered to page / and Chrome
 * (the pages and browsers tables) only the site's own: 2 visitors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storageEnv } from '../helpers/backends.js';
import { DASHBOARD_ARTIFACTS, launchBrowser, shoot } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, freePort, login, type RunningServer, startServer } from '../helpers/server.js';
import { cli, loadBatch, removeScratchDirs, scratchDir, UA } from '../integration/support.js';

const SITE = 'imports-ui.test';
const DAY = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
const BEFORE = new Date(Date.parse(`${DAY}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
const RANGE = `period=custom&from=${BEFORE}&to=${DAY}`;
const compact = (d: string) => d.replaceAll('-', '');

let server: RunningServer;
let browser: Browser;
let page: Page;
const problems: string[] = [];

const stat = (key: string) => page.$eval(`[data-stat="${key}"] .stat-value`, (e) => e.textContent);
const note = () => page.locator('.imports-note').textContent();

beforeAll(async () => {
  mkdirSync(DASHBOARD_ARTIFACTS, { recursive: true });
  const dir = scratchDir('imports-ui');
  const dataDir = join(dir, 'data');
  const first = await startServer({ dataDir });
  const admin = await createKey(first.url, await login(first.url), 'admin');
  const created = await fetch(`${first.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: SITE }),
  });
  expect(created.status).toBe(201);
  const ev = (ip: string, time: string, path: string) => ({
    d: SITE,
    n: 'pageview',
    u: `https://${SITE}${path}`,
    ip,
    user_agent: UA.chromeWindows,
    timestamp: `${DAY}T${time}:00Z`,
  });
  await loadBatch(first.url, admin, [
    ev('10.3.0.1', '10:00', '/'),
    ev('10.3.0.1', '10:01', '/about'),
    ev('10.3.0.2', '11:00', '/'),
  ]);
  expect(await first.stop()).toBe(0);

  const zip = join(dir, 'export.zip');
  const csv = ['date,visitors,pageviews,bounces,visits,visit_duration', `${BEFORE},10,30,4,12,600`, `${DAY},5,8,2,6,300`].join(
    '\n',
  );
  writeFileSync(zip, zipSync({ [`imported_visitors_${compact(BEFORE)}_${compact(DAY)}.csv`]: strToU8(csv) }));
  const run = await cli(['import', zip, '--site', SITE], {
    MALLARD_DATA_DIR: dataDir,
    MALLARD_HOST: '127.0.0.1',
    MALLARD_PORT: String(await freePort()),
    MALLARD_SECRET: 'test-secret-0123456789abcdef',
    ...(await storageEnv(dataDir)),
  });
  expect(run.code, run.stderr).toBe(0);

  [server, browser] = await Promise.all([startServer({ dataDir }), launchBrowser()]);
  page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  await page.goto(server.url);
  await page.getByLabel('Password').fill(ADMIN_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('link', { name: SITE, exact: true }).waitFor();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
  removeScratchDirs();
});

describe('imported data in the dashboard', () => {
  it('the top stats include the imported days, and say so', async () => {
    await page.goto(`${server.url}/sites/${SITE}?${RANGE}`);
    await expect.poll(() => stat('unique_visitors')).toBe('17');
    expect([await stat('visits'), await stat('total_pageviews')]).toEqual(['20', '41']);
    expect(await note()).toBe(`Includes imported data (Plausible, ${BEFORE} – ${DAY})`);
    await shoot(page, 'imports-top-stats');
  });

  it('filters no one imported table answers show the site’s own numbers and why', async () => {
    const filters = encodeURIComponent(
      JSON.stringify([
        ['is', 'event:page', ['/']],
        ['is', 'visit:browser', ['Chrome']],
      ]),
    );
    await page.goto(`${server.url}/sites/${SITE}?${RANGE}&filters=${filters}`);
    await expect.poll(() => stat('unique_visitors')).toBe('2');
    expect(await note()).toBe('Imported data is not included: it cannot be filtered, or has no table for this breakdown.');
  });

  it('the site settings list the import; deleting it brings the site’s own numbers back', async () => {
    await page.goto(`${server.url}/sites/${SITE}/settings`);
    const card = page.locator('section[aria-labelledby="imports-title"]');
    await card.locator('.import-name').waitFor();
    expect(await card.locator('.import-list li .import-name').allTextContents()).toEqual([`Plausible, ${BEFORE} – ${DAY}`]);
    expect(await card.locator('.import-list li .muted').allTextContents()).toEqual(['2 rows from 1 files']);
    await shoot(page, 'imports-settings');
    await card.getByRole('button', { name: 'Delete' }).click();
    await card.getByRole('button', { name: 'Yes, delete' }).click();
    await card.getByText('No imported data.').waitFor();

    await page.goto(`${server.url}/sites/${SITE}?${RANGE}`);
    await expect.poll(() => stat('unique_visitors')).toBe('2');
    expect([await stat('visits'), await stat('total_pageviews')]).toEqual(['2', '3']);
    expect(await page.locator('.imports-note').count()).toBe(0);
    expect(problems).toEqual([]);
  });
});
