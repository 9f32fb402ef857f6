/**
 * API keys: `mm_` + 128 random bits, shown once, stored only as SHA-256. Lookup is by the
 * digest, so comparing the secret itself never happens (no timing signal about the key:
 * steering the digest towards a stored one would need a SHA-256 preimage).
 *
 * A key belongs to the user who made it (`user_id`; NULL, as for keys from before users
 * existed: the super-admin) and never does more than that user may (http/auth-guard.ts).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { MetadataDb } from '../storage/metadata.js';

export const SCOPES = ['read', 'ingest', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

export interface ApiKey {
  id: string;
  name: string;
  scope: Scope;
  sites: string[] | null;
  /** The user the key acts for; null: the super-admin. */
  user_id: string | null;
  created_at: string;
  last_used_at: string | null;
}

const COLUMNS = 'id, name, scope, sites, user_id, created_at, last_used_at';
const digest = (key: string) => createHash('sha256').update(key).digest('hex');
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : null);

export class ApiKeys {
  constructor(private readonly db: MetadataDb) {}

  async create(
    name: string,
    scope: Scope,
    sites: string[] | null,
    userId: string | null = null,
  ): Promise<{ key: string; info: ApiKey }> {
    const key = `mm_${randomBytes(16).toString('base64url')}`;
    const id = randomUUID();
    const now = new Date();
    await this.db.run(
      `INSERT INTO api_keys (id, name, scope, sites, key_hash, created_at, last_used_at, user_id)
       VALUES ($1, $2, $3, $4::VARCHAR[], $5, $6::TIMESTAMP, NULL, $7)`,
      [id, name, scope, sites === null ? null : JSON.stringify(sites), digest(key), now.toISOString(), userId],
    );
    return { key, info: { id, name, scope, sites, user_id: userId, created_at: now.toISOString(), last_used_at: null } };
  }

  /** Every key, or only those of `userId` (null: the super-admin's) when given. */
  async list(userId?: string | null): Promise<ApiKey[]> {
    const rows = await this.db.all<Record<string, unknown>>(
      `SELECT ${COLUMNS} FROM api_keys ${userId === undefined ? '' : 'WHERE user_id IS NOT DISTINCT FROM $1'} ORDER BY created_at, id`,
      userId === undefined ? [] : [userId],
    );
    return rows.map(toApiKey);
  }

  /** Revokes a key (only one of `userId`'s when given); false when there is no such key. */
  async revoke(id: string, userId?: string | null): Promise<boolean> {
    const rows = await this.db.all<{ id: string }>(
      `DELETE FROM api_keys WHERE id = $1 ${userId === undefined ? '' : 'AND user_id IS NOT DISTINCT FROM $2'} RETURNING id`,
      userId === undefined ? [id] : [id, userId],
    );
    return rows.length > 0;
  }

  /** Resolves a presented key, recording its use; null when unknown or revoked. */
  async verify(key: string): Promise<ApiKey | null> {
    if (!/^mm_[A-Za-z0-9_-]{16,64}$/.test(key)) return null;
    const rows = await this.db.all<Record<string, unknown>>(`SELECT ${COLUMNS} FROM api_keys WHERE key_hash = $1`, [digest(key)]);
    const found = rows[0] ? toApiKey(rows[0]) : null;
    if (found) this.touch(found.id);
    return found;
  }

  private lastTouched = new Map<string, number>();

  /**
   * Records use at most once a minute per key, off the request path: concurrent UPDATEs of
   * one row conflict in DuckDB, and a request must not fail over bookkeeping.
   */
  private touch(id: string, now = Date.now()): void {
    if (now - (this.lastTouched.get(id) ?? 0) < 60_000) return;
    this.lastTouched.set(id, now);
    this.db.run('UPDATE api_keys SET last_used_at = now() WHERE id = $1', [id]).catch(() => this.lastTouched.delete(id));
  }
}

function toApiKey(r: Record<string, unknown>): ApiKey {
  return {
    id: String(r.id),
    name: String(r.name),
    scope: r.scope as Scope,
    sites: (r.sites as string[] | null) ?? null,
    user_id: (r.user_id as string | null) ?? null,
    created_at: iso(r.created_at) ?? '',
    last_used_at: iso(r.last_used_at),
  };
}
