/**
 * The tracking script in a real browser (Debian's headless Chromium) against the real
 * server (built dist/main.js): what the page sends — every request body, exactly — what it
 * does not send, and what the server then reports. Fixture pages come from a small static
 * server on `*.test` host names (resolved to 127.0.0.1 by Chromium), because the tracker
 * does not count localhost. One browser for the file, a fresh context for each test, and
 * one site id per test so the counts of one test cannot leak into another's.
 *
 * Chromium under automation has `navigator.webdriver = true`, which the tracker refuses
 * unless the page opts in; so the fixtures carry `data-allow-automation`, and one test
 * proves that without it nothing is sent.
 */
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, FixtureServer, fixture, launchBrowser, Recorder, trackerTag } from '../helpers/browser.js';
import { createKey, freePort, login, type RunningServer, startServer } from '../helpers/server.js';
import { sentEvent, sentPageview, storedEvents, trackerAttrs } from '../helpers/tracker-kit.js';
import { stats } from '../integration/support.js';

let server: RunningServer;
let key: string;
let browser: Browser;
let fx: FixtureServer;

beforeAll(async () => {
  [server, browser, fx] = await Promise.all([startServer(), launchBrowser(), FixtureServer.start()]);
  key = await createKey(server.url, await login(server.url), 'read');
});

afterAll(async () => {
  await Promise.all([browser?.close(), fx?.close()]);
  await server?.stop();
});

/**
 * A new context per test; closed by the test's `finally`. Its clock stands still: no time is
 * engaged, so the tracker sends no `engagement` events and each test sees only the events
 * it causes (tracker-engagement.test.ts moves the clock).
 */
const open = () => Recorder.open(browser, { fixedTime: Date.now() });

/**
 * Calls `mallard('Signup')` and returns what its callback got: 'no result' when the
 * tracker ignored the event. Proves the tracker is loaded (else this never resolves).
 */
const ignoredCall = (page: Page) =>
  page.evaluate(() => new Promise((resolve) => window.mallard?.('Signup', { callback: (res) => resolve(res ?? 'no result') })));

const script = (variant = '') => `${server.url}/tracking/script${variant}.js`;
const api = () => `${server.url}/api/event`;
const base = trackerAttrs;
/** Serves page.html with the given tracker tag; returns its URL. */
const shopPage = (host: string, path: string, tag: string, outbound = 'http://partner.test/') =>
  fx.page(host, path, fixture('page.html', { TRACKER: tag, OUTBOUND: outbound }));

const pageview = sentPageview;
const event = sentEvent;

interface Row {
  value: string;
  visitors: number;
  visits: number;
  pageviews: number;
  bounce_rate: number;
}
interface Main {
  unique_visitors: number;
  visits: number;
  total_pageviews: number;
  bounce_rate: number;
  events: number;
}

/** `{path: pageviews}` of the pages breakdown (the last 7 days: no midnight races). */
async function pageviews(site: string): Promise<Record<string, number>> {
  const rows = await stats<Row[]>(server.url, key, 'breakdown/pages', { site_id: site, period: '7d' });
  return Object.fromEntries(rows.map((r) => [r.value, r.pageviews]));
}

async function mainStats(site: string) {
  const m = await stats<Main>(server.url, key, 'main', { site_id: site, period: '7d' });
  return {
    visitors: m.unique_visitors,
    visits: m.visits,
    pageviews: m.total_pageviews,
    events: m.events,
    bounce_rate: m.bounce_rate,
  };
}

async function goals(site: string) {
  return stats(server.url, key, 'breakdown/events', { site_id: site, period: '7d' });
}

/** `{value: [visitors, visits, pageviews]}` of a custom property breakdown. */
async function propValues(site: string, prop: string): Promise<Record<string, number[]>> {
  const rows = await stats<Row[]>(server.url, key, `breakdown/props/${prop}`, { site_id: site, period: '7d' });
  return Object.fromEntries(rows.map((r) => [r.value, [r.visitors, r.visits, r.pageviews]]));
}

const storedOf = (site: string) => storedEvents(server.url, key, site);

describe('tracking script in Chromium', () => {
  it('sends one page view on load as text/plain with Plausible fields, and stores nothing in the browser', async () => {
    const r = await open();
    try {
      const url = shopPage('load.test', '/', trackerTag(script(), base('load.test')));
      await r.page.goto(url, { referer: 'https://news.ycombinator.com/' });
      expect(await r.waitForSent(1)).toEqual([pageview(url, 'load.test', { r: 'https://news.ycombinator.com/' })]);
      expect(await r.quiet()).toHaveLength(1);
      expect(r.sent[0]?.url).toBe(api());
      expect(r.sent[0]?.contentType).toBe('text/plain;charset=UTF-8');
      expect(await r.statuses()).toEqual([202]);
      // No cookies, no storage: neither the script nor the server's answer left anything.
      expect(await r.page.evaluate(() => [document.cookie, localStorage.length, sessionStorage.length])).toEqual(['', 0, 0]);
      expect(await r.context.cookies()).toEqual([]);

      expect(await mainStats('load.test')).toEqual({ visitors: 1, visits: 1, pageviews: 1, events: 1, bounce_rate: 1 });
      expect(await pageviews('load.test')).toEqual({ '/': 1 });
      const sources = await stats<Row[]>(server.url, key, 'breakdown/sources', { site_id: 'load.test', period: '7d' });
      expect(sources.map((s) => s.value)).toEqual(['Hacker News']);
      const devices = await stats<Row[]>(server.url, key, 'breakdown/devices', { site_id: 'load.test', period: '7d' });
      expect(devices.map((s) => s.value)).toEqual(['Laptop']); // w = 1280
    } finally {
      await r.close();
    }
  });

  it('counts SPA navigations (pushState, replaceState, popstate) once per new path', async () => {
    const r = await open();
    try {
      const url = shopPage('spa.test', '/', trackerTag(script(), base('spa.test')));
      const o = fx.origin('spa.test');
      await r.page.goto(url);
      await r.waitForSent(1);
      await r.page.evaluate(async () => {
        const back = () =>
          new Promise<void>((resolve) => {
            addEventListener('popstate', () => resolve(), { once: true });
            history.back();
          });
        history.pushState({}, '', '/products'); // new path: counted
        history.pushState({}, '', '/products'); // same URL again: not counted
        history.replaceState({}, '', '/products/42'); // replaced by a new path: counted
        history.pushState({}, '', '/products/42?tab=reviews'); // query only: not counted
        location.hash = '#specs'; // fragment only (no hash mode): not counted
        await back(); // to /products/42?tab=reviews: same path
        await back(); // to /products/42: same path
        await back(); // to /products (the first push): counted
        await back(); // to /: counted
      });
      expect(await r.waitForSent(5)).toEqual([
        pageview(`${o}/`, 'spa.test'),
        pageview(`${o}/products`, 'spa.test'),
        pageview(`${o}/products/42`, 'spa.test'),
        pageview(`${o}/products`, 'spa.test'),
        pageview(`${o}/`, 'spa.test'),
      ]);
      expect(await r.quiet()).toHaveLength(5);
      expect(await r.statuses()).toEqual([202, 202, 202, 202, 202]);
      expect(await pageviews('spa.test')).toEqual({ '/': 2, '/products': 2, '/products/42': 1 });
      expect(await mainStats('spa.test')).toEqual({ visitors: 1, visits: 1, pageviews: 5, events: 5, bounce_rate: 0 });
    } finally {
      await r.close();
    }
  });

  it('counts a return to a previous page through back navigation', async () => {
    const r = await open();
    try {
      const tag = trackerTag(script(), base('back.test'));
      const first = shopPage('back.test', '/', tag);
      const second = shopPage('back.test', '/pricing', tag);
      await r.page.goto(first);
      await r.waitForSent(1);
      await r.page.evaluate(() => {
        (window as unknown as { marker: number }).marker = 1;
      });
      await r.page.click('#internal');
      await r.waitForSent(2);
      // A page restored from the back/forward cache fires no load event: wait for the commit only.
      await r.page.goBack({ waitUntil: 'commit' });
      expect(await r.waitForSent(3)).toEqual([
        pageview(first, 'back.test'),
        pageview(second, 'back.test', { r: first }),
        pageview(first, 'back.test'),
      ]);
      // Restored from the back/forward cache (the page's state survived): the view came from the tracker's pageshow handler, not a reload.
      expect(await r.page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);
      expect(await r.quiet()).toHaveLength(3);
      expect(await pageviews('back.test')).toEqual({ '/': 2, '/pricing': 1 });
    } finally {
      await r.close();
    }
  });

  it('hash routing: the hash variant keeps the fragment, counts hashchange and pushState once each', async () => {
    const r = await open();
    try {
      const url = shopPage('hash.test', '/app', trackerTag(script('.hash'), base('hash.test')));
      const o = fx.origin('hash.test');
      await r.page.goto(`${url}#/home`);
      await r.waitForSent(1);
      await r.page.evaluate(async () => {
        const hashchange = () => new Promise<void>((resolve) => addEventListener('hashchange', () => resolve(), { once: true }));
        let changed = hashchange();
        location.hash = '#/settings'; // counted
        await changed;
        location.hash = '#/settings'; // unchanged: no event at all
        history.pushState({}, '', '/app#/billing'); // counted (pushState fires no hashchange)
        changed = hashchange();
        history.back(); // back to #/settings: popstate and hashchange both fire, counted once
        await changed;
      });
      const h = { h: 1 };
      expect(await r.waitForSent(4)).toEqual([
        pageview(`${o}/app#/home`, 'hash.test', h),
        pageview(`${o}/app#/settings`, 'hash.test', h),
        pageview(`${o}/app#/billing`, 'hash.test', h),
        pageview(`${o}/app#/settings`, 'hash.test', h),
      ]);
      expect(await r.quiet()).toHaveLength(4);
      expect(await pageviews('hash.test')).toEqual({ '/app#/home': 1, '/app#/settings': 2, '/app#/billing': 1 });
    } finally {
      await r.close();
    }
  });

  it('hash routing on the default script with data-hash', async () => {
    const r = await open();
    try {
      const url = shopPage('datahash.test', '/', trackerTag(script(), { ...base('datahash.test'), 'data-hash': true }));
      await r.page.goto(`${url}#/a`);
      await r.waitForSent(1);
      await r.page.evaluate(() => {
        location.hash = '#/b';
      });
      expect(await r.waitForSent(2)).toEqual([
        pageview(`${url}#/a`, 'datahash.test', { h: 1 }),
        pageview(`${url}#/b`, 'datahash.test', { h: 1 }),
      ]);
      expect(await r.quiet()).toHaveLength(2);
      expect(await pageviews('datahash.test')).toEqual({ '/#/a': 1, '/#/b': 1 });
    } finally {
      await r.close();
    }
  });

  it('custom events carry props and revenue, and the callback gets the status', async () => {
    const r = await open();
    try {
      const url = shopPage('events.test', '/checkout', trackerTag(script(), base('events.test')));
      await r.page.goto(url);
      await r.waitForSent(1);
      const result = await r.page.evaluate(
        () =>
          new Promise((resolve) => {
            window.mallard?.('Purchase', {
              props: { plan: 'pro', seats: 3, trial: false },
              revenue: { amount: 49.99, currency: 'EUR' },
              callback: resolve,
            });
          }),
      );
      expect(result).toEqual({ status: 202 });
      expect(await r.waitForSent(2)).toEqual([
        pageview(url, 'events.test'),
        event('Purchase', url, 'events.test', {
          p: { plan: 'pro', seats: 3, trial: false },
          revenue: { amount: 49.99, currency: 'EUR' },
        }),
      ]);
      expect(await goals('events.test')).toEqual([{ value: 'Purchase', visitors: 1, events: 1, conversion_rate: 100 }]);
      // The page view has no `plan`: (none). Both rows belong to the one visit with its one page view.
      expect(await propValues('events.test', 'plan')).toEqual({ pro: [1, 1, 0], '(none)': [1, 1, 1] });
      expect(await mainStats('events.test')).toEqual({ visitors: 1, visits: 1, pageviews: 1, events: 2, bounce_rate: 0 });
      // Revenue is not in the stats API yet; the raw export shows it arrived intact.
      const stored = (await storedOf('events.test')).find((e) => e.event_name === 'Purchase');
      expect(stored).toMatchObject({
        pathname: '/checkout',
        props: JSON.stringify({ plan: 'pro', seats: '3', trial: 'false' }),
        revenue_amount: '49.9900',
        revenue_currency: 'EUR',
      });
    } finally {
      await r.close();
    }
  });

  it('replays calls queued before the script loaded, after the load page view', async () => {
    const r = await open();
    try {
      const url = fx.page('queue.test', '/welcome', fixture('queue.html', { TRACKER: trackerTag(script(), base('queue.test')) }));
      await r.page.goto(url);
      expect(await r.waitForSent(2)).toEqual([
        pageview(url, 'queue.test'),
        event('Signup', url, 'queue.test', { p: { plan: 'free' } }),
      ]);
      await expect
        .poll(() => r.page.evaluate(() => (window as unknown as { queuedCallbackResult: unknown }).queuedCallbackResult))
        .toEqual({ status: 202 });
      // The stub queued (the tracker had not run yet), and the tracker replaced the stub.
      expect(
        await r.page.evaluate(() => [(window as unknown as { queuedByStub: boolean }).queuedByStub, window.mallard?.q]),
      ).toEqual([true, undefined]);
      expect(await goals('queue.test')).toEqual([{ value: 'Signup', visitors: 1, events: 1, conversion_rate: 100 }]);
    } finally {
      await r.close();
    }
  });

  it('outbound-links variant: a click on an external link is an event; internal links are not', async () => {
    const r = await open();
    try {
      const partner = fx.page('partner.test', '/landing', fixture('blank.html', {}));
      const tag = trackerTag(script('.outbound-links'), base('out.test'));
      const home = shopPage('out.test', '/', tag, `${partner}?from=shop`);
      const pricing = shopPage('out.test', '/pricing', tag, `${partner}?from=shop`);
      await r.page.goto(home);
      await r.waitForSent(1);
      await r.page.click('#internal'); // same host: a page view of /pricing, no outbound event
      await r.waitForSent(2);
      // The click lands on a child of the link; the page unloads right away (keepalive delivers).
      await Promise.all([r.page.waitForURL(`${partner}?from=shop`), r.page.click('#outbound-label')]);
      expect(await r.waitForSent(3)).toEqual([
        pageview(home, 'out.test'),
        pageview(pricing, 'out.test', { r: home }),
        event('Outbound Link: Click', pricing, 'out.test', { r: home, p: { url: `${partner}?from=shop` } }),
      ]);
      expect(await r.quiet()).toHaveLength(3);
      expect(await goals('out.test')).toEqual([{ value: 'Outbound Link: Click', visitors: 1, events: 1, conversion_rate: 100 }]);
      expect(await propValues('out.test', 'url')).toEqual({ [`${partner}?from=shop`]: [1, 1, 0], '(none)': [1, 1, 2] });
    } finally {
      await r.close();
    }
  });

  it('file-downloads variant: default file types, middle clicks, and data-file-types replacing the list', async () => {
    const r = await open();
    try {
      const o = fx.origin('dl.test');
      const first = shopPage('dl.test', '/', trackerTag(script('.file-downloads'), base('dl.test')));
      await r.page.goto(first);
      await r.waitForSent(1);
      await r.page.click('#pdf'); // query and fragment are not part of the recorded URL
      await r.page.click('#zip', { button: 'middle' });
      await r.page.click('#parquet'); // not a default type
      await r.waitForSent(3);
      const custom = shopPage(
        'dl.test',
        '/custom',
        trackerTag(script('.file-downloads'), { ...base('dl.test'), 'data-file-types': 'parquet,csv' }),
      );
      await r.page.goto(custom);
      await r.waitForSent(4);
      await r.page.click('#pdf'); // no longer a tracked type
      await r.page.click('#parquet');
      expect(await r.waitForSent(5)).toEqual([
        pageview(first, 'dl.test'),
        event('File Download', first, 'dl.test', { p: { url: `${o}/files/report.pdf` } }),
        event('File Download', first, 'dl.test', { p: { url: `${o}/files/source.zip` } }),
        pageview(custom, 'dl.test'),
        event('File Download', custom, 'dl.test', { p: { url: `${o}/files/events.parquet` } }),
      ]);
      expect(await r.quiet()).toHaveLength(5);
      expect(await goals('dl.test')).toEqual([{ value: 'File Download', visitors: 1, events: 3, conversion_rate: 100 }]);
    } finally {
      await r.close();
    }
  });

  it("404 pages report themselves with mallard('404') and the missing path", async () => {
    const r = await open();
    try {
      const url = fx.page(
        'nf.test',
        '/no-such-page',
        fixture('not-found.html', { TRACKER: trackerTag(script(), base('nf.test')) }),
        404,
      );
      const response = await r.page.goto(url);
      expect(response?.status()).toBe(404);
      expect(await r.waitForSent(2)).toEqual([
        pageview(url, 'nf.test'),
        event('404', url, 'nf.test', { p: { path: '/no-such-page' } }),
      ]);
      expect(await goals('nf.test')).toEqual([{ value: '404', visitors: 1, events: 1, conversion_rate: 100 }]);
      expect(await propValues('nf.test', 'path')).toEqual({ '/no-such-page': [1, 1, 0], '(none)': [1, 1, 1] });
    } finally {
      await r.close();
    }
  });

  it('data-exclude skips page views of matching paths (* within a segment, ** across); custom events still count', async () => {
    const r = await open();
    try {
      const o = fx.origin('excl.test');
      const url = shopPage(
        'excl.test',
        '/',
        trackerTag(script(), { ...base('excl.test'), 'data-exclude': '/admin/**, /drafts/*' }),
      );
      await r.page.goto(url);
      await r.waitForSent(1);
      await r.page.evaluate(() => {
        history.pushState({}, '', '/admin/users/7'); // excluded by /admin/**
        window.mallard?.('Signup'); // custom events are not subject to exclusions
        history.pushState({}, '', '/drafts/hello'); // excluded by /drafts/*
        history.pushState({}, '', '/drafts/hello/'); // excluded: a trailing slash is optional
        history.pushState({}, '', '/drafts/hello/comments'); // * stays within one segment: counted
      });
      expect(await r.waitForSent(3)).toEqual([
        pageview(`${o}/`, 'excl.test'),
        event('Signup', `${o}/admin/users/7`, 'excl.test'),
        pageview(`${o}/drafts/hello/comments`, 'excl.test'),
      ]);
      expect(await r.quiet()).toHaveLength(3);
      // The Signup's page is a page row (every event's page is), with no page view on it.
      expect(await pageviews('excl.test')).toEqual({ '/': 1, '/admin/users/7': 0, '/drafts/hello/comments': 1 });
    } finally {
      await r.close();
    }
  });

  it('data-include counts only page views of matching paths', async () => {
    const r = await open();
    try {
      const o = fx.origin('incl.test');
      const url = shopPage('incl.test', '/', trackerTag(script(), { ...base('incl.test'), 'data-include': '/blog/**' }));
      await r.page.goto(url); // not included
      await r.page.evaluate(() => {
        history.pushState({}, '', '/about'); // not included
        history.pushState({}, '', '/blog/2026/launch'); // included
      });
      expect(await r.waitForSent(1)).toEqual([pageview(`${o}/blog/2026/launch`, 'incl.test')]);
      expect(await r.quiet()).toHaveLength(1);
      expect(await pageviews('incl.test')).toEqual({ '/blog/2026/launch': 1 });
    } finally {
      await r.close();
    }
  });

  it('sends nothing while localStorage.mallard_ignore is "true", and never writes storage', async () => {
    const r = await open();
    try {
      const blank = fx.page('optout.test', '/blank', fixture('blank.html', {}));
      const url = shopPage('optout.test', '/', trackerTag(script(), base('optout.test')));
      await r.page.goto(blank);
      await r.page.evaluate(() => localStorage.setItem('mallard_ignore', 'true'));
      await r.page.goto(url);
      // An ignored event's callback is called with no result.
      expect(await ignoredCall(r.page)).toBe('no result');
      expect(await r.quiet()).toEqual([]);
      // Positive control: the flag is read per event, so clearing it resumes tracking at once.
      await r.page.evaluate(() => {
        localStorage.removeItem('mallard_ignore');
        window.mallard?.('Signup');
      });
      expect(await r.waitForSent(1)).toEqual([event('Signup', url, 'optout.test')]);
      expect(await r.page.evaluate(() => Object.keys(localStorage))).toEqual([]);
      expect(await mainStats('optout.test')).toEqual({ visitors: 1, visits: 1, pageviews: 0, events: 1, bounce_rate: 1 });
    } finally {
      await r.close();
    }
  });

  it('refuses automated browsers unless the page opts in with data-allow-automation', async () => {
    const r = await open();
    try {
      expect(await r.page.evaluate(() => navigator.webdriver)).toBe(true);
      const refused = shopPage('robot.test', '/', trackerTag(script(), { 'data-domain': 'robot.test' }));
      await r.page.goto(refused);
      expect(await ignoredCall(r.page)).toBe('no result');
      expect(await r.quiet()).toEqual([]);
      // Positive control: the same page with the opt-in attribute.
      const allowed = shopPage('robot.test', '/allowed', trackerTag(script(), base('robot.test')));
      await r.page.goto(allowed);
      expect(await r.waitForSent(1)).toEqual([pageview(allowed, 'robot.test')]);
      expect(await pageviews('robot.test')).toEqual({ '/allowed': 1 });
    } finally {
      await r.close();
    }
  });

  it('refuses localhost and 127.0.0.1 unless the page opts in with data-allow-localhost', async () => {
    const r = await open();
    try {
      const tag = trackerTag(script(), base('local.test'));
      fx.page('localhost', '/', fixture('page.html', { TRACKER: tag, OUTBOUND: 'http://partner.test/' }));
      fx.page('127.0.0.1', '/', fixture('page.html', { TRACKER: tag, OUTBOUND: 'http://partner.test/' }));
      await r.page.goto(`http://localhost:${fx.port}/`);
      expect(await ignoredCall(r.page)).toBe('no result');
      await r.page.goto(`http://127.0.0.1:${fx.port}/`);
      expect(await ignoredCall(r.page)).toBe('no result');
      expect(await r.quiet()).toEqual([]);
      // Positive control: a developer opting in on localhost.
      const optIn = trackerTag(script(), { ...base('local.test'), 'data-allow-localhost': true });
      fx.page('localhost', '/dev', fixture('page.html', { TRACKER: optIn, OUTBOUND: 'http://partner.test/' }));
      await r.page.goto(`http://localhost:${fx.port}/dev`);
      expect(await r.waitForSent(1)).toEqual([pageview(`http://localhost:${fx.port}/dev`, 'local.test')]);
      expect(await pageviews('local.test')).toEqual({ '/dev': 1 });
    } finally {
      await r.close();
    }
  });

  it('manual variant: no automatic page views; mallard("pageview", {u}) records the URL given', async () => {
    const r = await open();
    try {
      const o = fx.origin('manual.test');
      const url = shopPage('manual.test', '/product/981', trackerTag(script('.manual'), base('manual.test')));
      await r.page.goto(url);
      await r.page.evaluate(() => history.pushState({}, '', '/product/982'));
      expect(await r.quiet()).toEqual([]);
      await r.page.evaluate((u) => window.mallard?.('pageview', { u }), `${o}/product/[id]`);
      expect(await r.waitForSent(1)).toEqual([pageview(`${o}/product/[id]`, 'manual.test')]);
      expect(await r.quiet()).toHaveLength(1);
      expect(await pageviews('manual.test')).toEqual({ '/product/[id]': 1 });
    } finally {
      await r.close();
    }
  });

  it("pageview-props variant: event-* attributes become props of every event; the call's own props win", async () => {
    const r = await open();
    try {
      const tag = trackerTag(script('.pageview-props'), {
        ...base('pvprops.test'),
        'event-author': 'Jane Doe',
        'event-section': 'blog',
      });
      const url = shopPage('pvprops.test', '/post', tag);
      await r.page.goto(url);
      await r.waitForSent(1);
      await r.page.evaluate(() => window.mallard?.('Share', { props: { section: 'news' } }));
      expect(await r.waitForSent(2)).toEqual([
        pageview(url, 'pvprops.test', { p: { author: 'Jane Doe', section: 'blog' } }),
        event('Share', url, 'pvprops.test', { p: { author: 'Jane Doe', section: 'news' } }),
      ]);
      expect(await propValues('pvprops.test', 'author')).toEqual({ 'Jane Doe': [1, 1, 1] });
      expect(await propValues('pvprops.test', 'section')).toEqual({ blog: [1, 1, 1], news: [1, 1, 0] });
    } finally {
      await r.close();
    }
  });

  it('several comma-separated domains: one request, counted for each site', async () => {
    const r = await open();
    try {
      const url = shopPage('multi.test', '/', trackerTag(script(), base('multi-a.test,multi-b.test')));
      await r.page.goto(url);
      expect(await r.waitForSent(1)).toEqual([pageview(url, 'multi-a.test,multi-b.test')]);
      expect(await r.quiet()).toHaveLength(1);
      expect(await pageviews('multi-a.test')).toEqual({ '/': 1 });
      expect(await pageviews('multi-b.test')).toEqual({ '/': 1 });
    } finally {
      await r.close();
    }
  });

  it('data-api sends to a proxied endpoint on the site itself', async () => {
    const r = await open();
    try {
      fx.proxy('proxy.test', '/stats/event', api());
      const url = shopPage('proxy.test', '/', trackerTag(script(), { ...base('proxy.test'), 'data-api': '/stats/event' }));
      await r.page.goto(url);
      expect(await r.waitForSent(1)).toEqual([pageview(url, 'proxy.test')]);
      expect(await r.quiet()).toHaveLength(1);
      expect(r.sent.map((s) => s.url)).toEqual([`${fx.origin('proxy.test')}/stats/event`]);
      expect(await r.statuses()).toEqual([202]);
      expect(await pageviews('proxy.test')).toEqual({ '/': 1 });
    } finally {
      await r.close();
    }
  });

  it('takes the site id from the host without data-domain', async () => {
    const r = await open();
    try {
      const url = shopPage('hostid.test', '/no-domain', trackerTag(script(), { 'data-allow-automation': true }));
      await r.page.goto(url);
      expect(await r.waitForSent(1)).toEqual([pageview(url, 'hostid.test')]);
      expect(r.sent[0]?.url).toBe(api());
      expect(await r.statuses()).toEqual([202]);
      expect(await pageviews('hostid.test')).toEqual({ '/no-domain': 1 });
    } finally {
      await r.close();
    }
  });

  it('reports a failed request to the callback', async () => {
    const r = await open();
    try {
      // A port that was just free: nothing listens there, so the request fails.
      const tag = trackerTag(script(), { ...base('fail.test'), 'data-api': `http://127.0.0.1:${await freePort()}/api/event` });
      await r.page.goto(shopPage('fail.test', '/', tag));
      const result = await r.page.evaluate(
        () =>
          new Promise((resolve) =>
            window.mallard?.('Signup', { callback: (res) => resolve(res && 'error' in res ? 'error' : res) }),
          ),
      );
      expect(result).toBe('error');
      expect(await r.statuses()).toEqual([null, null]);
    } finally {
      await r.close();
    }
  });

  it("Plausible's npm tracker pointed at this server records page views, custom events and revenue", async () => {
    const bundle = await build({
      entryPoints: [`${FIXTURES}/plausible-entry.ts`],
      bundle: true,
      format: 'iife',
      target: 'es2020',
      write: false,
    });
    const r = await open();
    try {
      fx.script('plausible.test', '/plausible-bundle.js', bundle.outputFiles[0]?.text ?? '');
      const url = fx.page('plausible.test', '/', fixture('plausible.html', { DOMAIN: 'plausible.test', ENDPOINT: api() }));
      const o = fx.origin('plausible.test');
      await r.page.goto(url);
      await r.waitForSent(1);
      const result = await r.page.evaluate(
        () =>
          new Promise((resolve) =>
            window.plausibleTrack('Signup', {
              props: { plan: 'pro' },
              revenue: { amount: 19.9, currency: 'USD' },
              callback: resolve,
            }),
          ),
      );
      expect(result).toEqual({ status: 202 });
      await r.page.evaluate(() => history.pushState({}, '', '/pricing'));
      // Plausible's own request shape: `v`, `$` for revenue, and an `engagement` event
      // (time and scroll depth of the page left) before the SPA page view.
      const sent = await r.waitForSent(4);
      expect(sent.map((b) => [b.n, b.u])).toEqual([
        ['pageview', `${o}/`],
        ['Signup', `${o}/`],
        ['engagement', `${o}/`],
        ['pageview', `${o}/pricing`],
      ]);
      expect(sent[1]).toMatchObject({ d: 'plausible.test', p: { plan: 'pro' }, $: { amount: 19.9, currency: 'USD' } });
      expect(r.sent.every((s) => s.contentType === 'text/plain')).toBe(true);
      expect(await r.statuses()).toEqual([202, 202, 202, 202]);
      // Engagement reports are stored apart: no "engagement" goal, no extra event in the visit.
      expect(await mainStats('plausible.test')).toEqual({ visitors: 1, visits: 1, pageviews: 2, events: 3, bounce_rate: 0 });
      expect(await pageviews('plausible.test')).toEqual({ '/': 1, '/pricing': 1 });
      expect(await goals('plausible.test')).toEqual([{ value: 'Signup', visitors: 1, events: 1, conversion_rate: 100 }]);
      expect(await propValues('plausible.test', 'plan')).toEqual({ pro: [1, 1, 0], '(none)': [1, 1, 2] });
      const stored = (await storedOf('plausible.test')).find((e) => e.event_name === 'Signup');
      expect(stored).toMatchObject({ revenue_amount: '19.9000', revenue_currency: 'USD' });
    } finally {
      await r.close();
    }
  });
});
