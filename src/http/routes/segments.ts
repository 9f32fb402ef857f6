/**
 * Saved segments of a site (/api/sites/:id/segments). Reading them needs what reading the
 * site's stats needs (scope `read`, the key's sites, or the site's own share link), since
 * the stats routes apply them; saving and deleting need an admin, as the site settings do.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Scope } from '../../auth/api-keys.js';
import { siteIdParam } from '../../site-id.js';
import type { SiteRegistry } from '../../sites/registry.js';
import { isSegmentId, type Segments } from '../../sites/segments.js';
import type { AuthGuard } from '../auth-guard.js';
import { badRequest, notFound } from '../errors.js';

export interface SegmentRouteDeps {
  segments: Segments;
  sites: Pick<SiteRegistry, 'has'>;
  guard: AuthGuard;
}

const FIELDS = ['name', 'filters'];

export async function segmentRoutes(app: FastifyInstance, deps: SegmentRouteDeps): Promise<void> {
  const { segments, sites, guard } = deps;

  /** The `:id` of the path: a caller allowed `scope` on it (401/403), a valid id (400), a registered site (404). */
  const siteOf = async (req: FastifyRequest, scope: Scope): Promise<string> => {
    const id = siteIdParam((req.params as { id?: string }).id, 'id');
    await guard.require(req, scope, id);
    if (!sites.has(id)) throw notFound(`no site ${id}`);
    return id;
  };

  app.get('/api/sites/:id/segments', async (req) => segments.list(await siteOf(req, 'read')));

  app.post('/api/sites/:id/segments', async (req, reply) => {
    const id = await siteOf(req, 'admin');
    const body = req.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body: expected a JSON object');
    const extra = Object.keys(body).find((k) => !FIELDS.includes(k));
    if (extra !== undefined) throw badRequest(`${extra.slice(0, 60)}: unknown field`);
    const { name, filters } = body as Record<string, unknown>;
    return reply.code(201).send(await segments.create(id, { name, filters }));
  });

  app.delete('/api/sites/:id/segments/:segmentId', async (req, reply) => {
    const id = await siteOf(req, 'admin');
    const { segmentId } = req.params as { segmentId: string };
    if (!isSegmentId(segmentId)) throw badRequest('segmentId: not a valid segment id');
    if (!(await segments.remove(id, segmentId))) throw notFound(`no segment ${segmentId} on site ${id}`);
    return reply.code(204).send();
  });
}
