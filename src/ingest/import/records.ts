/**
 * The records of a file to import, in the file's order, as the objects `POST /api/events`
 * takes (docs/IMPORT.md): NDJSON, plain or gzip, read line by line; CSV and Parquet read
 * by the engine, which streams both; Umami's `website_event` CSV as records with known
 * visitor attributes (umami.ts). A record the file cannot give (a malformed line) is
 * an `Error`, so that it counts as rejected without stopping the import.
 */
import { createReadStream, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { invalidInput } from '../../errors.js';
import { literal } from '../../storage/duckdb/database.js';
import { UMAMI_COLUMNS, umamiRecord } from './umami.js';

export type ImportFormat = 'ndjson' | 'csv' | 'parquet' | 'umami';

const EXTENSIONS: [RegExp, ImportFormat][] = [
  [/\.(ndjson|jsonl)(\.gz)?$/i, 'ndjson'],
  [/\.csv(\.gz)?$/i, 'csv'],
  [/\.parquet$/i, 'parquet'],
];

/** The format a file name says, or null. */
export function formatOf(path: string): ImportFormat | null {
  return EXTENSIONS.find(([re]) => re.test(path))?.[1] ?? null;
}

export interface RecordSource {
  /** The records after the first `skip`, each an event object or why the file could not give one. */
  records(skip: number): AsyncIterable<unknown>;
  /** How much of the file has been read, 0 to 1 (for the progress bar). */
  fraction(): number;
  /**
   * The line of the file the last record came from (from 1), where it is not simply its
   * number: blank NDJSON lines are not records. Absent: CSV (the record's number + 1, the
   * header; a quoted cell over several lines is not counted) and Parquet (no lines).
   */
  line?(): number;
  close(): void;
}

/** The columns a batch event needs in an import, each under one of its names (CSV, Parquet). */
const BATCH_COLUMNS: readonly (readonly string[])[] = [['n', 'name'], ['u', 'url'], ['timestamp']];

/** `site`: the site the events are stored for (an Umami row without a hostname is on it). */
export async function openRecords(path: string, format: ImportFormat, site: string): Promise<RecordSource> {
  if (format === 'ndjson') return ndjsonRecords(path);
  if (format === 'umami') {
    const records = await engineRecords(path, 'csv', (row) => umamiRecord(row, site));
    const missing = UMAMI_COLUMNS.filter((c) => !records.columns.includes(c));
    if (missing.length > 0) {
      records.close();
      throw invalidInput(`${path} is not an Umami website_event export: it lacks the columns ${missing.join(', ')}`);
    }
    return records;
  }
  const records = await engineRecords(path, format, (row) => eventOfRow(row, format));
  // Without these every record would be rejected: the file is refused whole, naming what it lacks.
  const missing = BATCH_COLUMNS.filter((names) => !names.some((c) => records.columns.includes(c)));
  if (missing.length > 0) {
    records.close();
    throw invalidInput(
      `${path} has no column ${missing.map((names) => names.join(' or ')).join(', no column ')} in its header (docs/IMPORT.md, "Formats")`,
    );
  }
  return records;
}

function ndjsonRecords(path: string): RecordSource {
  const size = statSync(path).size;
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  const text = /\.gz$/i.test(path) ? file.pipe(createGunzip()) : file;
  let at = 0;
  return {
    async *records(skip) {
      let line = 0;
      for await (const s of createInterface({ input: text, crlfDelay: Number.POSITIVE_INFINITY })) {
        at++;
        if (s.trim() === '') continue; // blank lines are not records (nor counted)
        if (++line <= skip) continue;
        try {
          yield JSON.parse(s);
        } catch {
          yield new Error('malformed JSON');
        }
      }
    },
    fraction: () => (size === 0 ? 1 : file.bytesRead / size),
    line: () => at,
    close: () => file.destroy(),
  };
}

/** Column names the batch API spells shorter (docs/IMPORT.md). */
const ALIASES: Record<string, string> = {
  domain: 'd',
  name: 'n',
  url: 'u',
  referrer: 'r',
  screen_width: 'w',
  props: 'p',
};

/**
 * CSV (every value as text, as written) and Parquet (typed) through an engine of the
 * command's own: a row becomes the event object its column names describe.
 */
async function engineRecords(
  path: string,
  format: 'csv' | 'parquet',
  recordOf: (row: Record<string, unknown>) => unknown,
): Promise<RecordSource & { columns: string[] }> {
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const c = await instance.connect();
  const from =
    format === 'csv' ? `read_csv(${literal(path)}, header = true, all_varchar = true)` : `read_parquet(${literal(path)})`;
  let total = 0;
  let done = 0;
  let columns: string[] = [];
  try {
    total = Number((await c.runAndReadAll(`SELECT count(*) AS n FROM ${from}`)).getRowObjectsJS()[0]?.n ?? 0);
    columns = (await c.runAndReadAll(`DESCRIBE SELECT * FROM ${from}`)).getRowObjectsJS().map((r) => String(r.column_name));
  } catch (err) {
    c.closeSync();
    instance.closeSync();
    throw invalidInput(`${path} cannot be read as ${format}: ${(err as Error).message.split('\n')[0]}`);
  }
  return {
    columns,
    async *records(skip) {
      done = skip;
      // One thread and the engine's default insertion order: the same order at every run.
      const result = await c.stream(`SELECT * FROM ${from} OFFSET ${Math.max(0, Math.floor(skip))}`);
      for await (const rows of result.yieldRowObjectJs()) {
        for (const row of rows) {
          done++;
          yield recordOf(row);
        }
      }
    },
    fraction: () => (total === 0 ? 1 : done / total),
    close: () => {
      c.closeSync();
      instance.closeSync();
    },
  };
}

/** A row as the batch API's event object: names through ALIASES, empty CSV cells left out, values made JSON-like. */
function eventOfRow(row: Record<string, unknown>, format: 'csv' | 'parquet'): unknown {
  const event: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    if (value === null || value === undefined || (format === 'csv' && value === '')) continue;
    const key = ALIASES[column] ?? column;
    event[key] = jsonValue(key, value);
  }
  return event;
}

function jsonValue(key: string, value: unknown): unknown {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'bigint') return Number(value);
  if (typeof value !== 'string') return value;
  // Written as text in CSV (or a VARCHAR column): numbers (width, engagement), epoch milliseconds and the props object.
  if ((key === 'w' || key === 'e' || key === 'sd') && /^\d+$/.test(value)) return Number(value);
  if (key === 'timestamp' && /^\d+$/.test(value)) return Number(value);
  if ((key === 'p' || key === 'm' || key === '$' || key === 'revenue') && value.startsWith('{')) {
    try {
      return JSON.parse(value);
    } catch {
      return value; // the validator names the field
    }
  }
  return value;
}
