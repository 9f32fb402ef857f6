/**
 * Sign-in for the dashboard (first-run setup, login, logout, status) and API key
 * management. Lockout, CSRF and password change arrive with the security work (issue 5).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type ApiKeys, SCOPES } from '../../auth/api-keys.js';
import type { AdminPassword } from '../../auth/password.js';
import { SESSION_COOKIE, type SessionStore } from '../../auth/sessions.js';
import { SITE_ID } from '../../site-id.js';
import { type AuthGuard, readCookie } from '../auth-guard.js';
import { badRequest, conflict, HttpError, notFound, unauthorized } from '../errors.js';

export interface AuthRouteDeps {
  password: AdminPassword;
  sessions: SessionStore;
  keys: ApiKeys;
  guard: AuthGuard;
}

const passwordBody = z.object({ password: z.string().min(8, 'at least 8 characters').max(256, 'at most 256 characters') });
const keyBody = z.object({
  name: z.string().trim().min(1, 'required').max(100, 'at most 100 characters'),
  scope: z.enum(SCOPES),
  sites: z.array(z.string().regex(SITE_ID, 'not a valid site id').max(253)).max(1000).nullable().optional(),
});

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  throw badRequest(`${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`);
}

function setSessionCookie(req: FastifyRequest, reply: FastifyReply, token: string, maxAge: number): void {
  const secure = req.protocol === 'https' ? '; Secure' : '';
  reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`);
}

export async function authRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  app.get('/api/auth/status', async (req) => ({
    setup_required: !(await deps.password.isSet()),
    authenticated: (await deps.guard.caller(req).catch(() => null)) !== null,
  }));

  app.post('/api/auth/setup', async (req, reply) => {
    const { password } = parse(passwordBody, req.body);
    if (await deps.password.isSet()) throw conflict('the admin password is already set');
    await deps.password.set(password);
    const s = deps.sessions.create();
    setSessionCookie(req, reply, s.token, s.maxAgeSecs);
    return reply.code(201).send({ authenticated: true });
  });

  app.post('/api/auth/login', async (req, reply) => {
    const { password } = parse(z.object({ password: z.string().max(256, 'at most 256 characters') }), req.body ?? {});
    if (!(await deps.password.isSet())) throw new HttpError(409, 'set up the admin password first');
    if (!(await deps.password.check(password))) throw unauthorized('wrong password');
    const s = deps.sessions.create();
    setSessionCookie(req, reply, s.token, s.maxAgeSecs);
    return { authenticated: true };
  });

  app.post('/api/auth/logout', async (req, reply) => {
    deps.sessions.end(readCookie(req, SESSION_COOKIE));
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return { authenticated: false };
  });

  app.post('/api/keys', async (req, reply) => {
    await deps.guard.require(req, 'admin');
    const body = parse(keyBody, req.body);
    const { key, info } = await deps.keys.create(body.name, body.scope, body.sites ?? null);
    return reply.code(201).send({ ...info, key });
  });

  app.get('/api/keys', async (req) => {
    await deps.guard.require(req, 'admin');
    return deps.keys.list();
  });

  app.delete('/api/keys/:id', async (req, reply) => {
    await deps.guard.require(req, 'admin');
    const { id } = req.params as { id: string };
    if (!(await deps.keys.revoke(id))) throw notFound('no such key');
    return reply.code(204).send();
  });
}
