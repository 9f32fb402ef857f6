/**
 * `POST /api/sites/:id/reports/test` `{to}`: the weekly report of the last whole week, sent
 * now to the addresses given (admin; docs/API.md, "Reports and alerts"). 202 once the SMTP
 * server took it; 409 when no SMTP server is configured; 503 when it refused.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { unavailable } from '../../errors.js';
import type { Notifier } from '../../notify/scheduler.js';
import { MAX_RECIPIENTS } from '../../notify/settings.js';
import { siteIdParam } from '../../site-id.js';
import type { SiteRegistry } from '../../sites/registry.js';
import type { AuthGuard } from '../auth-guard.js';
import { parseBody } from '../body.js';
import { conflict, notFound } from '../errors.js';

const testBody = z.strictObject({
  to: z
    .array(z.email({ error: 'not an e-mail address' }).max(254))
    .min(1, 'at least one address')
    .max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} addresses`),
});

export async function reportRoutes(
  app: FastifyInstance,
  deps: { registry: SiteRegistry; guard: AuthGuard; notifier: Notifier | undefined },
): Promise<void> {
  app.post('/api/sites/:id/reports/test', async (req, reply) => {
    const caller = await deps.guard.require(req, 'admin');
    const id = siteIdParam((req.params as { id?: string }).id, 'id');
    deps.guard.check(caller, 'admin', id);
    const body = parseBody(testBody, req.body);
    if (!deps.registry.has(id)) throw notFound(`no site ${id}`);
    if (!deps.notifier) throw conflict('no SMTP server is configured (MALLARD_SMTP_URL)');
    try {
      await deps.notifier.sendTest(id, body.to);
    } catch (err) {
      req.log.warn({ err, site: id }, 'test report not sent');
      throw unavailable(`the SMTP server did not take the message: ${(err as Error).message.split('\n')[0]}`);
    }
    return reply.code(202).send({ sent: true });
  });
}
