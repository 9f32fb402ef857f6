/**
 * Sign-in for the dashboard (first-run setup, login, logout, status, password change) and
 * API key management. Password checks go through the per-address lockout (auth/lockout.ts);
 * the same-origin (CSRF) rule for these routes lives in ../security.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type ApiKeys, SCOPES } from '../../auth/api-keys.js';
import type { LoginLockout } from '../../auth/lockout.js';
import type { AdminPassword } from '../../auth/password.js';
import { SESSION_COOKIE, type SessionStore } from '../../auth/sessions.js';
import { SITE_ID } from '../../site-id.js';
import { type AuthGuard, readCookie } from '../auth-guard.js';
import { badRequest, conflict, forbidden, HttpError, notFound, unauthorized } from '../errors.js';

export interface AuthRouteDeps {
  password: AdminPassword;
  sessions: SessionStore;
  keys: ApiKeys;
  guard: AuthGuard;
  lockout: LoginLockout;
  /** The client address the lockout counts under (held in memory only, never logged). */
  clientIp: (req: FastifyRequest) => string;
  /** Whether the browser's connection is HTTPS (cookies get `Secure`); default: the socket's. */
  isHttps?: (req: FastifyRequest) => boolean;
}

const newPassword = z.string().min(8, 'at least 8 characters').max(256, 'at most 256 characters');
const passwordBody = z.object({ password: newPassword });
const changeBody = z.object({ current_password: z.string().max(256, 'at most 256 characters'), new_password: newPassword });
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

export interface AuthStatus {
  setup_required: boolean;
  authenticated: boolean;
}

/** Whether the admin password must be chosen first, and whether the request is signed in. */
export async function authStatus(
  deps: { guard: Pick<AuthGuard, 'caller'>; password: Pick<AdminPassword, 'isSet'> },
  req: FastifyRequest,
): Promise<AuthStatus> {
  const caller = await deps.guard.caller(req).catch(() => null);
  // A share link reads one site's stats; it does not sign anyone in.
  return { setup_required: !(await deps.password.isSet()), authenticated: caller !== null && caller.kind !== 'share' };
}

export async function authRoutes(app: FastifyInstance, deps: AuthRouteDeps): Promise<void> {
  const isHttps = deps.isHttps ?? ((req: FastifyRequest) => req.protocol === 'https');
  const setSessionCookie = (req: FastifyRequest, reply: FastifyReply, token: string, maxAge: number) => {
    const secure = isHttps(req) ? '; Secure' : '';
    reply.header('set-cookie', `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAge}${secure}`);
  };

  const refuseWhileLockedOut = (ip: string) => {
    const wait = deps.lockout.retryAfter(ip);
    if (wait > 0) throw new HttpError(429, 'too many failed sign-in attempts; try again later', { 'retry-after': String(wait) });
  };
  /**
   * Checks a password for the client at `ip` under the lockout: 429 while locked out (even
   * for the right password). The attempt counts as a failure before the check and is
   * cleared on success, so parallel guesses cannot outrun the limit.
   */
  const checkPassword = async (ip: string, password: string): Promise<boolean> => {
    refuseWhileLockedOut(ip); // no await between this check and fail(): parallel attempts see each other
    deps.lockout.fail(ip);
    const ok = await deps.password.check(password);
    if (ok) deps.lockout.succeed(ip);
    return ok;
  };

  app.get('/api/auth/status', (req) => authStatus(deps, req));

  app.post('/api/auth/setup', async (req, reply) => {
    const { password } = parse(passwordBody, req.body);
    if (await deps.password.isSet()) throw conflict('the admin password is already set');
    await deps.password.set(password);
    const s = deps.sessions.create();
    setSessionCookie(req, reply, s.token, s.maxAgeSecs);
    return reply.code(201).send({ authenticated: true });
  });

  app.post('/api/auth/login', async (req, reply) => {
    const ip = deps.clientIp(req);
    const { password } = parse(z.object({ password: z.string().max(256, 'at most 256 characters') }), req.body ?? {});
    if (!(await deps.password.isSet())) throw new HttpError(409, 'set up the admin password first');
    if (!(await checkPassword(ip, password))) throw unauthorized('wrong password');
    const s = deps.sessions.create();
    setSessionCookie(req, reply, s.token, s.maxAgeSecs);
    return { authenticated: true };
  });

  // Changing the password needs the signed-in session (not a key) and the current password;
  // it ends every other session. API keys are separate credentials and stay valid.
  app.post('/api/auth/password', async (req) => {
    const caller = await deps.guard.caller(req);
    if (caller === null) throw unauthorized();
    if (caller.kind !== 'session') throw unauthorized('changing the password needs a signed-in session, not an API key');
    const ip = deps.clientIp(req);
    const body = parse(changeBody, req.body);
    if (!(await checkPassword(ip, body.current_password))) throw forbidden('current_password: wrong password');
    await deps.password.set(body.new_password);
    const ended = deps.sessions.endAllExcept(readCookie(req, SESSION_COOKIE));
    return { password_changed: true, other_sessions_ended: ended };
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
