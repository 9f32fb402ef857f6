/**
 * Errors a person can act on, in Chromium against the real server: each failure the
 * dashboard can meet says what happened and what to do, and the way out works. The server
 * is stopped mid-session (a banner, asking again by itself until the server is back; the
 * restart ended the session, so the sign-in screen follows and returns to the same page); a
 * session is ended behind the page's back; a viewer opens a site they have no role on, the
 * super-admin one that does not exist; a pasted address carries a filter the server refuses
 * (one note, one button that takes the filter out); and the sign-in lockout says when to
 * try again. Screenshots go to /tmp/errors-*.png. Console errors other than the refused
 * requests the test provokes fail it.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { apiRequest, loadBatch, UA } from '../integration/support.js';

const SITE = 'team.test';
const OTHER = 'other.test';
const VIEWER = 'viewer@team.test';
const VIEWER_PASSWORD = 'viewer password 1';
/** The lockout after two wrong passwords, for its default 900 s: "15 minutes". */
const ENV = { MALLARD_LOGIN_MAX_FAILURES: '2' };

const UNREACHABLE = "Can't reach the Mallard Metrics server. Check that it is running; retrying…";
const SESSION_ENDED = 'Your session has ended. Sign in again to return to this page.';

let server: RunningServer;
let browser: Browser;
let adminKey = '';
const contexts: BrowserContext[] = [];
const problems: string[] = [];
/** Refused requests the tests provoke on purpose (5xx are checked one by one); any other console error is a problem. */
const PROVOKED = /status of (400|401|403|404|429|503)|ERR_CONNECTION_REFUSED/;
const PROVOKED_5XX = ['{"error":"Service Unavailable"', '{"error":"the query needs more memory than duckdb_memory_limit'];

/** One request as the admin key. */
const api = (method: string, path: string, body?: unknown) => apiRequest(server.url, method, path, { key: adminKey }, body);

async function freshPage(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  contexts.push(context);
  const p = await context.newPage();
  p.on('console', (msg) => {
    if (msg.type() === 'error' && !PROVOKED.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  p.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  p.on('response', (r) => {
    // A stopping server and a starved one refuse on purpose; any other 5xx is a problem.
    if (r.status() >= 500)
      void r.text().then((body) => {
        if (!PROVOKED_5XX.some((start) => body.startsWith(start))) problems.push(`${r.status()} ${r.url()}: ${body}`);
      });
  });
  return p;
}

async function signIn(p: Page, email: string, password: string): Promise<void> {
  await p.getByLabel('E-mail').fill(email);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
}

const visitors = (p: Page) => p.locator('[data-stat="unique_visitors"] .stat-value').textContent();
const alerts = (p: Page) => p.getByRole('alert').allTextContents();

beforeAll(async () => {
  [server, browser] = await Promise.all([startServer({ env: ENV }), launchBrowser()]);
  adminKey = await createKey(server.url, await login(server.url), 'admin');
  for (const id of [SITE, OTHER]) expect((await api('POST', '/api/sites', { id })).status).toBe(201);
  const user = await api('POST', '/api/users', { email: VIEWER, password: VIEWER_PASSWORD });
  expect(user.status).toBe(201);
  const member = await api('PUT', `/api/sites/${SITE}/members/${(user.json as { id: string }).id}`, { role: 'viewer' });
  expect(member.status).toBe(200);
  const at = new Date(Date.now() - 3_600_000).toISOString();
  await loadBatch(server.url, adminKey, [
    { d: SITE, n: 'pageview', u: `https://${SITE}/`, ip: '10.3.0.1', user_agent: UA.chromeWindows, timestamp: at },
    { d: SITE, n: 'pageview', u: `https://${SITE}/`, ip: '10.3.0.2', user_agent: UA.chromeWindows, timestamp: at },
  ]);
});

afterAll(async () => {
  for (const c of contexts) await c.close();
  await browser?.close();
  await server?.stop();
});

describe('errors a person can act on, in Chromium', () => {
  it('says the server cannot be reached, asks again by itself, and recovers when it is back', async () => {
    const page = await freshPage();
    await page.goto(`${server.url}/sites/${SITE}`);
    await signIn(page, '', ADMIN_PASSWORD);
    await expect.poll(() => visitors(page)).toBe('2');
    // Everything asked has been answered (the tabs follow the sites list and who is signed in).
    await expect.poll(() => page.locator('nav.tabs a').allTextContents()).toEqual(['Overview', 'Behavior', 'Settings']);
    await page.locator('.site-picker select').waitFor();

    const port = Number(new URL(server.url).port);
    await server.stop();
    // The next requests (the Behavior tab's) find nobody.
    await page.getByRole('link', { name: 'Behavior' }).click();
    const banner = page.locator('.connection-banner');
    await expect.poll(() => banner.textContent()).toBe(`${UNREACHABLE}Retry now`);
    expect(await alerts(page)).toEqual([`${UNREACHABLE}Retry now`]);
    await page.screenshot({ path: '/tmp/errors-unreachable.png', fullPage: true });
    await page.setViewportSize({ width: 375, height: 740 });
    await page.screenshot({ path: '/tmp/errors-unreachable-phone.png' });
    await page.setViewportSize({ width: 1280, height: 800 });

    // "Retry now" asks at once; the server is still away, so the banner stays.
    const probe = page.waitForEvent('requestfailed', (r) => new URL(r.url()).pathname === '/health');
    await page.getByRole('button', { name: 'Retry now' }).click();
    await probe;
    expect(await banner.isVisible()).toBe(true);

    // Back on the same port, with the same data: the page notices by itself. Sessions live in
    // memory, so the restart ended this one: the sign-in screen, then the same page again.
    server = await startServer({ dataDir: server.dataDir, port, env: ENV });
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await banner.count()).toBe(0);
    expect(await page.getByText(SESSION_ENDED).count()).toBe(1);
    await signIn(page, '', ADMIN_PASSWORD);
    await page.locator('[data-section="sessions"] [data-stat="sessions"] .stat-value').getByText('2').waitFor();
    expect(new URL(page.url()).pathname).toBe(`/sites/${SITE}/behavior`);
  });

  it('shows the sign-in screen when the session ends, and returns to the same page', async () => {
    const page = await freshPage();
    await page.goto(`${server.url}/sites/${SITE}?period=7d`);
    await signIn(page, '', ADMIN_PASSWORD);
    await expect.poll(() => visitors(page)).toBe('2');

    // Ended elsewhere (signed out in another tab, expired): the server forgets the session.
    const cookie = (await page.context().cookies()).find((c) => c.name === 'mallard_session');
    const out = await fetch(`${server.url}/api/auth/logout`, {
      method: 'POST',
      headers: { cookie: `mallard_session=${cookie?.value}`, origin: server.url },
    });
    expect(out.status).toBe(200);

    // The next request (the Behavior tab's, or the current-visitors count's timer if it asks
    // first) is refused. Moved through history, as the link may already be gone.
    await page.evaluate((to) => {
      history.pushState(null, '', to);
      dispatchEvent(new PopStateEvent('popstate'));
    }, `/sites/${SITE}/behavior?period=7d`);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.locator('.auth-card .muted').first().textContent()).toBe(SESSION_ENDED);
    await page.screenshot({ path: '/tmp/errors-signed-out.png', fullPage: true });
    await signIn(page, '', ADMIN_PASSWORD);
    await page.locator('[data-section="sessions"] [data-stat="sessions"] .stat-value').getByText('2').waitFor();
    expect(new URL(page.url()).pathname + new URL(page.url()).search).toBe(`/sites/${SITE}/behavior?period=7d`);
  });

  it('tells a viewer which site they have no role on and whom to ask; the super-admin that a site does not exist', async () => {
    const page = await freshPage();
    await page.goto(`${server.url}/sites/${OTHER}`);
    await signIn(page, VIEWER, VIEWER_PASSWORD);
    await page.getByRole('heading', { name: `No access to ${OTHER}` }).waitFor();
    expect(await alerts(page)).toEqual([`Your account has no role on ${OTHER}. Ask an owner of ${OTHER} to invite you.`]);
    // The picker offers the viewer's own sites only, the one refused not among them.
    expect(await page.locator('.site-picker option').allTextContents()).toEqual(['Choose a site', SITE]);
    expect(await page.locator('.site-picker select').inputValue()).toBe('');
    await page.screenshot({ path: '/tmp/errors-forbidden.png', fullPage: true });
    await page.getByRole('link', { name: 'See your sites' }).click();
    await page.getByRole('link', { name: SITE, exact: true }).waitFor();
    expect(await page.getByRole('link', { name: OTHER, exact: true }).count()).toBe(0);

    const admin = await freshPage();
    await admin.goto(`${server.url}/sites/gone.test`);
    await signIn(admin, '', ADMIN_PASSWORD);
    await admin.getByRole('heading', { name: 'No site “gone.test”' }).waitFor();
    expect(await alerts(admin)).toEqual(['There is no site gone.test. It may have been removed.']);
    await admin.screenshot({ path: '/tmp/errors-not-found.png', fullPage: true });
  });

  it('names the refused filter of a pasted address, once, and takes it out with one click', async () => {
    const page = await freshPage();
    const filters = JSON.stringify([
      ['is', 'event:page', ['/']],
      ['is', 'visit:planet', ['Mars']],
    ]);
    await page.goto(`${server.url}/sites/${SITE}?filters=${encodeURIComponent(filters)}`);
    await signIn(page, '', ADMIN_PASSWORD);
    const note = 'The filter “visit:planet is Mars” cannot be used: unknown dimension "visit:planet".Remove this filter';
    await expect.poll(() => alerts(page)).toEqual([note]);
    // Said once: no panel is left to repeat it.
    expect(await page.locator('[data-stat]').count()).toBe(0);
    await page.screenshot({ path: '/tmp/errors-bad-filter.png', fullPage: true });

    await page.getByRole('button', { name: 'Remove this filter' }).click();
    await expect.poll(() => visitors(page)).toBe('2');
    expect(await page.locator('.chip > span').allTextContents()).toEqual(['Page is /']);
    expect(new URL(page.url()).searchParams.get('filters')).toBe(JSON.stringify([['is', 'event:page', ['/']]]));
    expect(await alerts(page)).toEqual([]);
  });

  it('says so when the filters of a pasted address are no list of filters, and clears them', async () => {
    const page = await freshPage();
    await page.goto(`${server.url}/sites/${SITE}?filters=${encodeURIComponent('[["is","event:page",["/"]')}`);
    await signIn(page, '', ADMIN_PASSWORD);
    await expect
      .poll(() => alerts(page))
      .toEqual(["The filters in this page's address cannot be used: not valid JSON.Clear the filters"]);
    expect(await page.locator('[data-stat]').count()).toBe(0);
    await page.getByRole('button', { name: 'Clear the filters' }).click();
    await expect.poll(() => visitors(page)).toBe('2');
    expect(new URL(page.url()).searchParams.has('filters')).toBe(false);
    expect(await alerts(page)).toEqual([]);
  });

  it('says when the storage cannot answer, and what to do', async () => {
    // A server of its own, on data written by a normal start, restarted with too little
    // memory for DuckDB to answer a stats query: a real 503 from the storage. (With one event
    // stored, 6 MB starts and answers "has events?" but no stats query; 5 MB does not start,
    // 8 MB answers the top stats.)
    const first = await startServer();
    const key = await createKey(first.url, await login(first.url), 'admin');
    const created = await fetch(`${first.url}/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id: SITE }),
    });
    expect(created.status).toBe(201);
    // One event, so that the dashboard (not the wait for a first event) is what opens.
    await loadBatch(first.url, key, [
      { d: SITE, n: 'pageview', u: `https://${SITE}/`, ip: '10.3.0.3', user_agent: UA.chromeWindows },
    ]);
    await first.stop();
    const starved = await startServer({ dataDir: first.dataDir, env: { MALLARD_DUCKDB_MEMORY_LIMIT: '6MB' } });
    try {
      const page = await freshPage();
      await page.goto(`${starved.url}/sites/${SITE}`);
      await signIn(page, '', ADMIN_PASSWORD);
      const note = page.locator('section.top-stats .error-note');
      await expect
        .poll(() => note.textContent())
        .toBe(
          'The server cannot answer: the query needs more memory than duckdb_memory_limit allows; narrow the period or filters, or raise the limit.Try again',
        );
      await page.screenshot({ path: '/tmp/errors-storage.png', fullPage: true });
      // "Try again" asks again (and is refused again, the limit being what it is).
      const [again] = await Promise.all([
        page.waitForResponse((r) => new URL(r.url()).pathname === '/api/stats/main'),
        note.getByRole('button', { name: 'Try again' }).click(),
      ]);
      expect(again.status()).toBe(503);
    } finally {
      await starved.stop();
    }
  });

  // Last: the lockout holds this address (every test's) for 15 minutes.
  it('says when to try again after too many wrong passwords', async () => {
    const page = await freshPage();
    await page.goto(server.url);
    const attempt = async (password: string) =>
      (
        await Promise.all([
          page.waitForResponse((r) => new URL(r.url()).pathname === '/api/auth/login'),
          signIn(page, VIEWER, password),
        ])
      )[0];
    for (const wrong of ['not the password', 'still not it']) {
      expect((await attempt(wrong)).status()).toBe(401);
      await expect.poll(() => alerts(page)).toEqual(['Wrong e-mail address or password.']);
    }
    // Even the right password, while locked out.
    const answer = await attempt(VIEWER_PASSWORD);
    expect(answer.status()).toBe(429);
    const wait = Number(answer.headers()['retry-after']);
    expect(wait).toBeGreaterThan(840); // ceil(wait / 60) minutes
    expect(wait).toBeLessThanOrEqual(900);
    await expect.poll(() => alerts(page)).toEqual(['Too many wrong passwords from this address. Try again in 15 minutes.']);
    await page.screenshot({ path: '/tmp/errors-locked-out.png', fullPage: true });
  });

  it('had no unexpected console errors', () => {
    expect(problems).toEqual([]);
  });
});
