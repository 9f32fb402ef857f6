import { describe, expect, it } from 'vitest';
import { DomainError } from '../../errors.js';
import { startAllAt } from '../period.js';
import type { ResultRow } from '../run.js';
import { change, pickCompared } from './compare.js';
import { orderRows } from './order.js';
import { planV2, timeUnitFor } from './plan.js';
import { parseV2Body } from './request.js';
import type { V2Revenue } from './revenue.js';
import { shapeV2, type V2Engagement } from './shape.js';

const NOW = new Date('2026-03-15T12:34:56Z');
const BASE = { site_id: 'a.test', metrics: ['visitors'], date_range: ['2026-01-10', '2026-01-12'] };
const parse = (body: unknown) => parseV2Body(body, NOW);

describe('parseV2Body: every bad body is a 400 naming the field', () => {
  it.each<[string, unknown, string]>([
    ['not an object', [BASE], 'body: expected a JSON object'],
    ['null', null, 'body: expected a JSON object'],
    ['no site_id', { ...BASE, site_id: undefined }, 'site_id: required'],
    ['empty site_id', { ...BASE, site_id: '' }, 'site_id: required'],
    ['site_id: number', { ...BASE, site_id: 42 }, 'site_id: not a valid site id'],
    ['site_id: path', { ...BASE, site_id: '../etc' }, 'site_id: not a valid site id'],
    ['unknown key', { ...BASE, period: '7d' }, 'period: unknown field'],
    ['no metrics', { ...BASE, metrics: undefined }, 'metrics: required'],
    ['metrics: string', { ...BASE, metrics: 'visitors' }, 'metrics: must be a list of metrics'],
    ['metrics: empty', { ...BASE, metrics: [] }, 'metrics: must name at least one metric'],
    ['metrics: unknown', { ...BASE, metrics: ['visitors', 'bounces'] }, 'metrics[1]: unknown metric "bounces"'],
    [
      'metrics: scroll_depth without event:page',
      { ...BASE, metrics: ['visitors', 'scroll_depth'] },
      'metrics: scroll_depth can only be queried with an event:page filter or dimension',
    ],
    [
      'metrics: scroll_depth by what an engagement row has not',
      { ...BASE, metrics: ['scroll_depth'], dimensions: ['event:page', 'time', 'event:name', 'visit:exit_page'] },
      'metrics: scroll_depth cannot be grouped by event:name, visit:exit_page (not a value of an engagement row)',
    ],
    ['metrics: twice', { ...BASE, metrics: ['visitors', 'visitors'] }, 'metrics: "visitors" given twice'],
    ['no date_range', { ...BASE, date_range: undefined }, 'date_range: required'],
    ['date_range: unknown name', { ...BASE, date_range: 'today' }, 'date_range: must be one of day, 7d, 30d'],
    ['date_range: realtime', { ...BASE, date_range: 'realtime' }, 'date_range: must be one of'],
    ['date_range: one date', { ...BASE, date_range: ['2026-01-10'] }, 'date_range: must be one of'],
    ['date_range: number', { ...BASE, date_range: 7 }, 'date_range: must be one of'],
    ['date_range: not a date', { ...BASE, date_range: ['2026-01-10', 'tomorrow'] }, 'date_range[1]: expected YYYY-MM-DD'],
    ['date_range: not a real day', { ...BASE, date_range: ['2026-02-30', '2026-03-01'] }, 'date_range[0]: not a real date'],
    [
      'date_range: datetimes',
      { ...BASE, date_range: ['2026-01-10T00:00:00Z', '2026-01-11T00:00:00Z'] },
      'date_range[0]: expected',
    ],
    ['date_range: reversed', { ...BASE, date_range: ['2026-01-12', '2026-01-10'] }, 'date_range: the last date is before'],
    ['date: bad', { ...BASE, date_range: 'day', date: '10/01/2026' }, 'date: expected YYYY-MM-DD'],
    ['date: number', { ...BASE, date_range: 'day', date: 20260110 }, 'date: expected YYYY-MM-DD'],
    ['date: with a date pair', { ...BASE, date: '2026-01-10' }, 'date: only with a named date_range'],
    ['dimensions: string', { ...BASE, dimensions: 'event:page' }, 'dimensions: must be a list of dimension names'],
    ['dimensions: number', { ...BASE, dimensions: [1] }, 'dimensions[0]: must be a string'],
    [
      'dimensions: unknown',
      { ...BASE, dimensions: ['event:page', 'visit:planet'] },
      'dimensions[1]: unknown dimension "visit:planet"',
    ],
    ['dimensions: time:minute', { ...BASE, dimensions: ['time:minute'] }, 'dimensions[0]: unknown dimension'],
    ['dimensions: bad prop key', { ...BASE, dimensions: ['event:props:a/b'] }, 'dimensions[0]: unknown dimension'],
    ['dimensions: empty prop key', { ...BASE, dimensions: ['event:props:'] }, 'dimensions[0]: unknown dimension'],
    ['dimensions: twice', { ...BASE, dimensions: ['event:page', 'event:page'] }, 'dimensions: "event:page" given twice'],
    ['dimensions: two times', { ...BASE, dimensions: ['time', 'time:day'] }, 'dimensions: at most one time dimension'],
    ['dimensions: goal and page', { ...BASE, dimensions: ['event:goal', 'event:page'] }, 'dimensions: event:goal and event:page'],
    ['filters: object', { ...BASE, filters: {} }, 'filters: must be a list of filters'],
    ['filters: unknown operator', { ...BASE, filters: [['eq', 'event:page', ['/']]] }, 'filters[0]: unknown operator "eq"'],
    [
      'filters: unknown dimension',
      { ...BASE, filters: [['is', 'visit:planet', ['x']]] },
      'filters[0]: Invalid filter ["is", "visit:planet", ["x"]]: unknown dimension "visit:planet"',
    ],
    ['filters: time', { ...BASE, filters: [['is', 'time:day', ['2026-01-10']]] }, 'filters[0]: filter time with'],
    ['filters: no values', { ...BASE, filters: [['is', 'event:page', []]] }, 'filters[0]: values must be a list'],
    [
      'filters: nested goal',
      { ...BASE, filters: [['or', [['is', 'event:goal', ['signup']]]]] },
      'filters[0]: event:goal can only be filtered at the top level',
    ],
    [
      'filters: goal under not',
      {
        ...BASE,
        filters: [
          ['is', 'event:page', ['/']],
          ['not', ['is', 'event:goal', ['signup']]],
        ],
      },
      'filters[1]: event:goal can only be filtered at the top level',
    ],
    [
      'filters: nested hostname',
      { ...BASE, filters: [['and', [['is', 'event:hostname', ['a.test']]]]] },
      'filters[0]: event:hostname can only be filtered at the top level',
    ],
    [
      'filters: goal with is_not',
      { ...BASE, filters: [['is_not', 'event:goal', ['signup']]] },
      'filters[0]: event:goal can only be filtered with is or contains',
    ],
    [
      'filters: goal with matches',
      { ...BASE, filters: [['matches', 'event:goal', ['^s']]] },
      'filters[0]: event:goal can only be filtered with is or contains',
    ],
    [
      'filters: has_done of a visit dimension',
      { ...BASE, dimensions: ['visit:browser'], filters: [['has_done', ['is', 'visit:browser', ['Chrome']]]] },
      // Plausible's sentence first (clients may match it), then ours.
      'filters[0][1]: Invalid filters. Behavioral filters (has_done, has_not_done) can only be used with event dimension filters. "has_done" takes filters of event:* dimensions only, not "visit:browser"',
    ],
    [
      'filters: nested behavioral filters',
      { ...BASE, filters: [['has_done', ['not', ['has_not_done', ['is', 'event:name', ['a']]]]]] },
      'filters[0][1][1]: Invalid filters. Behavioral filters (has_done, has_not_done) cannot be nested. "has_not_done" cannot be inside "has_done"',
    ],
    [
      'filters: goal nested inside a behavioral filter',
      { ...BASE, filters: [['has_done', ['or', [['is', 'event:goal', ['signup']]]]]] },
      'filters[0]: event:goal can only be filtered at the top level',
    ],
    [
      'filters: goal by matches inside a behavioral filter',
      { ...BASE, filters: [['has_not_done', ['matches', 'event:goal', ['^s']]]] },
      'filters[0]: event:goal can only be filtered with is or contains',
    ],
    [
      'engagement under a behavioral page filter only',
      { ...BASE, metrics: ['scroll_depth'], filters: [['has_done', ['is', 'event:page', ['/']]]] },
      'metrics: scroll_depth can only be queried with an event:page filter or dimension',
    ],
    [
      'conversion_rate without a goal',
      { ...BASE, metrics: ['visitors', 'conversion_rate'], dimensions: ['event:page'] },
      'metrics: conversion_rate can only be queried with an event:goal filter or dimension',
    ],
    [
      'group_conversion_rate without a goal',
      { ...BASE, metrics: ['group_conversion_rate'], dimensions: ['event:page'] },
      'metrics: group_conversion_rate can only be queried with an event:goal filter or dimension',
    ],
    [
      'group_conversion_rate without dimensions',
      { ...BASE, metrics: ['group_conversion_rate'], filters: [['is', 'event:goal', ['signup']]] },
      'metrics: group_conversion_rate needs dimensions',
    ],
    [
      'conversion_rate with a nested goal-less filter only',
      { ...BASE, metrics: ['conversion_rate'], filters: [['is', 'event:name', ['signup']]] },
      'metrics: conversion_rate can only be queried',
    ],
    [
      'conversion_rate with a nested property filter',
      {
        ...BASE,
        metrics: ['conversion_rate'],
        filters: [
          ['is', 'event:goal', ['signup']],
          ['or', [['is', 'event:props:plan', ['pro']]]],
        ],
      },
      'filters[1]: with conversion_rate, custom property filters can only be used at the top level',
    ],
    [
      'views_per_visit with dimensions',
      { ...BASE, metrics: ['views_per_visit'], dimensions: ['visit:source'] },
      'metrics: views_per_visit cannot be queried with dimensions',
    ],
    [
      'views_per_visit with a page filter',
      { ...BASE, metrics: ['views_per_visit'], filters: [['not', ['contains', 'event:page', ['/blog']]]] },
      'metrics: views_per_visit cannot be queried with a filter on event:page',
    ],
    [
      'visit metrics by goal',
      { ...BASE, metrics: ['visitors', 'bounce_rate'], dimensions: ['event:goal'] },
      'metrics: bounce_rate cannot be queried with the event dimension(s) event:goal',
    ],
    [
      'visit metrics by property',
      { ...BASE, metrics: ['visit_duration'], dimensions: ['visit:source', 'event:props:plan'] },
      'metrics: visit_duration cannot be queried with the event dimension(s) event:props:plan',
    ],
    [
      'visit metrics by page and hostname',
      { ...BASE, metrics: ['bounce_rate'], dimensions: ['event:page', 'event:hostname'] },
      'metrics: bounce_rate cannot be queried with the event dimension(s) event:page, event:hostname',
    ],
    [
      'event metrics by entry page',
      { ...BASE, metrics: ['visitors', 'pageviews', 'events'], dimensions: ['visit:entry_page'] },
      'metrics: pageviews, events cannot be queried with the visit dimension(s) visit:entry_page',
    ],
    ['order_by: not a list', { ...BASE, order_by: 'visitors' }, 'order_by: must be a list of'],
    [
      'order_by: one element',
      { ...BASE, order_by: [['visitors']] },
      'order_by[0]: expected [metric or dimension, "asc" or "desc"]',
    ],
    ['order_by: bad direction', { ...BASE, order_by: [['visitors', 'up']] }, 'order_by[0]: expected [metric or dimension'],
    ['order_by: number key', { ...BASE, order_by: [[1, 'asc']] }, 'order_by[0]: expected [metric or dimension'],
    [
      'order_by: metric not queried',
      {
        ...BASE,
        order_by: [
          ['visitors', 'desc'],
          ['pageviews', 'desc'],
        ],
      },
      'order_by[1]: "pageviews" is not a queried metric or dimension',
    ],
    [
      'order_by: dimension not queried',
      { ...BASE, dimensions: ['time:day'], order_by: [['time', 'asc']] },
      'order_by[0]: "time" is not a queried metric or dimension',
    ],
    ['include: not an object', { ...BASE, include: true }, 'include: must be an object'],
    ['include: unknown key', { ...BASE, include: { compare: 'previous_period' } }, 'include.compare: unknown field'],
    [
      'comparisons: not an object',
      { ...BASE, include: { comparisons: 'previous_period' } },
      'include.comparisons: must be an object',
    ],
    [
      'comparisons: no mode',
      { ...BASE, include: { comparisons: {} } },
      'include.comparisons.mode: must be one of previous_period, year_over_year, custom',
    ],
    [
      'comparisons: unknown mode',
      { ...BASE, include: { comparisons: { mode: 'last_year' } } },
      'include.comparisons.mode: must be one of previous_period, year_over_year, custom',
    ],
    [
      'comparisons: unknown key',
      { ...BASE, include: { comparisons: { mode: 'previous_period', dates: [] } } },
      'include.comparisons.dates: unknown field',
    ],
    [
      'comparisons: match_day_of_week not a boolean',
      { ...BASE, include: { comparisons: { mode: 'previous_period', match_day_of_week: 1 } } },
      'include.comparisons.match_day_of_week: must be true or false',
    ],
    [
      'comparisons: custom without dates',
      { ...BASE, include: { comparisons: { mode: 'custom' } } },
      'include.comparisons.date_range: required with mode custom',
    ],
    [
      'comparisons: dates with another mode',
      { ...BASE, include: { comparisons: { mode: 'year_over_year', date_range: ['2025-01-01', '2025-01-02'] } } },
      'include.comparisons.date_range: only with mode custom',
    ],
    [
      'comparisons: one date',
      { ...BASE, include: { comparisons: { mode: 'custom', date_range: ['2025-01-01'] } } },
      'include.comparisons.date_range: must be [first, last] as two YYYY-MM-DD dates',
    ],
    [
      'comparisons: not a date',
      { ...BASE, include: { comparisons: { mode: 'custom', date_range: ['2025-01-01', '2025-02-30'] } } },
      'include.comparisons.date_range[1]: not a real date',
    ],
    [
      'comparisons: reversed dates',
      { ...BASE, include: { comparisons: { mode: 'custom', date_range: ['2025-01-02', '2025-01-01'] } } },
      'include.comparisons.date_range: the last date is before the first',
    ],
    ['include: not a boolean', { ...BASE, include: { total_rows: 'yes' } }, 'include.total_rows: must be true or false'],
    [
      'include: time_labels without time',
      { ...BASE, include: { time_labels: true } },
      'include.time_labels: requires a time dimension',
    ],
    ['pagination: not an object', { ...BASE, pagination: 10 }, 'pagination: must be an object'],
    ['pagination: unknown key', { ...BASE, pagination: { page: 2 } }, 'pagination.page: unknown field'],
    ['pagination: limit 0', { ...BASE, pagination: { limit: 0 } }, 'pagination.limit: must be an integer from 1 to 10000'],
    [
      'pagination: limit too big',
      { ...BASE, pagination: { limit: 10_001 } },
      'pagination.limit: must be an integer from 1 to 10000',
    ],
    ['pagination: limit fraction', { ...BASE, pagination: { limit: 2.5 } }, 'pagination.limit: must be an integer'],
    ['pagination: limit string', { ...BASE, pagination: { limit: '10' } }, 'pagination.limit: must be an integer'],
    ['pagination: negative offset', { ...BASE, pagination: { offset: -1 } }, 'pagination.offset: must be an integer, 0 or more'],
  ])('%s', (_name, body, message) => {
    expect(() => parse(body)).toThrow(DomainError);
    expect(() => parse(body)).toThrow(message);
    try {
      parse(body);
    } catch (err) {
      expect((err as DomainError).kind).toBe('invalid');
    }
  });
});

describe('parseV2Body: valid bodies', () => {
  it('fills Plausible defaults', () => {
    const q = parse(BASE);
    expect(q.siteId).toBe('a.test');
    expect(q.metrics).toEqual(['visitors']);
    expect(q.dimensions).toEqual([]);
    expect(q.filters).toEqual([]);
    expect(q.orderBy).toBeUndefined();
    expect(q.include).toEqual({ total_rows: false, imports: false, time_labels: false });
    expect(q.pagination).toEqual({ limit: 10_000, offset: 0 });
    expect(q.period.from.toISOString()).toBe('2026-01-10T00:00:00.000Z');
    expect(q.period.to.toISOString()).toBe('2026-01-13T00:00:00.000Z');
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['day (today)', { date_range: 'day' }, '2026-03-15', '2026-03-16'],
    ['day with date', { date_range: 'day', date: '2026-01-11' }, '2026-01-11', '2026-01-12'],
    ['7d', { date_range: '7d' }, '2026-03-09', '2026-03-16'],
    ['7d with date as today', { date_range: '7d', date: '2026-01-12' }, '2026-01-06', '2026-01-13'],
    ['30d', { date_range: '30d' }, '2026-02-14', '2026-03-16'],
    ['month', { date_range: 'month' }, '2026-03-01', '2026-04-01'],
    ['month with date', { date_range: 'month', date: '2026-01-20' }, '2026-01-01', '2026-02-01'],
    ['6mo', { date_range: '6mo' }, '2025-10-01', '2026-04-01'],
    ['12mo', { date_range: '12mo' }, '2025-04-01', '2026-04-01'],
    ['year', { date_range: 'year' }, '2026-01-01', '2027-01-01'],
    ['one day pair', { date_range: ['2026-01-10', '2026-01-10'] }, '2026-01-10', '2026-01-11'],
  ])('date_range %s', (_name, extra, from, to) => {
    const { period } = parse({ ...BASE, ...extra });
    expect([period.from.toISOString().slice(0, 10), period.to.toISOString().slice(0, 10)]).toEqual([from, to]);
  });

  it('accepts Plausible rules it allows: visit metrics by page, goals by goal filter, null filters', () => {
    expect(() =>
      parse({ ...BASE, metrics: ['bounce_rate', 'visit_duration'], dimensions: ['event:page', 'visit:source'] }),
    ).not.toThrow();
    expect(() => parse({ ...BASE, metrics: ['conversion_rate'], filters: [['contains', 'event:goal', ['sign']]] })).not.toThrow();
    expect(() => parse({ ...BASE, metrics: ['visits', 'events'], dimensions: ['event:goal', 'time'] })).not.toThrow();
    expect(parse({ ...BASE, filters: null }).filters).toEqual([]);
    // A behavioral filter's own filter is a top level: goals and hostnames may be filtered there.
    const behavioral = parse({
      ...BASE,
      filters: [
        ['has_done', ['is', 'event:goal', ['Signup']]],
        ['not', ['has_not_done', ['is', 'event:hostname', ['a.test']]]],
        ['is', 'event:name', ['pageview']],
      ],
    });
    expect(behavioral.filters.map((f) => f.kind)).toEqual(['has_done', 'not', 'match']);
    // It picks visits and leaves their events alone: no page filter for views_per_visit.
    expect(() =>
      parse({ ...BASE, metrics: ['views_per_visit'], filters: [['has_done', ['is', 'event:page', ['/']]]] }),
    ).not.toThrow();
    expect(() => parse({ ...BASE, include: { imports: true, total_rows: false } })).not.toThrow();
    // Revenue without a goal is answered null with a warning (revenue.ts); it orders as Plausible's.
    expect(() => parse({ ...BASE, metrics: ['total_revenue'] })).not.toThrow();
    expect(() =>
      parse({ ...BASE, metrics: ['average_revenue'], dimensions: ['event:goal'], order_by: [['average_revenue', 'asc']] }),
    ).not.toThrow();
  });
});

describe('timeUnitFor (Plausible: ≤ 48 h hour, ≤ 40 days day, ≤ 52 weeks week, else month)', () => {
  const unit = (first: string, last: string) => timeUnitFor(parse({ ...BASE, date_range: [first, last] }).period);
  it.each([
    ['2026-01-10', '2026-01-10', 'hour'],
    ['2026-01-10', '2026-01-11', 'hour'],
    ['2026-01-10', '2026-01-12', 'day'],
    ['2026-01-01', '2026-02-10', 'day'],
    ['2026-01-01', '2026-02-11', 'week'],
    ['2025-01-01', '2025-12-31', 'week'],
    ['2025-01-01', '2026-01-06', 'week'],
    ['2025-01-01', '2026-01-07', 'month'],
  ])('%s … %s → %s', (first, last, expected) => {
    expect(unit(first, last)).toBe(expected);
  });
});

describe('startAllAt', () => {
  const all = parse({ ...BASE, date_range: 'all' }).period;
  it('starts on the day of the first event, ends today', () => {
    const p = startAllAt(all, new Date('2025-12-31T23:59:00Z'));
    expect([p.from.toISOString(), p.to.toISOString()]).toEqual(['2025-12-31T00:00:00.000Z', '2026-03-16T00:00:00.000Z']);
  });
  it('is today without any event', () => {
    expect(startAllAt(all, null).from.toISOString()).toBe('2026-03-15T00:00:00.000Z');
  });
});

describe('planV2', () => {
  it('resolves time, orders by time then the first metric, pages in the builder', () => {
    const req = parse({
      ...BASE,
      metrics: ['pageviews', 'visitors'],
      dimensions: ['time', 'visit:source'],
      pagination: { limit: 5 },
    });
    const plan = planV2(req, req.period);
    expect(plan.dimensions).toEqual(['time:day', 'visit:source']);
    expect(plan.orderBy).toEqual([
      ['time:day', 'asc'],
      ['pageviews', 'desc'],
    ]);
    expect(plan.query.dimensions.map((d) => d.name)).toEqual(['time:day', 'visit:source']);
    expect(plan.query.orderBy).toEqual([
      { key: 'time:day', dir: 'asc' },
      { key: 'pageviews', dir: 'desc' },
    ]);
    expect([plan.query.limit, plan.query.offset]).toEqual([5, 0]);
    expect(plan.query.customEventsOnly).toBeUndefined();
    expect(plan.totalQuery).toBeUndefined();
  });

  it('maps "time" in order_by; with total_rows the builder query is unpaged', () => {
    const req = parse({
      ...BASE,
      date_range: ['2026-01-10', '2026-01-10'],
      dimensions: ['time'],
      order_by: [['time', 'desc']],
      include: { total_rows: true },
      pagination: { limit: 5, offset: 5 },
    });
    const plan = planV2(req, req.period);
    expect(plan.orderBy).toEqual([['time:hour', 'desc']]);
    expect(plan.query.limit).toBeUndefined();
    expect(plan.query.offset).toBeUndefined();
  });

  it('goals: custom events only; conversion_rate over the period without goal and property filters', () => {
    const req = parse({
      ...BASE,
      metrics: ['visitors', 'conversion_rate'],
      dimensions: ['event:goal'],
      filters: [
        ['is', 'event:goal', ['signup']],
        ['is', 'event:props:plan', ['pro']],
        ['is', 'visit:source', ['Google']],
        ['not', ['is', 'event:page', ['/']]],
      ],
    });
    const plan = planV2(req, req.period);
    expect(plan.query.customEventsOnly).toBe(true);
    expect(plan.query.filters).toHaveLength(4);
    expect(plan.totalQuery?.dimensions).toEqual([]);
    expect(plan.totalQuery?.metrics).toEqual(['visitors']);
    expect(plan.totalQuery?.filters).toEqual([req.filters[2], req.filters[3]]);
  });

  it('revenue first orders by it by default: the builder then by visitors, unpaged; paged after', () => {
    const req = parse({
      ...BASE,
      metrics: ['average_revenue', 'total_revenue'],
      dimensions: ['event:goal'],
      pagination: { limit: 2, offset: 1 },
    });
    const plan = planV2(req, req.period);
    expect(plan.orderBy).toEqual([['average_revenue', 'desc']]);
    expect(plan.query.orderBy).toEqual([{ key: 'visitors', dir: 'desc' }]);
    expect([plan.query.limit, plan.query.offset, plan.orderInMemory]).toEqual([undefined, undefined, true]);
    const counted = planV2(parse({ ...BASE, metrics: ['visitors', 'total_revenue'], dimensions: ['event:goal'] }), req.period);
    expect([counted.orderBy, counted.orderInMemory, counted.query.limit]).toEqual([[['visitors', 'desc']], undefined, 10_000]);
  });

  it('engagement: grouped by what an engagement row has, and first orders by it by default, unpaged', () => {
    const req = parse({
      ...BASE,
      metrics: ['scroll_depth', 'visitors'],
      dimensions: ['event:page', 'visit:source', 'event:props:author', 'event:hostname', 'time'],
      pagination: { limit: 2, offset: 1 },
    });
    const plan = planV2(req, req.period);
    expect(plan.orderBy).toEqual([
      ['time:day', 'asc'],
      ['scroll_depth', 'desc'],
    ]);
    expect(plan.query.orderBy).toEqual([{ key: 'time:day', dir: 'asc' }]);
    expect([plan.query.limit, plan.query.offset, plan.orderInMemory]).toEqual([undefined, undefined, true]);
    const ordered = parse({
      ...BASE,
      metrics: ['visitors', 'time_on_page'],
      dimensions: ['visit:country'],
      filters: [['is', 'event:page', ['/']]],
      order_by: [['time_on_page', 'asc']],
    });
    expect(planV2(ordered, ordered.period).orderInMemory).toBe(true);
  });

  it('refuses time labels for too many buckets', () => {
    const req = parse({
      ...BASE,
      date_range: ['2020-01-01', '2026-01-01'],
      dimensions: ['time:hour'],
      include: { time_labels: true },
    });
    expect(() => planV2(req, req.period)).toThrow('include.time_labels: time:hour would give more than 10000 labels');
  });
});

const row = (dimensions: string[], r: Partial<ResultRow> = {}): ResultRow => ({
  dimensions,
  visitors: 0,
  pageviews: 0,
  events: 0,
  visits: 0,
  bounce_rate: 0,
  visit_duration: 0,
  views_per_visit: 0,
  percentage: 0,
  ...r,
});

describe('shapeV2', () => {
  it('rounds as Plausible v2 does, in request order, and echoes the normalized query', () => {
    const req = parse({
      ...BASE,
      metrics: ['visit_duration', 'bounce_rate', 'views_per_visit', 'visitors', 'visits', 'pageviews', 'events'],
      filters: [['is', 'visit:source', ['Google']]],
    });
    const plan = planV2(req, req.period);
    const r = row([], {
      visitors: 7,
      visits: 8,
      pageviews: 13,
      events: 16,
      bounce_rate: 0.375,
      visit_duration: 806.25,
      views_per_visit: 1.625,
    });
    expect(shapeV2(req, plan, [r])).toEqual({
      results: [{ metrics: [806, 38, 1.63, 7, 8, 13, 16], dimensions: [] }],
      meta: {},
      query: {
        site_id: 'a.test',
        metrics: ['visit_duration', 'bounce_rate', 'views_per_visit', 'visitors', 'visits', 'pageviews', 'events'],
        date_range: ['2026-01-10T00:00:00+00:00', '2026-01-12T23:59:59+00:00'],
        filters: [['is', 'visit:source', ['Google']]],
        dimensions: [],
        order_by: [['visit_duration', 'desc']],
        include: {},
        pagination: { limit: 10_000, offset: 0 },
      },
    });
  });

  it('percentage to 1 decimal (null for an empty total); conversion_rate to 2 decimals over its own total', () => {
    const pct = parse({ ...BASE, metrics: ['percentage'] });
    expect(shapeV2(pct, planV2(pct, pct.period), [row([], { visitors: 0 })]).results).toEqual([
      { metrics: [null], dimensions: [] },
    ]);
    const byPage = parse({ ...BASE, metrics: ['percentage'], dimensions: ['event:page'] });
    expect(shapeV2(byPage, planV2(byPage, byPage.period), [row(['/'], { visitors: 5, percentage: 71.428571 })]).results).toEqual([
      { metrics: [71.4], dimensions: ['/'] },
    ]);
    const cr = parse({ ...BASE, metrics: ['visitors', 'conversion_rate'], dimensions: ['event:goal'] });
    const plan = planV2(cr, cr.period);
    expect(shapeV2(cr, plan, [row(['signup'], { visitors: 2 })], 7).results).toEqual([
      { metrics: [2, 28.57], dimensions: ['signup'] },
    ]);
    expect(shapeV2(cr, plan, [row(['signup'], { visitors: 0 })], 0).results).toEqual([
      { metrics: [0, 0], dimensions: ['signup'] },
    ]);
  });

  it("imports meta as Plausible's: every skip reason, a warning only for the query's or the interval's", () => {
    const req = parse({ ...BASE, include: { imports: true } });
    const plan = planV2(req, req.period);
    const meta = (outcome: Parameters<typeof shapeV2>[5]) => shapeV2(req, plan, [], undefined, undefined, outcome).meta;
    const span = [{ source: 'plausible', start_date: '2025-01-01', end_date: '2026-01-11' }];
    expect(meta({ included: true, imports: span })).toEqual({ imports_included: true });
    expect(meta({ included: false, skip_reason: 'no_imported_data', imports: [] })).toEqual({
      imports_included: false,
      imports_skip_reason: 'no_imported_data',
    });
    expect(meta({ included: false, skip_reason: 'out_of_range', imports: [] })).toEqual({
      imports_included: false,
      imports_skip_reason: 'out_of_range',
    });
    expect(meta({ included: false, skip_reason: 'unsupported_interval', warning: 'hours', imports: span })).toEqual({
      imports_included: false,
      imports_skip_reason: 'unsupported_interval',
      // Plausible's sentence, not the outcome's own (the dashboard's) wording
      imports_warning: 'Imported stats are not included because the time dimension (i.e. the interval) is too short.',
    });
    // with include.imports false nothing is said, whatever happened
    const quiet = parse(BASE);
    expect(shapeV2(quiet, planV2(quiet, quiet.period), [], undefined, undefined, { included: false, imports: [] }).meta).toEqual(
      {},
    );
  });

  it('pages in memory under total_rows, labels weeks from the range start, lists time labels', () => {
    const req = parse({
      ...BASE,
      date_range: ['2026-01-07', '2026-01-20'],
      dimensions: ['time:week'],
      include: { total_rows: true, time_labels: true, imports: true },
      pagination: { limit: 1, offset: 1 },
    });
    const plan = planV2(req, req.period);
    const rows = [
      row(['2026-01-05'], { visitors: 5 }),
      row(['2026-01-12'], { visitors: 2 }),
      row(['2026-01-19'], { visitors: 1 }),
    ];
    const answer = shapeV2(req, plan, rows);
    expect(answer.results).toEqual([{ metrics: [2], dimensions: ['2026-01-12'] }]);
    expect(answer.meta).toEqual({
      imports_included: false,
      time_labels: ['2026-01-07', '2026-01-12', '2026-01-19'],
      total_rows: 3,
    });
    expect(answer.query.include).toEqual({ total_rows: true, imports: true, time_labels: true });
    expect(answer.query.pagination).toEqual({ limit: 1, offset: 1 });
    const first = shapeV2({ ...req, pagination: { limit: 10, offset: 0 } }, plan, rows);
    expect(first.results.map((r) => r.dimensions[0])).toEqual(['2026-01-07', '2026-01-12', '2026-01-19']);
  });

  it('revenue: objects in request order, warnings for the requested revenue metrics, ordered by revenue then paged', () => {
    const req = parse({
      ...BASE,
      metrics: ['visitors', 'total_revenue'],
      dimensions: ['event:goal'],
      order_by: [['total_revenue', 'desc']],
      pagination: { limit: 3, offset: 1 },
    });
    const plan = planV2(req, req.period);
    // Units are ten-thousandths: Buy 12.50 USD, Sub 30 EUR, Join no currency, Tip 0 USD.
    const sums: Record<string, { currency: string; totalUnits: number; paid: number; skipped: number } | null> = {
      Buy: { currency: 'USD', totalUnits: 125_000, paid: 2, skipped: 1 },
      Sub: { currency: 'EUR', totalUnits: 300_000, paid: 1, skipped: 2 },
      Join: null,
      Tip: { currency: 'USD', totalUnits: 0, paid: 0, skipped: 0 },
    };
    const revenue: V2Revenue = { of: (r) => sums[r.dimensions[0] ?? ''] ?? null };
    // The builder's order (visitors) for the ties; Join (null) last.
    const rows = [
      row(['Join'], { visitors: 9 }),
      row(['Tip'], { visitors: 4 }),
      row(['Buy'], { visitors: 3 }),
      row(['Sub'], { visitors: 1 }),
    ];
    const sorted = orderRows(rows, plan, { revenue });
    expect(sorted.map((r) => r.dimensions[0])).toEqual(['Sub', 'Buy', 'Tip', 'Join']);
    const answer = shapeV2(req, plan, sorted, undefined, revenue);
    expect(answer.results).toEqual([
      { metrics: [3, { short: '$12.5', long: '$12.50', value: 12.5, currency: 'USD' }], dimensions: ['Buy'] },
      { metrics: [4, { short: '$0.0', long: '$0.00', value: 0, currency: 'USD' }], dimensions: ['Tip'] },
      { metrics: [9, null], dimensions: ['Join'] },
    ]);
    // Skipped over the page: Buy's one (Sub's two are on the row offset 1 skips).
    expect(answer.meta).toEqual({ revenue_skipped: 1 });
    expect(answer.query.order_by).toEqual([['total_revenue', 'desc']]);
    const ascending = planV2({ ...req, orderBy: [['total_revenue', 'asc']] }, req.period);
    expect(orderRows(rows, ascending, { revenue }).map((r) => r.dimensions[0])).toEqual(['Tip', 'Buy', 'Sub', 'Join']);

    const warning = { code: 'no_single_revenue_currency' as const, warning: 'w' };
    const warned = shapeV2(req, plan, rows, undefined, { of: () => null, warning });
    expect(warned.meta).toEqual({ metric_warnings: { total_revenue: warning }, revenue_skipped: 0 });
    expect(warned.results.map((r) => r.metrics[1])).toEqual([null, null, null]);
  });

  it('engagement orders in memory: nulls last either way, ties by the dimension values ascending', () => {
    const req = parse({ ...BASE, metrics: ['scroll_depth'], dimensions: ['event:page'], order_by: [['scroll_depth', 'asc']] });
    const depth: Record<string, number | null> = { '/b': 50, '/a': 50, '/c': 20, '/n': null };
    const engagement: V2Engagement = (r) => ({ time_on_page: null, scroll_depth: depth[r.dimensions[0] ?? ''] ?? null });
    // The builder's order (by visitors) is not the tie-break.
    const rows = [
      row(['/n'], { visitors: 9 }),
      row(['/b'], { visitors: 5 }),
      row(['/c'], { visitors: 4 }),
      row(['/a'], { visitors: 1 }),
    ];
    const pages = (dir: 'asc' | 'desc') =>
      orderRows(rows, planV2({ ...req, orderBy: [['scroll_depth', dir]] }, req.period), { engagement }).map(
        (r) => r.dimensions[0],
      );
    expect(pages('asc')).toEqual(['/c', '/a', '/b', '/n']);
    expect(pages('desc')).toEqual(['/a', '/b', '/c', '/n']);
    const answer = shapeV2(
      { ...req, pagination: { limit: 2, offset: 1 } },
      planV2(req, req.period),
      orderRows(rows, planV2(req, req.period), { engagement }),
      undefined,
      undefined,
      undefined,
      engagement,
    );
    expect(answer.results).toEqual([
      { metrics: [50], dimensions: ['/a'] },
      { metrics: [50], dimensions: ['/b'] },
    ]);
  });
});

describe('include.comparisons', () => {
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  const last = (p: { to: Date }) => iso(new Date(p.to.getTime() - 1));
  const planOf = (body: Record<string, unknown>) => {
    const req = parse({ ...BASE, ...body });
    return { req, plan: planV2(req, req.period) };
  };

  it('plans the same query over the comparison period, unpaged; a lone time dimension unpages the main one', () => {
    const { plan } = planOf({
      metrics: ['visitors', 'conversion_rate'],
      dimensions: ['event:goal'],
      include: { comparisons: { mode: 'previous_period' } },
      pagination: { limit: 2, offset: 2 },
    });
    const c = plan.comparison;
    // 2026-01-10..12: the three days before.
    expect([iso(c?.period.from ?? new Date(0)), last(c?.period ?? { to: new Date(0) })]).toEqual(['2026-01-07', '2026-01-09']);
    expect([plan.query.limit, plan.query.offset, c?.query.limit, c?.query.offset]).toEqual([2, 2, undefined, undefined]);
    expect(c?.query.dimensions.map((d) => d.name)).toEqual(['event:goal']);
    expect(c?.totalQuery?.period).toBe(c?.period);
    expect(c?.dimensions).toEqual(plan.dimensions);
    expect(plan.fillsBuckets).toBeUndefined();

    const custom = planOf({
      dimensions: ['time'],
      include: { comparisons: { mode: 'custom', date_range: ['2025-06-01', '2025-06-30'] } },
      pagination: { limit: 2 },
    }).plan;
    // `time` is resolved for the period (3 days: days), and kept for the comparison's 30.
    expect(custom.comparison?.dimensions).toEqual(['time:day']);
    expect([iso(custom.comparison?.period.from ?? new Date(0)), last(custom.comparison?.period ?? { to: new Date(0) })]).toEqual([
      '2025-06-01',
      '2025-06-30',
    ]);
    expect([custom.fillsBuckets, custom.query.limit]).toEqual([true, undefined]);

    // 2026-01-10 is a Saturday; a year earlier (2025-01-10) a Friday: forward to Saturday the 11th.
    const yoy = planOf({ include: { comparisons: { mode: 'year_over_year', match_day_of_week: true } } }).plan;
    expect([iso(yoy.comparison?.period.from ?? new Date(0)), last(yoy.comparison?.period ?? { to: new Date(0) })]).toEqual([
      '2025-01-11',
      '2025-01-13',
    ]);
  });

  it.each<[string, Parameters<typeof change>, number | null]>([
    ['percent, rounded', ['visitors', 3, 1], -67],
    ['percent of a share', ['percentage', 12.5, 50], 300],
    ['half away from zero (Math.round would say -2)', ['visitors', 40, 39], -3],
    ['from 0 to more', ['pageviews', 0, 1], 100],
    ['from 0 to 0', ['pageviews', 0, 0], 0],
    ['to 0', ['pageviews', 1, 0], -100],
    ['bounce rate: points', ['bounce_rate', 40, 55], 15],
    ['bounce rate from 0: null', ['bounce_rate', 0, 55], null],
    ['conversion rate: points to one decimal', ['conversion_rate', 1.1, 3.35], 2.3],
    ['conversion rate from 0', ['conversion_rate', 0, 2.5], 2.5],
    ['a null value', ['visit_duration', null, 10], null],
    [
      'money by its value',
      [
        'total_revenue',
        { short: '$4.0', long: '$4.00', value: 4, currency: 'USD' },
        { short: '$5.0', long: '$5.00', value: 5, currency: 'USD' },
      ],
      25,
    ],
  ])('change: %s', (_name, args, expected) => {
    expect(change(...args)).toBe(expected);
  });

  it('matches rows by value, time buckets by position; a missing one compares with empty metrics', () => {
    const { req, plan } = planOf({
      metrics: ['visitors', 'visit_duration'],
      date_range: ['2026-01-07', '2026-01-20'],
      dimensions: ['time:week', 'visit:browser'],
      include: { comparisons: { mode: 'custom', date_range: ['2025-12-01', '2025-12-10'] } },
    });
    // Weeks of the period: 01-05 (labelled 01-07), 01-12, 01-19; of the comparison: 12-01, 12-08 (none third).
    const rows = [
      row(['2026-01-05', 'Chrome'], { visitors: 4, visits: 4, visit_duration: 30 }),
      row(['2026-01-12', 'Firefox'], { visitors: 2, visits: 2, visit_duration: 10 }),
      row(['2026-01-19', 'Chrome'], { visitors: 1, visits: 1, visit_duration: 5 }),
    ];
    const compared = [
      row(['2025-12-01', 'Chrome'], { visitors: 2, visits: 2, visit_duration: 40 }),
      row(['2025-12-01', 'Safari'], { visitors: 9, visits: 9, visit_duration: 1 }),
      row(['2025-12-08', 'Chrome'], { visitors: 3, visits: 3, visit_duration: 0 }),
    ];
    const picked = pickCompared(plan, rows, compared);
    expect(picked).toEqual([compared[0]]);
    const answer = shapeV2(req, plan, rows, undefined, undefined, undefined, undefined, undefined, { rows: picked });
    expect(answer.results).toEqual([
      {
        dimensions: ['2026-01-07', 'Chrome'],
        metrics: [4, 30],
        comparison: { dimensions: ['2025-12-01', 'Chrome'], metrics: [2, 40], change: [100, -25] },
      },
      {
        dimensions: ['2026-01-12', 'Firefox'],
        metrics: [2, 10],
        comparison: { dimensions: ['2025-12-08', 'Firefox'], metrics: [0, null], change: [100, null] },
      },
      {
        dimensions: ['2026-01-19', 'Chrome'],
        metrics: [1, 5],
        comparison: { dimensions: [null, 'Chrome'], metrics: [0, null], change: [100, null] },
      },
    ]);
    expect(answer.meta).toEqual({ comparison_date_range: ['2025-12-01T00:00:00+00:00', '2025-12-10T23:59:59+00:00'] });
    expect(answer.query.include).toEqual({ comparisons: { mode: 'custom', date_range: ['2025-12-01', '2025-12-10'] } });
  });

  it('a lone time dimension: every bucket is a row, in the order asked, then paged', () => {
    const { req, plan } = planOf({
      metrics: ['pageviews'],
      date_range: ['2026-01-10', '2026-01-13'],
      dimensions: ['time:day'],
      order_by: [['pageviews', 'asc']],
      include: { comparisons: { mode: 'previous_period' }, total_rows: true },
      pagination: { limit: 3, offset: 0 },
    });
    const rows = [row(['2026-01-11'], { pageviews: 1 }), row(['2026-01-13'], { pageviews: 2 })];
    const compared = [row(['2026-01-07'], { pageviews: 5 })];
    const answer = shapeV2(req, plan, rows, undefined, undefined, undefined, undefined, undefined, {
      rows: pickCompared(plan, rows, compared),
    });
    // Empty buckets first (0 pageviews, ascending), by time among themselves; then 1, 2 (off the page).
    expect(answer.results).toEqual([
      { dimensions: ['2026-01-10'], metrics: [0], comparison: { dimensions: ['2026-01-06'], metrics: [0], change: [0] } },
      { dimensions: ['2026-01-12'], metrics: [0], comparison: { dimensions: ['2026-01-08'], metrics: [0], change: [0] } },
      { dimensions: ['2026-01-11'], metrics: [1], comparison: { dimensions: ['2026-01-07'], metrics: [5], change: [-80] } },
    ]);
    // total_rows counts the rows that have something, as Plausible's.
    expect(answer.meta.total_rows).toBe(2);
  });
});
