/**
 * The dashboard's pure logic, table-driven: views and URL state (what a bookmarked or shared
 * link restores), filters (what a row click sends), periods (what the API is asked) and
 * funnel steps. The browser test (test/browser/dashboard.test.ts) covers the rest.
 */
import { describe, expect, it } from 'vitest';
import { waitText } from '../../dashboard/src/api.js';
import { type FunnelMode, toggleMode } from '../../dashboard/src/components/funnel.js';
import { newSecret, rateLimitValue } from '../../dashboard/src/components/sites.js';
import { stepsParam } from '../../dashboard/src/components/steps.js';
import { filterLabel, parseFilters, withFilter } from '../../dashboard/src/filters.js';
import { defaultInterval, intervalsFor, type PeriodChoice, periodParams } from '../../dashboard/src/period.js';
import { type DashQuery, parseQuery, parseView, queryString, viewPath } from '../../dashboard/src/router.js';

describe('views', () => {
  it.each([
    ['/', { page: 'sites' }],
    ['/sites', { page: 'sites' }],
    ['/keys', { page: 'keys' }],
    ['/account', { page: 'account' }],
    ['/account/x', { page: 'missing' }],
    ['/sites/example.com', { page: 'site', site: 'example.com', tab: 'overview' }],
    ['/sites/example.com/behavior', { page: 'site', site: 'example.com', tab: 'behavior' }],
    ['/sites/example.com/settings', { page: 'site', site: 'example.com', tab: 'settings' }],
    ['/share/abc_-1', { page: 'share', token: 'abc_-1', tab: 'overview' }],
    ['/share/abc/behavior', { page: 'share', token: 'abc', tab: 'behavior' }],
    ['/share/abc/settings', { page: 'missing' }],
    ['/sites/example.com/nope', { page: 'missing' }],
    ['/sites/example.com/behavior/x', { page: 'missing' }],
    ['/elsewhere', { page: 'missing' }],
  ])('%s', (path, view) => {
    expect(parseView(path)).toEqual(view);
    if (view.page !== 'missing') expect(parseView(viewPath(parseView(path)))).toEqual(view);
  });
});

describe('URL query state', () => {
  const base: DashQuery = { period: '30d', from: undefined, to: undefined, compare: null, interval: undefined, filters: [] };
  it.each<[string, string, Partial<DashQuery>]>([
    ['defaults', '', {}],
    ['a period', '?period=7d', { period: '7d' }],
    ['realtime', '?period=realtime', { period: 'realtime' }],
    ['realtime by the minute', '?period=realtime&interval=minute', { period: 'realtime', interval: 'minute' }],
    [
      'a custom range',
      '?period=custom&from=2026-01-10&to=2026-01-12',
      { period: 'custom', from: '2026-01-10', to: '2026-01-12' },
    ],
    [
      'comparison and interval',
      '?period=12mo&compare=previous_period&interval=week',
      { period: '12mo', compare: 'previous_period', interval: 'week' },
    ],
    ['year over year', '?period=month&compare=year_over_year', { period: 'month', compare: 'year_over_year' }],
    [
      'filters',
      `?filters=${encodeURIComponent('[["is","event:page",["/pricing"]]]')}`,
      { filters: [['is', 'event:page', ['/pricing']]] },
    ],
    [
      'a segment with filters',
      `?filters=${encodeURIComponent('[["is","visit:country",["US"]]]')}&segment=0b9f6c1e-2d3a-4b5c-8d7e-9f0a1b2c3d4e`,
      { filters: [['is', 'visit:country', ['US']]], segment: '0b9f6c1e-2d3a-4b5c-8d7e-9f0a1b2c3d4e' },
    ],
  ])('%s round-trips', (_name, search, query) => {
    const parsed = parseQuery(search);
    expect(parsed).toEqual({ ...base, ...query });
    expect(parseQuery(queryString(parsed))).toEqual(parsed);
  });

  it.each([
    ['an unknown period', '?period=fortnight'],
    ['a custom range without dates', '?period=custom'],
    ['a custom range with an impossible date', '?period=custom&from=2026-02-31&to=2026-03-01'],
    ['an unknown interval', '?interval=second'],
    ['minutes outside realtime', '?interval=minute'],
    ['a segment id that is no id', '?segment=../keys'],
  ])('falls back to the defaults for %s', (_name, search) => {
    expect(parseQuery(search)).toEqual(base);
  });

  // Not dropped unseen: kept as they came, sent on, and the server's 400 is shown with "Clear the filters".
  it.each([
    ['malformed filters', '[["is"'],
    ['filters that are no list', '{"a":1}'],
    ['a list of no filters', '[1]'],
  ])('keeps %s as their text, to be refused', (_name, text) => {
    const parsed = parseQuery(`?filters=${encodeURIComponent(text)}`);
    expect(parsed).toEqual({ ...base, unreadFilters: text });
    expect(new URLSearchParams(queryString(parsed)).get('filters')).toBe(text);
  });
});

describe('filters', () => {
  it('a row click adds a filter and replaces one on the same dimension', () => {
    const one = withFilter([], 'event:page', '/a');
    const two = withFilter(one, 'visit:country', 'DE');
    expect(withFilter(two, 'event:page', '/b')).toEqual([
      ['is', 'visit:country', ['DE']],
      ['is', 'event:page', ['/b']],
    ]);
  });

  it.each([
    [['is', 'event:page', ['/pricing']], 'Page is /pricing'],
    [['is_not', 'visit:source', ['Google', 'Bing']], 'Source is not Google or Bing'],
    [['contains', 'event:props:plan', ['pro']], 'Property plan contains pro'],
    [['is', 'visit:country', ['DE']], 'Country is Germany'],
    [['or', [['is', 'event:page', ['/a']]]], '["or",[["is","event:page",["/a"]]]]'],
  ])('chip %j reads "%s"', (filter, label) => {
    expect(filterLabel(filter)).toBe(label);
  });

  it('keeps only lists from the URL', () => {
    expect(parseFilters('[["is","event:page",["/"]], 5, "x"]')).toEqual([['is', 'event:page', ['/']]]);
  });
});

describe('periods', () => {
  it.each<[PeriodChoice, Record<string, string>, string, string[]]>([
    [{ period: 'realtime' }, { period: 'realtime' }, 'minute', ['minute']],
    [{ period: 'today' }, { period: 'today' }, 'hour', ['hour']],
    [{ period: '7d' }, { period: '7d' }, 'day', ['hour', 'day']],
    [{ period: '30d' }, { period: '30d' }, 'day', ['day', 'week', 'month']],
    [{ period: '12mo' }, { period: '12mo' }, 'month', ['day', 'week', 'month']],
    [
      { period: 'custom', from: '2026-01-10', to: '2026-01-10' },
      { start_date: '2026-01-10', end_date: '2026-01-10' },
      'hour',
      ['hour'],
    ],
    [
      { period: 'custom', from: '2026-01-01', to: '2026-03-31' },
      { start_date: '2026-01-01', end_date: '2026-03-31' },
      'day',
      ['day', 'week', 'month'],
    ],
  ])('%j → %j, charted by %s', (choice, params, interval, intervals) => {
    expect(periodParams(choice)).toEqual(params);
    expect(defaultInterval(choice)).toBe(interval);
    expect(intervalsFor(choice)).toEqual(intervals);
  });
});

describe('funnel steps', () => {
  it.each([
    [
      [
        { kind: 'page', value: '/' },
        { kind: 'event', value: 'Signup' },
      ],
      'page:/,event:Signup',
    ],
    [
      [
        { kind: 'page', value: ' /blog/* ' },
        { kind: 'page', value: '/a,b' },
      ],
      '["page:/blog/*","page:/a,b"]',
    ],
  ] as const)('%j → %s', (steps, param) => {
    expect(stepsParam([...steps])).toBe(param);
  });
});

describe('settings and funnel modes', () => {
  const rateError = { error: 'The rate limit must be a whole number from 1 to 100,000, or empty for unlimited.' };
  it.each<[string, ReturnType<typeof rateLimitValue>]>([
    ['', { value: null }],
    ['  ', { value: null }],
    ['1', { value: 1 }],
    [' 250 ', { value: 250 }],
    ['100000', { value: 100_000 }],
    ['100001', rateError],
    ['0', rateError],
    ['12.5', rateError],
    ['-3', rateError],
    ['1e3', rateError],
    ['ten', rateError],
  ])('rate limit %j', (text, expected) => {
    expect(rateLimitValue(text)).toEqual(expected);
  });

  it('generates 256-bit base64url secrets, a new one each time', () => {
    const a = newSecret();
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(a, 'base64url')).toHaveLength(32);
    expect(newSecret()).not.toBe(a);
  });

  it.each<[FunnelMode[], FunnelMode, boolean, FunnelMode[]]>([
    [[], 'strict_once', true, ['strict_once']],
    [['strict_once'], 'strict_order', true, ['strict_order', 'strict_once']],
    [['strict_order'], 'allow_reentry', true, ['strict_order', 'allow_reentry']],
    // Re-entry exists only with strict order.
    [['strict_order', 'allow_reentry'], 'strict_order', false, []],
    [[], 'allow_reentry', true, []],
    [['strict_order', 'strict_increase'], 'strict_increase', false, ['strict_order']],
  ])('modes %j: %s set to %s', (modes, mode, on, expected) => {
    expect(toggleMode(modes, mode, on)).toEqual(expected);
  });

  it.each([
    [1, '1 second'],
    [45, '45 seconds'],
    [60, '1 minute'],
    [61, '2 minutes'],
    [900, '15 minutes'],
    [3600, '1 hour'],
    [5400, '1 hour 30 minutes'],
    [7199, '2 hours'],
  ])('waits %d s as "%s"', (secs, text) => {
    expect(waitText(secs)).toBe(text);
  });
});
