/**
 * Engagement (time on page and scroll depth) in a real browser against the real server:
 * the `engagement` bodies the tracker sends, exactly. The page (fixtures/long.html) is
 * 4,000 px tall in an 800 px viewport, so scrolling to a known offset gives a known depth;
 * the pages' clock is Playwright's, fixed and moved by the test, so engaged time is exact.
 * Hiding the page is a real navigation away, or `document.hidden` overridden and a
 * `visibilitychange` dispatched (headless Chromium never hides a page by itself). The
 * server accepts engagement events (202) and does not store them yet: only the requests
 * are asserted.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureServer, fixture, launchBrowser, Recorder, trackerTag } from '../helpers/browser.js';
import { type RunningServer, startServer } from '../helpers/server.js';
import { sentEngagement, sentPageview, trackerAttrs } from '../helpers/tracker-kit.js';

let server: RunningServer;
let browser: Browser;
let fx: FixtureServer;

beforeAll(async () => {
  [server, browser, fx] = await Promise.all([startServer(), launchBrowser(), FixtureServer.start()]);
});

afterAll(async () => {
  await Promise.all([browser?.close(), fx?.close()]);
  await server?.stop();
});

/** Where every test's clock starts. */
const T0 = Date.parse('2026-03-02T10:00:00Z');
const HEIGHT = 4000;
const VIEWPORT = 800;
/** `sd` for a page scrolled to `y` at its deepest: the viewport's bottom over the page's height. */
const depth = (y: number) => Math.floor(((y + VIEWPORT) * 100) / HEIGHT);

const open = () => Recorder.open(browser, { fixedTime: T0 });
const script = (variant = '') => `${server.url}/tracking/script${variant}.js`;
const longPage = (host: string, path: string, tag: string) => fx.page(host, path, fixture('long.html', { TRACKER: tag }));
const pageview = sentPageview;
const engagement = sentEngagement;

/** The pages' clock moves to T0 + `ms`. */
const at = (r: Recorder, ms: number) => r.context.clock.setFixedTime(T0 + ms);

/** Scrolls to `y` and waits for the scroll event (the tracker's listener runs before this one). */
const scrollTo = (page: Page, y: number) =>
  page.evaluate(
    (top) =>
      new Promise<void>((resolve) => {
        addEventListener('scroll', () => resolve(), { once: true });
        window.scrollTo(0, top);
      }),
    y,
  );

/** What a browser does when the tab is switched away from (`hidden`) or back to. */
const setHidden = (page: Page, hidden: boolean) =>
  page.evaluate((h) => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => h });
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (h ? 'hidden' : 'visible') });
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  }, hidden);

describe('engagement in Chromium', () => {
  it('hiding the page sends the deepest scroll and the visible time; hidden time and repeated hide/show send nothing', async () => {
    const r = await open();
    try {
      const url = longPage('engage.test', '/article', trackerTag(script(), trackerAttrs('engage.test')));
      await r.page.goto(url);
      await r.waitForSent(1);
      await scrollTo(r.page, 1200);
      await scrollTo(r.page, 300); // back up: the depth is the deepest point reached
      await at(r, 5000);
      await setHidden(r.page, true);
      expect(await r.waitForSent(2)).toEqual([pageview(url, 'engage.test'), engagement(url, 'engage.test', depth(1200), 5000)]);
      expect(depth(1200)).toBe(50);

      // Hidden for a minute: not engaged time. Shown and hidden again at once: nothing new.
      await at(r, 65_000);
      await setHidden(r.page, false);
      await setHidden(r.page, true);
      expect(await r.quiet()).toHaveLength(2);

      // Shown again for 2.5 s, scrolled to the end: the next report has that time and 100%.
      await setHidden(r.page, false);
      await scrollTo(r.page, HEIGHT - VIEWPORT);
      await at(r, 67_500);
      await setHidden(r.page, true);
      expect(await r.waitForSent(3)).toEqual([
        pageview(url, 'engage.test'),
        engagement(url, 'engage.test', 50, 5000),
        engagement(url, 'engage.test', 100, 2500),
      ]);
      expect(await r.quiet()).toHaveLength(3);
      // Accepted (and, for now, not stored).
      expect(await r.statuses()).toEqual([202, 202, 202]);
    } finally {
      await r.close();
    }
  });

  it('leaving the page (a real navigation) sends its engagement; a page that fits the viewport is 100%', async () => {
    const r = await open();
    try {
      // Playwright does not report requests a page sends as it unloads: they go through the
      // fixture server's proxy (data-api), which records them, to the real server.
      fx.proxy('leave.test', '/stats/event', `${server.url}/api/event`);
      const tag = trackerTag(script(), { ...trackerAttrs('leave.test'), 'data-api': '/stats/event' });
      const long = longPage('leave.test', '/long', tag);
      const short = fx.page('leave.test', '/short', fixture('page.html', { TRACKER: tag, OUTBOUND: 'http://partner.test/' }));
      const before = fx.proxied.length;
      await r.page.goto(long);
      await fx.waitForProxied(before + 1);
      await at(r, 3000);
      await r.page.goto(short); // the browser hides /long as it unloads it
      await fx.waitForProxied(before + 3);
      await at(r, 4500);
      await r.page.goto(long);
      const received = (await fx.waitForProxied(before + 5)).slice(before);
      // Two connections may arrive in either order: the same five bodies, each once.
      expect(received).toHaveLength(5);
      expect(received).toEqual(
        expect.arrayContaining([
          pageview(long, 'leave.test'),
          engagement(long, 'leave.test', depth(0), 3000),
          pageview(short, 'leave.test'),
          engagement(short, 'leave.test', 100, 1500),
        ]),
      );
      expect(received.filter((b) => b.n === 'pageview' && b.u === long)).toHaveLength(2);
      expect(depth(0)).toBe(20);
      expect(fx.proxied.slice(before).map((p) => p.status)).toEqual([202, 202, 202, 202, 202]);
    } finally {
      await r.close();
    }
  });

  it('an SPA navigation sends the engagement of the page left, with its URL, before the next page view', async () => {
    const r = await open();
    try {
      const url = longPage('spa-engage.test', '/', trackerTag(script(), trackerAttrs('spa-engage.test')));
      const o = fx.origin('spa-engage.test');
      await r.page.goto(url);
      await r.waitForSent(1);
      await scrollTo(r.page, HEIGHT - VIEWPORT);
      await scrollTo(r.page, 800);
      await at(r, 4000);
      await r.page.evaluate(() => history.pushState({}, '', '/chapter-2'));
      // The new page's depth starts where its view begins (800 px down), not at the old page's 100%.
      await at(r, 5000);
      await setHidden(r.page, true);
      expect(await r.waitForSent(4)).toEqual([
        pageview(`${o}/`, 'spa-engage.test'),
        engagement(`${o}/`, 'spa-engage.test', 100, 4000),
        pageview(`${o}/chapter-2`, 'spa-engage.test'),
        engagement(`${o}/chapter-2`, 'spa-engage.test', depth(800), 1000),
      ]);
      expect(depth(800)).toBe(40);
      expect(await r.quiet()).toHaveLength(4);
    } finally {
      await r.close();
    }
  });

  it('no engagement for a page view that was not sent (data-exclude); the hash variant and event-* props carry over', async () => {
    const r = await open();
    try {
      const tag = trackerTag(script('.hash.pageview-props'), {
        ...trackerAttrs('excl-engage.test'),
        'data-exclude': '/#/admin/**',
        'event-author': 'Jane',
      });
      const url = longPage('excl-engage.test', '/', tag);
      const props = { p: { author: 'Jane' }, h: 1 };
      await r.page.goto(`${url}#/home`);
      await r.waitForSent(1);
      await at(r, 2000);
      await r.page.evaluate(() => {
        location.hash = '#/admin/users'; // excluded: its page view and its engagement are not sent
      });
      await r.waitForSent(2);
      await at(r, 9000);
      await r.page.evaluate(() => {
        location.hash = '#/about';
      });
      await at(r, 9250);
      await setHidden(r.page, true);
      expect(await r.waitForSent(4)).toEqual([
        pageview(`${url}#/home`, 'excl-engage.test', props),
        engagement(`${url}#/home`, 'excl-engage.test', depth(0), 2000, props),
        pageview(`${url}#/about`, 'excl-engage.test', props),
        engagement(`${url}#/about`, 'excl-engage.test', depth(0), 250, props),
      ]);
      expect(await r.quiet()).toHaveLength(4);
    } finally {
      await r.close();
    }
  });

  it('manual variant: engagement follows the page views the page sends, with their URL', async () => {
    const r = await open();
    try {
      const o = fx.origin('manual-engage.test');
      const url = longPage(
        'manual-engage.test',
        '/product/981',
        trackerTag(script('.manual'), trackerAttrs('manual-engage.test')),
      );
      await r.page.goto(url);
      await at(r, 1000);
      await setHidden(r.page, true); // no page view yet: nothing to report on
      await setHidden(r.page, false);
      await r.page.evaluate((u) => window.mallard?.('pageview', { u }), `${o}/product/[id]`);
      await r.waitForSent(1);
      await at(r, 1700);
      await setHidden(r.page, true);
      expect(await r.waitForSent(2)).toEqual([
        pageview(`${o}/product/[id]`, 'manual-engage.test'),
        engagement(`${o}/product/[id]`, 'manual-engage.test', depth(0), 700),
      ]);
      expect(await r.quiet()).toHaveLength(2);
    } finally {
      await r.close();
    }
  });
});
