import { describe, expect, it } from 'vitest';
import type { StatsQuery } from './builder.js';
import { type Dimension, dimension } from './dimensions.js';
import { parseFilters } from './filters.js';
import { decideImports, importedSource, periodDays } from './imported.js';

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
    [['visit:os', 'visit:os_version'], {}, ['operating_systems', 'operating_system', 'operating_system_version']],
    [['event:name'], { customEventsOnly: true }, ['custom_events', 'name']],
    [['event:name'], {}, 'unsupported_query'],
    [['visit:city'], {}, 'unsupported_query'],
    [['visit:channel'], {}, 'unsupported_query'],
    [['visit:source', 'time:day'], {}, 'unsupported_query'],
    [['visit:source'], { filters: parseFilters([['is', 'visit:browser', ['Chrome']]]) }, 'unsupported_query'],
  ] as const)('%j %j → %j', (dims, extra, expected) => {
    expect(decide(query([...dims], extra as Partial<StatsQuery>))).toEqual(expected);
  });

  it('the realtime period has no imported data', () => {
    expect(decide(query([], { period: { ...period, name: 'realtime' } }))).toBe('unsupported_interval');
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
    const filtered = { filters: parseFilters([['is', 'visit:browser', ['Chrome']]]) };
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
