/**
 * The dashboard's settings and analysis tools in a real browser (Debian's headless Chromium)
 * against the real server (built dist/main.js): a site's time zone, rate limit and signing
 * secret (read back through GET /api/sites/:id, and the secret shown once proven by signing
 * a batch with it), funnel modes (strict order and strict deduplication give other numbers
 * than the default), the custom property keys of the period (a click opens a key's values),
 * and the password change (wrong current password, the lockout's wait, other sessions
 * signed out, the old password refused and the new one accepted).
 *
 * The server locks an address out after 2 wrong passwords for 3 seconds
 * (MALLARD_LOGIN_MAX_FAILURES, MALLARD_LOGIN_LOCKOUT_SECS), so the lockout is seen and waited
 * out. The tests share one signed-in page and run in order. Console errors, CSP violations
 * and uncaught exceptions are recorded; the only ones allowed are the failed requests the
 * test provokes on purpose, counted exactly.
 *
 * Traffic of shop.test on DAY (three days ago, UTC), through POST /api/events:
 *   P1 10:00:00 /, 10:01:00 /pricing, 10:02:00 Signup on /pricing {plan: pro, source: ad}
 *   P2 10:00:00 /, 10:00:30 /about, 10:01:00 /pricing, 10:02:00 Signup on /pricing {plan: free}
 *   P3 10:00:00 /, 10:01:00 /pricing {variant: B}
 *   P4 10:00:00 /, 10:00:30 /blog
 * Funnel / → /pricing → Signup (window 1 day), worked out with docs/BEHAVIORAL.md §3:
 *   default: P1 3, P2 3 (/about is no step, ignored), P3 2, P4 1 → 4, 3, 2
 *     (drop-off 1 = 25 %, 1 = 33.3 %);
 *   strict_order: P2 and P4 stop at their second page (/about, /blog match no step) → P1 3,
 *     P2 1, P3 2, P4 1 → 4, 2, 1 (drop-off 2 = 50 %, 1 = 50 %); with allow_reentry the same
 *     (a row matching no step still stops);
 *   strict_deduplication: the Signup on /pricing matches step 2 again (before step 3 in the
 *     same second), which stops P1 and P2 at 2 → 4, 3, 0 (drop-off 1 = 25 %, 3 = 100 %).
 * Property keys: plan (P1, P2) 2 events, source (P1) 1, variant (P3) 1. By plan: (none) is
 * every visitor's page views, 4 of 4 = 100 %; free (P2) and pro (P1) 1 = 25 % each.
 * Filtered to plan = pro only P1's Signup is left: keys plan 1, source 1; source: ad 100 %.
 */
import { createHmac } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DASHBOARD_ARTIFACTS, launchBrowser, shoot, shootPhone } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { loadBatch, sendBatch, UA } from '../integration/support.js';

const SHOP = 'shop.test';
const SETTINGS = 'settings.test';
const NEW_PASSWORD = 'a much better passphrase';
const DAY = new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10);
const RANGE = `period=custom&from=${DAY}&to=${DAY}`;

let server: RunningServer;
let browser: Browser;
let admin: BrowserContext;
let page: Page;
let adminKey = '';
/** Console errors and uncaught exceptions of every dashboard page. */
const problems: string[] = [];
/** Failed requests the tests provoke on purpose ("<path> <status>" → how many are still expected). */
const expected = new Map<string, number>();
const expect1 = (what: string) => expected.set(what, (expected.get(what) ?? 0) + 1);

function watch(p: Page): Page {
  p.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const where = msg.location().url;
    const status = /status of (\d{3})/.exec(msg.text())?.[1];
    const key = `${where ? new URL(where).pathname : ''} ${status}`;
    const left = expected.get(key) ?? 0;
    if (status && left > 0) {
      expected.set(key, left - 1);
      return;
    }
    problems.push(`console: ${msg.text()} (${where})`);
  });
  p.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return p;
}

/** GET /api/sites/:id with the admin key. */
async function siteJson(id: string): Promise<unknown> {
  const res = await fetch(`${server.url}/api/sites/${id}`, { headers: { authorization: `Bearer ${adminKey}` } });
  expect(res.status).toBe(200);
  return res.json();
}

/** The visible rows of a breakdown panel: [label, numbers…]. */
function panelRows(panel: string, p: Page = page) {
  return p.$$eval(`[data-panel="${panel}"] .rows .row`, (rows) =>
    rows.map((r) => [...r.querySelectorAll('.row-label, .num')].map((c) => c.textContent ?? '')),
  );
}
const rowsOf = (panel: string, rows: string[][]) => expect.poll(() => panelRows(panel), { timeout: 10_000 }).toEqual(rows);

beforeAll(async () => {
  mkdirSync(DASHBOARD_ARTIFACTS, { recursive: true });
  [server, browser] = await Promise.all([
    startServer({ env: { MALLARD_LOGIN_MAX_FAILURES: '2', MALLARD_LOGIN_LOCKOUT_SECS: '3' } }),
    launchBrowser(),
  ]);
  const cookie = await login(server.url);
  adminKey = await createKey(server.url, cookie, 'admin');
  // Only the browsers' sessions stay open (the password change counts the others it ends).
  const out = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie, origin: server.url } });
  expect(out.status).toBe(200);
  for (const id of [SETTINGS, SHOP]) {
    const res = await fetch(`${server.url}/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
    });
    expect(res.status).toBe(201);
  }
  const at = (secs: number) => new Date(Date.parse(`${DAY}T10:00:00Z`) + secs * 1000).toISOString();
  const ev = (ip: string, secs: number, path: string, n = 'pageview', p?: Record<string, string>) => ({
    d: SHOP,
    n,
    u: `https://${SHOP}${path}`,
    p,
    w: 1280,
    ip,
    user_agent: UA.chromeWindows,
    timestamp: at(secs),
  });
  await loadBatch(server.url, adminKey, [
    ev('10.1.0.1', 0, '/'),
    ev('10.1.0.1', 60, '/pricing'),
    ev('10.1.0.1', 120, '/pricing', 'Signup', { plan: 'pro', source: 'ad' }),
    ev('10.1.0.2', 0, '/'),
    ev('10.1.0.2', 30, '/about'),
    ev('10.1.0.2', 60, '/pricing'),
    ev('10.1.0.2', 120, '/pricing', 'Signup', { plan: 'free' }),
    ev('10.1.0.3', 0, '/'),
    ev('10.1.0.3', 60, '/pricing', 'pageview', { variant: 'B' }),
    ev('10.1.0.4', 0, '/'),
    ev('10.1.0.4', 30, '/blog'),
  ]);
  admin = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  page = watch(await admin.newPage());
});

afterAll(async () => {
  await admin?.close();
  await browser?.close();
  await server?.stop();
});

describe('dashboard settings and tools in Chromium', () => {
  it('signs in', async () => {
    await page.goto(server.url);
    await page.getByLabel('Password').fill(ADMIN_PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: SHOP, exact: true }).waitFor();
    expect(await page.locator('.site-list .site-name').allTextContents()).toEqual([SETTINGS, SHOP]);
  });

  it("edits a site's time zone and rate limit; the API returns exactly what was saved", async () => {
    await page.getByRole('link', { name: `Settings of ${SETTINGS}` }).click();
    const tz = page.locator('select[name="timezone"]');
    const rate = page.locator('input[name="rate-limit"]');
    await tz.waitFor();
    // Defaults: UTC, unlimited.
    expect(await tz.inputValue()).toBe('');
    expect(await tz.locator('option').first().textContent()).toBe('UTC (default)');
    const zones = await tz.locator('option').evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(zones.length).toBeGreaterThan(300); // the browser's own list (Intl.supportedValuesOf)
    expect(zones).toContain('Europe/Berlin');
    expect(zones).toContain('America/New_York');
    expect(await rate.inputValue()).toBe('');
    expect(await rate.getAttribute('placeholder')).toBe('Unlimited');

    await tz.selectOption('Asia/Tokyo');
    await rate.fill('12.5');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page
      .getByText('The rate limit must be a whole number from 1 to 100,000, or empty for unlimited.', { exact: true })
      .waitFor();
    // Nothing was sent: the site is unchanged.
    expect(await siteJson(SETTINGS)).toMatchObject({ timezone: null, rate_limit: null });

    await rate.fill('250');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('[aria-labelledby="options-title"] .ok', { hasText: 'Saved.' }).waitFor();
    expect(await siteJson(SETTINGS)).toEqual({
      id: SETTINGS,
      origins: [],
      timezone: 'Asia/Tokyo',
      rate_limit: 250,
      signing_secret_set: false,
      shields: { ips: [], countries: [], pages: [], hostnames: [] },
      reports: { weekly: [], monthly: [] },
      alerts: { spike_visitors: null, drop_visitors: null, emails: [] },
      demo: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });

    // A reload reads the saved values back into the form.
    await page.reload();
    await tz.waitFor();
    expect(await tz.inputValue()).toBe('Asia/Tokyo');
    expect(await rate.inputValue()).toBe('250');
  });

  it('generates a signing secret, shows it once, and batches must then be signed with it', async () => {
    const card = page.locator('section[aria-labelledby="secret-title"]');
    await card.getByText('No signing secret: batches need no signature.').waitFor();
    await card.getByRole('button', { name: 'Generate a secret' }).click();
    const secret = (await card.locator('.new-secret').textContent()) ?? '';
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 random bits, base64url
    await card.getByText('A signing secret is set.').waitFor();
    expect(await siteJson(SETTINGS)).toEqual({
      id: SETTINGS,
      origins: [],
      timezone: 'Asia/Tokyo',
      rate_limit: 250,
      signing_secret_set: true,
      shields: { ips: [], countries: [], pages: [], hostnames: [] },
      reports: { weekly: [], monthly: [] },
      alerts: { spike_visitors: null, drop_visitors: null, emails: [] },
      demo: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    await shoot(page, 'desktop-site-options');
    await shootPhone(page, 'phone-site-options');

    // The secret on screen is the stored one: a batch signed with it is accepted, an unsigned one refused.
    const body = JSON.stringify([
      { d: SETTINGS, n: 'pageview', u: `https://${SETTINGS}/`, ip: '10.2.0.1', user_agent: UA.chromeWindows },
    ]);
    const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
    const unsigned = await sendBatch(server.url, adminKey, body);
    expect([unsigned.status, unsigned.json]).toEqual([401, { error: 'X-Mallard-Signature: missing' }]);
    const signed = await sendBatch(server.url, adminKey, body, { 'x-mallard-signature': signature });
    expect([signed.status, signed.json]).toEqual([200, { accepted: 1, rejected: 0, errors: [] }]);

    // Shown once: after a reload it is gone; the page only knows that one is set.
    await page.reload();
    await card.getByText('A signing secret is set.').waitFor();
    expect(await card.locator('.new-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // Replacing it makes a new one (the old signature no longer matches)…
    await card.getByRole('button', { name: 'Replace secret' }).click();
    await card.getByRole('button', { name: 'Yes, replace secret' }).click();
    const second = (await card.locator('.new-secret').textContent()) ?? '';
    expect(second).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second).not.toBe(secret);
    const body2 = body.replace('10.2.0.1', '10.2.0.2');
    const old = await sendBatch(server.url, adminKey, body2, {
      'x-mallard-signature': `sha256=${createHmac('sha256', secret).update(body2).digest('hex')}`,
    });
    expect([old.status, old.json]).toEqual([401, { error: 'X-Mallard-Signature: does not match' }]);

    // …and removing it, with the time zone and the rate limit back to their defaults, clears everything.
    await card.getByRole('button', { name: 'Remove secret' }).click();
    await card.getByRole('button', { name: 'Yes, remove secret' }).click();
    await card.getByText('No signing secret: batches need no signature.').waitFor();
    expect(await card.locator('.new-secret').count()).toBe(0);
    await page.locator('select[name="timezone"]').selectOption('');
    await page.locator('input[name="rate-limit"]').fill('');
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.locator('[aria-labelledby="options-title"] .ok', { hasText: 'Saved.' }).waitFor();
    expect(await siteJson(SETTINGS)).toEqual({
      id: SETTINGS,
      origins: [],
      timezone: null,
      rate_limit: null,
      signing_secret_set: false,
      shields: { ips: [], countries: [], pages: [], hostnames: [] },
      reports: { weekly: [], monthly: [] },
      alerts: { spike_visitors: null, drop_visitors: null, emails: [] },
      demo: false,
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    const free = await sendBatch(server.url, adminKey, body2);
    expect([free.status, free.json]).toEqual([200, { accepted: 1, rejected: 0, errors: [] }]);
  });

  it('funnel modes: strict order and strict deduplication give their own numbers', async () => {
    await page.goto(`${server.url}/sites/${SHOP}/behavior?${RANGE}`);
    const funnel = page.locator('[data-section="funnel"]');
    await funnel.locator('input[name="funnel-step-1"]').fill('/pricing');
    await funnel.getByRole('button', { name: '+ Add step' }).click();
    await funnel.locator('select[name="funnel-kind-2"]').selectOption('event');
    await funnel.locator('input[name="funnel-step-2"]').fill('Signup');
    const mode = (id: string) => funnel.locator(`input[name="funnel-mode-${id}"]`);
    const steps = () =>
      funnel
        .locator('.funnel-step')
        .evaluateAll((els) =>
          els.map((e) => [
            e.querySelector('.funnel-visitors')?.textContent,
            e.querySelector('.funnel-rate')?.textContent,
            e.querySelector('.dropoff')?.textContent?.replace(/\s+/g, ' ').trim() ?? null,
          ]),
        );
    /** Clicks "Show funnel" and returns the `mode` the request carried (null: none). */
    const run = async () => {
      const [req] = await Promise.all([
        page.waitForRequest((r) => new URL(r.url()).pathname === '/api/stats/funnel'),
        funnel.getByRole('button', { name: 'Show funnel' }).click(),
      ]);
      return new URL(req.url()).searchParams.get('mode');
    };

    // Re-entry needs strict order.
    expect(await mode('allow_reentry').isDisabled()).toBe(true);
    expect(await run()).toBeNull();
    await expect.poll(steps, { timeout: 10_000 }).toEqual([
      ['4', '100%', null],
      ['3', '75%', '↓ 1 dropped off (25%)'],
      ['2', '50%', '↓ 1 dropped off (33.3%)'],
    ]);

    await mode('strict_order').check();
    expect(await mode('allow_reentry').isDisabled()).toBe(false);
    expect(await run()).toBe('strict_order');
    await expect.poll(steps, { timeout: 10_000 }).toEqual([
      ['4', '100%', null],
      ['2', '50%', '↓ 2 dropped off (50%)'],
      ['1', '25%', '↓ 1 dropped off (50%)'],
    ]);
    await shoot(page, 'desktop-funnel-modes');

    await mode('allow_reentry').check();
    expect(await run()).toBe('strict_order,allow_reentry');
    await expect.poll(steps, { timeout: 10_000 }).toEqual([
      ['4', '100%', null],
      ['2', '50%', '↓ 2 dropped off (50%)'],
      ['1', '25%', '↓ 1 dropped off (50%)'],
    ]);

    // Leaving strict order takes re-entry with it.
    await mode('strict_order').uncheck();
    expect(await mode('allow_reentry').isChecked()).toBe(false);
    expect(await mode('allow_reentry').isDisabled()).toBe(true);
    await mode('strict_deduplication').check();
    expect(await run()).toBe('strict_deduplication');
    await expect.poll(steps, { timeout: 10_000 }).toEqual([
      ['4', '100%', null],
      ['3', '75%', '↓ 1 dropped off (25%)'],
      ['0', '0%', '↓ 3 dropped off (100%)'],
    ]);
  });

  it("lists the period's property keys; a click shows that key's values", async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    // [key, events]
    await rowsOf('props', [
      ['plan', '2'],
      ['source', '1'],
      ['variant', '1'],
    ]);
    expect(await page.locator('[data-panel="props"] input[name="prop"]').count()).toBe(0); // no typing needed
    await shoot(page, 'desktop-property-keys');

    await page.locator('[data-panel="props"] .row', { hasText: 'plan' }).click();
    // [value, visitors, %]
    await rowsOf('props', [
      ['(none)', '4', '100%'],
      ['free', '1', '25%'],
      ['pro', '1', '25%'],
    ]);
    expect(await page.locator('select[name="prop-key"]').inputValue()).toBe('plan');
    await shoot(page, 'desktop-property-values');

    // A value filters everything, the keys list included.
    await page.locator('[data-panel="props"] .row', { hasText: 'pro' }).click();
    await page.locator('.chip', { hasText: 'Property plan is pro' }).waitFor();
    await rowsOf('props', [['pro', '1', '100%']]);
    await expect.poll(() => page.$eval('[data-stat="unique_visitors"] .stat-value', (e) => e.textContent)).toBe('1');
    await page.locator('select[name="prop-key"]').selectOption('source');
    await rowsOf('props', [['ad', '1', '100%']]);
    await page.setViewportSize({ width: 375, height: 740 });
    await page.locator('[data-panel="props"]').screenshot({ path: join(DASHBOARD_ARTIFACTS, 'phone-property-panel.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByRole('button', { name: 'All properties' }).click();
    await rowsOf('props', [
      ['plan', '1'],
      ['source', '1'],
    ]);
    await shootPhone(page, 'phone-property-keys');
  });

  it('changes the password: plain errors, the lockout wait, other sessions signed out, old password refused', async () => {
    // Another browser, signed in with the current password.
    const other = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    try {
      const second = watch(await other.newPage());
      await second.goto(server.url);
      await second.getByLabel('Password').fill(ADMIN_PASSWORD);
      await second.getByRole('button', { name: 'Sign in' }).click();
      await second.getByRole('link', { name: SHOP, exact: true }).waitFor();

      await page.getByRole('link', { name: 'Account' }).click();
      expect(new URL(page.url()).pathname).toBe('/account');
      await page.getByRole('heading', { name: 'Change password' }).waitFor();
      const fill = async (current: string, next: string, repeat = next) => {
        await page.getByLabel('Current password').fill(current);
        await page.getByLabel('New password', { exact: true }).fill(next);
        await page.getByLabel('Repeat the new password').fill(repeat);
      };
      /** Submits and returns the status of POST /api/auth/password. */
      const submit = async () => {
        const [res] = await Promise.all([
          page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/password'),
          page.getByRole('button', { name: 'Change password' }).click(),
        ]);
        return res.status();
      };
      const alert = () => page.getByRole('alert').textContent();

      // Checked in the browser: nothing is sent.
      await fill(ADMIN_PASSWORD, NEW_PASSWORD, `${NEW_PASSWORD}!`);
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect.poll(alert).toBe('The two new passwords differ.');

      // Two wrong current passwords (403), then the address is locked out (429) for 3 seconds.
      expect1('/api/auth/password 403');
      await fill('not the password', NEW_PASSWORD);
      expect(await submit()).toBe(403);
      await expect.poll(alert).toBe('The current password is wrong.');
      expect1('/api/auth/password 403');
      await fill('still not it', NEW_PASSWORD);
      expect(await submit()).toBe(403);
      expect1('/api/auth/password 429');
      await fill(ADMIN_PASSWORD, NEW_PASSWORD); // even the right one, while locked out
      expect(await submit()).toBe(429);
      await expect.poll(alert).toMatch(/^Too many wrong passwords from this address\. Try again in [1-3] seconds?\.$/);
      await shoot(page, 'desktop-account-locked');
      await page.waitForTimeout(3100);

      await fill(ADMIN_PASSWORD, NEW_PASSWORD);
      expect(await submit()).toBe(200);
      await page.getByRole('status').filter({ hasText: 'Password changed.' }).waitFor();
      expect(await page.locator('.ok').textContent()).toBe(
        'Password changed. 1 other session was signed out; this one stays signed in. API keys keep working.',
      );
      expect(await page.getByLabel('Current password').inputValue()).toBe('');
      await shoot(page, 'desktop-account');
      await shootPhone(page, 'phone-account');

      // This browser stays signed in.
      await page.getByRole('link', { name: 'Sites' }).click();
      await page.getByRole('link', { name: SHOP, exact: true }).waitFor();

      // The other one was signed out; the old password no longer opens it, the new one does.
      await second.reload();
      await second.getByRole('heading', { name: 'Sign in' }).waitFor();
      expect1('/api/auth/login 401');
      await second.getByLabel('Password').fill(ADMIN_PASSWORD);
      await second.getByRole('button', { name: 'Sign in' }).click();
      await second.getByText('Wrong password.').waitFor();
      await second.getByLabel('Password').fill(NEW_PASSWORD);
      await second.getByRole('button', { name: 'Sign in' }).click();
      await second.getByRole('link', { name: SHOP, exact: true }).waitFor();
    } finally {
      await other.close();
    }
    // The API agrees.
    const signIn = (password: string) =>
      fetch(`${server.url}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ password }),
      }).then((r) => r.status);
    expect(await signIn(ADMIN_PASSWORD)).toBe(401);
    expect(await signIn(NEW_PASSWORD)).toBe(200);
  });

  it('logged no console errors, CSP violations or uncaught exceptions beyond the provoked ones', () => {
    expect([...expected].filter(([, left]) => left > 0)).toEqual([]);
    expect(problems).toEqual([]);
  });
});
