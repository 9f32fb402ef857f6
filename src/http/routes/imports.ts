/**
 * A site's imported data (/api/sites/:id/imports, docs/API.md "Imports"): listed by anyone who
 * may read the site's stats (the dashboard says which imports its numbers include), deleted by
 * admins. Uploading is another route's (import-upload.ts); both store through sites/imports.ts.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Scope } from '../../auth/api-keys.js';
import { siteIdParam } from '../../site-id.js';
import { isImportId, type SiteImport, type SiteImports } from '../../sites/imports.js';
import type { SiteRegistry } from '../../sites/registry.js';
import type { AuthGuard } from '../auth-guard.js';
import { badRequest, notFound } from '../errors.js';

export interface ImportRouteDeps {
  imports: SiteImports;
  sites: Pick<SiteRegistry, 'has'>;
  guard: AuthGuard;
}

export const importJson = (i: SiteImport) => ({
  id: i.id,
  source: i.source,
  start_date: i.start_date,
  end_date: i.end_date,
  created_at: i.created_at,
  file_count: i.file_count,
  row_count: i.row_count,
});

export async function importRoutes(app: FastifyInstance, deps: ImportRouteDeps): Promise<void> {
  const { imports, sites, guard } = deps;

  /** The `:id` of the path: a caller allowed `scope` on it (401/403), a valid id (400), a registered site (404). */
  const siteOf = async (req: FastifyRequest, scope: Scope): Promise<string> => {
    const id = siteIdParam((req.params as { id?: string }).id, 'id');
    await guard.require(req, scope, id);
    if (!sites.has(id)) throw notFound(`no site ${id}`);
    return id;
  };

  app.get('/api/sites/:id/imports', async (req) => (await imports.list(await siteOf(req, 'read'))).map(importJson));

  app.delete('/api/sites/:id/imports/:importId', async (req, reply) => {
    const id = await siteOf(req, 'admin');
    const { importId } = req.params as { importId: string };
    if (!isImportId(importId)) throw badRequest('importId: not a valid import id');
    if (!(await imports.remove(id, importId))) throw notFound(`no import ${importId} on site ${id}`);
    return reply.code(204).send();
  });
}
