/**
 * Dashboard sign-in sessions: 256-bit random tokens held in memory with an expiry and the
 * user signed in. Only a SHA-256 of the token is kept, so a heap dump does not yield usable
 * cookies.
 *
 * A presented token is never compared with a stored one: it is hashed and the digest looked
 * up in a Map. Hash-table lookup time depends on the digest, which an attacker cannot steer
 * towards a stored digest without knowing a token (SHA-256 preimage), so there is no useful
 * timing signal and no need for timingSafeEqual here.
 */
import { createHash, randomBytes } from 'node:crypto';
import { SUPER_ADMIN_ID } from './users.js';

export const SESSION_COOKIE = 'mallard_session';

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export class SessionStore {
  private sessions = new Map<string, { expires: number; userId: string }>();

  constructor(private readonly ttlMs = 7 * 24 * 3600_000) {}

  create(now = Date.now(), userId = SUPER_ADMIN_ID): { token: string; maxAgeSecs: number } {
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(digest(token), { expires: now + this.ttlMs, userId });
    return { token, maxAgeSecs: Math.floor(this.ttlMs / 1000) };
  }

  /** The user a live session belongs to; undefined for a missing, unknown or expired token. */
  userOf(token: string | undefined, now = Date.now()): string | undefined {
    if (!token) return undefined;
    const key = digest(token);
    const session = this.sessions.get(key);
    if (session === undefined) return undefined;
    if (session.expires <= now) {
      this.sessions.delete(key);
      return undefined;
    }
    return session.userId;
  }

  valid(token: string | undefined, now = Date.now()): boolean {
    return this.userOf(token, now) !== undefined;
  }

  end(token: string | undefined): void {
    if (token) this.sessions.delete(digest(token));
  }

  /**
   * Ends every session but the one holding `token` (after a password change), only the
   * user's when `userId` is given (also when a user is removed); returns how many ended.
   */
  endAllExcept(token: string | undefined, userId?: string): number {
    const keep = token ? digest(token) : undefined;
    let ended = 0;
    for (const [key, session] of [...this.sessions]) {
      if (key === keep || (userId !== undefined && session.userId !== userId)) continue;
      this.sessions.delete(key);
      ended++;
    }
    return ended;
  }
}
