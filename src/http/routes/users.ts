/**
 * Users and who may do what on each site (docs/API.md, "Users and roles"):
 * `/api/users` (the super-admin lists, creates and removes accounts), a site's members
 * (`/api/sites/:id/members`, its owners give, change and take roles) and invitations
 * (`POST /api/sites/:id/invitations`, owners: a single-use link, e-mailed when an SMTP server
 * is configured). Accepting an invitation signs in, so it lives with sign-in (auth.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Invitations } from '../../auth/invitations.js';
import { ROLES } from '../../auth/roles.js';
import type { SessionStore } from '../../auth/sessions.js';
import { emailField, newPasswordField, type User, type Users } from '../../auth/users.js';
import type { Mailer } from '../../notify/mailer.js';
import { siteIdParam } from '../../site-id.js';
import type { Members } from '../../sites/members.js';
import type { SiteRegistry } from '../../sites/registry.js';
import type { AuthGuard } from '../auth-guard.js';
import { parseBody } from '../body.js';
import { badRequest, notFound } from '../errors.js';

export interface UserRouteDeps {
  users: Users;
  members: Members;
  invitations: Invitations;
  sessions: SessionStore;
  registry: Pick<SiteRegistry, 'has'>;
  guard: AuthGuard;
  /** Sends invitation links when an SMTP server is configured. */
  mailer?: Mailer;
  /** The origin the browser addressed (for the link in an e-mail); null when unknown. */
  origin: (req: FastifyRequest) => string | null;
}

const USER_ID = /^(?:super-admin|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

const createBody = z.strictObject({ email: emailField, password: newPasswordField });
const roleBody = z.strictObject({ role: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }) });
const inviteBody = z.strictObject({ email: emailField, role: roleBody.shape.role });

const userJson = (u: User) => ({ id: u.id, email: u.email, super_admin: u.superAdmin, created_at: u.createdAt });

export async function userRoutes(app: FastifyInstance, deps: UserRouteDeps): Promise<void> {
  const { users, members, guard } = deps;

  const userParam = (req: FastifyRequest): string => {
    const { userId } = req.params as { userId: string };
    if (!USER_ID.test(userId)) throw badRequest('userId: not a valid user id');
    return userId;
  };

  /** The `:id` of a registered site the caller owns (401/403, 400, 404). */
  const ownedSite = async (req: FastifyRequest): Promise<string> => {
    const caller = await guard.require(req, 'admin');
    const id = siteIdParam((req.params as { id?: string }).id, 'id');
    guard.check(caller, 'owner', id);
    if (!deps.registry.has(id)) throw notFound(`no site ${id}`);
    return id;
  };

  app.get('/api/users', async (req) => {
    await guard.require(req, 'super');
    return users.list().map(userJson);
  });

  app.post('/api/users', async (req, reply) => {
    await guard.require(req, 'super');
    const body = parseBody(createBody, req.body);
    return reply.code(201).send(userJson(await users.create(body.email, body.password)));
  });

  app.delete('/api/users/:userId', async (req, reply) => {
    const caller = await guard.require(req, 'super');
    const id = userParam(req);
    if (caller.kind !== 'share' && caller.user.id === id) throw badRequest('userId: you cannot remove yourself');
    if (!(await users.remove(id))) throw notFound('no such user');
    members.forgetUser(id);
    deps.sessions.endAllExcept(undefined, id);
    return reply.code(204).send();
  });

  const memberJson = (siteId: string) => (m: { userId: string; role: string; createdAt: string }) => ({
    user_id: m.userId,
    email: users.get(m.userId)?.email ?? null,
    role: m.role,
    site_id: siteId,
    created_at: m.createdAt,
  });

  app.get('/api/sites/:id/members', async (req) => {
    const id = await ownedSite(req);
    return members.list(id).map(memberJson(id));
  });

  app.put('/api/sites/:id/members/:userId', async (req) => {
    const id = await ownedSite(req);
    const userId = userParam(req);
    const { role } = parseBody(roleBody, req.body);
    if (!users.get(userId)) throw notFound('no such user');
    return memberJson(id)(await members.set(id, userId, role));
  });

  app.delete('/api/sites/:id/members/:userId', async (req, reply) => {
    const id = await ownedSite(req);
    if (!(await members.remove(id, userParam(req)))) throw notFound('this user has no role on the site');
    return reply.code(204).send();
  });

  app.post('/api/sites/:id/invitations', async (req, reply) => {
    const id = await ownedSite(req);
    const body = parseBody(inviteBody, req.body);
    const { token, expiresAt } = await deps.invitations.create(id, body.email, body.role);
    const url = `/invitations/${token}`;
    let emailed = false;
    const origin = deps.origin(req);
    if (deps.mailer && origin) {
      const link = origin + url;
      try {
        await deps.mailer.send({
          to: [body.email],
          subject: `You are invited to ${id} on Mallard Metrics`,
          text: `You are invited to see ${id} as ${body.role}. Open this link before ${expiresAt} (UTC) to accept:\n\n${link}\n`,
          html: `<p>You are invited to see <b>${escapeHtml(id)}</b> as ${body.role}.</p><p><a href="${escapeHtml(link)}">Accept the invitation</a></p>`,
        });
        emailed = true;
      } catch (err) {
        req.log.warn({ err: (err as Error).message.split('\n')[0], site: id }, 'invitation not e-mailed');
      }
    }
    return reply.code(201).send({ url, expires_at: expiresAt, emailed });
  });
}

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c);
