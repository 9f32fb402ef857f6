/**
 * The event storage schema (docs/DATA.md §3) as data: one list drives the hot table DDL,
 * the write-ahead log encoding, the Parquet projection and the ClickHouse table, so the
 * tiers cannot drift apart. `seq` is the ingest sequence number that makes flushing exactly-once.
 */
import type { EventRow } from '../ingest/event.js';

export type Kind = 'text' | 'u64' | 'time' | 'int' | 'decimal';
export interface Column {
  readonly name: keyof EventRow | 'seq';
  readonly sqlType: string;
  readonly kind: Kind;
  /** Added after the first release: log lines and Parquet files written before lack it (read as NULL). */
  readonly added?: true;
  /** Set only on engagement rows (docs/DATA.md §3); every other row has it NULL. */
  readonly engagement?: true;
}

const col = (name: Column['name'], sqlType: string, kind: Kind): Column => ({ name, sqlType, kind });

export const REVENUE_SCALE = 4;

export const EVENT_COLUMNS: readonly Column[] = [
  col('site_id', 'VARCHAR', 'text'),
  col('visitor_id', 'UBIGINT', 'u64'),
  col('session_id', 'UBIGINT', 'u64'),
  col('user_key', 'UBIGINT', 'u64'),
  col('timestamp', 'TIMESTAMP', 'time'),
  col('event_name', 'VARCHAR', 'text'),
  col('pathname', 'VARCHAR', 'text'),
  col('hostname', 'VARCHAR', 'text'),
  col('referrer', 'VARCHAR', 'text'),
  col('referrer_source', 'VARCHAR', 'text'),
  col('channel', 'VARCHAR', 'text'),
  col('utm_source', 'VARCHAR', 'text'),
  col('utm_medium', 'VARCHAR', 'text'),
  col('utm_campaign', 'VARCHAR', 'text'),
  col('utm_content', 'VARCHAR', 'text'),
  col('utm_term', 'VARCHAR', 'text'),
  col('browser', 'VARCHAR', 'text'),
  col('browser_version', 'VARCHAR', 'text'),
  col('os', 'VARCHAR', 'text'),
  col('os_version', 'VARCHAR', 'text'),
  col('device_type', 'VARCHAR', 'text'),
  col('screen_width', 'INTEGER', 'int'),
  col('country_code', 'VARCHAR', 'text'),
  col('region', 'VARCHAR', 'text'),
  col('city', 'VARCHAR', 'text'),
  col('props', 'VARCHAR', 'text'),
  col('revenue_amount', `DECIMAL(18,${REVENUE_SCALE})`, 'decimal'),
  col('revenue_currency', 'VARCHAR', 'text'),
  col('seq', 'UBIGINT', 'u64'),
  // Added columns last, so that a log line of an older release is this list minus its tail (decodeRow).
  { ...col('engaged_ms', 'INTEGER', 'int'), added: true, engagement: true },
  { ...col('scroll_depth', 'UTINYINT', 'int'), added: true, engagement: true },
  // What Plausible's Stats API answers regions and cities by (src/ingest/enrich/geo.ts).
  { ...col('region_code', 'VARCHAR', 'text'), added: true },
  { ...col('city_geoname_id', 'VARCHAR', 'text'), added: true },
];

export const COLUMN_NAMES = EVENT_COLUMNS.map((c) => c.name);

/** The name of the rows that carry engagement (time on page, scroll depth) instead of counting as events. */
export const ENGAGEMENT = 'engagement';

/** The columns of the engagement rows only: every other row has them NULL, and files of older releases lack them. */
export const ENGAGEMENT_COLUMNS = EVENT_COLUMNS.filter((c) => c.engagement);

/** The columns that files of older releases lack (read as NULL). */
export const ADDED_COLUMNS = EVENT_COLUMNS.filter((c) => c.added);

/** The columns every file has, whichever release wrote it. */
export const BASE_COLUMNS = EVENT_COLUMNS.filter((c) => !c.added);

/** The columns of every row: what the counted-events relations read. */
export const COUNTED_COLUMNS = EVENT_COLUMNS.filter((c) => !c.engagement);

/**
 * How many values a log line holds, by release: before the engagement columns, before the
 * region code and city id, now. A shorter line reads the missing tail as NULL.
 */
export const LINE_LENGTHS: readonly number[] = [
  BASE_COLUMNS.length,
  EVENT_COLUMNS.findIndex((c) => c.name === 'region_code'),
  EVENT_COLUMNS.length,
];

/** A row as it travels through the log and the hot table. */
export type StoredRow = EventRow & { seq: bigint };

/** Encodes a row for the write-ahead log: a JSON array in column order, bigints as strings. */
export function encodeRow(row: StoredRow): string {
  // A loop rather than `map` with a closure: this runs once per event.
  const out = new Array<unknown>(EVENT_COLUMNS.length);
  for (let i = 0; i < EVENT_COLUMNS.length; i++) {
    const c = EVENT_COLUMNS[i] as Column;
    const v = row[c.name];
    out[i] =
      v === null || v === undefined
        ? null
        : c.kind === 'u64'
          ? (v as bigint).toString()
          : c.kind === 'time'
            ? (v as Date).getTime()
            : v;
  }
  return JSON.stringify(out);
}

/** Inverse of encodeRow; throws on a malformed line (a torn write at the log's end). */
export function decodeRow(line: string): StoredRow {
  const values: unknown = JSON.parse(line);
  if (!Array.isArray(values) || !LINE_LENGTHS.includes(values.length)) {
    throw new Error('malformed log row');
  }
  const row: Record<string, unknown> = {};
  EVENT_COLUMNS.forEach((c, i) => {
    const v = values[i];
    // A line of an older release ends before the columns added since.
    if (v === null || v === undefined) row[c.name] = null;
    else if (c.kind === 'u64') row[c.name] = BigInt(v as string);
    else if (c.kind === 'time') row[c.name] = new Date(v as number);
    else row[c.name] = v;
  });
  return row as unknown as StoredRow;
}

export function createTableSql(qualifiedName: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualifiedName} (${EVENT_COLUMNS.map((c) => `${c.name} ${c.sqlType}`).join(', ')})`;
}
