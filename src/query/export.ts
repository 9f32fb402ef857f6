/**
 * `GET /api/stats/export`, the query side: daily aggregates through the one query builder,
 * the raw-events SELECT (allowlisted storage columns, bound values, event-level filters),
 * and the pure pieces of the file formats — CSV cells (RFC 4180 quoting plus the OWASP
 * formula-injection guard), content types, and the download file name, which is built only
 * from validated values.
 */
import { invalidInput } from '../errors.js';
import { EVENT_COLUMNS, REVENUE_SCALE } from '../storage/columns.js';
import type { QueryRunner } from '../storage/storage.js';
import { compileFilters, type Filter, filterDimensions, filterPatterns, hasBehavioral } from './filters.js';
import { rounded } from './metrics.js';
import { type Period, timeParam, wallClock } from './period.js';
import { checkPatterns } from './run.js';
import { ident, join, raw, type Sql, spelled, sql } from './sql.js';
import { bucketRows, type Scope } from './stats.js';

export const EXPORT_FORMATS = ['csv', 'json', 'parquet'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
export const EXPORT_KINDS = ['aggregates', 'events'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

// ---------------------------------------------------------------------------------------
// CSV

/** Spreadsheets run a cell starting with one of these as a formula (OWASP "CSV injection"). */
const FORMULA_START = /^[=+\-@\t\r]/;
const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;
const NEEDS_QUOTES = /[",\r\n]/;

export type CsvValue = string | number | bigint | boolean | null | undefined;

/** Prefixes `'` to text a spreadsheet would run as a formula. */
export function guardFormula(text: string): string {
  return FORMULA_START.test(text) ? `'${text}` : text;
}

/**
 * One CSV field. Text is guarded against formula injection, then quoted when it holds a
 * quote, comma, CR or LF (quotes doubled, RFC 4180); the empty string is `""`, null is an
 * empty field. Numbers we produce are written as they are: JS numbers and bigints, and,
 * in a `numeric` column, text that is a plain decimal number (exact decimals and 64-bit ids
 * travel as text) — anything else in such a column is guarded like any text.
 */
export function csvCell(value: CsvValue, numeric = false): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  const text = numeric && PLAIN_NUMBER.test(value) ? value : guardFormula(value);
  return text === '' || NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** One CSV record with its CRLF line end; `numeric[i]` marks column i as numbers we produce. */
export function csvRow(values: readonly CsvValue[], numeric: readonly boolean[] = []): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    if (i > 0) line += ',';
    line += csvCell(values[i], numeric[i] === true);
  }
  return `${line}\r\n`;
}

// ---------------------------------------------------------------------------------------
// Content type and file name

export function contentType(format: ExportFormat, kind: ExportKind): string {
  if (format === 'csv') return 'text/csv; charset=utf-8';
  if (format === 'parquet') return 'application/vnd.apache.parquet';
  return kind === 'events' ? 'application/x-ndjson' : 'application/json; charset=utf-8';
}

export function fileExtension(format: ExportFormat, kind: ExportKind): string {
  return format === 'json' && kind === 'events' ? 'ndjson' : format;
}

const SAFE_SITE = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** First and last day of a period (its end is exclusive) on the site's clock, as `YYYY-MM-DD`. */
export function periodDays(period: Pick<Period, 'from' | 'to' | 'timezone'>): { start: string; end: string } {
  const day = (d: Date) => (period.timezone ? wallClock(d, period.timezone) : d).toISOString().slice(0, 10);
  return { start: day(period.from), end: day(new Date(period.to.getTime() - 1)) };
}

/**
 * `<site>-<start>-<end>-<kind>.<ext>`, from a site id that passed the site-id check, the
 * resolved period and the allowlisted kind/format; re-checked here, since the name goes into
 * a header. Throws (a server fault) rather than emit anything else.
 */
export function exportFileName(
  siteId: string,
  period: Pick<Period, 'from' | 'to' | 'timezone'>,
  kind: ExportKind,
  format: ExportFormat,
): string {
  const { start, end } = periodDays(period);
  if (siteId.length > 253 || !SAFE_SITE.test(siteId) || !DAY.test(start) || !DAY.test(end)) {
    throw new Error('export file name from unchecked values');
  }
  if (!EXPORT_KINDS.includes(kind) || !EXPORT_FORMATS.includes(format)) throw new Error('export file name from unchecked values');
  return `${siteId}-${start}-${end}-${kind}.${fileExtension(format, kind)}`;
}

// ---------------------------------------------------------------------------------------
// Daily aggregates

export const AGGREGATE_COLUMNS = [
  'date',
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'events',
] as const;

const AGGREGATE_METRICS = AGGREGATE_COLUMNS.filter((c): c is Exclude<typeof c, 'date'> => c !== 'date');

export interface DailyAggregate {
  date: string;
  visitors: number;
  visits: number;
  pageviews: number;
  views_per_visit: number;
  bounce_rate: number;
  visit_duration: number;
  events: number;
}

/**
 * One row per day of the period (site clock), days without events included as zeros (as the
 * timeseries), computed by the query builder with the `time:day` dimension. Rounded as the
 * stats endpoints round: views per visit 2 decimals, bounce rate a fraction with 4, duration
 * whole seconds.
 */
export async function dailyAggregates(q: QueryRunner, scope: Scope): Promise<DailyAggregate[]> {
  const days = await bucketRows(q, scope, 'day', AGGREGATE_METRICS);
  return days.map(({ date, row: r }) => ({
    date,
    visitors: r?.visitors ?? 0,
    visits: r?.visits ?? 0,
    pageviews: r?.pageviews ?? 0,
    views_per_visit: rounded.views_per_visit(r?.views_per_visit ?? 0),
    bounce_rate: rounded.bounce_rate(r?.bounce_rate ?? 0),
    visit_duration: rounded.visit_duration(r?.visit_duration ?? 0),
    events: r?.events ?? 0,
  }));
}

export const aggregatesCsvHeader = (): string => csvRow(AGGREGATE_COLUMNS);
export const aggregateCsvRow = (a: DailyAggregate): string =>
  csvRow(
    AGGREGATE_COLUMNS.map((c) => a[c]),
    AGGREGATE_COLUMNS.map((c) => c !== 'date'),
  );

/** The aggregates as a relation for COPY … TO parquet: one bound JSON parameter, typed columns. */
export function aggregatesSelect(rows: readonly DailyAggregate[]): Sql {
  const columns = [
    ['date', 'DATE'],
    ['visitors', 'BIGINT'],
    ['visits', 'BIGINT'],
    ['pageviews', 'BIGINT'],
    ['views_per_visit', 'DOUBLE'],
    ['bounce_rate', 'DOUBLE'],
    ['visit_duration', 'BIGINT'],
    ['events', 'BIGINT'],
  ] as const;
  return spelled((d) => d.jsonRows(rows as unknown as Record<string, unknown>[], columns));
}

// ---------------------------------------------------------------------------------------
// Raw events

/**
 * The storage columns an export carries: all but the internal ingest sequence number and the
 * engagement columns. The export holds events, which engagement rows are not (docs/API.md).
 */
export const EXPORT_EVENT_COLUMNS = EVENT_COLUMNS.filter((c) => c.name !== 'seq' && !c.engagement);
export const EVENT_COLUMN_NAMES: readonly string[] = EXPORT_EVENT_COLUMNS.map((c) => c.name);
/** Columns holding numbers we produce (ids, width, revenue): not formula-guarded in CSV. */
export const EVENT_NUMERIC_COLUMNS: readonly boolean[] = EXPORT_EVENT_COLUMNS.map(
  (c) => c.kind === 'u64' || c.kind === 'int' || c.kind === 'decimal',
);

/**
 * Raw events can be filtered only by what each event row carries (`event:*` dimensions);
 * a visit attribute needs the visit, and so does has_done/has_not_done (it picks visits by
 * their other events), so they are refused with a 400 naming them.
 */
export function requireEventLevelFilters(filters: readonly Filter[], param = 'filters'): void {
  if (hasBehavioral(filters)) {
    throw invalidInput(
      `${param}: has_done and has_not_done pick visits and cannot filter raw events (kind=events); use kind=aggregates`,
    );
  }
  for (const d of filterDimensions(filters)) {
    if (d.level !== 'event') {
      throw invalidInput(
        `${param}: "${d.name}" is a visit dimension and cannot filter raw events (kind=events); use event:* dimensions or kind=aggregates`,
      );
    }
  }
}

/** A regular expression the engine cannot compile is the caller's mistake: 400 before the export starts. */
export const checkFilterPatterns = (q: QueryRunner, filters: readonly Filter[]): Promise<void> =>
  checkPatterns(q, filterPatterns(filters));

/**
 * The site's events in the period, filtered, in time order. `text` types: 64-bit ids and
 * revenue as decimal text, the timestamp as ISO 8601 UTC (`2026-01-10T10:00:00.000Z`), so
 * CSV and JSON carry them exactly; `native` keeps the storage types (for Parquet). Column
 * names come from the schema list only; every value is a bound parameter.
 */
export function eventsSelect(events: string, scope: Scope, types: 'text' | 'native'): Sql {
  const cols = EXPORT_EVENT_COLUMNS.map((c) => {
    const name = ident(c.name);
    if (types === 'native') return sql`e.${name}`;
    switch (c.kind) {
      case 'u64':
        return sql`CAST(e.${name} AS VARCHAR) AS ${name}`;
      case 'decimal':
        return sql`${spelled((d) => d.decimalText(`e.${c.name}`, REVENUE_SCALE))} AS ${name}`;
      case 'time':
        return sql`${spelled((d) => d.isoTime(`e.${c.name}`))} AS ${name}`;
      default:
        return sql`e.${name}`;
    }
  });
  const { siteId, period, filters } = scope;
  return sql`SELECT ${join(cols, ', ')}
    FROM (SELECT * FROM ${raw(events)} ev
          WHERE site_id = ${siteId} AND timestamp >= ${timeParam(period.from)} AND timestamp < ${timeParam(period.to)}
            AND ${compileFilters(filters)}) e
    ORDER BY e.timestamp, e.seq`;
}

/** A streamed chunk of event rows (values in EVENT_COLUMN_NAMES order) as CSV records. */
export function eventsCsv(rows: readonly (readonly unknown[])[]): string {
  let out = '';
  for (const r of rows) out += csvRow(r as readonly CsvValue[], EVENT_NUMERIC_COLUMNS);
  return out;
}

/** A streamed chunk of event rows as NDJSON, one object per line keyed by column name. */
export function eventsNdjson(rows: readonly (readonly unknown[])[]): string {
  let out = '';
  for (const r of rows) {
    const obj: Record<string, unknown> = {};
    EVENT_COLUMN_NAMES.forEach((name, i) => {
      const v = r[i];
      obj[name] = typeof v === 'bigint' ? v.toString() : (v ?? null);
    });
    out += `${JSON.stringify(obj)}\n`;
  }
  return out;
}
