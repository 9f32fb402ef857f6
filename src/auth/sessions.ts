/**
 * Dashboard sign-in sessions: 256-bit random tokens held in memory with an expiry. Only a
 * SHA-256 of the token is kept, so a heap dump does not yield usable cookies.
 *
 * A presented token is never compared with a stored one: it is hashed and the digest looked
 * up in a Map. Hash-table lookup time depends on the digest, which an attacker cannot steer
 * towards a stored digest without knowing a token (SHA-256 preimage), so there is no useful
 * timing signal and no need for timingSafeEqual here.
 */
import { createHash, randomBytes } from 'node:crypto';

export const SESSION_COOKIE = 'mallard_session';

const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export class SessionStore {
  private sessions = new Map<string, number>();

  constructor(private readonly ttlMs = 7 * 24 * 3600_000) {}

  create(now = Date.now()): { token: string; maxAgeSecs: number } {
    const token = randomBytes(32).toString('base64url');
    this.sessions.set(digest(token), now + this.ttlMs);
    return { token, maxAgeSecs: Math.floor(this.ttlMs / 1000) };
  }

  valid(token: string | undefined, now = Date.now()): boolean {
    if (!token) return false;
    const key = digest(token);
    const expires = this.sessions.get(key);
    if (expires === undefined) return false;
    if (expires <= now) {
      this.sessions.delete(key);
      return false;
    }
    return true;
  }

  end(token: string | undefined): void {
    if (token) this.sessions.delete(digest(token));
  }

  /** Ends every session but the one holding `token` (after a password change); returns how many ended. */
  endAllExcept(token: string | undefined): number {
    const keep = token ? digest(token) : undefined;
    let ended = 0;
    for (const key of [...this.sessions.keys()]) {
      if (key === keep) continue;
      this.sessions.delete(key);
      ended++;
    }
    return ended;
  }
}
