/**
 * The planner without a server: which plan a query gets, and how a period splits into
 * derived days and scanned ranges (docs/ARCHITECTURE.md, "Query planner").
 */
import { describe, expect, it } from 'vitest';
import type { StatsQuery } from './builder.js';
import { type Dimension, dimension } from './dimensions.js';
import { parseFiltersParam } from './filters.js';
import type { Period } from './period.js';
import { planQuery, readsFiles, splitPeriod } from './planner.js';
import { PROPERTY_VALUES_SET } from './rollup-sets.js';

const dims = (...names: string[]) => names.map((n) => dimension(n) as Dimension);
const period = (from: string, to: string, extra: Partial<Period> = {}): Period => ({
  name: 'custom',
  from: new Date(from),
  to: new Date(to),
  interval: 'day',
  ...extra,
});
const query = (over: Partial<StatsQuery> = {}): StatsQuery => ({
  siteId: 'a.test',
  period: period('2026-03-01T00:00:00Z', '2026-03-04T00:00:00Z'),
  metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate'],
  dimensions: [],
  filters: [],
  ...over,
});
const DERIVED = new Set(['2026-03-01', '2026-03-02', '2026-03-03']);
const iso = (r: { from: Date; to: Date }) => [r.from.toISOString(), r.to.toISOString()];
/** Each (filters, dimensions) gets the visits plan. */
const expectVisitsPlans = (cases: readonly (readonly [string, readonly string[]])[]) => {
  for (const [f, d] of cases) {
    const plan = planQuery(query({ filters: parseFiltersParam(f), dimensions: dims(...d) }), DERIVED);
    expect([f, d.join(','), plan.kind]).toEqual([f, d.join(','), 'visits']);
  }
};

describe('splitPeriod', () => {
  it('reads every whole day that is derived, scans nothing else when all are', () => {
    const s = splitPeriod(query(), DERIVED);
    expect(s.days).toEqual(['2026-03-01', '2026-03-02', '2026-03-03']);
    expect(s.scan).toEqual([]);
  });

  it('scans a day that is not derived (hot, or not built yet), merging neighbouring gaps', () => {
    const s = splitPeriod(query({ period: period('2026-02-27T00:00:00Z', '2026-03-05T00:00:00Z') }), new Set(['2026-03-02']));
    expect(s.days).toEqual(['2026-03-02']);
    expect(s.scan.map(iso)).toEqual([
      ['2026-02-27T00:00:00.000Z', '2026-03-02T00:00:00.000Z'],
      ['2026-03-03T00:00:00.000Z', '2026-03-05T00:00:00.000Z'],
    ]);
  });

  it('scans the partial days at the edges of a period that does not start at UTC midnight', () => {
    // Pacific/Auckland (UTC+13 in March): the local 2 March is 1 March 11:00 UTC to 2 March 11:00 UTC, and so on.
    const p = period('2026-03-01T11:00:00Z', '2026-03-03T11:00:00Z', { timezone: 'Pacific/Auckland' });
    const s = splitPeriod({ period: p }, DERIVED);
    expect(s.days).toEqual(['2026-03-02']);
    expect(s.scan.map(iso)).toEqual([
      ['2026-03-01T11:00:00.000Z', '2026-03-02T00:00:00.000Z'],
      ['2026-03-03T00:00:00.000Z', '2026-03-03T11:00:00.000Z'],
    ]);
  });

  it('ignores derived days outside the period', () => {
    const s = splitPeriod(query({ period: period('2026-03-02T00:00:00Z', '2026-03-03T00:00:00Z') }), DERIVED);
    expect(s).toEqual({ days: ['2026-03-02'], scan: [] });
  });
});

describe('planQuery', () => {
  it('answers unfiltered totals, charts and breakdowns from rollups', () => {
    for (const d of [[], ['time:hour'], ['time:day'], ['time:week'], ['time:month'], ['visit:source'], ['event:page']]) {
      const plan = planQuery(query({ dimensions: dims(...d) }), DERIVED);
      expect([d.join(','), plan.kind]).toEqual([d.join(','), 'rollup']);
    }
    const goals = planQuery(query({ dimensions: dims('event:name'), customEventsOnly: true }), DERIVED);
    expect(goals.kind === 'rollup' && goals.set.key).toBe('event:name#custom');
    // Page goals: the page views alone by page, a set of their own (a page row counts every event).
    const pageGoals = planQuery(query({ dimensions: dims('event:page'), pageviewsOnly: true }), DERIVED);
    expect(pageGoals.kind === 'rollup' && pageGoals.set.key).toBe('event:page#pageviews');
    // Page views alone of anything else have no set.
    expect(planQuery(query({ dimensions: dims('time:day'), pageviewsOnly: true }), DERIVED).kind).toBe('visits');
    const versions = planQuery(query({ dimensions: dims('visit:browser', 'visit:browser_version') }), DERIVED);
    expect(versions.kind === 'rollup' && versions.set.key).toBe('visit:browser,visit:browser_version');
  });

  it("answers a one-value filter on a visit attribute from that value's rollup rows: totals, day buckets, its own breakdown", () => {
    const filters = parseFiltersParam('[["is","visit:country",["US"]]]');
    for (const d of [[], ['time:day'], ['time:week'], ['time:month'], ['visit:country']]) {
      const plan = planQuery(query({ filters, dimensions: dims(...d) }), DERIVED);
      expect([d.join(','), plan.kind === 'rollup' && plan.set.key, plan.kind === 'rollup' && plan.pick]).toEqual([
        d.join(','),
        'visit:country',
        { column: 0, value: 'US', totals: 'visit:country' },
      ]);
    }
    // Another overview attribute's breakdown: the pair's rows, the filter's value in its column.
    const sources = planQuery(query({ filters, dimensions: dims('visit:source') }), DERIVED);
    expect(sources).toMatchObject({
      kind: 'rollup',
      set: { key: 'visit:source,visit:country' },
      pick: { column: 1, value: 'US', totals: 'visit:country' },
      columns: [0],
    });
    const goals = planQuery(query({ filters, dimensions: dims('event:name'), customEventsOnly: true }), DERIVED);
    expect(goals).toMatchObject({ set: { key: 'visit:country,event:name#custom' }, pick: { column: 0 }, columns: [1] });
    // All events by name (not only custom ones) have no pair.
    expect(planQuery(query({ filters, dimensions: dims('event:name') }), DERIVED).kind).toBe('visits');
    // Top pages: the value's rows by page, read from the day files; page goals: its page-view rows by page.
    const pages = planQuery(query({ filters, dimensions: dims('event:page') }), DERIVED);
    expect(pages).toMatchObject({ set: { key: 'files:visit:country,event:page' }, pick: { column: 0 }, columns: [1] });
    expect(pages.kind === 'rollup' && readsFiles(pages)).toBe(true);
    const pageGoals = planQuery(query({ filters, dimensions: dims('event:page'), pageviewsOnly: true }), DERIVED);
    expect(pageGoals).toMatchObject({
      set: { key: 'files:visit:country,event:page#pageviews' },
      pick: { column: 0, totals: 'visit:country' },
      columns: [1],
    });
    // Totals and buckets of page views alone: no set.
    expect(planQuery(query({ filters, pageviewsOnly: true }), DERIVED).kind).toBe('visits');
    const browsers = planQuery(query({ filters, dimensions: dims('visit:browser') }), DERIVED);
    expect(browsers).toMatchObject({ set: { key: 'visit:country,visit:browser' }, pick: { column: 0 }, columns: [1] });
    // Hours, other breakdowns, several values, other operators, an event attribute: not from rollups.
    expectVisitsPlans([
      ['[["is","visit:country",["US"]]]', ['time:hour']],
      ['[["is","visit:country",["US"]]]', ['visit:os']],
      ['[["is","visit:country",["US","DE"]]]', []],
      ['[["is_not","visit:country",["US"]]]', []],
      ['[["contains","visit:country",["U"]]]', []],
      ['[["is","visit:country",["US"]],["is","visit:source",["Google"]]]', []],
      ['[["is","event:hostname",["a.test"]]]', []],
    ]);
  });

  it("answers a one-page filter from the page's rows: every event on the page", () => {
    const filters = parseFiltersParam('[["is","event:page",["/pricing"]]]');
    const every = { column: 0, value: '/pricing', totals: 'files:filter:event:page' };
    for (const d of [[], ['time:day'], ['time:month']]) {
      const plan = planQuery(query({ filters, dimensions: dims(...d) }), DERIVED);
      expect([d.join(','), plan]).toMatchObject([
        d.join(','),
        { kind: 'rollup', set: { key: 'files:filter:event:page' }, pick: every },
      ]);
      expect(plan.kind === 'rollup' && readsFiles(plan)).toBe(true);
    }
    // The page's own row of the pages breakdown; of its page views alone (page goals).
    const pages = planQuery(query({ filters, dimensions: dims('event:page') }), DERIVED);
    expect(pages).toMatchObject({ kind: 'rollup', set: { key: 'event:page' }, pick: every });
    const pageGoals = planQuery(query({ filters, dimensions: dims('event:page'), pageviewsOnly: true }), DERIVED);
    expect(pageGoals).toMatchObject({ kind: 'rollup', set: { key: 'event:page#pageviews' }, pick: every });
    const sources = planQuery(query({ filters, dimensions: dims('visit:source') }), DERIVED);
    expect(sources).toMatchObject({ set: { key: 'files:filter:event:page,visit:source' }, pick: every, columns: [1] });
    const goals = planQuery(query({ filters, dimensions: dims('event:name'), customEventsOnly: true }), DERIVED);
    expect(goals).toMatchObject({ set: { key: 'files:filter:event:page,event:name#custom' }, pick: every, columns: [1] });
    // The unfiltered sets stay in memory.
    const unfiltered = planQuery(query({ dimensions: dims('event:page') }), DERIVED);
    expect(unfiltered.kind === 'rollup' && readsFiles(unfiltered)).toBe(false);
    // Other breakdowns, other operators: from the visits table.
    expectVisitsPlans([
      ['[["is","event:page",["/pricing"]]]', ['visit:os']],
      ['[["is","event:page",["/pricing"]]]', ['visit:entry_page']],
      ['[["contains","event:page",["/pri"]]]', []],
      ['[["is","event:page",["/pricing","/"]]]', []],
    ]);
  });

  it('answers filtered queries that need visits from the visits table', () => {
    const filters = parseFiltersParam('[["is","visit:country",["US"]]]');
    expect(planQuery(query({ filters, dimensions: dims('visit:device') }), DERIVED).kind).toBe('visits');
    expect(planQuery(query({ filters, dimensions: dims('visit:entry_page') }), DERIVED).kind).toBe('visits');
    const pageFilter = parseFiltersParam('[["contains","event:page",["/"]]]');
    expect(planQuery(query({ filters: pageFilter, dimensions: dims('visit:source') }), DERIVED).kind).toBe('visits');
  });

  it('answers a behavioral filter from events, with stored visit rows for visit metrics, never from rollups', () => {
    // A rollup row or a stored visit row does not know which events its visits had.
    const done = parseFiltersParam('[["has_done",["is","event:name",["Signup"]]]]');
    expect(planQuery(query({ filters: done }), DERIVED).kind).toBe('visits');
    expect(planQuery(query({ filters: done, dimensions: dims('visit:country') }), DERIVED).kind).toBe('visits');
    expect(planQuery(query({ filters: done, metrics: ['visitors', 'pageviews'] }), DERIVED).kind).toBe('events');
    // Even the one page a rollup set would serve, and a page breakdown the stored page lists would.
    const notDone = parseFiltersParam('[["has_not_done",["is","event:page",["/pricing"]]]]');
    expect(planQuery(query({ filters: notDone, metrics: ['visitors'] }), DERIVED).kind).toBe('events');
    expect(planQuery(query({ filters: notDone, metrics: ['visitors'], dimensions: dims('event:page') }), DERIVED).kind).toBe(
      'events',
    );
  });

  it('scans what no derived table serves', () => {
    // No derived day at all.
    expect(planQuery(query(), new Set()).kind).toBe('events');
    // Realtime.
    expect(planQuery(query({ period: { ...query().period, name: 'realtime' } }), DERIVED).kind).toBe('events');
    // A zone's local hours are not UTC hours.
    const zoned = period('2026-03-01T11:00:00Z', '2026-03-03T11:00:00Z', { timezone: 'Pacific/Auckland' });
    expect(planQuery(query({ period: zoned, dimensions: dims('time:hour') }), DERIVED).kind).toBe('events');
    // Filtered, and no metric or dimension needs a visit.
    const pageFilter = parseFiltersParam('[["contains","event:page",["/"]]]');
    expect(planQuery(query({ filters: pageFilter, metrics: ['visitors', 'events'] }), DERIVED).kind).toBe('events');
  });

  it("reads an unfiltered property breakdown from the key's rows of the property values set, and a filtered one from visits", () => {
    expect(planQuery(query({ dimensions: dims('event:props:plan') }), DERIVED)).toMatchObject({
      kind: 'rollup',
      set: { key: PROPERTY_VALUES_SET },
      property: 'plan',
    });
    const filters = parseFiltersParam('[["is","visit:country",["US"]]]');
    expect(planQuery(query({ filters, dimensions: dims('event:props:plan') }), DERIVED).kind).toBe('visits');
  });

  it('uses rollups for a time-zone site when no time bucket is asked, scanning its partial days', () => {
    const zoned = period('2026-03-01T11:00:00Z', '2026-03-03T11:00:00Z', { timezone: 'Pacific/Auckland' });
    const plan = planQuery(query({ period: zoned, dimensions: dims('visit:source') }), DERIVED);
    expect(plan.kind).toBe('rollup');
    expect(plan.kind === 'rollup' && plan.scan.length).toBe(2);
  });
});

describe('a period of whole derived days', () => {
  it('needs no scan, so the answer comes only from stored rows', () => {
    const plan = planQuery(query(), DERIVED);
    expect(plan).toMatchObject({ kind: 'rollup', days: ['2026-03-01', '2026-03-02', '2026-03-03'], scan: [] });
  });
});
