/**
 * Time on page and scroll depth in the Top pages panel, in a real browser against the real
 * server. Traffic of eng-ui.test on DAY (three days ago, UTC), through POST /api/events:
 *   V1 pv /, engagement / 95 s 80 %      V2 pv /, engagement / 25 s 40 %, pv /pricing
 *   V3 pv /docs, engagement /docs 7 s (no scroll depth)
 * Pages: / 2 visitors · 2 views · (95 + 25) / 2 = 60 s → "1m 00s" · (80 + 40) / 2 = 60 %;
 * /docs 1 · 1 · 7 s → "7s" · no depth "–"; /pricing 1 · 1 · "–" · "–".
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../helpers/server.js';
import { openSitePage, type SitePage } from '../helpers/site-page.js';
import { loadBatch, UA } from '../integration/support.js';

const SITE = 'eng-ui.test';
const DAY = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
const RANGE = `period=custom&from=${DAY}&to=${DAY}`;

let server: RunningServer;
let ui: SitePage;
let page: Page;

beforeAll(async () => {
  ui = await openSitePage(SITE, 0);
  ({ server, page } = ui);
  const at = (secs: number) => new Date(Date.parse(`${DAY}T10:00:00Z`) + secs * 1000).toISOString();
  const ev = (ip: string, secs: number, path: string, n = 'pageview', extra: { e?: number; sd?: number } = {}) => ({
    d: SITE,
    n,
    u: `https://${SITE}${path}`,
    ip,
    user_agent: UA.chromeWindows,
    timestamp: at(secs),
    ...extra,
  });
  await loadBatch(server.url, ui.adminKey, [
    ev('10.3.0.1', 0, '/'),
    ev('10.3.0.1', 100, '/', 'engagement', { e: 95_000, sd: 80 }),
    ev('10.3.0.2', 0, '/'),
    ev('10.3.0.2', 30, '/', 'engagement', { e: 25_000, sd: 40 }),
    ev('10.3.0.2', 60, '/pricing'),
    ev('10.3.0.3', 0, '/docs'),
    ev('10.3.0.3', 10, '/docs', 'engagement', { e: 7_000 }),
  ]);
});

afterAll(async () => {
  await ui?.close();
});

describe('engagement in the dashboard', () => {
  it('the Top pages panel shows each page’s time on page and scroll depth', async () => {
    await ui.signIn();
    await page.goto(`${server.url}/sites/${SITE}?${RANGE}`);
    const rows = () =>
      page.$$eval('[data-panel="pages"] .rows .row', (rows) =>
        rows.map((r) => [...r.querySelectorAll('.row-label, .num')].map((c) => c.textContent ?? '')),
      );
    await expect.poll(rows).toEqual([
      ['/', '2', '2', '1m 00s', '60%'],
      ['/docs', '1', '1', '7s', '–'],
      ['/pricing', '1', '1', '–', '–'],
    ]);
    const head = await page.$$eval('[data-panel="pages"] .row-head span', (s) => s.map((c) => c.textContent ?? ''));
    expect(head).toEqual(['Page', 'Visitors', 'Pageviews', 'Time on page', 'Scroll depth']);
    expect(ui.problems).toEqual([]);
  });
});
