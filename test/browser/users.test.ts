/**
 * Users and invitations in a real browser (Debian's headless Chromium) against the real
 * server: the super-admin signs in with the admin password alone, creates and removes a user
 * on the Users page, invites a viewer from the Members card of a site's settings and copies
 * the link; a fresh browser opens the link, chooses a password and lands on that site's
 * dashboard, where the viewer sees the numbers (two visitors, loaded through the API) but no
 * Settings tab, and the settings page tells them their role allows no changes. The owner
 * then makes the viewer an admin from the same card. Console errors, CSP violations and
 * uncaught exceptions fail the test.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, shoot, watchProblems } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { apiRequest, loadBatch, UA } from '../integration/support.js';

const SITE = 'team.test';
const VIEWER = 'viewer@team.test';
const VIEWER_PASSWORD = 'viewer password 1';

let server: RunningServer;
let browser: Browser;
let adminContext: BrowserContext;
let guestContext: BrowserContext | undefined;
let page: Page;
let adminKey = '';
let invitation = '';
const problems: string[] = [];

const watch = (p: Page) => watchProblems(p, problems);

/** One request as the admin key. */
const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, method, path, { key: adminKey }, body);

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer(), launchBrowser()]);
  adminKey = await createKey(server.url, await login(server.url), 'admin');
  expect((await api('POST', '/api/sites', { id: SITE })).status).toBe(201);
  const at = new Date(Date.now() - 3_600_000).toISOString();
  await loadBatch(server.url, adminKey, [
    { d: SITE, n: 'pageview', u: `https://${SITE}/`, ip: '10.2.0.1', user_agent: UA.chromeWindows, timestamp: at },
    { d: SITE, n: 'pageview', u: `https://${SITE}/`, ip: '10.2.0.2', user_agent: UA.chromeWindows, timestamp: at },
  ]);
  adminContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = watch(await adminContext.newPage());
});

afterAll(async () => {
  await guestContext?.close();
  await adminContext?.close();
  await browser?.close();
  await server?.stop();
});

describe('users, members and invitations in Chromium', () => {
  it('signs the super-admin in with the admin password alone', async () => {
    await page.goto(server.url);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: SITE, exact: true }).waitFor();
    await page.getByRole('link', { name: 'Users', exact: true }).waitFor();
  });

  it('creates and removes a user on the Users page', async () => {
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    await page.getByLabel('E-mail').fill('temp@team.test');
    await page.getByLabel('Password').fill('temporary pw 1');
    await page.getByRole('button', { name: 'Create user' }).click();
    const emails = () => page.locator('.user-list .user-email').allTextContents();
    await expect.poll(emails).toEqual(['Admin (password only)', 'temp@team.test']);
    await shoot(page, 'users');
    await page.locator('.user-list li', { hasText: 'temp@team.test' }).getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('button', { name: 'Yes, remove' }).click();
    await expect.poll(emails).toEqual(['Admin (password only)']);
    expect(((await api('GET', '/api/users')).json as { email: string | null }[]).map((u) => u.email)).toEqual([null]);
  });

  it('invites a viewer from the Members card and shows the link to copy', async () => {
    await page.goto(`${server.url}/sites/${SITE}/settings`);
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Members' }) });
    await card.getByLabel('Invite by e-mail').fill(VIEWER);
    await card.getByLabel('Role', { exact: true }).selectOption('viewer');
    await card.getByRole('button', { name: 'Invite' }).click();
    const link = card.locator('a.invitation-url');
    await link.waitFor();
    invitation = (await link.textContent()) ?? '';
    expect(invitation).toMatch(new RegExp(`^${server.url}/invitations/[A-Za-z0-9_-]{43}$`));
    await shoot(page, 'members-invite');
  });

  it('opens the link in a fresh browser, sets a password and lands on the site, with no settings to change', async () => {
    guestContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const guest = watch(await guestContext.newPage());
    await guest.goto(invitation);
    await guest.getByRole('heading', { name: `Join ${SITE}` }).waitFor();
    await guest.getByText(`You are invited to ${SITE} as viewer, with the address ${VIEWER}.`).waitFor();
    await guest.getByLabel('Choose a password (at least 8 characters)').fill(VIEWER_PASSWORD);
    await guest.getByRole('button', { name: `Accept and open ${SITE}` }).click();
    await guest.waitForURL(`${server.url}/sites/${SITE}`);
    await expect
      .poll(() => guest.locator('[data-stat="unique_visitors"] .stat-value').textContent(), { timeout: 10_000 })
      .toBe('2');
    // The tabs follow the caller's roles (GET /api/auth/me), which may answer after the stats.
    await expect.poll(() => guest.locator('nav.tabs a').allTextContents()).toEqual(['Overview', 'Behavior']);
    expect(await guest.locator('nav.topnav a').allTextContents()).toEqual(['Sites', 'API keys', 'Account']);
    await shoot(guest, 'viewer-dashboard');

    await guest.goto(`${server.url}/sites/${SITE}/settings`);
    await guest
      .getByText(
        `You are a viewer of ${SITE}: you can see its stats, but not change its settings. Ask an owner for another role.`,
      )
      .waitFor();
    expect(await guest.locator('input, select, textarea').count()).toBe(1); // the site picker only
    expect(await guest.getByRole('button', { name: 'Save settings' }).count()).toBe(0);

    // The link was for one use.
    const again = await guestContext.newPage();
    watch(again);
    problems.length = 0;
    await again.goto(invitation);
    await again.getByText('This invitation was already used; ask for a new one.').waitFor();
    expect(problems.filter((p) => !p.includes('410'))).toEqual([]);
    problems.length = 0;
  });

  it("lists the new member for the owner, who changes the viewer's role to admin", async () => {
    await page.reload();
    const card = page.locator('section', { has: page.getByRole('heading', { name: 'Members' }) });
    await expect.poll(() => card.locator('.member-email').allTextContents()).toEqual([VIEWER]);
    await card.getByLabel(`Role of ${VIEWER}`).selectOption('admin');
    const roles = async () =>
      ((await api('GET', `/api/sites/${SITE}/members`)).json as { email: string; role: string }[]).map((m) => [m.email, m.role]);
    await expect.poll(roles).toEqual([[VIEWER, 'admin']]);
  });

  it('logged no console errors, CSP violations or uncaught exceptions', () => {
    expect(problems).toEqual([]);
  });
});
