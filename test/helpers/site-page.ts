/**
 * A registered site, the real server and a Chromium page watched for console errors — what a
 * browser test of one site's settings and panels starts from. Failed requests with the
 * status the test provokes on purpose (a refused form) are not counted as problems.
 */
import type { Browser, Page } from 'playwright-core';
import { expect } from 'vitest';
import { launchBrowser } from './browser.js';
import { ADMIN_PASSWORD, createKey, login, type RunningServer, startServer } from './server.js';

export interface SitePage {
  server: RunningServer;
  browser: Browser;
  page: Page;
  adminKey: string;
  /** Console errors and uncaught exceptions so far. */
  problems: string[];
  signIn(): Promise<void>;
  close(): Promise<void>;
}

export async function openSitePage(site: string, provoked: number, env?: Record<string, string>): Promise<SitePage> {
  const [server, browser] = await Promise.all([startServer({ env }), launchBrowser()]);
  const adminKey = await createKey(server.url, await login(server.url), 'admin');
  const created = await fetch(`${server.url}/api/sites`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: site }),
  });
  expect(created.status).toBe(201);
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().includes(`status of ${provoked}`)) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  return {
    server,
    browser,
    page,
    adminKey,
    problems,
    async signIn() {
      await page.goto(server.url);
      await page.getByLabel('Password').fill(ADMIN_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('link', { name: site, exact: true }).waitFor();
    },
    async close() {
      await browser.close();
      await server.stop();
    },
  };
}
