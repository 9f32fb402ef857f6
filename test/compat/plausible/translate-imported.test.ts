/**
 * The translation of imported rows into an export (translate-imported.ts), checked against CSV
 * written out here by hand from the factory's defaults (plausible/analytics factory.ex) and the
 * export's columns (docs/IMPORT.md).
 */
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { exportFiles, exportRow, exportZip, resolveDate } from './translate-imported.js';

const TODAY = '2026-12-06';

describe('imported rows → a Plausible CE export', () => {
  it('fills the fields a row leaves out with the factory defaults, and the rest with 0 or empty', () => {
    expect(exportRow({ table: 'visitors' }, TODAY)).toEqual({
      date: TODAY,
      visitors: 1,
      pageviews: 1,
      bounces: 0,
      visits: 1,
      visit_duration: 10,
    });
    expect(exportRow({ table: 'sources', referrer: 'site.com', date: '2021-01-01', pageviews: 2 }, TODAY)).toEqual({
      date: '2021-01-01',
      source: '',
      referrer: 'site.com',
      utm_source: '',
      utm_medium: '',
      utm_campaign: '',
      utm_content: '',
      utm_term: '',
      pageviews: 2,
      visitors: 1,
      visits: 1,
      visit_duration: 10,
      bounces: 0,
    });
    // The factory's time-on-page fields have no export column: left out.
    expect(exportRow({ table: 'pages', page: '/a' }, TODAY)).toEqual({
      date: TODAY,
      hostname: '',
      page: '/a',
      visits: 0,
      visitors: 1,
      pageviews: 1,
    });
    expect(exportRow({ table: 'exit_pages', exit_page: '/b', exits: 3 }, TODAY)).toEqual({
      date: TODAY,
      exit_page: '/b',
      visitors: 1,
      visit_duration: 0,
      exits: 3,
      bounces: 0,
      pageviews: 0,
    });
    expect(exportRow({ table: 'locations', country: 'EE', city: 588_409 }, TODAY)).toEqual({
      date: TODAY,
      country: 'EE',
      region: '',
      city: 588_409,
      visitors: 1,
      visits: 1,
      visit_duration: 10,
      bounces: 0,
      pageviews: 0,
    });
    expect(exportRow({ table: 'custom_events', name: '404', path: '/one' }, TODAY)).toEqual({
      date: TODAY,
      name: '404',
      link_url: '',
      path: '/one',
      visitors: 1,
      events: 1,
    });
  });

  it('refuses a field the export has no column for', () => {
    expect(() => exportRow({ table: 'devices', screen_size: 'Mobile' }, TODAY)).toThrow(
      'imported_devices: no export column screen_size',
    );
  });

  it('reads dates as written, today, or days before today', () => {
    expect(resolveDate('2021-01-01', TODAY)).toBe('2021-01-01');
    expect(resolveDate('today', TODAY)).toBe(TODAY);
    expect(resolveDate('today-3', TODAY)).toBe('2026-12-03');
    expect(resolveDate('today-6', '2026-03-02')).toBe('2026-02-24');
  });

  it("names each table's file by the import's dates and leaves out rows outside them", () => {
    const files = exportFiles(
      {
        start_date: '2021-01-01',
        end_date: 'today-3',
        rows: [
          { table: 'devices', device: 'Mobile,"big"', date: '2021-01-01' },
          { table: 'visitors', visitors: 9 },
        ],
      },
      TODAY,
    );
    expect(files).toEqual({
      'imported_devices_20210101_20261203.csv':
        'date,device,visitors,visits,visit_duration,bounces,pageviews\n2021-01-01,"Mobile,""big""",1,1,10,0,0\n',
    });
  });

  it('an import left without rows is an empty visitors table with its dates', () => {
    expect(exportFiles({ end_date: 'today-3', rows: [{ table: 'visitors', visitors: 9 }] }, TODAY)).toEqual({
      'imported_visitors_20050101_20261203.csv': 'date,visitors,pageviews,bounces,visits,visit_duration\n',
    });
  });

  it('zips the files', () => {
    const zip = exportZip({ rows: [{ table: 'browsers', browser: 'Chrome', date: '2021-01-01' }] }, TODAY);
    const files = unzipSync(zip);
    expect(Object.keys(files)).toEqual(['imported_browsers_20050101_20261206.csv']);
    expect(strFromU8(files['imported_browsers_20050101_20261206.csv'] ?? new Uint8Array())).toBe(
      'date,browser,browser_version,visitors,visits,visit_duration,bounces,pageviews\n2021-01-01,Chrome,,1,1,10,0,0\n',
    );
  });
});
