/**
 * Sign-in for the dashboard (first-run setup, login with the super-admin's password alone or
 * any user's e-mail and password, accepting an invitation, logout, status, password change)
 * and API key management. Password checks go through the per-address lockout
 * (auth/lockout.ts); the same-origin (CSRF) rule for these routes lives in ../security.ts.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { type ApiKeys, SCOPES } from '../../auth/api-keys.js';
import type { Invitations } from '../../auth/invitations.js';
import type { LoginLockout } from '../../auth/lockout.js';
import type { AdminPassword } from '../../auth/password.js';
import { higherRole } from '../../auth/roles.js';
import { SESSION_COOKIE, type SessionStore } from '../../auth/sessions.js';
import type { TwoFactor } from '../../auth/totp.js';
import { emailField, newPasswordField, type User, type Users } from '../../auth/users.js';
import { SITE_ID } from '../../site-id.js';
import type { Members } from '../../sites/members.js';
import { type AuthGuard, type Caller, readCookie } from '../auth-guard.js';
import { badRequest, conflict, forbidden, HttpError, notFound, unauthorized } from '../errors.js';

export interface AuthRouteDeps {
  password: AdminPassword;
  users: Users;
  members: Members;
  invitations: Invitations;
  sessions: SessionStore;
  keys: ApiKeys;
  /** Two-factor sign-in (auth/totp.ts): a user who enabled it signs in with a code too. */
  twoFactor: TwoFactor;
  guard: AuthGuard;
  /** Every site's id, for the caller's roles (GET /api/auth/me). */
  siteIds: () => string[];
  lockout: LoginLockout;
  /** The client address the lockout counts under (held in memory only, never logged). */
  clientIp: (req: FastifyRequest) => string;
  /** Whether the browser's connection is HTTPS (cookies get `Secure`); default: the socket's. */
  isHttps?: (req: FastifyRequest) => boolean;
}

const newPassword = newPasswordField;
const presented = z.string().max(256, 'at most 256 characters');
const passwordBody = z.object({ password: newPassword });
const code = z.string().max(64, 'at most 64 characters');
const loginBody = z.object({ email: emailField.optional(), password: presented, totp: code.optional() });
const acceptBody = z.object({ password: presented, totp: code.optional() });
const changeBody = z.object({ current_password: presented, new_password: newPassword });
const INVITATION_TOKEN = /^[A-Za-z0-9_-]{1,100}$/;
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

/** Whose keys a caller sees: undefined (every key) for the super-admin, else the user's own. */
const ownKeysOnly = (caller: Caller): string | undefined =>
  caller.kind === 'share' || caller.user.superAdmin ? undefined : caller.user.id;

function invitationToken(req: FastifyRequest): string {
  const { token } = req.params as { token: string };
  if (!INVITATION_TOKEN.test(token)) throw notFound('no such invitation: the link is wrong, or the site it was for was removed');
  return token;
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
  const checkPassword = async (ip: string, password: string, userId?: string): Promise<boolean> => {
    refuseWhileLockedOut(ip); // no await between this check and fail(): parallel attempts see each other
    deps.lockout.fail(ip);
    const ok = await deps.users.checkPassword(userId, password);
    if (ok) deps.lockout.succeed(ip);
    return ok;
  };
  /**
   * Password and, for a user with two-factor sign-in, a code (or recovery code), under the
   * lockout: the attempt counts as a failure until both passed, so a known password does not
   * buy unlimited code guesses. 401 `totp required` when the code is missing.
   */
  const checkBoth = async (ip: string, password: string, user: User | undefined, totp: string | undefined) => {
    refuseWhileLockedOut(ip); // no await between this check and fail(): parallel attempts see each other
    deps.lockout.fail(ip);
    if (!(await deps.users.checkPassword(user?.id, password)) || !user) return 'password';
    if (await deps.twoFactor.enabled(user.id)) {
      if (totp === undefined || totp.trim() === '') return 'totp required';
      if (!(await deps.twoFactor.verify(user.id, totp))) return 'totp';
    }
    deps.lockout.succeed(ip);
    return 'ok';
  };
  const signIn = (req: FastifyRequest, reply: FastifyReply, user: User) => {
    const s = deps.sessions.create(Date.now(), user.id);
    setSessionCookie(req, reply, s.token, s.maxAgeSecs);
  };

  app.get('/api/auth/status', (req) => authStatus(deps, req));

  app.post('/api/auth/setup', async (req, reply) => {
    const { password } = parse(passwordBody, req.body);
    if (await deps.password.isSet()) throw conflict('the admin password is already set');
    await deps.password.set(password);
    const admin = deps.users.superAdmin();
    if (admin) signIn(req, reply, admin);
    return reply.code(201).send({ authenticated: true });
  });

  // `{password}` alone is the super-admin's sign-in (as before users existed); with `email`, any user's.
  app.post('/api/auth/login', async (req, reply) => {
    const ip = deps.clientIp(req);
    const { email, password, totp } = parse(loginBody, req.body ?? {});
    if (!(await deps.password.isSet())) throw new HttpError(409, 'set up the admin password first');
    const user = email === undefined ? deps.users.superAdmin() : deps.users.byEmail(email);
    const outcome = await checkBoth(ip, password, user, totp);
    if (outcome === 'password') throw unauthorized(email === undefined ? 'wrong password' : 'wrong e-mail address or password');
    if (outcome === 'totp required') throw unauthorized('totp required');
    if (outcome === 'totp' || !user) throw unauthorized('totp: wrong code');
    signIn(req, reply, user);
    return { authenticated: true };
  });

  /** Who is signed in, and their role on each site (the super-admin: owner of every site). */
  app.get('/api/auth/me', async (req) => {
    const caller = await deps.guard.caller(req);
    if (caller === null || caller.kind === 'share') throw unauthorized();
    const { user } = caller;
    const sites = deps
      .siteIds()
      .map((id) => ({ site_id: id, role: deps.guard.roleOn(caller, id) }))
      .filter((s) => s.role !== undefined);
    const totp = await deps.twoFactor.enabled(user.id);
    return { id: user.id, email: user.email, super_admin: user.superAdmin, totp_enabled: totp, sites };
  });

  // What the accept page shows: the site, the address and whether that address has an account.
  app.get('/api/invitations/:token', async (req) => {
    const invitation = await deps.invitations.peek(invitationToken(req));
    return {
      site_id: invitation.siteId,
      email: invitation.email,
      role: invitation.role,
      expires_at: invitation.expiresAt,
      existing_user: deps.users.byEmail(invitation.email) !== undefined,
    };
  });

  /**
   * Accepting an invitation signs in: a new address gets an account with the password given
   * (at least 8 characters), an existing user must give their own (under the lockout). The
   * role is added (an invitation does not demote a member).
   */
  app.post('/api/invitations/:token/accept', async (req, reply) => {
    const token = invitationToken(req);
    const { password, totp } = parse(acceptBody, req.body ?? {});
    const pending = await deps.invitations.peek(token);
    let user = deps.users.byEmail(pending.email);
    if (user) {
      const outcome = await checkBoth(deps.clientIp(req), password, user, totp);
      if (outcome === 'password') throw unauthorized(`password: wrong password for ${pending.email}`);
      if (outcome === 'totp required') throw unauthorized('totp required');
      if (outcome === 'totp') throw unauthorized('totp: wrong code');
    } else {
      parse(passwordBody, { password });
    }
    const invitation = await deps.invitations.claim(token);
    user ??= deps.users.byEmail(invitation.email) ?? (await deps.users.create(invitation.email, password));
    const held = deps.members.roleOf(invitation.siteId, user.id);
    const role = held === undefined ? invitation.role : higherRole(held, invitation.role);
    await deps.members.set(invitation.siteId, user.id, role);
    signIn(req, reply, user);
    return { authenticated: true, site_id: invitation.siteId, role };
  });

  // Changing the password needs the signed-in session (not a key) and the current password;
  // it ends every other session. API keys are separate credentials and stay valid.
  app.post('/api/auth/password', async (req) => {
    const caller = await deps.guard.caller(req);
    if (caller === null) throw unauthorized();
    if (caller.kind !== 'session') throw unauthorized('changing the password needs a signed-in session, not an API key');
    const ip = deps.clientIp(req);
    const body = parse(changeBody, req.body);
    if (!(await checkPassword(ip, body.current_password, caller.user.id))) {
      throw forbidden('current_password: wrong password');
    }
    await deps.users.setPassword(caller.user.id, body.new_password);
    const ended = deps.sessions.endAllExcept(readCookie(req, SESSION_COOKIE), caller.user.id);
    return { password_changed: true, other_sessions_ended: ended };
  });

  app.post('/api/auth/logout', async (req, reply) => {
    deps.sessions.end(readCookie(req, SESSION_COOKIE));
    reply.header('set-cookie', `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0`);
    return { authenticated: false };
  });

  // Two-factor sign-in for the signed-in user (a session, not a key): a secret, enabled by a code from it.
  const sessionUser = async (req: FastifyRequest): Promise<User> => {
    const caller = await deps.guard.caller(req);
    if (caller === null) throw unauthorized();
    if (caller.kind !== 'session') throw unauthorized('two-factor sign-in is set up in a signed-in session, not with an API key');
    return caller.user;
  };

  app.post('/api/auth/totp/setup', async (req) => {
    const user = await sessionUser(req);
    return deps.twoFactor.setup(user.id, user.email ?? 'admin');
  });

  app.post('/api/auth/totp/enable', async (req) => {
    const user = await sessionUser(req);
    const body = parse(z.object({ code }), req.body);
    return { recovery_codes: await deps.twoFactor.enable(user.id, body.code) };
  });

  // Turning it off needs the password again (under the lockout): a session left open must not be enough.
  app.post('/api/auth/totp/disable', async (req) => {
    const user = await sessionUser(req);
    const body = parse(z.object({ password: presented }), req.body);
    if (!(await checkPassword(deps.clientIp(req), body.password, user.id))) throw forbidden('password: wrong password');
    await deps.twoFactor.disable(user.id);
    return { totp_enabled: false };
  });

  // A key is its creator's (a key's creator: the key's user): a key for every site is the
  // super-admin's to make, one for some sites needs `admin` on each. Others see and revoke
  // only their own keys.
  app.post('/api/keys', async (req, reply) => {
    const caller = await deps.guard.require(req, 'admin');
    const body = parse(keyBody, req.body);
    const sites = body.sites ?? null;
    if (sites === null) deps.guard.check(caller, 'super');
    for (const site of sites ?? []) deps.guard.check(caller, 'admin', site);
    const owner = caller.kind === 'share' ? null : caller.user.id;
    const { key, info } = await deps.keys.create(body.name, body.scope, sites, owner);
    return reply.code(201).send({ ...info, key });
  });

  app.get('/api/keys', async (req) => {
    const caller = await deps.guard.require(req, 'admin');
    return deps.keys.list(ownKeysOnly(caller));
  });

  app.delete('/api/keys/:id', async (req, reply) => {
    const caller = await deps.guard.require(req, 'admin');
    const { id } = req.params as { id: string };
    if (!(await deps.keys.revoke(id, ownKeysOnly(caller)))) throw notFound('no such key');
    return reply.code(204).send();
  });
}
