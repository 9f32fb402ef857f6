/**
 * GET /api/stats/{sessions,funnel,retention,sequences,flow}: the behavioral analyses
 * (docs/BEHAVIORAL.md), with the common parameters of every stats endpoint. Each endpoint's
 * own parameters are validated here; a pattern or step list the product cannot run
 * safely is refused with a 400 before any query starts.
 */
import type { FastifyInstance } from 'fastify';
import { MAX_DURATION_SECS, parseDuration } from '../../query/behavioral/duration.js';
import { flow, MAX_FLOW_DEPTH } from '../../query/behavioral/flow.js';
import { parseFunnelModes } from '../../query/behavioral/funnel.js';
import { funnel } from '../../query/behavioral/funnel-query.js';
import { RETENTION_INTERVALS, type RetentionInterval, retention } from '../../query/behavioral/retention.js';
import { PatternTooExpensive, parsePattern, stepsPattern } from '../../query/behavioral/sequence.js';
import { sequences } from '../../query/behavioral/sequence-query.js';
import { sessionStats } from '../../query/behavioral/sessions.js';
import { parseSteps } from '../../query/behavioral/steps.js';
import { filterPatterns } from '../../query/filters.js';
import { checkPatterns } from '../../query/run.js';
import type { Scope } from '../../query/stats.js';
import type { QueryRunner } from '../../storage/storage.js';
import { badRequest } from '../errors.js';
import { intParam, type StatsRouteDeps, statsHandler } from './stats.js';

const MAX_SEQUENCE_STEPS = 8;
const DEFAULT_FUNNEL_WINDOW = '1 day';

export interface BehavioralRouteDeps extends StatsRouteDeps {
  /** The configured visit timeout: the default session gap. */
  sessionTimeoutSecs: number;
}

export async function behavioralRoutes(app: FastifyInstance, deps: BehavioralRouteDeps): Promise<void> {
  const handle = statsHandler(deps);
  /** Runs under the read lock after checking the filters' regular expressions (a bad one is a 400). */
  const read = <T>(scope: Scope, fn: (q: QueryRunner) => Promise<T>) =>
    deps.store.read(async (q) => {
      await checkPatterns(q, filterPatterns(scope.filters));
      return fn(q);
    });

  app.get(
    '/api/stats/sessions',
    handle('sessions', async (scope, q) => {
      const gap = q.gap === undefined ? deps.sessionTimeoutSecs : parseDuration(q.gap, 'gap', 7 * 86_400);
      return read(scope, (r) => sessionStats(r, scope, gap));
    }),
  );

  app.get(
    '/api/stats/funnel',
    handle('funnel', async (scope, q) => {
      const steps = parseSteps(q.steps, 'steps', 2, 8, deps.goalsOf?.(scope.siteId));
      const windowSecs = parseDuration(q.window ?? DEFAULT_FUNNEL_WINDOW, 'window');
      const modes = parseFunnelModes(q.mode);
      return read(scope, (r) => funnel(r, scope, { steps, windowSecs, modes }));
    }),
  );

  app.get(
    '/api/stats/retention',
    handle('retention', async (scope, q) => {
      let unit: RetentionInterval = 'week';
      let periods: number;
      if (q.weeks !== undefined) {
        if (q.interval !== undefined && q.interval !== 'week') throw badRequest('weeks: only with interval=week');
        periods = intParam(q, 'weeks', 12, 1, 52);
      } else {
        if (q.interval !== undefined) {
          if (!(RETENTION_INTERVALS as readonly string[]).includes(q.interval)) {
            throw badRequest(`interval: must be one of ${RETENTION_INTERVALS.join(', ')}`);
          }
          unit = q.interval as RetentionInterval;
        }
        periods = intParam(q, 'periods', { day: 30, week: 12, month: 12 }[unit], 1, { day: 366, week: 52, month: 36 }[unit]);
      }
      return read(scope, (r) => retention(r, scope, unit, periods));
    }),
  );

  app.get(
    '/api/stats/sequences',
    handle('sequences', async (scope, q) => {
      const steps = parseSteps(
        q.steps,
        'steps',
        q.pattern === undefined ? 2 : 1,
        MAX_SEQUENCE_STEPS,
        deps.goalsOf?.(scope.siteId),
      );
      if (q.pattern !== undefined && q.within !== undefined)
        throw badRequest('within: not with pattern (write (?t<=N) in the pattern)');
      const text = q.pattern ?? stepsPattern(steps.length, parseWithin(q.within, steps.length - 1));
      const pattern = parsePattern(text, steps.length);
      try {
        return await read(scope, (r) => sequences(r, scope, steps, pattern));
      } catch (err) {
        if (err instanceof PatternTooExpensive) {
          throw badRequest('pattern: too expensive to match on this data; use fewer .* or add time limits');
        }
        throw err;
      }
    }),
  );

  app.get(
    '/api/stats/flow',
    handle('flow', async (scope, q) => {
      const page = q.page;
      if (page === undefined || page === '') throw badRequest('page: required (e.g. page=/pricing)');
      if (page.length > 2000) throw badRequest('page: longer than 2000 characters');
      const direction = q.direction ?? 'forward';
      if (direction !== 'forward' && direction !== 'backward') throw badRequest('direction: must be forward or backward');
      const depth = intParam(q, 'depth', 1, 1, MAX_FLOW_DEPTH);
      const limit = intParam(q, 'limit', 10, 1, 100);
      return read(scope, (r) => flow(r, scope, { page, direction, depth, limit }));
    }),
  );
}

/**
 * `within`: the time limit between consecutive steps, comma-separated, one per gap;
 * an empty entry or `none` means no limit (`within=30m,` for three steps).
 */
function parseWithin(text: string | undefined, gaps: number): (number | null)[] {
  if (text === undefined || text === '') return new Array<null>(gaps).fill(null);
  const items = text.split(',');
  if (items.length !== gaps) throw badRequest(`within: give ${gaps} limit(s), one per step after the first (empty for none)`);
  return items.map((s, i) => (s === '' || s === 'none' ? null : parseDuration(s, `within[${i}]`, MAX_DURATION_SECS)));
}
