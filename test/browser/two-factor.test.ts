/**
 * Two-factor sign-in in the dashboard, in a real browser (Debian's headless Chromium) against
 * the real server: the Account page shows the QR code and key, a code computed here (RFC
 * 6238, test/helpers/totp.ts) turns it on and the ten recovery codes are shown; after signing
 * out, the sign-in form asks for the code, and with it opens the dashboard.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shoot } from '../helpers/browser.js';
import { ADMIN_PASSWORD, type RunningServer } from '../helpers/server.js';
import { openSitePage, type SitePage } from '../helpers/site-page.js';
import { stepNow, totpAt } from '../helpers/totp.js';

const SITE = 'two-factor-ui.test';

let server: RunningServer;
let ui: SitePage;
let page: Page;
let problems: string[] = [];
let secret = '';

beforeAll(async () => {
  // The sign-in that stops at "code needed" is a 401 this test provokes.
  ui = await openSitePage(SITE, 401);
  ({ server, page, problems } = ui);
});

afterAll(async () => {
  await ui?.close();
});

describe('two-factor sign-in in the dashboard', () => {
  it('is set up on the Account page with the QR code, a code from the key, and recovery codes shown once', async () => {
    await ui.signIn();
    await page.goto(`${server.url}/account`);
    const card = page.locator('section[aria-labelledby="two-factor-title"]');
    await card.getByText('Off: your password alone signs you in.').waitFor();
    await card.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    const key = card.locator('[data-secret]');
    await key.waitFor();
    secret = (await key.getAttribute('data-secret')) ?? '';
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(await card.locator('img.qr').getAttribute('src')).toMatch(/^data:image\/svg\+xml;base64,/);
    // The QR code is a real image the browser decoded.
    expect(await card.locator('img.qr').evaluate((img: HTMLImageElement) => img.naturalWidth > 0)).toBe(true);

    await card.getByLabel('Code from the app').fill(totpAt(secret, stepNow()));
    await card.getByRole('button', { name: 'Turn on' }).click();
    await card.getByRole('status').waitFor();
    const codes = await card.locator('.recovery-codes code').allTextContents();
    expect(codes).toHaveLength(10);
    for (const c of codes) expect(c).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/);
    await shoot(page, 'two-factor-recovery-codes');
  });

  it('asks for the code at the next sign-in, and opens the dashboard with it', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    // The account page may still be on screen for a moment: its password fields match 'Password' too.
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Password', { exact: true }).fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const code = page.getByLabel('Authentication code');
    await code.waitFor();
    expect(
      await page.getByText('Enter the 6-digit code from your authenticator app, or one of your recovery codes.').count(),
    ).toBe(1);
    // The step after the one that turned it on: each code signs in once.
    await code.fill(totpAt(secret, stepNow() + 1));
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in where it signed out: the Account page, with two-factor sign-in on.
    await page.getByText('Two-factor sign-in is on', { exact: false }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    expect(problems).toEqual([]);
  });
});
