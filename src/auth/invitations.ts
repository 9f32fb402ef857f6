/**
 * Invitations to a site: a single-use link `/invitations/<token>` for one e-mail address and
 * role. The token is 256 random bits shown once; only its SHA-256 is stored and looked up
 * (no comparison of the secret itself). An invitation expires `ttlMs` after it was made
 * (7 days unless configured) and is claimed in one conditional UPDATE, so two accepts of
 * the same link cannot both succeed.
 */
import { createHash, randomBytes } from 'node:crypto';
import { gone, notFound } from '../errors.js';
import type { MetadataDb } from '../storage/metadata.js';
import type { Role } from './roles.js';

export interface Invitation {
  siteId: string;
  email: string;
  role: Role;
  /** ISO 8601. */
  expiresAt: string;
}

const TOKEN = /^[A-Za-z0-9_-]{43}$/;
const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d));

export class Invitations {
  constructor(
    private readonly db: MetadataDb,
    private readonly ttlMs: number,
  ) {}

  /** A new invitation; the token is returned here only. */
  async create(siteId: string, email: string, role: Role, now = Date.now()): Promise<{ token: string; expiresAt: string }> {
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now + this.ttlMs).toISOString();
    await this.db.run('INSERT INTO invitations VALUES ($1, $2, $3, $4, $5::TIMESTAMP, $6::TIMESTAMP, NULL)', [
      digest(token),
      siteId,
      email,
      role,
      new Date(now).toISOString(),
      expiresAt,
    ]);
    return { token, expiresAt };
  }

  /** The invitation behind a token, still usable: 404 when unknown, 410 when used or expired. */
  async peek(token: string, now = Date.now()): Promise<Invitation> {
    const row = await this.find(token);
    return usable(row, now);
  }

  /** Marks the invitation used and returns it; the same errors as `peek`. */
  async claim(token: string, now = Date.now()): Promise<Invitation> {
    const claimed = TOKEN.test(token)
      ? await this.db.all<Record<string, unknown>>(
          `UPDATE invitations SET used_at = $2::TIMESTAMP
            WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2::TIMESTAMP
            RETURNING site_id, email, role, expires_at, used_at`,
          [digest(token), new Date(now).toISOString()],
        )
      : [];
    if (claimed[0]) return toInvitation(claimed[0]);
    return usable(await this.find(token), now); // says why it could not be claimed
  }

  private async find(token: string): Promise<Record<string, unknown> | undefined> {
    if (!TOKEN.test(token)) return undefined;
    const rows = await this.db.all<Record<string, unknown>>(
      'SELECT site_id, email, role, expires_at, used_at FROM invitations WHERE token_hash = $1',
      [digest(token)],
    );
    return rows[0];
  }
}

function usable(row: Record<string, unknown> | undefined, now: number): Invitation {
  if (!row) throw notFound('no such invitation: the link is wrong, or the site it was for was removed');
  const invitation = toInvitation(row);
  if (row.used_at !== null && row.used_at !== undefined) throw gone('this invitation was already used; ask for a new one');
  if (Date.parse(invitation.expiresAt) <= now) {
    throw gone(`this invitation expired at ${invitation.expiresAt}; ask for a new one`);
  }
  return invitation;
}

const toInvitation = (r: Record<string, unknown>): Invitation => ({
  siteId: String(r.site_id),
  email: String(r.email),
  role: r.role as Role,
  expiresAt: iso(r.expires_at),
});
