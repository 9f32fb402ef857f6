import { describe, expect, it } from 'vitest';
import type { StatsQuery } from './builder.js';
import { type Dimension, dimension } from './dimensions.js';
import { parseFilters } from './filters.js';
import { type Goal, resolveGoals } from './goals.js';
import { decideImports, importedGoalSource, importedSource, periodDays } from './imported.js';

const period = {
  name: 'custom' as const,
  from: new Date('2024-01-01T00:00:00Z'),
  to: new Date('2024-01-04T00:00:00Z'),
  interval: 'day' as const,
};
const query = (dims: string[], extra: Partial<StatsQuery> = {}): StatsQuery => ({
  siteId: 's.test',
  period,
  metrics: ['visitors'],
  dimensions: dims.map((d) => dimension(d) as Dimension),
  filters: [],
  ...extra,
});
const decide = (q: StatsQuery) => {
  const s = importedSource(q);
  return typeof s === 'string' ? s : [s.table, ...s.cols];
};

describe('importedSource', () => {
  it.each([
    [[], {}, ['visitors']],
    [['time:day'], {}, ['visitors']],
    [['time:hour'], {}, 'unsupported_interval'],
    [['visit:source'], {}, ['sources', 'source']],
    [['visit:utm_campaign'], {}, ['sources', 'utm_campaign']],
    [['event:page'], {}, ['pages', 'page']],
    [['visit:entry_page'], {}, ['entry_pages', 'entry_page']],
    [['visit:region'], {}, ['locations', 'region']],
    [['visit:region_code'], {}, ['locations', 'region']],
    [['visit:city_geoname_id'], {}, ['locations', 'city']],
    [['visit:country_name'], {}, ['locations', 'country']],
    [['visit:city', 'visit:country_name'], {}, ['locations', 'city', 'country']],
    [['visit:city', 'visit:country'], {}, 'unsupported_query'],
    [['visit:os', 'visit:os_version'], {}, ['operating_systems', 'operating_system', 'operating_system_version']],
    [['event:name'], { customEventsOnly: true }, ['custom_events', 'name']],
    [['event:name'], {}, 'unsupported_query'],
    [['visit:city'], {}, ['locations', 'city']],
    [['visit:channel'], {}, 'unsupported_query'],
    [['visit:source', 'time:day'], {}, 'unsupported_query'],
    [['visit:source'], { filters: parseFilters([['is', 'visit:browser', ['Chrome']]]) }, 'unsupported_query'],
    // Daily sums have no visits to pick, even by an event of their own table (as Plausible).
    [['event:page'], { filters: parseFilters([['has_done', ['is', 'event:page', ['/blog']]]]) }, 'unsupported_query'],
    [[], { filters: parseFilters([['not', ['has_not_done', ['is', 'event:name', ['pageview']]]]]) }, 'unsupported_query'],
  ] as const)('%j %j → %j', (dims, extra, expected) => {
    expect(decide(query([...dims], extra as Partial<StatsQuery>))).toEqual(expected);
  });

  const goal = (id: string, displayName: string, eventName: string | null, pagePath: string | null): Goal => ({
    id,
    siteId: 's.test',
    eventName,
    pagePath,
    displayName,
    currency: null,
    createdAt: '2024-01-01T00:00:00Z',
  });
  const goals = [goal('g1', 'Purchase', 'Purchase', null), goal('g2', 'Visit /blog*', null, '/blog*')];
  const byGoals = (filters: unknown[]) => ({ filters: resolveGoals(parseFilters(filters), goals).filters });

  // Plausible's rule: every filter's dimension and the breakdown's on one imported table.
  it.each([
    [
      ['visit:source'],
      [
        ['is', 'visit:utm_medium', ['organic']],
        ['is', 'visit:utm_term', ['one']],
      ],
      ['sources', 'source'],
    ],
    [['visit:source'], [['is', 'visit:device', ['Desktop']]], 'unsupported_query'],
    [['visit:device'], [['is', 'visit:device', ['Mobile']]], ['devices', 'device']],
    [['visit:device'], [['is', 'visit:screen', ['Mobile']]], ['devices', 'device']],
    [['visit:browser'], [['contains', 'visit:browser_version', ['12']]], ['browsers', 'browser']],
    [[], [['is', 'event:page', ['/blog']]], ['pages']],
    [[], [['is', 'event:hostname', ['a.test']]], ['pages']],
    [[], [['matches', 'visit:os_version', ['^1']]], ['operating_systems']],
    [['time:day'], [['is', 'visit:country', ['EE']]], ['locations']],
    [['time:hour'], [['is', 'visit:country', ['EE']]], 'unsupported_interval'],
    [
      [],
      [
        [
          'or',
          [
            ['is', 'visit:source', ['Google']],
            ['is', 'visit:utm_medium', ['cpc']],
          ],
        ],
      ],
      ['sources'],
    ],
    [
      [],
      [
        [
          'or',
          [
            ['is', 'visit:source', ['Google']],
            ['is', 'visit:country', ['EE']],
          ],
        ],
      ],
      'unsupported_query',
    ],
    [[], [['not', ['is', 'visit:entry_page', ['/']]]], ['entry_pages']],
    [[], [['is', 'event:goal', ['Signup']]], ['custom_events']],
    [[], [['is', 'event:name', ['Signup']]], ['custom_events']],
    [['event:page'], [['is', 'event:name', ['Signup']]], 'unsupported_query'],
    [[], [['is', 'visit:city', ['Tallinn']]], 'unsupported_query'],
    [[], [['is', 'visit:channel', ['Direct']]], 'unsupported_query'],
    [[], [['is', 'event:props:plan', ['pro']]], 'unsupported_query'],
  ] as const)('%j filtered by %j → %j', (dims, filters, expected) => {
    expect(decide(query([...dims], { filters: parseFilters(filters) }))).toEqual(expected);
  });

  it('a Goals panel of custom events takes filters on custom events only', () => {
    const panel = (filters: unknown[]) => query(['event:name'], { customEventsOnly: true, filters: parseFilters(filters) });
    expect(decide(panel([['is', 'event:name', ['Signup']]]))).toEqual(['custom_events', 'name']);
    expect(decide(panel([['is', 'visit:source', ['Google']]]))).toBe('unsupported_query');
    expect(decide(query([], { customEventsOnly: true, filters: parseFilters([['is', 'event:goal', ['Signup']]]) }))).toEqual([
      'custom_events',
    ]);
  });

  it("reads configured goals as Plausible does: an event goal's custom events, a page goal's pages", () => {
    expect(decide(query([], byGoals([['is', 'event:goal', ['Purchase']]])))).toEqual(['custom_events']);
    expect(decide(query([], byGoals([['is', 'event:goal', ['Visit /blog*']]])))).toEqual(['pages']);
    expect(decide(query(['event:page'], byGoals([['contains', 'event:goal', ['blog']]])))).toEqual(['pages', 'page']);
    // Goals of both kinds are on two tables.
    expect(decide(query([], byGoals([['is', 'event:goal', ['Purchase', 'Visit /blog*']]])))).toBe('unsupported_query');
    expect(decide(query(['visit:source'], byGoals([['is', 'event:goal', ['Purchase']]])))).toBe('unsupported_query');
    // A filter that selects no goal keeps no imported row, on any table.
    expect(decide(query([], byGoals([['is', 'event:goal', ['Nothing']]])))).toEqual(['visitors']);
    expect(decide(query(['visit:source'], byGoals([['is', 'event:goal', ['Nothing']]])))).toEqual(['sources', 'source']);
  });

  // Plausible's imported custom properties: `url` (link_url) and `path`, with their special goals only.
  it.each([
    [['event:props:url'], [['is', 'event:goal', ['Outbound Link: Click']]], ['custom_events', 'link_url']],
    [['event:props:url'], [['is', 'event:name', ['File Download']]], ['custom_events', 'link_url']],
    [['event:props:path'], [['is', 'event:goal', ['404']]], ['custom_events', 'path']],
    [
      ['event:props:url'],
      [
        ['is', 'event:goal', ['Cloaked Link: Click']],
        ['contains', 'event:props:url', ['one']],
      ],
      ['custom_events', 'link_url'],
    ],
    [
      [],
      [
        ['is', 'event:goal', ['404']],
        ['is', 'event:props:path', ['/a']],
      ],
      ['custom_events'],
    ],
    [
      ['time:day'],
      [
        ['is', 'event:goal', ['404']],
        ['is', 'event:props:path', ['/a']],
      ],
      ['custom_events'],
    ],
    [
      ['event:name'],
      [
        ['is', 'event:goal', ['404']],
        ['is', 'event:props:path', ['/a']],
      ],
      ['custom_events', 'name'],
    ],
    // Not the property's special goal, no goal at all, or another filter: no imported column.
    [['event:props:url'], [['is', 'event:goal', ['404']]], 'unsupported_query'],
    [['event:props:url'], [], 'unsupported_query'],
    [['event:props:url'], [['contains', 'event:goal', ['Outbound']]], 'unsupported_query'],
    [
      ['event:props:path'],
      [
        ['is', 'event:goal', ['404']],
        ['is', 'visit:source', ['Google']],
      ],
      'unsupported_query',
    ],
    [
      ['event:props:path'],
      [
        ['is', 'event:goal', ['404']],
        ['is', 'event:props:url', ['x']],
      ],
      'unsupported_query',
    ],
    [
      ['visit:source'],
      [
        ['is', 'event:goal', ['404']],
        ['is', 'event:props:path', ['/a']],
      ],
      'unsupported_query',
    ],
    [
      [],
      [
        ['is', 'event:goal', ['404']],
        ['is', 'event:props:path', ['/a']],
        ['is', 'event:props:url', ['x']],
      ],
      'unsupported_query',
    ],
  ] as const)('%j filtered by %j → %j', (dims, filters, expected) => {
    expect(decide(query([...dims], { filters: parseFilters(filters) }))).toEqual(expected);
  });

  it('reads a configured special goal as its name', () => {
    const special = [goal('g3', 'Outbound clicks', 'Outbound Link: Click', null), ...goals];
    const filters = resolveGoals(parseFilters([['is', 'event:goal', ['Outbound clicks']]]), special).filters;
    expect(decide(query(['event:props:url'], { filters }))).toEqual(['custom_events', 'link_url']);
  });

  it('the realtime period has no imported data', () => {
    expect(decide(query([], { period: { ...period, name: 'realtime' } }))).toBe('unsupported_interval');
  });
});

describe('importedGoalSource', () => {
  const goals: Goal[] = [
    { id: 'g1', siteId: 's.test', eventName: 'Purchase', pagePath: null, displayName: 'Purchase', currency: null, createdAt: '' },
    {
      id: 'g2',
      siteId: 's.test',
      eventName: null,
      pagePath: '/blog*',
      displayName: 'Visit /blog*',
      currency: null,
      createdAt: '',
    },
  ];
  const tables = (filters: unknown[], extra: Partial<StatsQuery> = {}) => {
    const s = importedGoalSource(
      query(['event:goal'], { filters: resolveGoals(parseFilters(filters), goals).filters, customEventsOnly: true, ...extra }),
    );
    return typeof s === 'string' ? s : Object.keys(s).sort();
  };

  // Plausible's rule for a breakdown by event:goal (Imported.Base.decide_tables).
  it.each([
    [[], ['events', 'pages']],
    [[['is', 'event:goal', ['Purchase']]], ['events']],
    [[['is', 'event:goal', ['Visit /blog*']]], ['pages']],
    [[['is', 'event:name', ['Purchase']]], ['events']],
    [[['contains', 'event:page', ['/blog']]], ['pages']],
    [[['is', 'event:goal', ['Purchase', 'Visit /blog*']]], 'unsupported_query'],
    [
      [
        ['is', 'event:goal', ['Purchase']],
        ['is', 'event:page', ['/']],
      ],
      'unsupported_query',
    ],
    [[['is', 'visit:source', ['Google']]], 'unsupported_query'],
    [[['is', 'event:hostname', ['a.test']]], 'unsupported_query'],
  ] as const)('filtered by %j → %j', (filters, expected) => {
    expect(tables([...filters])).toEqual(expected);
  });

  it('answers event:goal alone, with counted metrics, in daily buckets', () => {
    expect(tables([], { dimensions: ['event:goal', 'visit:source'].map((d) => dimension(d) as Dimension) })).toBe(
      'unsupported_query',
    );
    expect(tables([], { metrics: ['visitors', 'events', 'pageviews', 'conversion_rate'] })).toEqual(['events', 'pages']);
    expect(tables([], { metrics: ['visitors', 'percentage'] })).toBe('unsupported_query');
    expect(tables([], { period: { ...period, name: 'realtime' } })).toBe('unsupported_interval');
  });
});

describe('decideImports', () => {
  // The period is 2024-01-01 – 01-03.
  const ends = (...days: string[]) => days.map((end_date) => ({ end_date }));
  const reason = (q: StatsQuery, imports: { end_date: string }[]) => {
    const s = decideImports(q, imports);
    return typeof s === 'string' ? s : s.table;
  };

  it("in Plausible's order: no import, short buckets, a period after the imports, an unanswerable query", () => {
    // A property has no imported column.
    const filtered = { filters: parseFilters([['is', 'event:props:plan', ['pro']]]) };
    expect(reason(query(['time:hour'], filtered), [])).toBe('no_imported_data');
    expect(reason(query(['time:hour'], filtered), ends('2023-12-31'))).toBe('unsupported_interval');
    expect(reason(query([], filtered), ends('2023-12-31', '2023-06-30'))).toBe('out_of_range');
    expect(reason(query([], filtered), ends('2023-12-31', '2024-01-01'))).toBe('unsupported_query');
    expect(reason(query(['visit:source']), ends('2024-01-01'))).toBe('sources');
  });

  it('takes imports in for a period before them (their days simply do not count)', () => {
    expect(reason(query([]), ends('2024-06-30'))).toBe('visitors');
  });
});

describe('periodDays', () => {
  it('is the local dates of the first and last instant of the period', () => {
    expect(periodDays(period)).toEqual({ first: '2024-01-01', last: '2024-01-03' });
    // 2024-01-01T00:00Z is still Dec 31 in New York; the last instant, 2024-01-03T23:59:59.999Z, is Jan 3 there.
    expect(periodDays({ ...period, timezone: 'America/New_York' })).toEqual({ first: '2023-12-31', last: '2024-01-03' });
  });
});
