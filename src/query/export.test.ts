import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { duckdb } from './dialects/duckdb.js';
import {
  AGGREGATE_COLUMNS,
  aggregateCsvRow,
  aggregatesCsvHeader,
  type CsvValue,
  contentType,
  csvCell,
  csvRow,
  EVENT_COLUMN_NAMES,
  EVENT_NUMERIC_COLUMNS,
  eventsCsv,
  eventsNdjson,
  eventsSelect,
  exportFileName,
  fileExtension,
  guardFormula,
  requireEventLevelFilters,
} from './export.js';
import { parseFilters } from './filters.js';
import { resolvePeriod } from './period.js';
import { render } from './sql.js';

describe('csvCell', () => {
  // [case, value, numeric column, expected field]
  const cases: [string, CsvValue, boolean, string][] = [
    ['plain text', 'abc', false, 'abc'],
    ['a pathname', '/blog/post-1', false, '/blog/post-1'],
    ['comma', 'a,b', false, '"a,b"'],
    ['quotes doubled', 'say "hi"', false, '"say ""hi"""'],
    ['LF', 'line\nbreak', false, '"line\nbreak"'],
    ['CRLF inside', 'a\r\nb', false, '"a\r\nb"'],
    ['empty string', '', false, '""'],
    ['null', null, false, ''],
    ['undefined', undefined, false, ''],
    ['leading space is not a formula', ' =1', false, ' =1'],
    ['= formula', '=1+1', false, "'=1+1"],
    ['+ formula', '+cmd', false, "'+cmd"],
    ['- formula', '-2+3', false, "'-2+3"],
    ['@ formula', '@SUM(A1:A2)', false, "'@SUM(A1:A2)"],
    ['leading tab', '\tx', false, "'\tx"],
    ['leading CR (guarded, then quoted)', '\rx', false, `"'\rx"`],
    ['guarded and quoted', '=HYPERLINK("http://x","y")', false, `"'=HYPERLINK(""http://x"",""y"")"`],
    ['DDE payload', "=cmd|' /C calc'!A0", false, "'=cmd|' /C calc'!A0"],
    ['formula char later in the cell', '/=HYPERLINK("x")', false, '"/=HYPERLINK(""x"")"'],
    ['JSON props text', '{"v":"+cmd"}', false, '"{""v"":""+cmd""}"'],
    ['already quoted text is still guarded', "'=x", false, "'=x"],
    ['number', 42, false, '42'],
    ['negative number we produce', -5, false, '-5'],
    ['fraction', 0.375, false, '0.375'],
    ['non-finite number', Number.NaN, false, ''],
    ['bigint', 18446744073709551615n, false, '18446744073709551615'],
    ['boolean', true, false, 'true'],
    ['numeric column: decimal text', '-5.0000', true, '-5.0000'],
    ['numeric column: id text', '18446744073709551615', true, '18446744073709551615'],
    ['numeric column: not a number is still guarded', '-1+cmd', true, "'-1+cmd"],
    ['numeric column: exponent text is guarded', '+1e5', true, "'+1e5"],
    ['text column: a negative number is guarded', '-5', false, "'-5"],
  ];
  it.each(cases)('%s', (_name, value, numeric, expected) => {
    expect(csvCell(value, numeric)).toBe(expected);
  });

  it('guardFormula leaves safe text alone', () => {
    expect(guardFormula('abc')).toBe('abc');
    expect(guardFormula('')).toBe('');
    expect(guardFormula('=x')).toBe("'=x");
  });
});

describe('csvRow', () => {
  const cases: [string, CsvValue[], boolean[], string][] = [
    ['fields joined, CRLF ended', ['a', 1, null, '=x'], [], "a,1,,'=x\r\n"],
    ['empty row', [], [], '\r\n'],
    ['numeric flags by position', ['-1', '-1'], [true, false], "-1,'-1\r\n"],
    ['quoting per field', ['a"b', 'c,d', 'e'], [], '"a""b","c,d",e\r\n'],
  ];
  it.each(cases)('%s', (_name, values, numeric, expected) => {
    expect(csvRow(values, numeric)).toBe(expected);
  });

  it('aggregate rows: numbers as they are, the date as text', () => {
    expect(aggregatesCsvHeader()).toBe('date,visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events\r\n');
    expect(
      aggregateCsvRow({
        date: '2026-01-10',
        visitors: 3,
        visits: 4,
        pageviews: 7,
        views_per_visit: 1.75,
        bounce_rate: 0.25,
        visit_duration: 780,
        events: 8,
      }),
    ).toBe('2026-01-10,3,4,7,1.75,0.25,780,8\r\n');
    expect(AGGREGATE_COLUMNS).toHaveLength(8);
  });
});

describe('event rows', () => {
  const row = EVENT_COLUMN_NAMES.map((name): unknown => {
    switch (name) {
      case 'site_id':
        return 'a.test';
      case 'visitor_id':
        return '18446744073709551615';
      case 'event_name':
        return '=cmd';
      case 'pathname':
        return '/=HYPERLINK("x")';
      case 'props':
        return '{"v":"+cmd"}';
      case 'revenue_amount':
        return '-5.0000';
      case 'screen_width':
        return 390;
      default:
        return null;
    }
  });

  it('are the storage columns without seq', () => {
    expect(EVENT_COLUMN_NAMES).not.toContain('seq');
    expect(EVENT_COLUMN_NAMES.slice(0, 5)).toEqual(['site_id', 'visitor_id', 'session_id', 'user_key', 'timestamp']);
    expect(EVENT_COLUMN_NAMES).toHaveLength(30);
    expect(EVENT_COLUMN_NAMES.filter((_, i) => EVENT_NUMERIC_COLUMNS[i])).toEqual([
      'visitor_id',
      'session_id',
      'user_key',
      'screen_width',
      'revenue_amount',
    ]);
  });

  it('as CSV: text guarded, numbers we produce not', () => {
    const line = eventsCsv([row]);
    expect(line.endsWith('\r\n')).toBe(true);
    expect(line).toContain(",'=cmd,");
    expect(line).toContain(',"/=HYPERLINK(""x"")",');
    expect(line).toContain(',"{""v"":""+cmd""}",');
    expect(line).toContain(',-5.0000,');
    expect(line.startsWith('a.test,18446744073709551615,,,')).toBe(true);
  });

  it('as NDJSON: one object per line, keyed by column, nulls kept', () => {
    const text = eventsNdjson([row, row]);
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    const obj = JSON.parse(lines[0] ?? '');
    expect(Object.keys(obj)).toEqual(EVENT_COLUMN_NAMES);
    expect(obj.visitor_id).toBe('18446744073709551615');
    expect(obj.props).toBe('{"v":"+cmd"}');
    expect(obj.event_name).toBe('=cmd');
    expect(obj.user_key).toBeNull();
    expect(obj.screen_width).toBe(390);
  });
});

describe('content type, extension and file name', () => {
  const cases: [string, 'csv' | 'json' | 'parquet', 'aggregates' | 'events', string, string][] = [
    ['csv aggregates', 'csv', 'aggregates', 'text/csv; charset=utf-8', 'csv'],
    ['csv events', 'csv', 'events', 'text/csv; charset=utf-8', 'csv'],
    ['json aggregates', 'json', 'aggregates', 'application/json; charset=utf-8', 'json'],
    ['json events are NDJSON', 'json', 'events', 'application/x-ndjson', 'ndjson'],
    ['parquet aggregates', 'parquet', 'aggregates', 'application/vnd.apache.parquet', 'parquet'],
    ['parquet events', 'parquet', 'events', 'application/vnd.apache.parquet', 'parquet'],
  ];
  it.each(cases)('%s', (_name, format, kind, type, ext) => {
    expect(contentType(format, kind)).toBe(type);
    expect(fileExtension(format, kind)).toBe(ext);
  });

  const period = resolvePeriod({ start_date: '2026-01-10', end_date: '2026-01-12' });
  it('is <site>-<start>-<end>-<kind>.<ext> with the inclusive end day', () => {
    expect(exportFileName('stats-a.test', period, 'aggregates', 'csv')).toBe('stats-a.test-2026-01-10-2026-01-12-aggregates.csv');
    expect(exportFileName('a.test', period, 'events', 'json')).toBe('a.test-2026-01-10-2026-01-12-events.ndjson');
    const day = resolvePeriod({ period: 'day', date: '2026-02-28' });
    expect(exportFileName('a.test', day, 'events', 'parquet')).toBe('a.test-2026-02-28-2026-02-28-events.parquet');
  });

  it.each(['a"b', 'a\r\nb', '../etc', 'A.test', 'a b', '', 'x'.repeat(254)])('refuses the unchecked site id %j', (site) => {
    expect(() => exportFileName(site, period, 'events', 'csv')).toThrow();
  });

  it('refuses an unknown kind or format', () => {
    expect(() => exportFileName('a.test', period, 'x' as 'events', 'csv')).toThrow();
    expect(() => exportFileName('a.test', period, 'events', 'xml' as 'csv')).toThrow();
  });
});

describe('raw-events query', () => {
  const period = resolvePeriod({ start_date: '2026-01-10', end_date: '2026-01-12' });

  it('binds every value and names only schema columns', () => {
    const evil = "'; DROP TABLE hot.events; --";
    const filters = parseFilters([
      ['is', 'event:page', [evil]],
      ['contains', 'event:props:plan', ['pro']],
    ]);
    const { text, params } = render(
      eventsSelect('(SELECT * FROM hot.events)', { siteId: 'a.test', period, filters }, 'text'),
      duckdb,
    );
    expect(text).not.toContain('DROP');
    expect(text).not.toContain('a.test');
    expect(params.slice(0, 4)).toEqual(['a.test', '2026-01-10 00:00:00.000', '2026-01-13 00:00:00.000', evil]);
    expect(params).toContain('pro');
    expect(text).toContain('CAST(e.visitor_id AS VARCHAR) AS visitor_id');
    expect(text).toContain("strftime(e.timestamp, '%Y-%m-%dT%H:%M:%S.%gZ') AS timestamp");
    expect(text).toMatch(/ORDER BY e\.timestamp, e\.seq$/);
    expect(text).not.toMatch(/SELECT[^(]*\be\.seq\b.*FROM \(/s);
  });

  it('keeps the storage types for Parquet', () => {
    const { text } = render(eventsSelect('(x)', { siteId: 'a.test', period, filters: [] }, 'native'), duckdb);
    expect(text).toContain('e.visitor_id, e.session_id');
    // No column is converted (the period's bounds are, to the engine's timestamp type).
    expect(text.slice(0, text.indexOf(' FROM ('))).not.toMatch(/CAST|strftime/);
  });

  it.each([
    ['event:page', true],
    ['event:name', true],
    ['event:hostname', true],
    ['event:props:plan', true],
    ['visit:source', false],
    ['visit:country', false],
    ['visit:entry_page', false],
  ])('filter on %s at event level: %s', (dim, ok) => {
    const filters = parseFilters([['not', ['is', dim, ['x']]]]);
    if (ok) expect(() => requireEventLevelFilters(filters)).not.toThrow();
    else {
      let err: unknown;
      try {
        requireEventLevelFilters(filters);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DomainError);
      expect((err as DomainError).kind).toBe('invalid');
      expect((err as DomainError).message).toContain(`"${dim}"`);
    }
  });

  it('refuses a behavioral filter, even of event dimensions and under not: it picks visits', () => {
    for (const f of [
      ['has_done', ['is', 'event:name', ['Signup']]],
      ['not', ['has_not_done', ['is', 'event:page', ['/']]]],
    ]) {
      expect(() => requireEventLevelFilters(parseFilters([f]))).toThrow(
        'filters: has_done and has_not_done pick visits and cannot filter raw events (kind=events); use kind=aggregates',
      );
    }
  });
});
