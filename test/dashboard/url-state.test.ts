/**
 * The dashboard's pure logic, table-driven: views and URL state (what a bookmarked or shared
 * link restores), filters (what a row click sends), periods (what the API is asked) and
 * funnel steps. The browser test (test/browser/dashboard.test.ts) covers the rest.
 */
import { describe, expect, it } from 'vitest';
import { stepsParam } from '../../dashboard/src/components/steps.js';
import { filterLabel, parseFilters, withFilter } from '../../dashboard/src/filters.js';
import { defaultInterval, intervalsFor, type PeriodChoice, periodParams } from '../../dashboard/src/period.js';
import { type DashQuery, parseQuery, parseView, queryString, viewPath } from '../../dashboard/src/router.js';

describe('views', () => {
  it.each([
    ['/', { page: 'sites' }],
    ['/sites', { page: 'sites' }],
    ['/keys', { page: 'keys' }],
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
  const base: DashQuery = { period: '30d', from: undefined, to: undefined, compare: false, interval: undefined, filters: [] };
  it.each<[string, string, Partial<DashQuery>]>([
    ['defaults', '', {}],
    ['a period', '?period=7d', { period: '7d' }],
    [
      'a custom range',
      '?period=custom&from=2026-01-10&to=2026-01-12',
      { period: 'custom', from: '2026-01-10', to: '2026-01-12' },
    ],
    [
      'comparison and interval',
      '?period=12mo&compare=previous_period&interval=week',
      { period: '12mo', compare: true, interval: 'week' },
    ],
    [
      'filters',
      `?filters=${encodeURIComponent('[["is","event:page",["/pricing"]]]')}`,
      { filters: [['is', 'event:page', ['/pricing']]] },
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
    ['an unknown interval', '?interval=minute'],
    ['malformed filters', '?filters=[["is"'],
    ['filters that are no list', '?filters={"a":1}'],
  ])('falls back to the defaults for %s', (_name, search) => {
    expect(parseQuery(search)).toEqual(base);
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
