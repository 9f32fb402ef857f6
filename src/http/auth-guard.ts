/**
 * Who is calling and what they may do, in one place. A caller is a signed-in user (session
 * cookie), an API key (Bearer / X-API-Key), which acts for the user who made it, or a share
 * link (`?auth=<token>`, Plausible's parameter, or `X-Mallard-Share`), which may only read its
 * own site's stats. Routes state what they need (`read`, `ingest`, `admin`, `owner`,
 * `super`; auth/roles.ts) and of which site; the guard answers 401/403.
 *
 * A user's rights on a site come from their role there (the super-admin has every right on
 * every site); a key's are its scope and site list intersected with its user's current
 * rights, so a viewer's admin key only reads, and taking the role away takes the key's access.
 * A need without a site (listing sites or keys, creating a site or a key, a batch of events)
 * only checks the key's scope: such routes filter per site with `allows`.
 */
import type { FastifyRequest } from 'fastify';
import type { ApiKey, ApiKeys } from '../auth/api-keys.js';
import { type Need, type Role, roleAllows, scopeAllows } from '../auth/roles.js';
import { SESSION_COOKIE, type SessionStore } from '../auth/sessions.js';
import type { User, Users } from '../auth/users.js';
import type { Members } from '../sites/members.js';
import type { SiteRegistry } from '../sites/registry.js';
import { forbidden, unauthorized } from './errors.js';

export type Caller =
  | { kind: 'session'; user: User }
  | { kind: 'key'; key: ApiKey; user: User }
  | { kind: 'share'; siteId: string };

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function presentedKey(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7).trim();
  const header = req.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : undefined;
}

/** A share-link token, from `X-Mallard-Share` or the `auth` query parameter ('' when repeated). */
function presentedShareToken(req: FastifyRequest): string | undefined {
  const header = req.headers['x-mallard-share'];
  if (typeof header === 'string') return header.trim();
  const param = (req.query as Record<string, unknown> | undefined)?.auth;
  if (param === undefined) return undefined;
  return typeof param === 'string' ? param : '';
}

export interface AuthGuardDeps {
  sessions: SessionStore;
  keys: ApiKeys;
  shares: Pick<SiteRegistry, 'siteForShareToken'>;
  users: Pick<Users, 'get' | 'superAdmin'>;
  members: Pick<Members, 'roleOf'>;
}

export class AuthGuard {
  constructor(private readonly deps: AuthGuardDeps) {}

  async caller(req: FastifyRequest): Promise<Caller | null> {
    const { keys, shares, sessions, users } = this.deps;
    const key = presentedKey(req);
    if (key !== undefined) {
      const found = await keys.verify(key);
      // A key outlives nothing of its user: gone with the user, it is refused like a revoked one.
      const user = found && (found.user_id === null ? users.superAdmin() : users.get(found.user_id));
      if (!found || !user) throw unauthorized('invalid or revoked API key');
      return { kind: 'key', key: found, user };
    }
    const share = presentedShareToken(req);
    if (share !== undefined) {
      const siteId = shares.siteForShareToken(share);
      if (siteId === undefined) throw unauthorized('invalid or revoked share link');
      return { kind: 'share', siteId };
    }
    const userId = sessions.userOf(readCookie(req, SESSION_COOKIE));
    const user = userId === undefined ? undefined : users.get(userId);
    return user ? { kind: 'session', user } : null;
  }

  /** The caller, allowed `need` (on `siteId` when given): 401 without credentials, 403 with a reason otherwise. */
  async require(req: FastifyRequest, need: Need, siteId?: string): Promise<Caller> {
    const caller = await this.caller(req);
    if (!caller) throw unauthorized();
    this.check(caller, need, siteId);
    return caller;
  }

  /** 403 naming the reason unless `caller` may do `need` (on `siteId` when given). */
  check(caller: Caller, need: Need, siteId?: string): void {
    const reason = this.refusal(caller, need, siteId);
    if (reason !== null) throw forbidden(reason);
  }

  allows(caller: Caller, need: Need, siteId: string): boolean {
    return this.refusal(caller, need, siteId) === null;
  }

  /** The caller's role on a site, as the dashboard shows it: the super-admin owns every site. */
  roleOn(caller: Caller, siteId: string): Role | undefined {
    if (caller.kind === 'share') return caller.siteId === siteId ? 'viewer' : undefined;
    return caller.user.superAdmin ? 'owner' : this.deps.members.roleOf(siteId, caller.user.id);
  }

  /**
   * Whether `caller` may create the site `siteId`: any signed-in user (who becomes its owner),
   * a key limited to sites only one of them.
   */
  checkNewSite(caller: Caller, siteId: string): void {
    this.check(caller, 'admin');
    if (caller.kind === 'key' && caller.key.sites !== null && !caller.key.sites.includes(siteId)) {
      throw forbidden('this API key may not access this site');
    }
  }

  private refusal(caller: Caller, need: Need, siteId: string | undefined): string | null {
    if (caller.kind === 'share') {
      if (need !== 'read') return 'a share link only allows reading stats';
      if (siteId !== caller.siteId) return 'this share link is for another site';
      return null;
    }
    if (caller.kind === 'key') {
      const { key } = caller;
      if (!scopeAllows(key.scope, need)) return `this API key's scope "${key.scope}" does not allow this`;
      if (need === 'super' && key.sites !== null) return 'this needs an admin API key that is not limited to sites';
      if (siteId !== undefined && key.sites !== null && !key.sites.includes(siteId)) {
        return 'this API key may not access this site';
      }
    }
    const { user } = caller;
    if (user.superAdmin) return null;
    if (need === 'super') return 'only the super-admin may do this';
    if (siteId === undefined) return null;
    const role = this.deps.members.roleOf(siteId, user.id);
    if (role === undefined) return `you have no role on ${siteId}`;
    if (!roleAllows(role, need)) return `your role on ${siteId} (${role}) does not allow this`;
    return null;
  }
}
