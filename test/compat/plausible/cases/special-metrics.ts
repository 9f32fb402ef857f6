/**
 * Ported from plausible/analytics
 * `test/plausible_web/controllers/api/external_stats_controller/query_special_metrics_test.exs`
 * at 017f5a19d1b2342cbbe571dc3b9563e961af8d4e (the newest stored version; its `exit_rate` and
 * imported-percentage tests, posted to `/api/v2/query-internal-test` in older versions, are no
 * longer in this file). Every test posts to `/api/v2/query`. Rows without a `timestamp` take the
 * factory's default, now (NOW). `screen_size` is the factory field behind `visit:device`.
 */
import type { PortedCase, Source } from '../case.js';
import { NOW } from '../translate.js';

const src = (test: string): Source => ({
  file: 'test/plausible_web/controllers/api/external_stats_controller/query_special_metrics_test.exs',
  test,
  commit: '017f5a19d1b2342cbbe571dc3b9563e961af8d4e',
});

const author = (value: string) => ({ author: value });

export const CASES: PortedCase[] = [
  {
    source: src('returns conversion_rate in a goal filtered custom prop breakdown'),
    fixture: {
      goals: [{ page_path: '/blog**' }],
      events: [
        { name: 'pageview', timestamp: NOW, pathname: '/blog/1', props: author('Uku') },
        { name: 'pageview', timestamp: NOW, pathname: '/blog/2', props: author('Uku') },
        { name: 'pageview', timestamp: NOW, pathname: '/blog/3', props: author('Uku') },
        { name: 'pageview', timestamp: NOW, pathname: '/blog/1', props: author('Marko') },
        { name: 'pageview', timestamp: NOW, pathname: '/blog/2', props: author('Marko'), user_id: 1 },
        { name: 'pageview', timestamp: NOW, pathname: '/blog/3', props: author('Marko'), user_id: 1 },
        { name: 'pageview', timestamp: NOW, pathname: '/blog' },
        { name: 'pageview', timestamp: NOW, props: author('Marko') },
        { name: 'pageview', timestamp: NOW },
      ],
    },
    query: {
      date_range: 'all',
      filters: [['is', 'event:goal', ['Visit /blog**']]],
      metrics: ['visitors', 'events', 'conversion_rate'],
      dimensions: ['event:props:author'],
    },
    expect: {
      status: 200,
      results: [
        { dimensions: ['Uku'], metrics: [3, 3, 37.5] },
        { dimensions: ['Marko'], metrics: [2, 3, 25.0] },
        { dimensions: ['(none)'], metrics: [1, 1, 12.5] },
      ],
    },
    verdict: { kind: 'same' },
  },
  {
    source: src('returns conversion_rate alone in a goal filtered custom prop breakdown'),
    fixture: {
      goals: [{ page_path: '/blog**' }],
      events: [
        { name: 'pageview', timestamp: NOW, pathname: '/blog/1', props: author('Uku') },
        { name: 'pageview', timestamp: NOW },
      ],
    },
    query: {
      metrics: ['conversion_rate'],
      date_range: 'all',
      dimensions: ['event:props:author'],
      filters: [['is', 'event:goal', ['Visit /blog**']]],
    },
    expect: { status: 200, results: [{ dimensions: ['Uku'], metrics: [50] }] },
    verdict: { kind: 'same' },
  },
  {
    source: src('returns conversion_rate in a goal filtered event:page breakdown'),
    fixture: {
      goals: [{ event_name: 'Signup' }],
      events: [
        { name: 'pageview', timestamp: NOW, pathname: '/en/register' },
        { name: 'Signup', timestamp: NOW, pathname: '/en/register' },
        { name: 'Signup', timestamp: NOW, pathname: '/en/register' },
        { name: 'Signup', timestamp: NOW, pathname: '/it/register', user_id: 1 },
        { name: 'Signup', timestamp: NOW, pathname: '/it/register', user_id: 1 },
        { name: 'pageview', timestamp: NOW, pathname: '/it/register' },
      ],
    },
    query: {
      date_range: 'all',
      dimensions: ['event:page'],
      filters: [['is', 'event:goal', ['Signup']]],
      metrics: ['visitors', 'events', 'group_conversion_rate'],
    },
    expect: {
      status: 200,
      results: [
        { dimensions: ['/en/register'], metrics: [2, 2, 66.7] },
        { dimensions: ['/it/register'], metrics: [1, 2, 50.0] },
      ],
    },
    verdict: { kind: 'same' },
  },
  {
    source: src('returns conversion_rate alone in a goal filtered event:page breakdown'),
    fixture: {
      goals: [{ event_name: 'Signup' }],
      events: [
        { name: 'pageview', timestamp: NOW, pathname: '/en/register' },
        { name: 'Signup', timestamp: NOW, pathname: '/en/register' },
      ],
    },
    query: {
      date_range: 'all',
      filters: [['is', 'event:goal', ['Signup']]],
      metrics: ['group_conversion_rate'],
      dimensions: ['event:page'],
    },
    expect: { status: 200, results: [{ dimensions: ['/en/register'], metrics: [50.0] }] },
    verdict: { kind: 'same' },
  },
  {
    source: src('returns conversion_rate in a multi-goal filtered visit:screen_size breakdown'),
    fixture: {
      // "Make sure that revenue goals are treated the same way as regular custom event goals"
      goals: [{ event_name: 'Purchase', currency: 'EUR' }, { event_name: 'AddToCart' }],
      events: [
        { name: 'pageview', timestamp: NOW, screen_size: 'Mobile' },
        { name: 'AddToCart', timestamp: NOW, screen_size: 'Mobile' },
        { name: 'AddToCart', timestamp: NOW, screen_size: 'Mobile' },
        { name: 'AddToCart', timestamp: NOW, screen_size: 'Desktop', user_id: 1 },
        { name: 'Purchase', timestamp: NOW, screen_size: 'Desktop', user_id: 1 },
        { name: 'pageview', timestamp: NOW, screen_size: 'Desktop' },
      ],
    },
    query: {
      metrics: ['visitors', 'events', 'group_conversion_rate'],
      date_range: 'all',
      dimensions: ['visit:device'],
      filters: [['is', 'event:goal', ['AddToCart', 'Purchase']]],
    },
    expect: {
      status: 200,
      results: [
        { dimensions: ['Mobile'], metrics: [2, 2, 66.7] },
        { dimensions: ['Desktop'], metrics: [1, 2, 50] },
      ],
    },
    verdict: { kind: 'same' },
  },
  {
    source: src('returns conversion_rate alone in a goal filtered visit:screen_size breakdown'),
    fixture: {
      goals: [{ event_name: 'AddToCart' }],
      events: [
        { name: 'pageview', timestamp: NOW, screen_size: 'Mobile' },
        { name: 'AddToCart', timestamp: NOW, screen_size: 'Mobile' },
      ],
    },
    query: {
      metrics: ['conversion_rate'],
      date_range: 'all',
      dimensions: ['visit:device'],
      filters: [['is', 'event:goal', ['AddToCart']]],
    },
    expect: { status: 200, results: [{ dimensions: ['Mobile'], metrics: [50] }] },
    verdict: { kind: 'same' },
  },
];
