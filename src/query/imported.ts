/**
 * Imported aggregates in stats answers (docs/METRICS.md, "Imported data"), as Plausible adds
 * them: for a query without filters, the daily rows of an import (sites/imports.ts) dated in the
 * period are summed per dimension value and added to the engine's rows of the same value;
 * ratios are recomputed from the summed parts, and rows are sorted and paged after merging.
 * Engine independent: the imported rows come from the metadata database, the merge is here.
 * What an import cannot answer (a filter, an hour bucket, a dimension it has no table for) is
 * answered from events alone, and the outcome says why.
 */

import type { ImportedTable } from '../sites/imported-tables.js';
import type { SiteImport, SiteImports } from '../sites/imports.js';
import type { QueryRunner } from '../storage/storage.js';
import type { Metric, StatsQuery } from './builder.js';
import { NOT_SET } from './dimensions.js';
import type { Filter } from './filters.js';
import { type Goal, pagePatternRegex } from './goals.js';
import { type Counts, ratios, share } from './metrics.js';
import { wallClock } from './period.js';
import { formatBucket, type ResultRow, runStats } from './run.js';

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
}

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
  // ZZ is Plausible's unknown country.
  'visit:country': VISIT_TABLE('locations', 'country', NOT_SET, ['', 'ZZ']),
  'visit:region': VISIT_TABLE('locations', 'region', NOT_SET, ['']),
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

/** Which source answers a query, or why none does (decided on the query alone: tested without a database). */
export function importedSource(query: StatsQuery): Source | SkipReason {
  if (query.filters.length > 0 || query.ranges !== undefined) return 'unsupported_query';
  if (tooShort(query)) return 'unsupported_interval';
  const time = query.dimensions.filter((d) => d.level === 'time');
  if (time.length > 0) return query.dimensions.length === 1 && !query.customEventsOnly ? TOTALS : 'unsupported_query';
  if (query.dimensions.length === 0) return query.customEventsOnly ? 'unsupported_query' : TOTALS;
  const source = BY_DIMENSION[query.dimensions.map((d) => d.name).join(',')];
  if (source === undefined) return 'unsupported_query';
  // The Goals panel counts custom events only; a name breakdown of page views has no imported table.
  if ((source.table === 'custom_events') !== (query.customEventsOnly === true)) return 'unsupported_query';
  return source;
}

/**
 * Whether the site's imports answer a query, or why not, in Plausible's order
 * (`Query.ensure_include_imported`): no import at all; buckets shorter than a day; a period
 * that starts after the last imported day; a question the imported tables cannot answer. A
 * period that ends before the first imported day takes imports in (none of them counts).
 */
export function decideImports(query: StatsQuery, imports: readonly Pick<SiteImport, 'end_date'>[]): Source | SkipReason {
  if (imports.length === 0) return 'no_imported_data';
  if (tooShort(query)) return 'unsupported_interval';
  const { first } = periodDays(query.period);
  if (imports.every((i) => i.end_date < first)) return 'out_of_range';
  return importedSource(query);
}

/**
 * Whether a query of the request includes imported data, with the outcome noted for the answer
 * (the first one only). `merges: false` is a query answered from events alone whatever the
 * imports (one this module does not merge): they are then left out as `unsupported_query`.
 */
export async function importsApply(imp: ImportsScope | undefined, query: StatsQuery, merges = true): Promise<Source | undefined> {
  if (imp === undefined) return undefined;
  imp.list ??= imp.reader.list(query.siteId);
  const { first, last } = periodDays(query.period);
  const all = await imp.list;
  const inPeriod = all.filter((i) => i.start_date <= last && i.end_date >= first);
  const found = imp.wanted ? decideImports(query, all) : 'unsupported_query';
  const decided: Source | SkipReason = typeof found !== 'string' && !merges ? 'unsupported_query' : found;
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
async function importedParts(reader: ImportedReader, query: StatsQuery, source: Source): Promise<Map<string, Part>> {
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
  for (const r of await reader.sums(query.siteId, source.table, source.cols, first, last, time !== undefined, viewed)) {
    if (!time && source.unknown?.includes(r.values[0] ?? '')) continue;
    const values = time ? [labelOf(r.date)] : r.values.map((v) => (v === '' ? source.empty : v));
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
  const imported = await importedParts(reader, query, source);
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

/** The visitors behind shares: every visitor of the period, the engine's and the import's. */
async function mergedTotal(q: QueryRunner, query: StatsQuery, reader: ImportedReader): Promise<number> {
  const [native] = await runStats(q, {
    siteId: query.siteId,
    period: query.period,
    metrics: ['visitors'],
    dimensions: [],
    filters: query.totalFilters ?? query.filters,
  });
  const { first, last } = periodDays(query.period);
  const [imported] = await reader.sums(query.siteId, 'visitors', [], first, last, false);
  return (native?.visitors ?? 0) + (imported?.counts.visitors ?? 0);
}

/** The builder's order (builder.ts orderClause) over merged rows: the asked keys, then every dimension ascending. */
function comparator(query: StatsQuery): (a: ResultRow, b: ResultRow) => number {
  const dimIndex = (name: string) => query.dimensions.findIndex((d) => d.name === name);
  const terms: { get: (r: ResultRow) => string | number | null; dir: 1 | -1 }[] = [];
  const metric = (m: string) => (r: ResultRow) => {
    if (m === 'bounce_rate' || m === 'visit_duration' || m === 'views_per_visit') return r.visits === 0 ? null : r[m];
    if (m === 'percentage' || m === 'conversion_rate') return r.visitors;
    return r[m as 'visitors'];
  };
  for (const o of query.orderBy ?? []) {
    const i = dimIndex(o.key);
    terms.push({ get: i >= 0 ? (r) => r.dimensions[i] ?? '' : metric(o.key), dir: o.dir === 'asc' ? 1 : -1 });
  }
  if ((query.orderBy ?? []).length === 0) {
    const t = query.dimensions.findIndex((d) => d.level === 'time');
    if (t >= 0) terms.push({ get: (r) => r.dimensions[t] ?? '', dir: 1 });
    else if (query.dimensions.length > 0) terms.push({ get: (r) => r.visitors, dir: -1 });
  }
  for (let i = 0; i < query.dimensions.length; i++) terms.push({ get: (r) => r.dimensions[i] ?? '', dir: 1 });
  return (a, b) => {
    for (const { get, dir } of terms) {
      const x = get(a);
      const y = get(b);
      if (x === y) continue;
      if (x === null) return 1; // NULLS LAST
      if (y === null) return -1;
      return (x < y ? -1 : 1) * dir;
    }
    return 0;
  };
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
  if ((await importsApply(imp, query)) === undefined || imp === undefined) return undefined;
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
