/**
 * POST /api/demo: loads the demo site (`demo.example`, generated traffic; src/demo) for the
 * super-admin, as `mallard-metrics demo` and the empty Sites page's "Load demo data" ask.
 * Removing it is removing the site (DELETE /api/sites/demo.example), which for a demo site
 * deletes its events too.
 */
import type { FastifyInstance } from 'fastify';
import { type DemoDeps, loadDemo } from '../../demo/load.js';
import type { Metrics } from '../../metrics.js';
import type { AuthGuard } from '../auth-guard.js';

export interface DemoRouteDeps extends DemoDeps {
  guard: AuthGuard;
  metrics: Pick<Metrics, 'ingested'>;
}

export async function demoRoutes(app: FastifyInstance, deps: DemoRouteDeps): Promise<void> {
  app.post('/api/demo', async (req, reply) => {
    await deps.guard.require(req, 'super');
    const loaded = await loadDemo(deps);
    deps.metrics.ingested.inc(loaded.events);
    req.log.info(loaded, 'demo site loaded');
    return reply.code(201).send(loaded);
  });
}
