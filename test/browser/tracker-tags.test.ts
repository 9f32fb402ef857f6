/**
 * The tagged-events and form-submissions extensions in a real browser (Debian's headless
 * Chromium) against the real server: which events a click or a submit sends — every
 * request body, exactly — and which it does not, alone, together, beside outbound-links,
 * and absent (the default script). The page (fixtures/tags.html) has tagged and plain
 * links, buttons and forms; the set-up is tracker.test.ts's (fixture pages on `*.test`
 * hosts, `data-allow-automation`, one site id per test).
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FixtureServer, fixture, launchBrowser, Recorder, trackerTag } from '../helpers/browser.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
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

/** The clock stands still: no engaged time, so no `engagement` events (tracker.test.ts). */
const open = () => Recorder.open(browser, { fixedTime: Date.now() });
const script = (variant = '') => `${server.url}/tracking/script${variant}.js`;
const base = trackerAttrs;

/**
 * Serves tags.html at `path` (and /pricing beside it) with the given tracker tag, a blank
 * partner page for its outbound links, and a blank /thanks for the tagged form; returns
 * the page's URL.
 */
function tagsPage(host: string, path: string, tag: string): string {
  const partner = fx.page('partner.test', '/landing', fixture('blank.html', {}));
  fx.page(host, '/thanks', fixture('blank.html', {}));
  fx.page(host, '/pricing', fixture('tags.html', { TRACKER: tag, OUTBOUND: partner }));
  return fx.page(host, path, fixture('tags.html', { TRACKER: tag, OUTBOUND: partner }));
}
const partnerUrl = () => `${fx.origin('partner.test')}/landing`;

const event = sentEvent;
const pageview = sentPageview;

interface GoalRow {
  value: string;
  visitors: number;
  events: number;
}

/** `{goal: events}` of the custom events breakdown (the last 7 days). */
async function goalCounts(site: string): Promise<Record<string, number>> {
  const rows = await stats<GoalRow[]>(server.url, key, 'breakdown/events', { site_id: site, period: '7d' });
  return Object.fromEntries(rows.map((r) => [r.value, r.events]));
}

/** `[name, pathname, props]` of the stored custom events (raw export), oldest first. */
async function storedCustom(site: string): Promise<[unknown, unknown, unknown][]> {
  return (await storedEvents(server.url, key, site))
    .filter((e) => e.event_name !== 'pageview')
    .map((e) => [e.event_name, e.pathname, JSON.parse(e.props as string)]);
}

describe('tagged-events and form-submissions in Chromium', () => {
  it('tagged-events: tagged links, buttons (also a click on a nested element) and forms send their named events with their props', async () => {
    const r = await open();
    try {
      const o = fx.origin('tags.test');
      const home = tagsPage('tags.test', '/', trackerTag(script('.tagged-events'), base('tags.test')));
      const pricing = `${o}/pricing`;
      await r.page.goto(home);
      await r.waitForSent(1);
      await r.page.click('#tagged-button-label b'); // two levels inside the tagged button
      await r.page.click('#dashed-button'); // `--` instead of `=`
      await r.waitForSent(3);
      // Not tagged, or not a click that opens anything: none of these sends an event.
      await r.page.click('#plain-button'); // has a prop class, but no name
      await r.page.click('#plain-link');
      await r.page.click('#plain-form-submit'); // an untagged form
      await r.page.click('#tagged-button', { button: 'right' });
      expect(await r.quiet()).toHaveLength(3);
      // A middle click (opens a new tab: /docs is no fixture page, so no tracker there).
      await r.page.click('#tagged-docs', { button: 'middle' });
      await r.waitForSent(4);
      // Same-tab navigation: the page unloads right away, keepalive delivers the event.
      await Promise.all([r.page.waitForURL(pricing), r.page.click('#tagged-link')]);
      await r.waitForSent(6);
      // The tagged submit button inside the tagged form: only the form's event.
      await Promise.all([r.page.waitForURL(`${o}/thanks?email=reader%40example.test`), r.page.click('#tagged-form-submit')]);
      expect(await r.waitForSent(7)).toEqual([
        pageview(home, 'tags.test'),
        event('Signup Click', home, 'tags.test', { p: { plan: 'pro yearly' } }),
        event('Play Video', home, 'tags.test', { p: { source: 'hero' } }),
        // #plain-link added a fragment to the page's URL.
        event('Docs Click', `${home}#top`, 'tags.test', { p: { url: `${o}/docs` } }),
        event('Pricing Click', `${home}#top`, 'tags.test', { p: { position: 'header', url: pricing } }),
        pageview(pricing, 'tags.test', { r: home }),
        event('Newsletter Signup', pricing, 'tags.test', { r: home, p: { list: 'weekly' } }),
      ]);
      expect(await r.quiet()).toHaveLength(7);
      // The form went through to its action (the tracker does not hold a submit up).
      expect(await r.page.evaluate(() => document.title)).toBe('Blank');
      // Requests sent as a page unloads show no answer in the browser: the server's store shows they arrived.
      expect(await goalCounts('tags.test')).toEqual({
        'Signup Click': 1,
        'Play Video': 1,
        'Docs Click': 1,
        'Pricing Click': 1,
        'Newsletter Signup': 1,
      });
      expect(await storedCustom('tags.test')).toEqual([
        ['Signup Click', '/', { plan: 'pro yearly' }],
        ['Play Video', '/', { source: 'hero' }],
        ['Docs Click', '/', { url: `${o}/docs` }],
        ['Pricing Click', '/', { position: 'header', url: pricing }],
        ['Newsletter Signup', '/pricing', { list: 'weekly' }],
      ]);
    } finally {
      await r.close();
    }
  });

  it('the default script sends no event for tagged clicks or submits (the extension is not in it)', async () => {
    const r = await open();
    try {
      const o = fx.origin('notags.test');
      const home = tagsPage('notags.test', '/', trackerTag(script(), base('notags.test')));
      await r.page.goto(home);
      await r.waitForSent(1);
      await r.page.click('#tagged-button-label');
      await r.page.click('#dashed-button');
      await r.page.click('#plain-form-submit');
      await Promise.all([r.page.waitForURL(`${o}/pricing`), r.page.click('#tagged-link')]);
      await Promise.all([r.page.waitForURL(/\/thanks\?/), r.page.click('#tagged-form-submit')]);
      // The page views are the positive control: the script ran on both pages.
      expect(await r.quiet()).toEqual([pageview(home, 'notags.test'), pageview(`${o}/pricing`, 'notags.test', { r: home })]);
    } finally {
      await r.close();
    }
  });

  it('tagged-events with outbound-links: a tagged outbound link sends only its own event, an untagged one the outbound event', async () => {
    const r = await open();
    try {
      const home = tagsPage('tagout.test', '/', trackerTag(script('.outbound-links.tagged-events'), base('tagout.test')));
      const partner = partnerUrl();
      await r.page.goto(home);
      await r.waitForSent(1);
      await r.page.click('#outbound', { button: 'middle' }); // a new tab on the partner's page
      await r.waitForSent(2);
      await Promise.all([r.page.waitForURL(partner), r.page.click('#tagged-partner')]);
      expect(await r.waitForSent(3)).toEqual([
        pageview(home, 'tagout.test'),
        event('Outbound Link: Click', home, 'tagout.test', { p: { url: partner } }),
        event('Partner Click', home, 'tagout.test', { p: { url: partner } }),
      ]);
      expect(await r.quiet()).toHaveLength(3);
      expect(await goalCounts('tagout.test')).toEqual({ 'Outbound Link: Click': 1, 'Partner Click': 1 });
    } finally {
      await r.close();
    }
  });

  it('form-submissions: one Form: Submission with the path per submit (button, Enter); no event for clicks', async () => {
    const r = await open();
    try {
      const url = tagsPage('forms.test', '/contact', trackerTag(script('.form-submissions'), base('forms.test')));
      await r.page.goto(`${url}?ref=mail`);
      await r.waitForSent(1);
      await r.page.click('#plain-form-submit');
      await r.page.press('#plain-form-input', 'Enter');
      await r.page.click('#tagged-button'); // a button outside any form: not a submission
      await r.page.click('#plain-link');
      expect(await r.quiet()).toHaveLength(3);
      // Both submits reached the page's own handler, which stops propagation.
      expect(await r.page.evaluate(() => (window as unknown as { searches: number }).searches)).toBe(2);
      // Without tagged-events a tagged form is just a form: it counts as a submission.
      await Promise.all([r.page.waitForURL(/\/thanks\?/), r.page.click('#tagged-form-submit')]);
      const submission = (u: string) => event('Form: Submission', u, 'forms.test', { p: { path: '/contact' } });
      expect(await r.waitForSent(4)).toEqual([
        pageview(`${url}?ref=mail`, 'forms.test'),
        submission(`${url}?ref=mail`),
        submission(`${url}?ref=mail`),
        // #plain-link added a fragment to the page's URL; the path stays.
        submission(`${url}?ref=mail#top`),
      ]);
      expect(await r.quiet()).toHaveLength(4);
      expect(await goalCounts('forms.test')).toEqual({ 'Form: Submission': 3 });
      expect((await storedCustom('forms.test')).map((e) => e[2])).toEqual([
        { path: '/contact' },
        { path: '/contact' },
        { path: '/contact' },
      ]);
    } finally {
      await r.close();
    }
  });

  it('form-submissions with tagged-events: a tagged form sends its own event only, an untagged one Form: Submission', async () => {
    const r = await open();
    try {
      const home = tagsPage('formtags.test', '/', trackerTag(script('.tagged-events.form-submissions'), base('formtags.test')));
      await r.page.goto(home);
      await r.waitForSent(1);
      await r.page.click('#plain-form-submit');
      await r.page.click('#tagged-button');
      await r.waitForSent(3);
      await Promise.all([r.page.waitForURL(/\/thanks\?/), r.page.click('#tagged-form-submit')]);
      expect(await r.waitForSent(4)).toEqual([
        pageview(home, 'formtags.test'),
        event('Form: Submission', home, 'formtags.test', { p: { path: '/' } }),
        event('Signup Click', home, 'formtags.test', { p: { plan: 'pro yearly' } }),
        event('Newsletter Signup', home, 'formtags.test', { p: { list: 'weekly' } }),
      ]);
      expect(await r.quiet()).toHaveLength(4);
      expect(await goalCounts('formtags.test')).toEqual({ 'Form: Submission': 1, 'Signup Click': 1, 'Newsletter Signup': 1 });
    } finally {
      await r.close();
    }
  });
});
