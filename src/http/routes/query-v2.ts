/**
 * POST /api/v2/query — Plausible's Stats API v2 (src/query/v2/), on the same builder and
 * with the same auth as GET /api/stats/* (scope `read`, key site restriction; cookie or key).
 * A body field `segment` names a saved segment of the site, and-ed with the body's filters.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Metrics } from '../../metrics.js';
import type { Goal } from '../../query/goals.js';
import {
  type ImportedReader,
  type ImportsScope,
  importedGoalParts,
  importsApply,
  runAlong,
  runWithImports,
} from '../../query/imported.js';
import { isEngagementMetric } from '../../query/metrics.js';
import { expandSegmentFilters, type SegmentLookup, segmentFilters } from '../../query/request-filters.js';
import type { ResultRow } from '../../query/run.js';
import { withAllResolved } from '../../query/stats.js';
import { pickCompared } from '../../query/v2/compare.js';
import { v2Engagement } from '../../query/v2/engagement.js';
import { goalRows } from '../../query/v2/goal-rows.js';
import { orderRows } from '../../query/v2/order.js';
import { planV2 } from '../../query/v2/plan.js';
import type { V2Plan, V2Request } from '../../query/v2/request.js';
import { isRevenueMetric, parseV2Body } from '../../query/v2/request.js';
import { v2Revenue } from '../../query/v2/revenue.js';
import { shapeV2, type V2Compared, type V2GroupTotal } from '../../query/v2/shape.js';
import { siteIdParam } from '../../site-id.js';
import type { EventStore, QueryRunner } from '../../storage/storage.js';
import type { AuthGuard } from '../auth-guard.js';
import { badRequest } from '../errors.js';
import { parseJsonBody } from '../json.js';
import { goalScope, withPlanHeader } from './stats.js';

export interface QueryV2RouteDeps {
  store: EventStore;
  guard: AuthGuard;
  metrics: Metrics;
  /** The site's IANA time zone (null = UTC): periods and time buckets follow its clock. */
  timezoneOf?: (siteId: string) => string | null;
  /** The site's configured goals (none: every custom event is a goal). */
  goalsOf?: (siteId: string) => readonly Goal[];
  /** The sites' saved segments, for the body's `segment`. */
  segments: SegmentLookup;
  /** The sites' imported data, merged when `include.imports` is true (query/imported.ts). */
  imported?: ImportedReader;
}

export async function queryV2Routes(app: FastifyInstance, deps: QueryV2RouteDeps): Promise<void> {
  // The body is parsed here, whatever its content type, so a malformed one is a 400 naming
  // the body rather than a framework error (this scope only).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/api/v2/query', async (req, reply) => {
    const body = jsonBody(req);
    const siteId = siteIdParam(body.site_id);
    await deps.guard.require(req, 'read', siteId);
    const segment = await segmentFilters(deps.segments, siteId, body.segment);
    const expanded = await expandSegmentFilters(deps.segments, siteId, body.filters);
    const parsed = parseV2Body({ ...body, filters: expanded }, new Date(), deps.timezoneOf?.(siteId) ?? null, segment);
    const { filters, goals } = goalScope(deps, siteId, parsed.filters);
    const request = { ...parsed, filters };
    const imports: ImportsScope | undefined =
      deps.imported && request.include.imports ? { reader: deps.imported, wanted: true } : undefined;
    const end = deps.metrics.querySeconds.startTimer({ endpoint: 'v2_query' });
    try {
      return await withPlanHeader(reply, () =>
        deps.store.read(async (r) => {
          const period = await withAllResolved(r, siteId, request.period);
          const plan = planV2(request, period);
          // Configured goals are counted one at a time (goal-rows.ts), their imports added per goal.
          const byGoals = goals !== undefined && plan.dimensions.includes('event:goal');
          let rows = byGoals
            ? await goalRows(r, plan, goals, await importedGoalParts(imports, plan.query, goals))
            : await runWithImports(r, plan.query, imports);
          const included = imports?.outcome?.included === true;
          const total = plan.totalQuery ? ((await runAlong(r, plan.totalQuery, imports, included))[0]?.visitors ?? 0) : undefined;
          const goalFiltered = request.filters.some((f) => f.goal !== undefined);
          const revenue = request.metrics.some(isRevenueMetric) ? await v2Revenue(r, plan, rows, goals, goalFiltered) : undefined;
          const engagement = request.metrics.some(isEngagementMetric) ? await v2Engagement(r, plan, rows) : undefined;
          const groupTotal = plan.groupTotalQuery
            ? groupTotals(await runAlong(r, plan.groupTotalQuery, imports, included), plan)
            : undefined;
          if (plan.orderInMemory) rows = orderRows(rows, plan, { revenue, engagement, groupTotal });
          const compared = plan.comparison
            ? await comparisonAnswer(r, request, plan, plan.comparison, rows, { imports, goals, byGoals, goalFiltered })
            : undefined;
          return shapeV2(request, plan, rows, total, revenue, imports?.outcome, engagement, groupTotal, compared);
        }),
      );
    } finally {
      end();
    }
  });
}

/**
 * The comparison plan answered as the main one is (its imports decided for its own period, as
 * Plausible's comparison query decides them), for the rows the main rows stand against.
 */
async function comparisonAnswer(
  r: QueryRunner,
  request: V2Request,
  main: V2Plan,
  plan: V2Plan,
  mainRows: readonly ResultRow[],
  ctx: { imports: ImportsScope | undefined; goals: readonly Goal[] | undefined; byGoals: boolean; goalFiltered: boolean },
): Promise<V2Compared> {
  const { imports, goals, byGoals, goalFiltered } = ctx;
  const goalParts = byGoals && goals ? await importedGoalParts(imports, plan.query, goals) : undefined;
  const included = byGoals ? goalParts !== undefined : (await importsApply(imports, plan.query)) !== undefined;
  const all = byGoals && goals ? await goalRows(r, plan, goals, goalParts) : await runAlong(r, plan.query, imports, included);
  const rows = pickCompared(main, mainRows, all);
  const conversionTotal = plan.totalQuery
    ? ((await runAlong(r, plan.totalQuery, imports, included))[0]?.visitors ?? 0)
    : undefined;
  const revenue = request.metrics.some(isRevenueMetric) ? await v2Revenue(r, plan, rows, goals, goalFiltered) : undefined;
  const engagement = request.metrics.some(isEngagementMetric) ? await v2Engagement(r, plan, rows) : undefined;
  const groupTotal = plan.groupTotalQuery
    ? groupTotals(await runAlong(r, plan.groupTotalQuery, imports, included), plan)
    : undefined;
  return {
    rows,
    ...(conversionTotal === undefined ? {} : { conversionTotal }),
    ...(revenue ? { revenue } : {}),
    ...(engagement ? { engagement } : {}),
    ...(groupTotal ? { groupTotal } : {}),
  };
}

/** Each group's visitors by its dimension values, event:goal's left out (plan.ts groupTotalQuery). */
function groupTotals(groups: readonly ResultRow[], plan: V2Plan): V2GroupTotal {
  const kept = plan.dimensions.map((n) => n !== 'event:goal');
  const key = (values: readonly string[]) => JSON.stringify(values.filter((_, i) => kept[i]));
  const visitors = new Map(groups.map((g) => [JSON.stringify(g.dimensions), g.visitors]));
  return (r) => visitors.get(key(r.dimensions)) ?? 0;
}

function jsonBody(req: FastifyRequest): Record<string, unknown> {
  const text = typeof req.body === 'string' ? req.body : '';
  if (text.trim() === '') throw badRequest('body: required (a JSON object)');
  const body = parseJsonBody(text);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body: expected a JSON object');
  return body as Record<string, unknown>;
}
