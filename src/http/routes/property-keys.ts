/**
 * GET /api/stats/property-keys → `[{key, events}]`: the custom property keys seen in the
 * period (and filters), for the dashboard's properties panel. Auth and common parameters
 * as every stats route (statsHandler); `limit` 1–100, default 100.
 */
import type { FastifyInstance } from 'fastify';
import { PROPERTY_KEYS_MAX, propertyKeys } from '../../query/property-keys.js';
import { intParam, type StatsRouteDeps, statsHandler } from './stats.js';

export async function propertyKeysRoutes(app: FastifyInstance, deps: StatsRouteDeps): Promise<void> {
  const handle = statsHandler(deps);
  app.get(
    '/api/stats/property-keys',
    handle('property_keys', async (scope, q) => {
      const limit = intParam(q, 'limit', PROPERTY_KEYS_MAX, 1, PROPERTY_KEYS_MAX);
      return deps.store.read((r) => propertyKeys(r, scope, limit));
    }),
  );
}
