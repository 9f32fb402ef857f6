/**
 * A site's goals (/api/sites/:id/goals): listed by anyone who may read the site's stats (the
 * Goals panel names them anyway), created and removed by admins (docs/API.md, "Goals").
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { siteIdParam } from '../../site-id.js';
import type { Goal, GoalStore } from '../../sites/goals.js';
import type { SiteRegistry } from '../../sites/registry.js';
import type { AuthGuard } from '../auth-guard.js';
import { parseBody } from '../body.js';
import { badRequest, notFound } from '../errors.js';

export interface GoalRouteDeps {
  registry: Pick<SiteRegistry, 'has'>;
  goals: GoalStore;
  guard: AuthGuard;
}

const GOAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

// Field rules live in the store (sites/goals.ts); here only the body's shape.
const createBody = z.strictObject({
  event_name: z.unknown().optional(),
  page_path: z.unknown().optional(),
  display_name: z.unknown().optional(),
  currency: z.unknown().optional(),
});

export const goalJson = (g: Goal) => ({
  id: g.id,
  event_name: g.eventName,
  page_path: g.pagePath,
  display_name: g.displayName,
  currency: g.currency,
});

export async function goalRoutes(app: FastifyInstance, deps: GoalRouteDeps): Promise<void> {
  const { registry, goals, guard } = deps;

  /** The `:id` of the path, for a caller allowed `scope` on it (401/403), of a registered site (404). */
  const siteOf = async (req: FastifyRequest, scope: 'read' | 'admin'): Promise<string> => {
    const id = siteIdParam((req.params as { id?: string }).id, 'id');
    await guard.require(req, scope, id);
    if (!registry.has(id)) throw notFound(`no site ${id}`);
    return id;
  };

  app.get('/api/sites/:id/goals', async (req) => goals.list(await siteOf(req, 'read')).map(goalJson));

  app.post('/api/sites/:id/goals', async (req, reply) => {
    const id = await siteOf(req, 'admin');
    const body = parseBody(createBody, req.body ?? {});
    const goal = await goals.create(id, {
      eventName: body.event_name as string | null | undefined,
      pagePath: body.page_path as string | null | undefined,
      displayName: body.display_name as string | null | undefined,
      currency: body.currency as string | null | undefined,
    });
    return reply.code(201).send(goalJson(goal));
  });

  app.delete('/api/sites/:id/goals/:goalId', async (req, reply) => {
    const id = await siteOf(req, 'admin');
    const { goalId } = req.params as { goalId: string };
    if (!GOAL_ID.test(goalId)) throw badRequest('goalId: not a valid goal id');
    await goals.remove(id, goalId);
    return reply.code(204).send();
  });
}
