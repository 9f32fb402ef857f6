/**
 * Whether sites receive events, for a newcomer's first minutes (docs/API.md, "Sites that
 * receive events"): the sites with stored events that are not registered (without
 * `site_ids` any site id is accepted, and the Sites page lists only registered ones), for
 * the super-admin, who alone sees every site's data; and whether one site has any event yet,
 * which its dashboard asks every few seconds while it waits for the first page view.
 */
import type { FastifyInstance } from 'fastify';
import { siteIdParam } from '../../site-id.js';
import type { SiteRegistry } from '../../sites/registry.js';
import { siteActivity } from '../../storage/site-activity.js';
import type { EventStore } from '../../storage/storage.js';
import type { AuthGuard } from '../auth-guard.js';
import { unauthorized } from '../errors.js';
import { intParam, type Query } from './stats.js';

export interface SiteActivityRouteDeps {
  store: Pick<EventStore, 'siteIds' | 'read'>;
  registry: Pick<SiteRegistry, 'has'>;
  guard: AuthGuard;
  /** `site_ids`: when not empty, the only unregistered sites that can receive events, so the only ones listed. */
  allowlist: readonly string[];
}

/** The most sites one answer lists (and its default): a stranger may send events for any number of made-up ids. */
export const UNREGISTERED_MAX = 100;

export async function siteActivityRoutes(app: FastifyInstance, deps: SiteActivityRouteDeps): Promise<void> {
  const { store, registry, guard } = deps;
  const allowed = deps.allowlist.length > 0 ? new Set(deps.allowlist) : null;

  app.get('/api/unregistered-sites', async (req) => {
    await guard.require(req, 'super');
    const limit = intParam(req.query as Query, 'limit', UNREGISTERED_MAX, 1, UNREGISTERED_MAX);
    const include = (id: string) => !registry.has(id) && (allowed === null || allowed.has(id));
    const sites = await siteActivity(store, include, limit);
    return sites.map((s) => ({ id: s.siteId, events: s.events, last_seen: s.lastSeen.toISOString() }));
  });

  app.get('/api/sites/:id/has-events', async (req) => {
    // Who asks first: without credentials a 401, whatever the id.
    const caller = await guard.caller(req);
    if (!caller) throw unauthorized();
    const id = siteIdParam((req.params as { id?: string }).id, 'id');
    guard.check(caller, 'read', id);
    return { has_events: (await store.siteIds()).includes(id) };
  });
}
