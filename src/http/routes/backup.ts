/**
 * POST /api/admin/backup {dir}: the server copies its events, derived tables and metadata
 * database to `dir` (storage/duckdb/backup.ts). The metadata database can only be open in
 * one process, so `mallard-metrics backup` asks the running server instead of reading the
 * files itself. The super-admin only: their session, or their admin key for every site (a
 * backup holds all sites, users, keys and settings).
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { BackupSummary } from '../../storage/duckdb/backup.js';
import type { AuthGuard } from '../auth-guard.js';
import { badRequest, forbidden } from '../errors.js';

export interface BackupRouteDeps {
  guard: AuthGuard;
  backup: (dir: string) => Promise<BackupSummary>;
}

const body = z.strictObject({ dir: z.string().min(1, 'required').max(4096, 'at most 4096 characters') });

export async function backupRoutes(app: FastifyInstance, deps: BackupRouteDeps): Promise<void> {
  app.post('/api/admin/backup', async (req, reply) => {
    const caller = await deps.guard.require(req, 'admin');
    if (caller.kind === 'key' && caller.key.sites !== null) {
      throw forbidden('a backup holds every site: it needs an admin key that is not limited to sites');
    }
    deps.guard.check(caller, 'super');
    const r = body.safeParse(req.body);
    if (!r.success) {
      const issue = r.error.issues[0];
      if (issue?.code === 'unrecognized_keys') throw badRequest(`${issue.keys[0]}: unknown field`);
      throw badRequest(
        issue?.path.length ? `${issue.path.join('.')}: ${issue.message}` : 'body: expected {"dir": "/absolute/path"}',
      );
    }
    return reply.code(201).send(await deps.backup(r.data.dir));
  });
}
