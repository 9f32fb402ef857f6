/**
 * Site administration (/api/sites) and share links (/api/sites/:id/shares). A site's
 * settings and share links need `admin` on it, its removal `owner` (roles: auth/roles.ts,
 * enforced by the guard); the list shows the sites the caller has a role on (a key limited
 * to sites: those). Whoever creates a site becomes its owner. Signing secrets and share
 * tokens are never returned after creation.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Need } from '../../auth/roles.js';
import { type Alerts, alertsField, NO_ALERTS, NO_REPORTS, type Reports, reportsField } from '../../notify/settings.js';
import type { Subscription, Subscriptions } from '../../notify/subscriptions.js';
import { siteIdParam } from '../../site-id.js';
import type { Members } from '../../sites/members.js';
import { type Site, type SiteRegistry, siteFields } from '../../sites/registry.js';
import type { AuthGuard } from '../auth-guard.js';
import { parseBody } from '../body.js';
import { badRequest, notFound } from '../errors.js';

export interface SiteRouteDeps {
  registry: SiteRegistry;
  /** Each site's reports and alerts (src/notify), set and shown with the site's other settings. */
  subscriptions: Subscriptions;
  guard: AuthGuard;
  /** Who holds which role: the creator of a site becomes its owner. */
  members: Members;
  /** Told after a site is removed, so what is kept in memory per site (its goals) goes too. */
  onRemoved?: (id: string) => void;
  /**
   * Deletes a site's stored events (EventStore.removeSite). Asked for a demo site only: its
   * events are generated and worth nothing kept, while a real site's stay (re-adding the site
   * shows them again).
   */
  removeEvents?: (id: string) => Promise<void>;
}

const settable = {
  origins: siteFields.origins.optional(),
  timezone: siteFields.timezone.nullable().optional(),
  rate_limit: siteFields.rateLimit.nullable().optional(),
  signing_secret: siteFields.signingSecret.nullable().optional(),
  shields: siteFields.shields.nullable().optional(),
  reports: reportsField.nullable().optional(),
  alerts: alertsField.nullable().optional(),
};
const createBody = z.strictObject({ id: siteFields.id, ...settable });
const patchBody = z.strictObject(settable);
const shareBody = z.strictObject({ label: siteFields.label.nullable().optional() });

const LINK_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function siteRoutes(app: FastifyInstance, deps: SiteRouteDeps): Promise<void> {
  const { registry, guard, subscriptions } = deps;

  const siteJson = (s: Site) => ({
    id: s.id,
    origins: s.origins,
    timezone: s.timezone,
    rate_limit: s.rateLimit,
    signing_secret_set: s.signingSecret !== null,
    shields: s.shields,
    ...subscriptions.get(s.id),
    demo: s.demo,
    created_at: s.createdAt,
  });

  /** Stores the reports and alerts a body sets (null: none), after the site's other fields. */
  const subscribe = async (id: string, body: { reports?: Reports | null; alerts?: Alerts | null }) => {
    const change: Partial<Subscription> = {};
    if (body.reports !== undefined) change.reports = body.reports ?? NO_REPORTS;
    if (body.alerts !== undefined) change.alerts = body.alerts ?? NO_ALERTS;
    if (Object.keys(change).length > 0) await subscriptions.set(id, change);
  };

  /** The `:id` of the path: a caller allowed `need` on it (401/403), a valid id (400). */
  const siteParam = async (req: FastifyRequest, need: Need = 'admin'): Promise<string> => {
    const caller = await guard.require(req, 'admin');
    const id = siteIdParam((req.params as { id?: string }).id, 'id');
    guard.check(caller, need, id);
    return id;
  };

  const existing = (id: string): Site => {
    const site = registry.get(id);
    if (!site) throw notFound(`no site ${id}`);
    return site;
  };

  app.get('/api/sites', async (req) => {
    const caller = await guard.require(req, 'admin');
    return registry
      .list()
      .filter((s) => guard.allows(caller, 'read', s.id))
      .map(siteJson);
  });

  app.post('/api/sites', async (req, reply) => {
    const caller = await guard.require(req, 'admin');
    const body = parseBody(createBody, req.body);
    guard.checkNewSite(caller, body.id);
    const site = await registry.create({
      id: body.id,
      origins: body.origins,
      timezone: body.timezone,
      rateLimit: body.rate_limit,
      signingSecret: body.signing_secret,
      shields: body.shields,
    });
    if (caller.kind !== 'share' && !caller.user.superAdmin) await deps.members.set(site.id, caller.user.id, 'owner');
    await subscribe(site.id, body);
    return reply.code(201).send(siteJson(site));
  });

  app.get('/api/sites/:id', async (req) => siteJson(existing(await siteParam(req))));

  app.patch('/api/sites/:id', async (req) => {
    const id = await siteParam(req);
    if (typeof req.body === 'object' && req.body !== null && 'id' in req.body) throw badRequest('id: cannot be changed');
    const body = parseBody(patchBody, req.body);
    existing(id);
    const site = await registry.update(id, {
      origins: body.origins,
      timezone: body.timezone,
      rateLimit: body.rate_limit,
      signingSecret: body.signing_secret,
      shields: body.shields,
    });
    await subscribe(id, body);
    return siteJson(site);
  });

  app.delete('/api/sites/:id', async (req, reply) => {
    const id = await siteParam(req, 'owner');
    const site = existing(id);
    if (site.demo) await deps.removeEvents?.(id);
    if (!(await registry.remove(id))) throw notFound(`no site ${id}`);
    subscriptions.forget(id);
    deps.members.forgetSite(id);
    deps.onRemoved?.(id);
    return reply.code(204).send();
  });

  app.post('/api/sites/:id/shares', async (req, reply) => {
    const id = await siteParam(req);
    const body = parseBody(shareBody, req.body ?? {});
    existing(id);
    const link = await registry.createShareLink(id, body.label ?? undefined);
    return reply.code(201).send({ id: link.id, label: link.label, token: link.token, url: `/share/${link.token}` });
  });

  app.get('/api/sites/:id/shares', async (req) => {
    const id = existing(await siteParam(req)).id;
    return registry.listShareLinks(id).map((l) => ({ id: l.id, label: l.label, created_at: l.createdAt }));
  });

  app.delete('/api/sites/:id/shares/:linkId', async (req, reply) => {
    const id = existing(await siteParam(req)).id;
    const { linkId } = req.params as { linkId: string };
    if (!LINK_ID.test(linkId)) throw badRequest('linkId: not a valid share link id');
    if (!(await registry.revokeShareLink(id, linkId))) throw notFound('no such share link');
    return reply.code(204).send();
  });
}
