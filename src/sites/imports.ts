/**
 * A site's imports (`site_imports`) and their rows (`imported_*`, sites/imported-tables.ts) in
 * the metadata database. An import is stored in one transaction — all its rows or none — and
 * its dates may not overlap another import of the site (the same day would count twice).
 * Every import of the process goes through one write queue, whichever instance is asked, so
 * the overlap check and the insert are never interleaved with another import's.
 * Removing a site removes its imports (registry.ts).
 */
import { randomUUID } from 'node:crypto';
import { conflict } from '../errors.js';
import { duckdb } from '../query/dialects/duckdb.js';
import { raw, render, type Sql, sql } from '../query/sql.js';
import type { MetadataDb } from '../storage/metadata.js';
import { IMPORTED_TABLE_NAMES, IMPORTED_TABLES, type ImportedTable, storedTable } from './imported-tables.js';
import { WriteQueue } from './write-queue.js';

export interface SiteImport {
  id: string;
  source: 'plausible';
  /** YYYY-MM-DD, inclusive. */
  start_date: string;
  end_date: string;
  created_at: string;
  file_count: number;
  row_count: number;
}

/** The parsed tables of an export: each table's rows in its IMPORTED_TABLES column order (date, dims, counts). */
export interface ImportRows {
  source: 'plausible';
  start_date: string;
  end_date: string;
  tables: ReadonlyMap<ImportedTable, readonly (readonly (string | number)[])[]>;
}

/** Rows per INSERT statement: 400 rows of at most 12 columns stay well inside the engine's parameter limits. */
const BATCH = 400;

const IMPORT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const isImportId = (id: unknown): id is string => typeof id === 'string' && IMPORT_ID.test(id);

const writes = new WriteQueue();

const day = (v: unknown) => (v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));

const fromRow = (r: Record<string, unknown>): SiteImport => ({
  id: String(r.id),
  source: 'plausible',
  start_date: day(r.start_date),
  end_date: day(r.end_date),
  created_at: `${String(r.created_at).replace(' ', 'T').slice(0, 19)}Z`,
  file_count: Number(r.file_count),
  row_count: Number(r.row_count),
});

const SELECT = `SELECT id, source, strftime(start_date, '%Y-%m-%d') AS start_date, strftime(end_date, '%Y-%m-%d') AS end_date,
  strftime(created_at, '%Y-%m-%dT%H:%M:%S') AS created_at, file_count, row_count FROM site_imports`;

export class SiteImports {
  constructor(private readonly db: MetadataDb) {}

  /** The site's imports, oldest dates first. */
  async list(siteId: string): Promise<SiteImport[]> {
    const rows = await this.db.all<Record<string, unknown>>(`${SELECT} WHERE site_id = $1 ORDER BY start_date, id`, [siteId]);
    return rows.map(fromRow);
  }

  /** Stores an import's rows in one transaction; 409 when its dates overlap another import of the site. */
  add(siteId: string, rows: ImportRows): Promise<SiteImport> {
    return writes.run(async () => {
      const clash = (await this.list(siteId)).find((i) => i.start_date <= rows.end_date && rows.start_date <= i.end_date);
      if (clash) {
        throw conflict(
          `the import's dates ${rows.start_date} – ${rows.end_date} overlap import ${clash.id} (${clash.start_date} – ${clash.end_date}); delete that one first`,
        );
      }
      const id = randomUUID();
      const statements: [string, unknown[]][] = [];
      let rowCount = 0;
      for (const [table, tableRows] of rows.tables) {
        rowCount += tableRows.length;
        const { dims, counts } = IMPORTED_TABLES[table];
        const cols = ['import_id', 'site_id', 'date', ...dims, ...counts];
        for (let at = 0; at < tableRows.length; at += BATCH) {
          const batch = tableRows.slice(at, at + BATCH);
          const params: unknown[] = [];
          const tuples = batch.map((r) => {
            const values = [id, siteId, ...r];
            const marks = values.map((v, i) => {
              params.push(v);
              return i === 2 ? `$${params.length}::DATE` : `$${params.length}`;
            });
            return `(${marks.join(', ')})`;
          });
          statements.push([`INSERT INTO ${storedTable(table)} (${cols.join(', ')}) VALUES ${tuples.join(', ')}`, params]);
        }
      }
      const createdAt = new Date().toISOString();
      statements.push([
        `INSERT INTO site_imports (id, site_id, source, start_date, end_date, created_at, file_count, row_count)
         VALUES ($1, $2, $3, $4::DATE, $5::DATE, $6::TIMESTAMP, $7, $8)`,
        [id, siteId, rows.source, rows.start_date, rows.end_date, createdAt, rows.tables.size, rowCount],
      ]);
      await this.db.transaction(statements);
      return {
        id,
        source: rows.source,
        start_date: rows.start_date,
        end_date: rows.end_date,
        created_at: `${createdAt.slice(0, 19)}Z`,
        file_count: rows.tables.size,
        row_count: rowCount,
      };
    });
  }

  /** Removes an import with its rows; false when the site has no such import (another site's included). */
  remove(siteId: string, id: string): Promise<boolean> {
    return writes.run(async () => {
      if (!isImportId(id)) return false;
      const found = await this.db.all('SELECT id FROM site_imports WHERE site_id = $1 AND id = $2', [siteId, id]);
      if (found.length === 0) return false;
      await this.db.transaction([
        ...IMPORTED_TABLE_NAMES.map((t): [string, unknown[]] => [
          `DELETE FROM ${storedTable(t)} WHERE site_id = $1 AND import_id = $2`,
          [siteId, id],
        ]),
        ['DELETE FROM site_imports WHERE site_id = $1 AND id = $2', [siteId, id]],
      ]);
      return true;
    });
  }

  /**
   * A table's counts summed per value of `dims` (and per date when `byDate`), over the site's
   * rows dated `from` to `to` (inclusive, YYYY-MM-DD). Columns come from IMPORTED_TABLES only.
   * `viewed`: only the rows with page views (a table that counts them). `where`: only the rows
   * it keeps — a condition over the table's columns, its values bound (query/imported.ts).
   */
  async sums(
    siteId: string,
    table: ImportedTable,
    dims: readonly string[],
    from: string,
    to: string,
    byDate: boolean,
    viewed = false,
    where?: Sql,
  ): Promise<{ date?: string; values: string[]; counts: Record<string, number> }[]> {
    const spec = IMPORTED_TABLES[table];
    const known: readonly string[] = spec.dims;
    for (const d of dims) if (!known.includes(d)) throw new Error(`${table} has no dimension ${d}`);
    const counts: readonly string[] = spec.counts;
    if (viewed && !counts.includes('pageviews')) throw new Error(`${table} has no pageviews`);
    const keys = [...(byDate ? ["strftime(date, '%Y-%m-%d') AS date"] : []), ...dims.map((d, i) => `${d} AS d${i}`)];
    const groups = [...(byDate ? ['date'] : []), ...dims];
    const sums = spec.counts.map((c) => `sum(${c}) AS ${c}`);
    // The metadata database is DuckDB whatever stores the events (storage/metadata.ts).
    const { text, params } = render(
      sql`SELECT ${raw([...keys, ...sums].join(', '))} FROM ${raw(storedTable(table))}
       WHERE site_id = ${siteId} AND date >= CAST(${from} AS DATE) AND date <= CAST(${to} AS DATE)${raw(viewed ? ' AND pageviews > 0' : '')}${where ? sql` AND (${where})` : sql``}${raw(groups.length > 0 ? ` GROUP BY ${groups.join(', ')}` : '')}`,
      duckdb,
    );
    const rows = await this.db.all<Record<string, unknown>>(text, params);
    return rows.map((r) => ({
      ...(byDate ? { date: String(r.date) } : {}),
      values: dims.map((_, i) => String(r[`d${i}`])),
      counts: Object.fromEntries(spec.counts.map((c) => [c, Number(r[c] ?? 0)])),
    }));
  }
}

/** The statements that remove every import of a site (with the site, registry.ts). */
export const removeSiteImports = (siteId: string): [string, string[]][] => [
  ...IMPORTED_TABLE_NAMES.map((t): [string, string[]] => [`DELETE FROM ${storedTable(t)} WHERE site_id = $1`, [siteId]]),
  ['DELETE FROM site_imports WHERE site_id = $1', [siteId]],
];
