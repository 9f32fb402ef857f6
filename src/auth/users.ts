/**
 * Dashboard users: an e-mail address (stored lower-case, unique regardless of case) and an
 * Argon2id password hash. One of them is the super-admin, created by first-run setup (or
 * MALLARD_ADMIN_PASSWORD) with the fixed id `super-admin` and no e-mail until one is given;
 * data directories from before users existed had their admin password moved to it by
 * migration 5. Users are few and the guard looks one up on every request, so they are held
 * in memory (without their hashes); writes go to the database first, one at a time.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { conflict, invalidInput, notFound } from '../errors.js';
import { checkField as check } from '../field-path.js';
import { WriteQueue } from '../sites/write-queue.js';
import type { MetadataDb } from '../storage/metadata.js';
import { hashPassword, verifyPassword } from './password.js';

export const SUPER_ADMIN_ID = 'super-admin';

export interface User {
  id: string;
  /** Lower-case; null for a super-admin who never gave one (signs in with the password alone). */
  email: string | null;
  superAdmin: boolean;
  /** ISO 8601. */
  createdAt: string;
}

export const emailField = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
  .trim()
  .max(254, 'at most 254 characters')
  .pipe(z.email({ error: 'not an e-mail address' }))
  .transform((e) => e.toLowerCase());
export const newPasswordField = z
  .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
  .min(8, 'at least 8 characters')
  .max(256, 'at most 256 characters');

const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d));
/** A hash that never matches, verified against when no user has the address, so timing does not tell. */
let decoy: Promise<string> | undefined;

export class Users {
  private readonly users = new Map<string, User>();
  private readonly writes = new WriteQueue();

  private constructor(private readonly db: MetadataDb) {}

  static async open(db: MetadataDb): Promise<Users> {
    const store = new Users(db);
    const rows = await db.all<Record<string, unknown>>('SELECT id, email, super_admin, created_at FROM users');
    for (const r of rows) {
      const user: User = {
        id: String(r.id),
        email: (r.email as string | null) ?? null,
        superAdmin: r.super_admin === true,
        createdAt: iso(r.created_at),
      };
      store.users.set(user.id, Object.freeze(user));
    }
    return store;
  }

  get(id: string): User | undefined {
    return this.users.get(id);
  }

  superAdmin(): User | undefined {
    return this.users.get(SUPER_ADMIN_ID);
  }

  /** The user with this address, whatever its case. */
  byEmail(email: string): User | undefined {
    const wanted = email.trim().toLowerCase();
    for (const u of this.users.values()) if (u.email === wanted) return u;
    return undefined;
  }

  /** Every user, the super-admin first, then by e-mail. */
  list(): User[] {
    return [...this.users.values()].sort(
      (a, b) => Number(b.superAdmin) - Number(a.superAdmin) || (a.email ?? '').localeCompare(b.email ?? ''),
    );
  }

  /** A new user; 400 for a bad field, 409 when the address is taken. */
  async create(email: string, password: string): Promise<User> {
    const address = check(emailField, email, 'email');
    const secret = check(newPasswordField, password, 'password');
    const passwordHash = await hashPassword(secret);
    return this.writes.run(async () => {
      if (this.byEmail(address)) throw conflict(`email: ${address} already has an account`);
      const user: User = { id: randomUUID(), email: address, superAdmin: false, createdAt: new Date().toISOString() };
      await this.db.run('INSERT INTO users VALUES ($1, $2, $3, FALSE, $4::TIMESTAMP)', [
        user.id,
        user.email,
        passwordHash,
        user.createdAt,
      ]);
      this.users.set(user.id, Object.freeze(user));
      return user;
    });
  }

  /** Creates the super-admin, or replaces its password. */
  async setSuperAdminPassword(password: string): Promise<void> {
    const passwordHash = await hashPassword(password);
    await this.writes.run(async () => {
      if (this.users.has(SUPER_ADMIN_ID)) {
        await this.db.run('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, SUPER_ADMIN_ID]);
        return;
      }
      const user: User = { id: SUPER_ADMIN_ID, email: null, superAdmin: true, createdAt: new Date().toISOString() };
      await this.db.run('INSERT INTO users VALUES ($1, NULL, $2, TRUE, $3::TIMESTAMP)', [
        SUPER_ADMIN_ID,
        passwordHash,
        user.createdAt,
      ]);
      this.users.set(SUPER_ADMIN_ID, Object.freeze(user));
    });
  }

  async setPassword(id: string, password: string): Promise<void> {
    const passwordHash = await hashPassword(check(newPasswordField, password, 'new_password'));
    await this.writes.run(async () => {
      if (!this.users.has(id)) throw notFound('no such user');
      await this.db.run('UPDATE users SET password_hash = $1 WHERE id = $2', [passwordHash, id]);
    });
  }

  /** Whether `password` is this user's (false for an unknown user, after as long a check). */
  async checkPassword(id: string | undefined, password: string): Promise<boolean> {
    const rows =
      id === undefined ? [] : await this.db.all<{ password_hash: string }>('SELECT password_hash FROM users WHERE id = $1', [id]);
    const stored = rows[0]?.password_hash;
    if (stored === undefined) {
      decoy ??= hashPassword(randomUUID());
      await verifyPassword(await decoy, password);
      return false;
    }
    return verifyPassword(stored, password);
  }

  /** Removes a user with their roles and API keys; false when unknown. The super-admin cannot be removed. */
  async remove(id: string): Promise<boolean> {
    return this.writes.run(async () => {
      const user = this.users.get(id);
      if (!user) return false;
      if (user.superAdmin) throw invalidInput('the super-admin cannot be removed');
      await this.db.transaction([
        ['DELETE FROM site_members WHERE user_id = $1', [id]],
        ['DELETE FROM api_keys WHERE user_id = $1', [id]],
        ['DELETE FROM user_totp WHERE user_id = $1', [id]],
        ['DELETE FROM recovery_codes WHERE user_id = $1', [id]],
        ['DELETE FROM users WHERE id = $1', [id]],
      ]);
      this.users.delete(id);
      return true;
    });
  }
}
