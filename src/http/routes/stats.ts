/**
 * GET /api/stats/*: common parameters (site, period, filters, segment) validated here once;
 * the answers are built by src/query.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../../metrics.js';
import { compareBreakdown, compareMain, compareTimeseries } from '../../query/compare.js';
import { type Filter, parseFiltersParam } from '../../query/filters.js';
import { type Goal, resolveGoals } from '../../query/goals.js';
import type { ImportedReader, ImportsOutcome, ImportsScope } from '../../query/imported.js';
import { resolveComparison, resolveSitePeriod, timeseriesInterval } from '../../query/period.js';
import { andFilters, type SegmentLookup, segmentFilters } from '../../query/request-filters.js';
import {
  breakdown,
  breakdownDimensions,
  mainStats,
  realtimeVisitors,
  type Scope,
  timeseries,
  withAllResolved,
} from '../../query/stats.js';
import { tracePlans } from '../../query/trace.js';
import { siteIdParam } from '../../site-id.js';
import type { EventStore } from '../../storage/storage.js';
import { DAY_MS } from '../../utc-days.js';
import type { AuthGuard } from '../auth-guard.js';
import { badRequest, notFound } from '../errors.js';

export type Query = Record<string, string | undefined>;

export interface StatsRouteDeps {
  store: EventStore;
  guard: AuthGuard;
  metrics: Metrics;
  /** The site's IANA time zone (null = UTC): periods and time buckets follow its clock. */
  timezoneOf?: (siteId: string) => string | null;
  /** The site's configured goals (none: every custom event is a goal). */
  goalsOf?: (siteId: string) => readonly Goal[];
  /** The sites' saved segments, for `segment=<id>`. */
  segments: SegmentLookup;
  /** The sites' imported data (sites/imports.ts); absent: answers from events only. */
  imported?: ImportedReader;
}

/** `with_imported`: whether imported data may be included (default true, as Plausible's dashboard). */
export function withImportedParam(q: Query): boolean {
  const v = q.with_imported;
  if (v === undefined || v === 'true') return true;
  if (v === 'false') return false;
  throw badRequest('with_imported: must be true or false');
}

/**
 * What an answer says about imported data (docs/API.md, "Imported data"): nothing when no
 * import has a day in the period, else whether they were included, or why not.
 */
export function importsNote(imports: ImportsScope | undefined): ImportsOutcome | undefined {
  const o = imports?.outcome;
  return o === undefined || o.imports.length === 0 ? undefined : o;
}

/**
 * A request's filters with `event:goal` resolved against the site's goals, and the goals the
 * Goals panel shows (undefined when the site has none configured).
 */
export function goalScope(
  deps: Pick<StatsRouteDeps, 'goalsOf'>,
  siteId: string,
  filters: Filter[],
): { filters: Filter[]; goals?: readonly Goal[] } {
  const configured = deps.goalsOf?.(siteId) ?? [];
  const resolved = resolveGoals(filters, configured);
  return configured.length === 0 ? { filters: resolved.filters } : { filters: resolved.filters, goals: resolved.shown };
}

const MAX_BUCKETS = 5000;
const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: DAY_MS, week: 7 * DAY_MS, month: 28 * DAY_MS } as const;

export const siteParam = (q: Query): string => siteIdParam(q.site_id);

export function intParam(q: Query, name: string, def: number, min: number, max: number): number {
  const v = q[name];
  if (v === undefined) return def;
  if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) {
    throw badRequest(`${name}: must be an integer from ${min} to ${max}`);
  }
  return Number(v);
}

/**
 * A GET request's filters: its `segment`'s and-ed with its own `filters` (query/request-filters.ts),
 * with `event:goal` resolved against the site's goals (goalScope). `check` sees each part with
 * the parameter it came from, so a rule of one endpoint names it.
 */
export async function statsFilters(
  deps: Pick<StatsRouteDeps, 'segments' | 'goalsOf'>,
  siteId: string,
  q: Query,
  check?: (filters: readonly Filter[], param: 'filters' | 'segment') => void,
): Promise<{ filters: Filter[]; goals?: readonly Goal[] }> {
  const own = parseFiltersParam(q.filters);
  check?.(own, 'filters');
  const segment = await segmentFilters(deps.segments, siteId, q.segment);
  check?.(segment, 'segment');
  return goalScope(deps, siteId, andFilters(segment, own));
}

/** Runs a query function and reports the plans its statements used (`X-Mallard-Plan`: rollup, events). */
export async function withPlanHeader<T>(reply: FastifyReply, fn: () => Promise<T>): Promise<T> {
  const { result, plans } = await tracePlans(fn);
  if (plans.length > 0) reply.header('x-mallard-plan', plans.join(','));
  return result;
}

/**
 * Wraps a stats endpoint: authorizes, resolves the common parameters (site, period,
 * filters and segment) once, refuses repeated parameters, and times the query.
 */
export const statsHandler =
  (deps: StatsRouteDeps) =>
  <T>(endpoint: string, fn: (scope: Scope, q: Query, params: Query) => Promise<T>) =>
  async (req: FastifyRequest, reply: FastifyReply) => {
    const q = req.query as Query;
    const siteId = siteParam(q);
    await deps.guard.require(req, 'read', siteId);
    for (const [k, v] of Object.entries(q)) if (typeof v !== 'string') throw badRequest(`${k}: given more than once`);
    let period = resolveSitePeriod(q, deps.timezoneOf?.(siteId));
    const filters = await statsFilters(deps, siteId, q);
    if (period.name === 'all') period = await deps.store.read((r) => withAllResolved(r, siteId, period));
    const wanted = withImportedParam(q);
    const imports = deps.imported ? { reader: deps.imported, wanted } : undefined;
    const scope: Scope = { siteId, period, ...filters, ...(imports ? { imports } : {}) };
    const end = deps.metrics.querySeconds.startTimer({ endpoint });
    try {
      const answer = await withPlanHeader(reply, () => fn(scope, q, req.params as Query));
      const note = importsNote(scope.imports);
      if (note)
        reply.header('x-mallard-imports', note.included ? 'included' : `skipped; reason=${note.skip_reason ?? 'not_requested'}`);
      return answer;
    } finally {
      end();
    }
  };

export async function statsRoutes(app: FastifyInstance, deps: StatsRouteDeps): Promise<void> {
  const handle = statsHandler(deps);

  app.get(
    '/api/stats/main',
    handle('main', async (scope, q) => {
      const against = resolveComparison(q, scope.period);
      const answer = await deps.store.read((r) => (against ? compareMain(r, scope, against) : mainStats(r, scope)));
      const imports = importsNote(scope.imports);
      return imports ? { ...answer, imports } : answer;
    }),
  );

  app.get(
    '/api/stats/timeseries',
    handle('timeseries', async (scope, q) => {
      const unit = timeseriesInterval(scope.period, q.interval);
      const against = resolveComparison(q, scope.period);
      for (const period of against ? [scope.period, against] : [scope.period]) {
        if ((period.to.getTime() - period.from.getTime()) / BUCKET_MS[unit] > MAX_BUCKETS) {
          throw badRequest(`interval: ${unit} would give more than ${MAX_BUCKETS} buckets; choose a longer one`);
        }
      }
      return deps.store.read((r) => (against ? compareTimeseries(r, scope, unit, against) : timeseries(r, scope, unit)));
    }),
  );

  app.get(
    '/api/stats/breakdown/*',
    handle('breakdown', async (scope, q, params) => {
      const name = params['*'] ?? '';
      if (!breakdownDimensions(name)) throw notFound(`unknown breakdown dimension "${name.slice(0, 60)}"`);
      const limit = intParam(q, 'limit', 100, 1, 1000);
      const page = intParam(q, 'page', 1, 1, 100_000);
      const against = resolveComparison(q, scope.period);
      return deps.store.read<unknown[]>((r) =>
        against ? compareBreakdown(r, scope, name, limit, page, against) : breakdown(r, scope, name, limit, page),
      );
    }),
  );

  app.get(
    '/api/stats/realtime',
    handle('realtime', async (scope) => ({ visitors: await deps.store.read((r) => realtimeVisitors(r, scope.siteId)) })),
  );
}
