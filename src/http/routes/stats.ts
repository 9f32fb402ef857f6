/**
 * GET /api/stats/*: parameters validated here, queries built in src/query.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../../metrics.js';
import { dimension } from '../../query/dimensions.js';
import { type Interval, type Period, resolvePeriod } from '../../query/period.js';
import { breakdown, firstEventAt, type MainStats, mainStats, realtimeVisitors, timeseries } from '../../query/stats.js';
import type { EventStore } from '../../storage/storage.js';
import type { AuthGuard } from '../auth-guard.js';
import { badRequest, notFound } from '../errors.js';

type Query = Record<string, string | undefined>;

export interface StatsRouteDeps {
  store: EventStore;
  guard: AuthGuard;
  metrics: Metrics;
}

const SITE_ID = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;
const INTERVALS = ['hour', 'day', 'week', 'month'] as const;
const MAX_BUCKETS = 5000;
const BUCKET_MS = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000, month: 28 * 86_400_000 } as const;

function siteParam(q: Query): string {
  const site = q.site_id;
  if (site === undefined || site === '') throw badRequest('site_id: required');
  if (site.length > 253 || !SITE_ID.test(site)) throw badRequest('site_id: not a valid site id');
  return site;
}

function intParam(q: Query, name: string, def: number, min: number, max: number): number {
  const v = q[name];
  if (v === undefined) return def;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max)
    throw badRequest(`${name}: must be an integer from ${min} to ${max}`);
  return Number(v);
}

export async function statsRoutes(app: FastifyInstance, deps: StatsRouteDeps): Promise<void> {
  /** Authorizes, resolves common parameters, and times the query. */
  const handle =
    <T>(endpoint: string, fn: (siteId: string, period: Period, q: Query, params: Query) => Promise<T>) =>
    async (req: FastifyRequest) => {
      const q = req.query as Query;
      const siteId = siteParam(q);
      await deps.guard.require(req, 'read', siteId);
      const period = resolvePeriod(q);
      const end = deps.metrics.querySeconds.startTimer({ endpoint });
      try {
        return await fn(siteId, period, q, req.params as Query);
      } finally {
        end();
      }
    };

  app.get(
    '/api/stats/main',
    handle('main', async (siteId, period, q) => {
      if (q.compare !== undefined && q.compare !== 'previous_period') throw badRequest('compare: must be previous_period');
      return deps.store.read(async (r) => {
        const current = await mainStats(r, { siteId, period });
        if (q.compare === undefined) return current;
        const span = period.to.getTime() - period.from.getTime();
        const previousPeriod = { ...period, from: new Date(period.from.getTime() - span), to: period.from };
        const previous = await mainStats(r, { siteId, period: previousPeriod });
        const change = Object.fromEntries(
          (Object.keys(current) as (keyof MainStats)[]).map((k) => [
            k,
            previous[k] === 0 ? null : Math.round(((current[k] - previous[k]) / previous[k]) * 1000) / 10,
          ]),
        );
        return { ...current, previous, change };
      });
    }),
  );

  app.get(
    '/api/stats/timeseries',
    handle('timeseries', async (siteId, period, q) => {
      const interval = (q.interval ?? (period.interval === 'minute' ? 'hour' : period.interval)) as Interval;
      if (!(INTERVALS as readonly string[]).includes(interval))
        throw badRequest(`interval: must be one of ${INTERVALS.join(', ')}`);
      return deps.store.read(async (r) => {
        let p = period;
        if (period.name === 'all') {
          const first = await firstEventAt(r, siteId);
          p = { ...period, from: first ?? new Date(period.to.getTime() - 86_400_000) };
        }
        const buckets = (p.to.getTime() - p.from.getTime()) / BUCKET_MS[interval as Exclude<Interval, 'minute'>];
        if (buckets > MAX_BUCKETS)
          throw badRequest(`interval: ${interval} would give more than ${MAX_BUCKETS} buckets; choose a longer one`);
        return timeseries(r, { siteId, period: p }, interval as Exclude<Interval, 'minute'>);
      });
    }),
  );

  app.get(
    '/api/stats/breakdown/:dim',
    handle('breakdown', async (siteId, period, q, params) => {
      const dim = dimension(params.dim ?? '');
      if (!dim) throw notFound(`unknown breakdown dimension "${String(params.dim).slice(0, 50)}"`);
      const limit = intParam(q, 'limit', 100, 1, 1000);
      const page = intParam(q, 'page', 1, 1, 100_000);
      return deps.store.read((r) => breakdown(r, { siteId, period }, dim, limit, page));
    }),
  );

  app.get(
    '/api/stats/realtime',
    handle('realtime', async (siteId) => ({ visitors: await deps.store.read((r) => realtimeVisitors(r, siteId)) })),
  );
}
