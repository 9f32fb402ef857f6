/**
 * A Plausible CE export (a zip of `imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv`, docs/IMPORT.md,
 * "From Plausible") as imported aggregates of a site: every file read and checked before
 * anything is stored, then stored in one transaction (sites/imports.ts). A bad file, line or
 * value is an error naming the file, the line and the column, and nothing is stored. Tables
 * the export lacks are fine (Plausible leaves out empty ones); a file it could not have written
 * is refused by name. Used by the `import` command and by a running server alike.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { unzipSync } from 'fflate';
import { DomainError, invalidInput } from '../../errors.js';
import { IGNORED_COLUMNS, IMPORTED_TABLE_NAMES, IMPORTED_TABLES, type ImportedTable } from '../../sites/imported-tables.js';
import { type ImportRows, SiteImports } from '../../sites/imports.js';
import type { MetadataDb } from '../../storage/metadata.js';
import { CsvSyntaxError, csvRecords } from './csv.js';

export interface PlausibleImportResult {
  import_id: string;
  start_date: string;
  end_date: string;
  /** Rows stored per export table (tables the export lacked are absent). */
  rows: Partial<Record<ImportedTable, number>>;
}

/** What an export may unpack to, in all: far above a large site's year, far below a machine's memory. */
export const MAX_UNZIPPED_BYTES = 512 * 1024 * 1024;
/** A dimension value longer than this is not something Plausible writes. */
const MAX_VALUE_CHARS = 2048;

const FILE = new RegExp(`^(?:imported_)?(${IMPORTED_TABLE_NAMES.join('|')})_(\\d{8})_(\\d{8})\\.csv$`);
const COUNT = /^\d{1,15}$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/**
 * Imports a Plausible export (the zip's bytes, or its path) into a site's imported data.
 * `store`: the server's SiteImports, or the metadata database (the CLI's).
 */
export async function importPlausibleExport(
  input: Uint8Array | string,
  siteId: string,
  store: SiteImports | MetadataDb,
): Promise<PlausibleImportResult> {
  const name = typeof input === 'string' ? basename(input) : 'the upload';
  const bytes = typeof input === 'string' ? readFileSync(input) : input;
  const rows = parsePlausibleExport(bytes, name);
  const imports = store instanceof SiteImports ? store : new SiteImports(store);
  const stored = await imports.add(siteId, rows);
  return {
    import_id: stored.id,
    start_date: stored.start_date,
    end_date: stored.end_date,
    rows: Object.fromEntries([...rows.tables].map(([t, r]) => [t, r.length])),
  };
}

/** The export's tables, checked; `name` names the zip in errors. */
export function parsePlausibleExport(bytes: Uint8Array, name: string): ImportRows {
  if (bytes.length === 0) throw invalidInput(`${name}: empty file (expected a zip of Plausible CSV files)`);
  const files = unzip(bytes, name);
  const tables = new Map<ImportedTable, (string | number)[][]>();
  let start = '';
  let end = '';
  for (const [path, content] of Object.entries(files)) {
    if (path.endsWith('/')) continue; // a folder entry
    const file = basename(path);
    const m = FILE.exec(file);
    if (!m) {
      throw invalidInput(
        `${file}: not a file of a Plausible export (expected imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv, table one of ${IMPORTED_TABLE_NAMES.join(', ')})`,
      );
    }
    const table = m[1] as ImportedTable;
    if (tables.has(table)) throw invalidInput(`${file}: a second file of table ${table}`);
    const from = fileDate(file, m[2] as string);
    const to = fileDate(file, m[3] as string);
    if (from > to) throw invalidInput(`${file}: its start date ${from} is after its end date ${to}`);
    tables.set(table, parseTable(file, table, new TextDecoder().decode(content), from, to));
    start = start === '' || from < start ? from : start;
    end = end === '' || to > end ? to : end;
  }
  if (tables.size === 0)
    throw invalidInput(`${name}: holds no Plausible export files (imported_<table>_<YYYYMMDD>_<YYYYMMDD>.csv)`);
  return { source: 'plausible', start_date: start, end_date: end, tables };
}

function unzip(bytes: Uint8Array, name: string): Record<string, Uint8Array> {
  let total = 0;
  try {
    return unzipSync(bytes, {
      filter: (f) => {
        total += f.originalSize;
        if (total > MAX_UNZIPPED_BYTES) {
          throw invalidInput(`${name}: unpacks to more than ${MAX_UNZIPPED_BYTES / 1024 / 1024} MiB`);
        }
        return true;
      },
    });
  } catch (err) {
    if (err instanceof DomainError) throw err;
    throw invalidInput(`${name}: not a zip archive (${(err as Error).message})`);
  }
}

function fileDate(file: string, digits: string): string {
  const iso = `${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}`;
  if (!realDate(iso)) throw invalidInput(`${file}: ${digits} in its name is not a date`);
  return iso;
}

const realDate = (iso: string) => {
  if (!DATE.test(iso)) return false;
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
};

/** A table's rows in stored column order (date, dimensions, counts), checked cell by cell. */
function parseTable(file: string, table: ImportedTable, text: string, from: string, to: string): (string | number)[][] {
  const { dims, counts } = IMPORTED_TABLES[table];
  const ignored = IGNORED_COLUMNS[table] ?? [];
  const wanted: string[] = ['date', ...dims, ...counts];
  const out: (string | number)[][] = [];
  let index: number[] = [];
  let width = 0;
  try {
    for (const { line, fields } of csvRecords(text)) {
      const at = `${file} line ${line}`;
      if (width === 0) {
        const header = fields.map((f) => f.trim());
        const unknown = header.find((h) => !wanted.includes(h) && !ignored.includes(h));
        if (unknown !== undefined) throw invalidInput(`${at}: unknown column "${unknown.slice(0, 60)}"`);
        const missing = wanted.filter((w) => !header.includes(w));
        if (missing.length > 0) throw invalidInput(`${at}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
        index = wanted.map((w) => header.indexOf(w));
        width = header.length;
        continue;
      }
      if (fields.length !== width) throw invalidInput(`${at}: ${fields.length} fields, the header has ${width}`);
      const row: (string | number)[] = [];
      wanted.forEach((col, k) => {
        const value = fields[index[k] as number] as string;
        if (k === 0) {
          if (!realDate(value)) throw invalidInput(`${at}: date: not a date (YYYY-MM-DD)`);
          if (value < from || value > to) throw invalidInput(`${at}: date: ${value} is outside the file's dates ${from} – ${to}`);
          row.push(value);
        } else if (k <= dims.length) {
          if (value.length > MAX_VALUE_CHARS) throw invalidInput(`${at}: ${col}: longer than ${MAX_VALUE_CHARS} characters`);
          row.push(value);
        } else {
          if (!COUNT.test(value)) throw invalidInput(`${at}: ${col}: not a non-negative integer`);
          row.push(Number(value));
        }
      });
      out.push(row);
    }
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw invalidInput(`${file} line ${err.line}: ${err.message}`);
    throw err;
  }
  if (width === 0) throw invalidInput(`${file}: empty (no header line)`);
  return out;
}
