/**
 * Imported data against a real DuckDB metadata database: the stored tables have exactly the
 * columns sites/imported-tables.ts names (the merge reads them by those names), an import is
 * stored whole, summed per value and date, kept to its site, kept to the rows a query's filters
 * keep (query/imported.ts), and removed with its rows.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFilters } from '../query/filters.js';
import { resolveGoals } from '../query/goals.js';
import { importedFilter } from '../query/imported.js';
import { Database } from '../storage/duckdb/database.js';
import { IMPORTED_TABLE_NAMES, IMPORTED_TABLES, storedTable } from './imported-tables.js';
import { type ImportRows, SiteImports } from './imports.js';

const dirs: string[] = [];
const dbs: Database[] = [];

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function fresh(): Promise<{ db: Database; imports: SiteImports }> {
  const dir = mkdtempSync(join(tmpdir(), 'mallard-imports-'));
  dirs.push(dir);
  const db = await Database.open(dir, undefined, 2);
  dbs.push(db);
  return { db, imports: new SiteImports(db) };
}

const rows = (start: string, end: string, tables: ImportRows['tables']): ImportRows => ({
  source: 'plausible',
  start_date: start,
  end_date: end,
  tables,
});

describe('SiteImports', () => {
  it('stores tables with the columns the spec names, in its order', async () => {
    const { db } = await fresh();
    for (const t of IMPORTED_TABLE_NAMES) {
      const cols = await db.all<{ column_name: string }>(`DESCRIBE ${storedTable(t)}`);
      const { dims, counts } = IMPORTED_TABLES[t];
      expect(cols.map((c) => c.column_name)).toEqual(['import_id', 'site_id', 'date', ...dims, ...counts]);
    }
  });

  it('sums per value and per date, for its own site only, and removes an import with its rows', async () => {
    const { db, imports } = await fresh();
    const a = await imports.add(
      'a.test',
      rows(
        '2024-01-01',
        '2024-01-31',
        new Map([
          [
            'devices',
            [
              ['2024-01-01', 'Desktop', 3, 4, 100, 1, 9],
              ['2024-01-02', 'Desktop', 2, 2, 50, 0, 4],
              ['2024-01-02', 'Mobile', 1, 1, 0, 1, 1],
            ],
          ],
        ]),
      ),
    );
    await imports.add(
      'b.test',
      rows('2024-01-01', '2024-01-31', new Map([['devices', [['2024-01-01', 'Desktop', 7, 7, 7, 7, 7]]]])),
    );
    expect(a).toMatchObject({
      source: 'plausible',
      start_date: '2024-01-01',
      end_date: '2024-01-31',
      file_count: 1,
      row_count: 3,
    });
    expect(await imports.sums('a.test', 'devices', ['device'], '2024-01-01', '2024-01-02', false)).toEqual(
      expect.arrayContaining([
        { values: ['Desktop'], counts: { visitors: 5, visits: 6, visit_duration: 150, bounces: 1, pageviews: 13 } },
        { values: ['Mobile'], counts: { visitors: 1, visits: 1, visit_duration: 0, bounces: 1, pageviews: 1 } },
      ]),
    );
    expect(await imports.sums('a.test', 'devices', [], '2024-01-02', '2024-01-02', true)).toEqual([
      { date: '2024-01-02', values: [], counts: { visitors: 3, visits: 3, visit_duration: 50, bounces: 1, pageviews: 5 } },
    ]);
    expect(await imports.remove('b.test', a.id)).toBe(false);
    expect(await imports.remove('a.test', a.id)).toBe(true);
    expect(await imports.list('a.test')).toEqual([]);
    expect(await db.all("SELECT count(*)::INTEGER AS n FROM imported_devices WHERE site_id = 'a.test'")).toEqual([{ n: 0 }]);
    expect((await imports.list('b.test')).length).toBe(1);
  });

  it('stores nothing when a statement of the import fails', async () => {
    const { db, imports } = await fresh();
    // A second row whose count is not a number: the engine refuses it inside the transaction.
    const bad = rows(
      '2024-01-01',
      '2024-01-01',
      new Map([
        ['visitors', [['2024-01-01', 1, 1, 0, 1, 0]]],
        ['devices', [['2024-01-01', 'Desktop', 'x', 1, 1, 1, 1]]],
      ]),
    );
    await expect(imports.add('a.test', bad)).rejects.toThrow();
    expect(await imports.list('a.test')).toEqual([]);
    expect(await db.all('SELECT count(*)::INTEGER AS n FROM imported_visitors')).toEqual([{ n: 0 }]);
  });

  it("keeps the rows a query's filters keep, with Plausible's operators and this server's empty values", async () => {
    const { imports } = await fresh();
    // date, source, referrer, utm_source, utm_medium, utm_campaign, utm_content, utm_term, then the counts
    const source = (name: string, medium: string, visitors: number) => [
      '2024-01-01',
      name,
      '',
      '',
      medium,
      '',
      '',
      '',
      0,
      visitors,
      0,
      0,
      0,
    ];
    const page = (path: string, visitors: number) => ['2024-01-01', 'a.test', path, 0, visitors, 0];
    await imports.add(
      'a.test',
      rows(
        '2024-01-01',
        '2024-01-01',
        new Map([
          [
            'sources',
            [source('Google', 'organic', 1), source('', '', 2), source('Twitter', 'Organic', 4), source("Face'book", 'cpc', 8)],
          ],
          ['pages', [page('/blog', 1), page('/blog/', 2), page('/blog/a/b', 4), page('/about', 8)]],
        ]),
      ),
    );
    const visitors = async (table: 'sources' | 'pages', filters: unknown[], goals = false) => {
      const parsed = parseFilters(filters);
      const resolved = goals
        ? resolveGoals(parsed, [
            {
              id: 'g',
              siteId: 'a.test',
              eventName: null,
              pagePath: '/blog/*',
              displayName: 'Blog',
              currency: null,
              createdAt: '2024-01-01T00:00:00Z',
            },
          ]).filters
        : parsed;
      const where = importedFilter(resolved)?.where;
      const [r] = await imports.sums('a.test', table, [], '2024-01-01', '2024-01-01', false, false, where);
      return r?.counts.visitors;
    };
    expect(await visitors('sources', [['is', 'visit:source', ['Direct / None']]])).toBe(2);
    expect(await visitors('sources', [['is', 'visit:utm_medium', ['(not set)']]])).toBe(2);
    expect(await visitors('sources', [['is', 'visit:source', ["Face'book"]]])).toBe(8);
    expect(await visitors('sources', [['is_not', 'visit:source', ['Google', 'Direct / None']]])).toBe(12);
    expect(await visitors('sources', [['contains', 'visit:utm_medium', ['org']]])).toBe(1);
    expect(await visitors('sources', [['contains', 'visit:utm_medium', ['ORG'], { case_sensitive: false }]])).toBe(5);
    expect(await visitors('sources', [['contains_not', 'visit:utm_medium', ['org']]])).toBe(14);
    expect(await visitors('sources', [['matches', 'visit:source', ['^(G|T)']]])).toBe(5);
    expect(await visitors('sources', [['matches_not', 'visit:source', ['^g'], { case_sensitive: false }]])).toBe(14);
    expect(
      await visitors('sources', [
        [
          'not',
          [
            'or',
            [
              ['is', 'visit:source', ['Google']],
              ['is', 'visit:utm_medium', ['cpc']],
            ],
          ],
        ],
      ]),
    ).toBe(6);
    expect(
      await visitors('sources', [
        ['is', 'visit:source', ['Twitter']],
        ['is', 'visit:utm_medium', ['organic']],
      ]),
    ).toBe(0);
    // A page goal's pattern, on the pages table (every row a page view).
    expect(await visitors('pages', [['is', 'event:goal', ['Blog']]], true)).toBe(6);
    expect(await visitors('pages', [['is', 'event:goal', ['None']]], true)).toBe(0);
  });
});
