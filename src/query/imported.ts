/**
 * Imported aggregates in stats answers (docs/METRICS.md, "Imported data"), as Plausible adds
 * them: the daily rows of an import (sites/imports.ts) dated in the period, kept by the query's
 * filters, are summed per dimension value and added to the engine's rows of the same value;
 * ratios are recomputed from the summed parts, and rows are sorted and paged after merging.
 * Engine independent: the imported rows come from the metadata database, the merge is here.
 * What an import cannot answer (filters and a breakdown no one imported table holds, an hour
 * bucket) is answered from events alone, and the outcome says why.
 */

import type { ImportedTable } from '../sites/imported-tables.js';
import type { SiteImport, SiteImports } from '../sites/imports.js';
import type { QueryRunner } from '../storage/storage.js';
import type { Metric, StatsQuery } from './builder.js';
import { countryNameOf, countryNameSql, type Dimension, dimension, NONE, NOT_SET } from './dimensions.js';
import { compileFilters, type Filter, filterPatterns } from './filters.js';
import { type Goal, pagePatternRegex } from './goals.js';
import { type Counts, ratios, share } from './metrics.js';
import { wallClock } from './period.js';
import { byTerms, dimensionTerm, type OrderTerm } from './row-order.js';
import { checkPatterns, formatBucket, type ResultRow, runStats } from './run.js';
import { fragment, join, type Sql, sql } from './sql.js';

export type ImportedReader = Pick<SiteImports, 'list' | 'sums'>;

/** Plausible's reasons (v2 `meta.imports_skip_reason`). */
export type SkipReason = 'no_imported_data' | 'out_of_range' | 'unsupported_query' | 'unsupported_interval';

export interface ImportsOutcome {
  included: boolean;
  skip_reason?: SkipReason;
  warning?: string;
  /** The site's imports with a day in the period. */
  imports: { source: string; start_date: string; end_date: string }[];
}

/** A request's imported data: whether it was asked for (`with_imported`, v2 `include.imports`) and what happened. */
export interface ImportsScope {
  reader: ImportedReader;
  wanted: boolean;
  /** The outcome of the first query of the request (its own period, before a comparison's). */
  outcome?: ImportsOutcome;
  /** The site's imports, read once per request. */
  list?: Promise<SiteImport[]>;
}

const WARNINGS: Partial<Record<SkipReason, string>> = {
  unsupported_query: 'Imported data is not included: it cannot be filtered, or has no table for this breakdown',
  unsupported_interval: 'Imported data is not included: it has daily numbers only, no hours',
};

/** Imported counts of one dimension value. `partVisits`: the visits whose bounces and durations are known. */
interface Part extends Counts {
  partVisits: number;
}

/** Which export table answers a dimension list, which of its columns, and how its values read as this server's. */
interface Source {
  table: ImportedTable;
  cols: readonly string[];
  /** Empty values as this server writes a missing one. */
  empty: string;
  /** Whether the table has bounces and visit durations. */
  visitParts: boolean;
  /** Values that say nothing about the dimension, which Plausible leaves out of a breakdown by it. */
  unknown?: readonly string[];
  /** The rows the query's filters keep: a condition over the table's columns (importedFilter). */
  where?: Sql;
  /** Per column: whether its codes become names (see `namer`). */
  naming?: readonly (Naming | undefined)[];
}

/**
 * Plausible's export gives a location by codes: the country's ISO code, the region's ISO
 * 3166-2 code, the city's GeoNames id. A breakdown by names names them: a country from its
 * code, a region or city as the period's own visits name its code (this server has no table
 * of every place); one they never name is shown by its code.
 */
type Naming = 'country' | 'region' | 'city';

/** The dimensions whose pairs name a region's or city's code: code first, name second. */
const CODE_AND_NAME: Readonly<Record<Exclude<Naming, 'country'>, [string, string]>> = {
  region: ['visit:region_code', 'visit:region'],
  city: ['visit:city_geoname_id', 'visit:city'],
};

const VISIT_TABLE = (table: ImportedTable, col: string, empty = NOT_SET, unknown?: readonly string[]): Source => ({
  table,
  cols: [col],
  empty,
  visitParts: true,
  ...(unknown ? { unknown } : {}),
});

const BY_DIMENSION: Readonly<Record<string, Source>> = {
  'visit:source': VISIT_TABLE('sources', 'source', 'Direct / None'),
  'visit:referrer': VISIT_TABLE('sources', 'referrer', 'Direct / None'),
  // An imported row without a tag is a visit that had none: no row of a breakdown by it.
  'visit:utm_source': VISIT_TABLE('sources', 'utm_source', NOT_SET, ['']),
  'visit:utm_medium': VISIT_TABLE('sources', 'utm_medium', NOT_SET, ['']),
  'visit:utm_campaign': VISIT_TABLE('sources', 'utm_campaign', NOT_SET, ['']),
  'visit:utm_content': VISIT_TABLE('sources', 'utm_content', NOT_SET, ['']),
  'visit:utm_term': VISIT_TABLE('sources', 'utm_term', NOT_SET, ['']),
  'event:page': { table: 'pages', cols: ['page'], empty: NOT_SET, visitParts: false },
  'visit:entry_page': VISIT_TABLE('entry_pages', 'entry_page'),
  'visit:exit_page': VISIT_TABLE('exit_pages', 'exit_page'),
  // ZZ is Plausible's unknown country; city 0 its unknown city.
  'visit:country': VISIT_TABLE('locations', 'country', NOT_SET, ['', 'ZZ']),
  'visit:region_code': VISIT_TABLE('locations', 'region', '', ['']),
  'visit:city_geoname_id': VISIT_TABLE('locations', 'city', '0', ['', '0']),
  'visit:country_name': { ...VISIT_TABLE('locations', 'country', NOT_SET, ['', 'ZZ']), naming: ['country'] },
  'visit:region': { ...VISIT_TABLE('locations', 'region', NOT_SET, ['']), naming: ['region'] },
  'visit:city': { ...VISIT_TABLE('locations', 'city', NOT_SET, ['', '0']), naming: ['city'] },
  'visit:city,visit:country_name': {
    ...VISIT_TABLE('locations', 'city', NOT_SET, ['', '0']),
    cols: ['city', 'country'],
    naming: ['city', 'country'],
  },
  'visit:country_name,visit:city': {
    ...VISIT_TABLE('locations', 'country', NOT_SET, ['', 'ZZ']),
    cols: ['country', 'city'],
    naming: ['country', 'city'],
  },
  'visit:device': VISIT_TABLE('devices', 'device'),
  'visit:browser': VISIT_TABLE('browsers', 'browser'),
  'visit:browser,visit:browser_version': { ...VISIT_TABLE('browsers', 'browser'), cols: ['browser', 'browser_version'] },
  'visit:os': VISIT_TABLE('operating_systems', 'operating_system'),
  'visit:os,visit:os_version': {
    ...VISIT_TABLE('operating_systems', 'operating_system'),
    cols: ['operating_system', 'operating_system_version'],
  },
  'event:name': { table: 'custom_events', cols: ['name'], empty: NOT_SET, visitParts: false },
  'event:goal': { table: 'custom_events', cols: ['name'], empty: NOT_SET, visitParts: false },
};

const TOTALS: Source = { table: 'visitors', cols: [], empty: NOT_SET, visitParts: true };

/** The whole of one table: what a query without a breakdown sums when its filters are on that table. */
const tableTotals = (table: ImportedTable): Source =>
  table === 'visitors' ? TOTALS : { table, cols: [], empty: NOT_SET, visitParts: table !== 'pages' && table !== 'custom_events' };

/** A column of an imported table, with how its values read as this server's (empty, unknown: as in Source). */
interface Column {
  table: ImportedTable;
  col: string;
  empty: string;
  unknown?: readonly string[];
  /** A country code a filter reads by its name. */
  countryName?: true;
}

/** Dimensions Plausible filters imported rows by that no breakdown here reads from them. */
const FILTER_ONLY: Readonly<Record<string, Column>> = {
  'visit:browser_version': { table: 'browsers', col: 'browser_version', empty: NOT_SET },
  'visit:os_version': { table: 'operating_systems', col: 'operating_system_version', empty: NOT_SET },
  'visit:screen': { table: 'devices', col: 'device', empty: NOT_SET },
  'event:hostname': { table: 'pages', col: 'hostname', empty: NOT_SET },
};

/**
 * The custom properties an import holds (Plausible's `link_url` and `path` of custom events),
 * each only with its special goals: the events that carry it (Plausible's goals_with_url,
 * goals_with_path). A missing value reads as a missing property does here: `(none)`.
 */
const SPECIAL_PROPS: Readonly<Record<string, { col: string; goals: readonly string[] }>> = {
  'event:props:url': { col: 'link_url', goals: ['Outbound Link: Click', 'Cloaked Link: Click', 'File Download'] },
  'event:props:path': { col: 'path', goals: ['404', 'WP Form Completions', 'Form: Submission'] },
};

const propColumn = (prop: string): Column => ({ table: 'custom_events', col: SPECIAL_PROPS[prop]?.col ?? '', empty: NONE });

function columnOf(name: string, prop?: string): Column | undefined {
  if (name === prop) return propColumn(prop);
  const s = BY_DIMENSION[name];
  if (s === undefined || s.cols.length !== 1) return FILTER_ONLY[name];
  // A region's or city's name is known only from the period's visits (namesOf), not to the
  // imported rows' condition: a filter on one leaves imports out.
  const naming = s.naming?.[0];
  if (naming === 'region' || naming === 'city') return undefined;
  return {
    table: s.table,
    col: s.cols[0] as string,
    empty: s.empty,
    ...(s.unknown ? { unknown: s.unknown } : {}),
    ...(naming === 'country' ? { countryName: true as const } : {}),
  };
}

/**
 * A column as a filter reads it: an empty or unknown value is the one this server writes for a
 * missing one, so `is "(not set)"` or `is "Direct / None"` keeps the same rows on both sides.
 * Column, values and placeholder are server-authored (BY_DIMENSION, FILTER_ONLY).
 */
function columnExpr(c: Column): Sql {
  const missing = [...new Set(['', ...(c.unknown ?? [])])].map((v) => `'${v}'`).join(', ');
  const value = c.countryName ? countryNameSql(c.col) : c.col;
  return fragment(`(CASE WHEN ${c.col} IN (${missing}) THEN '${c.empty.replace(/'/g, "''")}' ELSE ${value} END)`);
}

/** A filter tree over imported rows: the tables its dimensions are on, and its condition over their columns. */
interface ImportedFilter {
  tables: ReadonlySet<ImportedTable>;
  where: Sql;
}

const TRUE: ImportedFilter = { tables: new Set(), where: sql`TRUE` };
const FALSE: ImportedFilter = { tables: new Set(), where: sql`FALSE` };

/**
 * The query's filters over imported rows, as Plausible applies them (the same operators and
 * modifiers, on the table's columns); undefined when a dimension has no imported column. A
 * configured goal's conditions (goals.ts, `goal` set) read as Plausible reads goals there: an
 * event goal is a custom event's name, a page goal a page of the pages table — whose rows are
 * page views, so the goal's "is a page view" holds of every one of them — and a filter that
 * selected no goal keeps no row, whatever the table.
 */
export function importedFilter(filters: readonly Filter[], prop?: string): ImportedFilter | undefined {
  const translate = (f: Filter, inGoal: boolean): ImportedFilter | undefined => {
    const goal = inGoal || f.goal !== undefined;
    if ('child' in f) {
      // Imported rows are daily sums with no visits to pick: has_done/has_not_done skip them (as Plausible).
      if (f.kind !== 'not') return undefined;
      const t = translate(f.child, goal);
      return t && { tables: t.tables, where: sql`(NOT ${t.where})` };
    }
    if ('children' in f) {
      const parts = f.children.map((c) => translate(c, goal));
      if (parts.some((p) => p === undefined)) return undefined;
      const all = parts as ImportedFilter[];
      return {
        tables: new Set(all.flatMap((p) => [...p.tables])),
        where: sql`(${join(
          all.map((p) => p.where),
          f.kind === 'and' ? ' AND ' : ' OR ',
        )})`,
      };
    }
    if (goal && f.dim.name === 'event:name' && f.op === 'is' && f.values.length === 1) {
      if (f.values[0] === 'pageview') return TRUE;
      if (f.values[0] === '') return FALSE;
    }
    const c = columnOf(f.dim.name, prop);
    if (c === undefined) return undefined;
    return {
      tables: new Set([c.table]),
      where: compileFilters([{ ...f, dim: { name: f.dim.name, level: f.dim.level, expr: columnExpr(c) } }]),
    };
  };
  const parts = filters.map((f) => translate(f, false));
  if (parts.some((p) => p === undefined)) return undefined;
  const all = parts as ImportedFilter[];
  return {
    tables: new Set(all.flatMap((p) => [...p.tables])),
    where:
      all.length === 0
        ? sql`TRUE`
        : join(
            all.map((p) => p.where),
            ' AND ',
          ),
  };
}

/** A stored row's counts as the metrics here name them (entrances and exits are an entry/exit page's visits). */
function partOf(table: ImportedTable, c: Record<string, number>): Part {
  const n = (k: string) => c[k] ?? 0;
  const visits = table === 'entry_pages' ? n('entrances') : table === 'exit_pages' ? n('exits') : n('visits');
  const custom = table === 'custom_events';
  const parts = !custom && table !== 'pages';
  return {
    visitors: n('visitors'),
    visits,
    pageviews: n('pageviews'),
    events: custom ? n('events') : n('pageviews'),
    bounces: parts ? n('bounces') : 0,
    durationMs: parts ? n('visit_duration') * 1000 : 0,
    partVisits: parts ? visits : 0,
  };
}

const add = (a: Part, b: Part): Part => ({
  visitors: a.visitors + b.visitors,
  visits: a.visits + b.visits,
  pageviews: a.pageviews + b.pageviews,
  events: a.events + b.events,
  bounces: a.bounces + b.bounces,
  durationMs: a.durationMs + b.durationMs,
  partVisits: a.partVisits + b.partVisits,
});

const ZERO: Part = { visitors: 0, visits: 0, pageviews: 0, events: 0, bounces: 0, durationMs: 0, partVisits: 0 };

/** The local dates of a period, first and last (inclusive), as an import's rows are dated. */
export function periodDays(period: StatsQuery['period']): { first: string; last: string } {
  const local = (d: Date) => (period.timezone ? wallClock(d, period.timezone) : d).toISOString().slice(0, 10);
  return { first: local(period.from), last: local(new Date(period.to.getTime() - 1)) };
}

/** Whether a query asks for buckets shorter than the imports' days. */
const tooShort = (query: StatsQuery) =>
  query.period.name === 'realtime' ||
  query.dimensions.some((d) => d.level === 'time' && (d.unit === 'hour' || d.unit === 'minute'));

/** The dimensions a filter tree reads; a configured goal's conditions read as `event:goal`, a behavioral filter as `has_done`/`has_not_done`. */
function filterDimensions(filters: readonly Filter[], into = new Set<string>()): Set<string> {
  for (const f of filters) {
    if (f.goal !== undefined) into.add('event:goal');
    else if (f.kind === 'match') into.add(f.dim.name);
    else if (f.kind === 'not') filterDimensions([f.child], into);
    // A behavioral filter picks visits, which imported sums do not have: named as itself, it matches no table.
    else if ('child' in f) into.add(f.kind);
    else filterDimensions(f.children, into);
  }
  return into;
}

/** Whether a top-level filter names one of these goals: `is` on event:name or event:goal, or a goal filter of several. */
function namesGoal(f: Filter, goals: readonly string[]): boolean {
  if (f.kind === 'match')
    return (
      f.op === 'is' && (f.dim.name === 'event:name' || f.dim.name === 'event:goal') && f.values.some((v) => goals.includes(v))
    );
  return f.kind === 'or' && f.goal !== undefined && f.children.some((c) => namesGoal(c, goals));
}

/**
 * The imported custom property a query reads (SPECIAL_PROPS), null when it reads none, undefined
 * when it reads one the import cannot answer. Plausible's rule: the breakdown is by the property,
 * or by nothing, time, `event:goal` or `event:name` with filters on exactly one such property;
 * a top-level filter names one of its special goals; and no filter is on another dimension
 * than the property, `event:name` and `event:goal`.
 */
function importedProp(query: StatsQuery): string | null | undefined {
  const filtered = filterDimensions(query.filters);
  const names = query.dimensions.map((d) => d.name);
  const asked = [...new Set([...filtered, ...names])].filter((n) => SPECIAL_PROPS[n] !== undefined);
  if (asked.length === 0) return null;
  const others = query.dimensions.filter((d) => d.level !== 'time').map((d) => d.name);
  let prop: string | undefined;
  if (names.length === 1 && SPECIAL_PROPS[names[0] as string] !== undefined) prop = names[0];
  else if (others.length === 0 || (names.length === 1 && (names[0] === 'event:goal' || names[0] === 'event:name'))) {
    const inFilters = [...filtered].filter((n) => SPECIAL_PROPS[n] !== undefined);
    if (inFilters.length === 1) prop = inFilters[0];
  }
  if (prop === undefined || names.length > 1) return undefined;
  const goals = SPECIAL_PROPS[prop]?.goals ?? [];
  if (!query.filters.some((f) => namesGoal(f, goals))) return undefined;
  const allowed = new Set([prop, 'event:name', 'event:goal']);
  return [...filtered].every((n) => allowed.has(n)) ? prop : undefined;
}

/**
 * Which source answers a query, or why none does (decided on the query alone: tested without a
 * database). Plausible's rule: the filters' dimensions and the breakdown's must all be on one
 * imported table, whose rows the filters then keep; time buckets take the table of the filters
 * (the visitors table without any).
 */
export function importedSource(query: StatsQuery): Source | SkipReason {
  if (query.ranges !== undefined) return 'unsupported_query';
  if (tooShort(query)) return 'unsupported_interval';
  const prop = importedProp(query);
  if (prop === undefined) return 'unsupported_query';
  const filter = importedFilter(query.filters, prop ?? undefined);
  if (filter === undefined || filter.tables.size > 1) return 'unsupported_query';
  const [table] = filter.tables;
  const time = query.dimensions.filter((d) => d.level === 'time');
  let source: Source | undefined;
  if (time.length > 0 || query.dimensions.length === 0) {
    if (query.dimensions.length > time.length) return 'unsupported_query';
    source = table === undefined ? TOTALS : tableTotals(table);
  } else {
    const names = query.dimensions.map((d) => d.name).join(',');
    source =
      names === prop
        ? { table: 'custom_events', cols: [propColumn(prop).col], empty: NONE, visitParts: false }
        : BY_DIMENSION[names];
    if (source === undefined || (table !== undefined && table !== source.table)) return 'unsupported_query';
    // A name breakdown of page views has no imported table: custom events only (the Goals panel);
    // under a special goal's filter (importedProp) its rows are custom events already.
    if (source.table === 'custom_events' && query.customEventsOnly !== true && prop === null) return 'unsupported_query';
  }
  // The Goals panel counts custom events only: no other table has any.
  if (query.customEventsOnly === true && source.table !== 'custom_events') return 'unsupported_query';
  return query.filters.length === 0 ? source : { ...source, where: filter.where };
}

/**
 * Whether the site's imports answer a query, or why not, in Plausible's order
 * (`Query.ensure_include_imported`): no import at all; buckets shorter than a day; a period
 * that starts after the last imported day; a question the imported tables cannot answer. A
 * period that ends before the first imported day takes imports in (none of them counts).
 */
export function decideImports<T = Source>(
  query: StatsQuery,
  imports: readonly Pick<SiteImport, 'end_date'>[],
  source: (query: StatsQuery) => T | SkipReason = importedSource as (query: StatsQuery) => T | SkipReason,
): T | SkipReason {
  if (imports.length === 0) return 'no_imported_data';
  if (tooShort(query)) return 'unsupported_interval';
  const { first } = periodDays(query.period);
  if (imports.every((i) => i.end_date < first)) return 'out_of_range';
  return source(query);
}

/**
 * Whether a query of the request includes imported data, with the outcome noted for the answer
 * (the first one only). `merges: false` is a query answered from events alone whatever the
 * imports (one this module does not merge): they are then left out as `unsupported_query`.
 */
export async function importsApply(imp: ImportsScope | undefined, query: StatsQuery, merges = true): Promise<Source | undefined> {
  return applyImports(imp, query, merges ? importedSource : () => 'unsupported_query');
}

/** importsApply with the question's own rule for which imported rows answer it. */
async function applyImports<T extends object>(
  imp: ImportsScope | undefined,
  query: StatsQuery,
  source: (query: StatsQuery) => T | SkipReason,
): Promise<T | undefined> {
  if (imp === undefined) return undefined;
  imp.list ??= imp.reader.list(query.siteId);
  const { first, last } = periodDays(query.period);
  const all = await imp.list;
  const inPeriod = all.filter((i) => i.start_date <= last && i.end_date >= first);
  const decided: T | SkipReason = imp.wanted ? decideImports(query, all, source) : 'unsupported_query';
  if (imp.outcome === undefined) {
    const imports = inPeriod.map((i) => ({ source: i.source, start_date: i.start_date, end_date: i.end_date }));
    if (typeof decided !== 'string') imp.outcome = { included: true, imports };
    else if (!imp.wanted) imp.outcome = { included: false, imports };
    else {
      const warning = WARNINGS[decided];
      imp.outcome = { included: false, skip_reason: decided, ...(warning ? { warning } : {}), imports };
    }
  }
  return typeof decided === 'string' ? undefined : decided;
}

/** runStats, with the imported rows of the period merged in when the request wants them and the query allows. */
export async function runWithImports(q: QueryRunner, query: StatsQuery, imp: ImportsScope | undefined): Promise<ResultRow[]> {
  const source = await importsApply(imp, query);
  if (source === undefined || imp === undefined) return runStats(q, query);
  return merged(q, query, imp.reader, source);
}

/**
 * runWithImports for a query that completes another one (a conversion rate's denominator):
 * imports are decided once per question, as Plausible's total query inherits the main query's
 * `include_imported`, so this one takes them only when `main` did (and it can).
 */
export async function runAlong(
  q: QueryRunner,
  query: StatsQuery,
  imp: ImportsScope | undefined,
  main: boolean,
): Promise<ResultRow[]> {
  return main ? runWithImports(q, query, imp) : runStats(q, query);
}

const key = (values: readonly string[]) => JSON.stringify(values);

/** The imported parts of a period by dimension values (time: by bucket label). */
async function importedParts(
  q: QueryRunner,
  reader: ImportedReader,
  query: StatsQuery,
  source: Source,
): Promise<Map<string, Part>> {
  const { first, last } = periodDays(query.period);
  const time = query.dimensions.find((d) => d.level === 'time');
  const out = new Map<string, Part>();
  const put = (values: string[], part: Part) => {
    const k = key(values);
    out.set(k, add(out.get(k) ?? ZERO, part));
  };
  const labelOf = (date: string | undefined) => {
    const d = new Date(`${date}T00:00:00Z`);
    return formatBucket(bucketOf(d, time?.unit as 'day' | 'week' | 'month'), time?.unit);
  };
  // As Plausible: asked for page views, imported rows without any are left out (custom events aside).
  const viewed = source.table !== 'custom_events' && query.metrics.some((m) => m === 'pageviews' || m === 'views_per_visit');
  const sums = await reader.sums(query.siteId, source.table, source.cols, first, last, time !== undefined, viewed, source.where);
  const name = sums.length > 0 && source.naming ? await namer(q, query, source.naming) : undefined;
  for (const r of sums) {
    if (!time && source.unknown?.includes(r.values[0] ?? '')) continue;
    const values = time ? [labelOf(r.date)] : r.values.map((v, i) => (v === '' ? source.empty : (name?.(i, v) ?? v)));
    put(values, partOf(source.table, r.counts));
  }
  // Events of the whole site (totals, time buckets) are its page views and its custom events.
  if (source === TOTALS && query.metrics.includes('events')) {
    for (const r of await reader.sums(query.siteId, 'custom_events', [], first, last, time !== undefined)) {
      put(time ? [labelOf(r.date)] : [], { ...ZERO, events: r.counts.events ?? 0 });
    }
  }
  return out;
}

/** Names the imported codes of each column that a naming asks for (see Naming). */
async function namer(
  q: QueryRunner,
  query: StatsQuery,
  naming: readonly (Naming | undefined)[],
): Promise<(column: number, code: string) => string> {
  const named = await Promise.all(naming.map((n) => (n === undefined || n === 'country' ? undefined : namesOf(q, query, n))));
  return (column, code) => {
    const n = naming[column];
    return n === 'country' ? countryNameOf(code) : (named[column]?.get(code) ?? code);
  };
}

/** A region's or city's name by its code, as the period's visits give them (the most visitors' first). */
async function namesOf(q: QueryRunner, query: StatsQuery, what: Exclude<Naming, 'country'>): Promise<Map<string, string>> {
  const rows = await runStats(q, {
    siteId: query.siteId,
    period: query.period,
    metrics: ['visitors'],
    dimensions: CODE_AND_NAME[what].map((n) => dimension(n) as Dimension),
    filters: [],
  });
  const out = new Map<string, string>();
  for (const [code, name] of rows.map((r) => r.dimensions)) {
    // '' and '0' are Plausible's (and the code dimensions') none.
    if (code && code !== '0' && name && name !== NOT_SET && !out.has(code)) out.set(code, name);
  }
  return out;
}

function bucketOf(d: Date, unit: 'day' | 'week' | 'month'): Date {
  if (unit === 'month') return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
  if (unit === 'week') return new Date(d.getTime() - ((d.getUTCDay() + 6) % 7) * 86_400_000);
  return d;
}

/** The native metrics a merge needs: the asked ones without shares, and the parts of the asked ratios. */
function nativeMetrics(query: StatsQuery): Metric[] {
  const m = new Set<Metric>(query.metrics.filter((x) => x !== 'percentage' && x !== 'conversion_rate'));
  m.add('visitors');
  if (m.has('bounce_rate') || m.has('visit_duration') || m.has('views_per_visit')) m.add('visits');
  if (m.has('views_per_visit')) m.add('pageviews');
  return [...m];
}

/** Most candidate values a page of a breakdown looks up among the events (a restriction filter holds them). */
const MAX_LOOKUPS = 1000;

async function merged(q: QueryRunner, query: StatsQuery, reader: ImportedReader, source: Source): Promise<ResultRow[]> {
  // A bad regular expression is the engine's 400 before the imported rows are read with it.
  await checkPatterns(q, filterPatterns(query.filters));
  const imported = await importedParts(q, reader, query, source);
  const base: StatsQuery = {
    ...query,
    metrics: nativeMetrics(query),
    limit: undefined,
    offset: undefined,
    totalFilters: undefined,
  };
  const native = await nativeRows(q, query, base, imported);
  const rows = new Map<string, { dimensions: string[]; part: Part }>();
  for (const r of native) {
    const bounces = Math.round(r.bounce_rate * r.visits);
    const durationMs = Math.round(r.visit_duration * 1000 * r.visits);
    const part = { visitors: r.visitors, visits: r.visits, pageviews: r.pageviews, events: r.events, bounces, durationMs };
    rows.set(key(r.dimensions), { dimensions: r.dimensions, part: { ...part, partVisits: r.visits } });
  }
  for (const [k, part] of imported) {
    const row = rows.get(k);
    if (row) row.part = add(row.part, part);
    else if (query.dimensions.length > 0) rows.set(k, { dimensions: JSON.parse(k) as string[], part });
  }
  if (query.dimensions.length === 0 && rows.size === 0)
    rows.set(key([]), { dimensions: [], part: imported.get(key([])) ?? ZERO });

  const shares = query.metrics.includes('percentage') || query.metrics.includes('conversion_rate');
  const total = shares ? await mergedTotal(q, query, reader) : 0;
  const out = [...rows.values()].map(({ dimensions, part }): ResultRow => {
    const counts: Counts = { ...part, visits: part.partVisits };
    const r = ratios(counts);
    return {
      dimensions,
      visitors: part.visitors,
      visits: part.visits,
      pageviews: part.pageviews,
      events: part.events,
      bounce_rate: r.bounce_rate,
      visit_duration: r.visit_duration,
      views_per_visit: part.visits === 0 ? 0 : part.pageviews / part.visits,
      percentage: shares ? share(part.visitors, total) : 0,
    };
  });
  out.sort(comparator(query));
  const offset = query.offset ?? 0;
  return query.limit === undefined ? out.slice(offset) : out.slice(offset, offset + query.limit);
}

/**
 * The engine's rows a page of the merge needs. Ordered by visitors (the default), a value
 * outside the engine's first `offset + limit` can only reach the page through its imported
 * visitors, so only such values are looked up; another order reads every group.
 */
async function nativeRows(
  q: QueryRunner,
  query: StatsQuery,
  base: StatsQuery,
  imported: Map<string, Part>,
): Promise<ResultRow[]> {
  const byVisitors =
    query.orderBy === undefined ||
    query.orderBy.length === 0 ||
    (query.orderBy.length === 1 && query.orderBy[0]?.key === 'visitors' && query.orderBy[0]?.dir === 'desc');
  if (query.limit === undefined || query.dimensions.length === 0 || !byVisitors) return runStats(q, base);
  const n = (query.offset ?? 0) + query.limit;
  const top = await runStats(q, { ...base, limit: n, offset: 0 });
  if (top.length < n) return top; // every group of the engine is here
  const seen = new Set(top.map((r) => key(r.dimensions)));
  const floor = top[top.length - 1]?.visitors ?? 0;
  // The n-th best merged count among the known values: a value that cannot reach it cannot be on the page.
  const known = [
    ...top.map((r) => r.visitors + (imported.get(key(r.dimensions))?.visitors ?? 0)),
    ...[...imported].filter(([k]) => !seen.has(k)).map(([, p]) => p.visitors),
  ].sort((a, b) => b - a);
  const bar = known[n - 1] ?? 0;
  const wanted = [...imported]
    .filter(([k, p]) => !seen.has(k) && p.visitors + floor >= bar)
    .map(([k]) => JSON.parse(k) as string[]);
  if (wanted.length === 0) return top;
  if (wanted.length > MAX_LOOKUPS) return runStats(q, base);
  const restriction: Filter[] = query.dimensions.map((dim, i) => ({
    kind: 'match',
    op: 'is',
    dim,
    values: [...new Set(wanted.map((w) => w[i] ?? ''))],
    caseSensitive: true,
  }));
  const more = await runStats(q, { ...base, filters: [...base.filters, ...restriction] });
  return [...top, ...more.filter((r) => !seen.has(key(r.dimensions)))];
}

/**
 * The visitors behind shares: every visitor of the period under the total's filters, the
 * engine's and the import's — those of the table the filters are on (none when they are on
 * several: the total is then the engine's, as Plausible's total query takes no imports then).
 */
async function mergedTotal(q: QueryRunner, query: StatsQuery, reader: ImportedReader): Promise<number> {
  const filters = query.totalFilters ?? query.filters;
  const [native] = await runStats(q, {
    siteId: query.siteId,
    period: query.period,
    metrics: ['visitors'],
    dimensions: [],
    filters,
  });
  const source = importedSource({ siteId: query.siteId, period: query.period, metrics: ['visitors'], dimensions: [], filters });
  if (typeof source === 'string') return native?.visitors ?? 0;
  const { first, last } = periodDays(query.period);
  const [imported] = await reader.sums(query.siteId, source.table, [], first, last, false, false, source.where);
  return (native?.visitors ?? 0) + (imported?.counts.visitors ?? 0);
}

/** The builder's order over merged rows (row-order.ts): the asked keys, or its default, then every dimension. */
function comparator(query: StatsQuery): (a: ResultRow, b: ResultRow) => number {
  const metric = (m: string) => (r: ResultRow) => {
    if (m === 'bounce_rate' || m === 'visit_duration' || m === 'views_per_visit') return r.visits === 0 ? null : r[m];
    if (m === 'percentage' || m === 'conversion_rate') return r.visitors;
    return r[m as 'visitors'];
  };
  const terms: OrderTerm<ResultRow>[] = (query.orderBy ?? []).map((o) => {
    const i = query.dimensions.findIndex((d) => d.name === o.key);
    return i >= 0 ? dimensionTerm(i, o.dir) : { value: metric(o.key), dir: o.dir };
  });
  if (terms.length === 0) {
    const t = query.dimensions.findIndex((d) => d.level === 'time');
    if (t >= 0) terms.push(dimensionTerm(t, 'asc'));
    else if (query.dimensions.length > 0) terms.push({ value: (r) => r.visitors, dir: 'desc' });
  }
  return byTerms(terms);
}

/**
 * The imported completions of configured goals (the Goals panel): an event goal's custom
 * events by name, a page goal's page views of its pages (a `*` pattern as goals.ts reads it).
 * Undefined when the query takes no imported data.
 */
export async function importedGoalCounts(
  imp: ImportsScope | undefined,
  query: StatsQuery,
  goals: readonly Goal[],
): Promise<Map<string, { visitors: number; events: number }> | undefined> {
  // Each goal's imported rows are counted unfiltered: a filter other than a goal's (which chose the goals shown) would not apply.
  const unfiltered = query.filters.every((f) => f.goal !== undefined);
  if ((await importsApply(imp, query, unfiltered)) === undefined || imp === undefined) return undefined;
  const { first, last } = periodDays(query.period);
  const events = await imp.reader.sums(query.siteId, 'custom_events', ['name'], first, last, false);
  const pages = goals.some((g) => g.pagePath !== null)
    ? await imp.reader.sums(query.siteId, 'pages', ['page'], first, last, false)
    : [];
  const out = new Map<string, { visitors: number; events: number }>();
  for (const g of goals) {
    let visitors = 0;
    let count = 0;
    if (g.eventName !== null) {
      for (const r of events.filter((e) => e.values[0] === g.eventName)) {
        visitors += r.counts.visitors ?? 0;
        count += r.counts.events ?? 0;
      }
    } else {
      const path = new RegExp(pagePatternRegex(g.pagePath ?? ''));
      for (const r of pages.filter((p) => path.test(p.values[0] ?? ''))) {
        visitors += r.counts.visitors ?? 0;
        count += r.counts.pageviews ?? 0;
      }
    }
    out.set(g.id, { visitors, events: count });
  }
  return out;
}

/** The imported rows of a v2 `event:goal` breakdown: each table's condition, or no rows of it. */
interface GoalSource {
  events?: Sql;
  pages?: Sql;
}

/** Metrics a goal's imported rows answer (conversion_rate: its visitors over a total that takes imports too). */
const GOAL_METRICS: ReadonlySet<Metric> = new Set(['visitors', 'events', 'pageviews', 'conversion_rate']);

/**
 * Which imported tables answer a v2 breakdown by `event:goal` alone of a site with configured
 * goals, as Plausible decides it: without filters, custom events (event goals) and pages (page
 * goals); under filters on `event:goal`, `event:name`, `event:page` (and a special goal's
 * property), the one table they are on, its rows kept by them; under any other filter, none.
 */
export function importedGoalSource(query: StatsQuery): GoalSource | SkipReason {
  if (query.ranges !== undefined) return 'unsupported_query';
  if (tooShort(query)) return 'unsupported_interval';
  if (query.dimensions.length !== 1 || query.dimensions[0]?.name !== 'event:goal') return 'unsupported_query';
  if (!query.metrics.every((m) => GOAL_METRICS.has(m))) return 'unsupported_query';
  const prop = importedProp(query);
  if (prop === undefined) return 'unsupported_query';
  const allowed = new Set(['event:goal', 'event:name', 'event:page', ...(prop === null ? [] : [prop])]);
  if (![...filterDimensions(query.filters)].every((n) => allowed.has(n))) return 'unsupported_query';
  const filter = importedFilter(query.filters, prop ?? undefined);
  if (filter === undefined || filter.tables.size > 1) return 'unsupported_query';
  const [table] = filter.tables;
  const where = query.filters.length === 0 ? sql`TRUE` : filter.where;
  if (table === undefined) return { events: where, pages: where };
  return table === 'custom_events' ? { events: where } : { pages: where };
}

/** A goal's imported counts in a v2 breakdown by `event:goal`. */
export interface GoalPart {
  visitors: number;
  events: number;
  pageviews: number;
}

/**
 * Each shown goal's imported completions in a v2 breakdown by `event:goal` of a site with
 * configured goals (importedGoalSource): an event goal's custom events by name, a page goal's
 * rows of the pages its pattern matches (a page matching two goals counts for each, as a page
 * view completes both). Undefined when the query takes no imported data; the outcome is noted.
 */
export async function importedGoalParts(
  imp: ImportsScope | undefined,
  query: StatsQuery,
  goals: readonly Goal[],
): Promise<Map<string, GoalPart> | undefined> {
  const source = await applyImports(imp, query, importedGoalSource);
  if (source === undefined || imp === undefined) return undefined;
  const { first, last } = periodDays(query.period);
  // As Plausible: asked for page views, imported pages without any are left out.
  const viewed = query.metrics.includes('pageviews');
  const events = source.events
    ? await imp.reader.sums(query.siteId, 'custom_events', ['name'], first, last, false, false, source.events)
    : [];
  const pages =
    source.pages && goals.some((g) => g.pagePath !== null)
      ? await imp.reader.sums(query.siteId, 'pages', ['page'], first, last, false, viewed, source.pages)
      : [];
  const out = new Map<string, GoalPart>();
  for (const g of goals) {
    const part: GoalPart = { visitors: 0, events: 0, pageviews: 0 };
    if (g.eventName !== null) {
      for (const r of events.filter((e) => e.values[0] === g.eventName)) {
        part.visitors += r.counts.visitors ?? 0;
        part.events += r.counts.events ?? 0;
      }
    } else {
      const path = new RegExp(pagePatternRegex(g.pagePath ?? ''));
      for (const r of pages.filter((p) => path.test(p.values[0] ?? ''))) {
        part.visitors += r.counts.visitors ?? 0;
        part.events += r.counts.pageviews ?? 0;
        part.pageviews += r.counts.pageviews ?? 0;
      }
    }
    out.set(g.id, part);
  }
  return out;
}
