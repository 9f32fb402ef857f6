import { strToU8, zipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { parsePlausibleExport } from './plausible.js';

const VISITORS = 'date,visitors,pageviews,bounces,visits,visit_duration';
const PAGES = 'date,hostname,page,visits,visitors,pageviews,scroll_depth,pageleave_visitors';
const zip = (files: Record<string, string>) =>
  zipSync(Object.fromEntries(Object.entries(files).map(([n, t]) => [n, strToU8(t)])));
const parse = (files: Record<string, string>) => parsePlausibleExport(zip(files), 'export.zip');

describe('parsePlausibleExport', () => {
  it('reads each table by its header names, in stored column order, with the dates of the file names', () => {
    const rows = parse({
      'imported_visitors_20240101_20240131.csv': `"date","visits","visitors","pageviews","bounces","visit_duration"\n"2024-01-03",6,5,8,2,300\n`,
      'imported_pages_20240105_20240210.csv': `${PAGES}\n2024-01-05,a.example,"/x,y",3,2,4,,\n`,
      'exports/': '',
    });
    expect(rows.start_date).toBe('2024-01-01');
    expect(rows.end_date).toBe('2024-02-10');
    expect([...rows.tables]).toEqual([
      ['visitors', [['2024-01-03', 5, 8, 2, 6, 300]]],
      ['pages', [['2024-01-05', 'a.example', '/x,y', 3, 2, 4]]],
    ]);
  });

  it('accepts names without the imported_ prefix and an export without some tables', () => {
    const rows = parse({ 'visitors_20240101_20240101.csv': `${VISITORS}\n2024-01-01,1,1,1,1,0\n` });
    expect([...rows.tables.keys()]).toEqual(['visitors']);
  });

  const V = 'imported_visitors_20240101_20240131.csv';
  it.each([
    [
      'a bad number',
      { [V]: `${VISITORS}\n2024-01-01,1,2,0,1,5\n2024-01-02,1,-2,0,1,5\n` },
      `${V} line 3: pageviews: not a non-negative integer`,
    ],
    ['a fraction', { [V]: `${VISITORS}\n2024-01-01,1,2,0,1.5,5\n` }, `${V} line 2: visits: not a non-negative integer`],
    ['a bad date', { [V]: `${VISITORS}\n2024-02-30,1,2,0,1,5\n` }, `${V} line 2: date: not a date (YYYY-MM-DD)`],
    [
      'a date outside the file',
      { [V]: `${VISITORS}\n2024-02-01,1,2,0,1,5\n` },
      `${V} line 2: date: 2024-02-01 is outside the file's dates 2024-01-01 – 2024-01-31`,
    ],
    ['a short line', { [V]: `${VISITORS}\n2024-01-01,1,2\n` }, `${V} line 2: 3 fields, the header has 6`],
    ['a missing column', { [V]: 'date,visitors\n' }, `${V} line 1: missing columns pageviews, bounces, visits, visit_duration`],
    ['an unknown column', { [V]: `${VISITORS},mood\n` }, `${V} line 1: unknown column "mood"`],
    ['an unclosed quote', { [V]: `${VISITORS}\n"2024-01-01,1,2,0,1,5\n` }, `${V} line 2: a quoted field is not closed`],
    ['an empty file', { [V]: '' }, `${V}: empty (no header line)`],
    [
      'an unknown file',
      { [V]: `${VISITORS}\n`, 'notes.txt': 'hi' },
      'notes.txt: not a file of a Plausible export (expected imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv, table one of visitors, sources, pages, entry_pages, exit_pages, locations, devices, browsers, operating_systems, custom_events)',
    ],
    [
      'a date in a name that is none',
      { 'imported_visitors_20241301_20241331.csv': VISITORS },
      'imported_visitors_20241301_20241331.csv: 20241301 in its name is not a date',
    ],
    ['no files', {}, 'export.zip: holds no Plausible export files (imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv)'],
  ])('refuses %s, naming where', (_, files, message) => {
    expect(() => parse(files)).toThrow(message);
  });

  it('refuses what is not a zip, and an empty upload', () => {
    expect(() => parsePlausibleExport(strToU8('date,visitors\n'), 'export.zip')).toThrow(/^export\.zip: not a zip archive/);
    expect(() => parsePlausibleExport(new Uint8Array(0), 'export.zip')).toThrow(
      'export.zip: empty file (expected a zip of Plausible CSV files)',
    );
  });
});
