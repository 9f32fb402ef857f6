/**
 * Goals in the dashboard, in a real browser (Debian's headless Chromium) against the real
 * server: a site's settings add an event goal with a display name and currency and a page
 * goal with a wildcard (a bad one is refused with the server's message), the Goals panel
 * then counts those goals instead of every custom event, a click on a goal filters the
 * dashboard by it, and removing the goals brings the old rule back.
 *
 * Traffic of goals-ui.test on DAY (three days ago, UTC), through POST /api/events:
 *   V1 /, /blog/a, Signup        V2 /blog/b, /pricing        V3 /, Download, Signup
 *   V4 /about
 * Without goals: Signup V1 V3 (2 visitors, 2 events, 2 of 4 = 50 %), Download V3 (1, 1, 25 %).
 * Goals "Sign up" (event Signup, EUR) and "Visit /blog/*": Sign up 2 · 2 · 50 %, Visit /blog/*
 * V1 V2 2 · 2 · 50 % (ties by name). Filtered to Visit /blog/*: visitors V1 V2 (2).
 * The Signups carry 10 and 2.50 EUR: the Goals panel's revenue column shows €12.50 for Sign up
 * (a dash for the page goal), and no revenue column without revenue goals; filtered to Sign up,
 * the top stats add Total revenue €12.50 and Average revenue €6.25, and the Sources panel a
 * Revenue column (Direct / None: €12.50). A funnel Visit /blog/*
 * → Sign up: V1 and V2, then V1 (2 → 1).
 */
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ARTIFACTS, shoot } from '../helpers/browser.js';
import type { RunningServer } from '../helpers/server.js';
import { openSitePage, type SitePage } from '../helpers/site-page.js';
import { loadBatch, UA } from '../integration/support.js';

const SITE = 'goals-ui.test';
const DAY = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
const RANGE = `period=custom&from=${DAY}&to=${DAY}`;

let server: RunningServer;
let ui: SitePage;
let page: Page;
let adminKey = '';
let problems: string[] = [];

const panelRows = () =>
  page.$$eval('[data-panel="goals"] .rows .row', (rows) =>
    rows.map((r) => [...r.querySelectorAll('.row-label, .num')].map((c) => c.textContent ?? '')),
  );
const goalRows = (rows: string[][]) => expect.poll(panelRows, { timeout: 10_000 }).toEqual(rows);

async function goalsOfSite(): Promise<unknown> {
  const res = await fetch(`${server.url}/api/sites/${SITE}/goals`, { headers: { authorization: `Bearer ${adminKey}` } });
  return res.json();
}

beforeAll(async () => {
  mkdirSync(DASHBOARD_ARTIFACTS, { recursive: true });
  // The refused goal below is the one failed request this test provokes (a 400).
  ui = await openSitePage(SITE, 400);
  ({ server, page, adminKey, problems } = ui);
  const at = (secs: number) => new Date(Date.parse(`${DAY}T10:00:00Z`) + secs * 1000).toISOString();
  const ev = (ip: string, secs: number, path: string, n = 'pageview', amount?: string) => ({
    d: SITE,
    n,
    u: `https://${SITE}${path}`,
    revenue: amount === undefined ? undefined : { amount, currency: 'EUR' },
    ip,
    user_agent: UA.chromeWindows,
    timestamp: at(secs),
  });
  await loadBatch(server.url, adminKey, [
    ev('10.2.0.1', 0, '/'),
    ev('10.2.0.1', 30, '/blog/a'),
    ev('10.2.0.1', 60, '/blog/a', 'Signup', '10'),
    ev('10.2.0.2', 0, '/blog/b'),
    ev('10.2.0.2', 30, '/pricing'),
    ev('10.2.0.3', 0, '/'),
    ev('10.2.0.3', 30, '/', 'Download'),
    ev('10.2.0.3', 60, '/', 'Signup', '2.5'),
    ev('10.2.0.4', 0, '/about'),
  ]);
});

afterAll(async () => {
  await ui?.close();
});

describe('goals in the dashboard', () => {
  it('before any goal, the Goals panel counts every custom event', async () => {
    await ui.signIn();
    await page.goto(`${server.url}/sites/${SITE}?${RANGE}`);
    await goalRows([
      ['Signup', '2', '2', '50%'],
      ['Download', '1', '1', '25%'],
    ]);
  });

  it('adds goals in the site settings; a bad one is refused with the reason', async () => {
    await page.goto(`${server.url}/sites/${SITE}/settings`);
    const card = page.locator('section[aria-labelledby="goals-title"]');
    await card.getByText('No goals: every custom event counts as one.').waitFor();

    await card.getByLabel('Event name').fill('Signup');
    await card.getByLabel('Display name').fill('Sign up');
    await card.getByLabel('Revenue currency').fill('eur');
    await card.getByRole('button', { name: 'Add goal' }).click();
    await card.locator('.goal-list .goal-name', { hasText: 'Sign up' }).waitFor();

    await card.getByLabel('Page visit').check();
    await card.getByLabel('Page path').fill('blog/*');
    await card.getByRole('button', { name: 'Add goal' }).click();
    await card.getByText('page_path: must start with /').waitFor();
    await card.getByLabel('Page path').fill('/blog/*');
    await card.getByRole('button', { name: 'Add goal' }).click();
    await card.locator('.goal-list .goal-name', { hasText: 'Visit /blog/*' }).waitFor();

    expect(await card.locator('.goal-list li .muted').allTextContents()).toEqual([
      'event Signup · revenue in EUR',
      'page views of /blog/*',
    ]);
    expect(await goalsOfSite()).toEqual([
      expect.objectContaining({ event_name: 'Signup', page_path: null, display_name: 'Sign up', currency: 'EUR' }),
      expect.objectContaining({ event_name: null, page_path: '/blog/*', display_name: 'Visit /blog/*', currency: null }),
    ]);
    await shoot(page, 'goals-settings');
  });

  it('the Goals panel counts the configured goals with revenue, and a click filters by one', async () => {
    await page.goto(`${server.url}/sites/${SITE}?${RANGE}`);
    await goalRows([
      ['Sign up', '2', '2', '50%', '€12.50'],
      ['Visit /blog/*', '2', '2', '50%', '–'],
    ]);
    expect(await page.locator('[data-panel="goals"] .row-head span').allTextContents()).toEqual([
      'Goal',
      'Visitors',
      'Events',
      'CR',
      'Revenue',
    ]);
    await shoot(page, 'goals-panel');
    await page.locator('[data-panel="goals"] .row', { hasText: 'Visit /blog/*' }).locator('.row-label').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('filters')).toContain('Visit /blog/*');
    await goalRows([['Visit /blog/*', '2', '2', '50%']]);
  });

  it('filtered to the revenue goal, the top stats show its revenue', async () => {
    const filters = encodeURIComponent(JSON.stringify([['is', 'event:goal', ['Sign up']]]));
    await page.goto(`${server.url}/sites/${SITE}?${RANGE}&filters=${filters}`);
    const stat = (key: string) => page.locator(`[data-stat="${key}"] .stat-value`);
    await expect.poll(() => stat('total_revenue').textContent()).toBe('€12.50');
    expect(await stat('average_revenue').textContent()).toBe('€6.25');
    expect(await page.locator('[data-stat="total_revenue"] dt').textContent()).toBe('Total revenue');
    // Every other panel so filtered carries the revenue of its rows: both Signups came direct.
    const sources = () =>
      page.$$eval('[data-panel="sources"] .rows .row', (rows) =>
        rows.map((r) => [...r.querySelectorAll('.row-label, .num')].map((c) => c.textContent?.trim() ?? '')),
      );
    await expect.poll(sources).toEqual([['Direct / None', '2', '100%', '€12.50']]);
    expect(await page.locator('[data-panel="sources"] .row-head span').allTextContents()).toContain('Revenue');
    await shoot(page, 'goals-revenue-headline');
  });

  it('the funnel builder takes goals as steps, suggesting their names', async () => {
    await page.goto(`${server.url}/sites/${SITE}/behavior?${RANGE}`);
    const funnel = page.locator('[data-section="funnel"]');
    await expect
      .poll(() => page.locator('#funnel-goals option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value)))
      .toEqual(['Sign up', 'Visit /blog/*']);
    for (const [i, goal] of ['Visit /blog/*', 'Sign up'].entries()) {
      await funnel.locator(`select[name="funnel-kind-${i}"]`).selectOption('goal');
      await funnel.locator(`input[name="funnel-step-${i}"]`).fill(goal);
    }
    await funnel.getByRole('button', { name: 'Show funnel' }).click();
    // V1 and V2 saw /blog/*; only V1 signed up after it (V3 signed up without the blog).
    await expect
      .poll(() => funnel.locator('.funnel-step .funnel-visitors').allTextContents(), { timeout: 10_000 })
      .toEqual(['2', '1']);
    expect(await funnel.locator('.funnel-step').first().textContent()).toContain('Goal: Visit /blog/*');
  });

  it('removing the goals brings every custom event back', async () => {
    await page.goto(`${server.url}/sites/${SITE}/settings`);
    const card = page.locator('section[aria-labelledby="goals-title"]');
    for (const name of ['Sign up', 'Visit /blog/*']) {
      const item = card.locator('.goal-list li', { hasText: name });
      await item.getByRole('button', { name: 'Remove' }).click();
      await item.getByRole('button', { name: 'Yes, remove' }).click();
      await item.waitFor({ state: 'detached' });
    }
    expect(await goalsOfSite()).toEqual([]);
    await page.goto(`${server.url}/sites/${SITE}?${RANGE}`);
    await goalRows([
      ['Signup', '2', '2', '50%'],
      ['Download', '1', '1', '25%'],
    ]);
    expect(problems).toEqual([]);
  });
});
