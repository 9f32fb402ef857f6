/**
 * Who is calling: a signed-in admin (session cookie), an API key (Bearer / X-API-Key) or a
 * share link (`?auth=<token>`, Plausible's parameter, or `X-Mallard-Share`), which may only
 * read its own site's stats. Routes ask for what they need; the guard answers 401/403.
 */
import type { FastifyRequest } from 'fastify';
import type { ApiKey, ApiKeys, Scope } from '../auth/api-keys.js';
import { SESSION_COOKIE, type SessionStore } from '../auth/sessions.js';
import type { SiteRegistry } from '../sites/registry.js';
import { forbidden, unauthorized } from './errors.js';

export type Caller = { kind: 'session' } | { kind: 'key'; key: ApiKey } | { kind: 'share'; siteId: string };

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

export class AuthGuard {
  constructor(
    private readonly sessions: SessionStore,
    private readonly keys: ApiKeys,
    private readonly shares: Pick<SiteRegistry, 'siteForShareToken'>,
  ) {}

  async caller(req: FastifyRequest): Promise<Caller | null> {
    const key = presentedKey(req);
    if (key !== undefined) {
      const found = await this.keys.verify(key);
      if (!found) throw unauthorized('invalid or revoked API key');
      return { kind: 'key', key: found };
    }
    const share = presentedShareToken(req);
    if (share !== undefined) {
      const siteId = this.shares.siteForShareToken(share);
      if (siteId === undefined) throw unauthorized('invalid or revoked share link');
      return { kind: 'share', siteId };
    }
    return this.sessions.valid(readCookie(req, SESSION_COOKIE)) ? { kind: 'session' } : null;
  }

  /**
   * Requires a caller allowed `scope` (admin sessions may do anything) and, if given, the
   * site. A share link satisfies only 'read' of its own site.
   */
  async require(req: FastifyRequest, scope: Scope, siteId?: string): Promise<Caller> {
    const caller = await this.caller(req);
    if (!caller) throw unauthorized();
    if (caller.kind === 'key') {
      const { key } = caller;
      const ok = key.scope === 'admin' || key.scope === scope;
      if (!ok) throw forbidden(`this API key's scope "${key.scope}" does not allow this`);
      if (siteId !== undefined && key.sites !== null && !key.sites.includes(siteId)) {
        throw forbidden('this API key may not access this site');
      }
    }
    if (caller.kind === 'share') {
      if (scope !== 'read') throw forbidden('a share link only allows reading stats');
      if (siteId !== caller.siteId) throw forbidden('this share link is for another site');
    }
    return caller;
  }
}

export function siteAllowed(caller: Caller, siteId: string): boolean {
  switch (caller.kind) {
    case 'session':
      return true;
    case 'key':
      return caller.key.sites === null || caller.key.sites.includes(siteId);
    case 'share':
      return caller.siteId === siteId;
  }
}
