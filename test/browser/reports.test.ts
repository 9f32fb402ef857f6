/**
 * A site's reports and alerts edited in the dashboard, in a real browser (Debian's headless
 * Chromium) against the real server and a real SMTP server on loopback: a bad address is
 * refused with the server's message and nothing is saved; good settings are saved and shown
 * back as the server normalized them (lower case, no duplicates); a test report goes to the
 * address typed, and the mailbox receives it. The scheduler's own sending is
 * test/integration/reports.test.ts's.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shoot } from '../helpers/browser.js';
import { type Mailbox, startMailbox } from '../helpers/mailbox.js';
import type { RunningServer } from '../helpers/server.js';
import { openSitePage, type SitePage } from '../helpers/site-page.js';

const SITE = 'reports-ui.test';
const DAY = 86_400_000;

let server: RunningServer;
let ui: SitePage;
let page: Page;
let adminKey = '';
let problems: string[] = [];
let mailbox: Mailbox;

async function settingsOfSite(): Promise<unknown> {
  const res = await fetch(`${server.url}/api/sites/${SITE}`, { headers: { authorization: `Bearer ${adminKey}` } });
  const site = (await res.json()) as { reports: unknown; alerts: unknown };
  return { reports: site.reports, alerts: site.alerts };
}

beforeAll(async () => {
  mailbox = await startMailbox();
  // The refused save below is the one failed request this test provokes (a 400). The
  // scheduler looks once a day: only the test report is sent while this test runs.
  ui = await openSitePage(SITE, 400, { MALLARD_SMTP_URL: mailbox.url, MALLARD_NOTIFY_INTERVAL: '86400' });
  ({ server, page, adminKey, problems } = ui);
});

afterAll(async () => {
  await ui?.close();
  await mailbox?.close();
});

describe('reports and alerts in the dashboard', () => {
  it('refuses a bad address, saves good settings as the server normalizes them', async () => {
    await ui.signIn();
    await page.goto(`${server.url}/sites/${SITE}/settings`);
    const card = page.locator('section[aria-labelledby="reports-title"]');
    const box = (name: string) => card.locator(`[name="${name}"]`);
    const none = { reports: { weekly: [], monthly: [] }, alerts: { spike_visitors: null, drop_visitors: null, emails: [] } };

    await box('reports-weekly').fill('owner@example.com\nnot an address');
    await card.getByRole('button', { name: 'Save reports and alerts' }).click();
    await card.getByText('reports.weekly[1]: not an e-mail address').waitFor();
    expect(await settingsOfSite()).toEqual(none);

    await box('reports-weekly').fill('Owner@Example.com\nowner@example.com');
    await box('reports-monthly').fill('boss@example.com');
    await box('alerts-spike').fill('250');
    await box('alerts-emails').fill('ops@example.com');
    await card.getByRole('button', { name: 'Save reports and alerts' }).click();
    await card.locator('.ok', { hasText: 'Saved.' }).waitFor();
    expect(await settingsOfSite()).toEqual({
      reports: { weekly: ['owner@example.com'], monthly: ['boss@example.com'] },
      alerts: { spike_visitors: 250, drop_visitors: null, emails: ['ops@example.com'] },
    });
    expect(await box('reports-weekly').inputValue()).toBe('owner@example.com');

    await page.reload();
    await box('alerts-spike').waitFor();
    expect(await box('alerts-spike').inputValue()).toBe('250');
    expect(await box('alerts-drop').inputValue()).toBe('');
  });

  it('sends a test report to the address typed', async () => {
    const card = page.locator('section[aria-labelledby="reports-title"]');
    await card.locator('[name="reports-test"]').fill('me@example.com');
    await card.getByRole('button', { name: 'Send now' }).click();
    await card.locator('.ok', { hasText: "Sent last week's report to me@example.com." }).waitFor();
    await card.scrollIntoViewIfNeeded();
    await shoot(page, 'reports-card');
    // The last whole ISO week, computed here from today's date (UTC: the site has no time zone).
    const today = Math.floor(Date.now() / DAY) * DAY;
    const monday = today - ((new Date(today).getUTCDay() + 6) % 7) * DAY;
    const day = (t: number) => new Date(t).toISOString().slice(0, 10);
    expect(mailbox.sentTo('me@example.com').map((m) => m.subject)).toEqual([
      `Weekly report for ${SITE}: ${day(monday - 7 * DAY)} – ${day(monday - DAY)}`,
    ]);
    expect(problems).toEqual([]);
  });
});
