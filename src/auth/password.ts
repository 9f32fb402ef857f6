/**
 * Password hashing (Argon2id) and the admin password of first-run setup, which is the
 * super-admin's (auth/users.ts). MALLARD_ADMIN_PASSWORD, when set, replaces its hash at
 * start-up; otherwise the first-run setup chooses it. A presented password is never compared
 * directly: argon2's `verify` recomputes the hash and compares the digests in constant time.
 */
import { hash, verify } from '@node-rs/argon2';
import type { Users } from './users.js';

/** An Argon2id hash of `password` (the library's default algorithm). */
export const hashPassword = (password: string): Promise<string> => hash(password);

/** Whether `password` matches `stored`; false for a missing or malformed hash. */
export async function verifyPassword(stored: string | null | undefined, password: string): Promise<boolean> {
  if (!stored) return false;
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

export class AdminPassword {
  constructor(private readonly users: Users) {}

  async isSet(): Promise<boolean> {
    return this.users.superAdmin() !== undefined;
  }

  async set(password: string): Promise<void> {
    await this.users.setSuperAdminPassword(password);
  }

  async check(password: string): Promise<boolean> {
    const admin = this.users.superAdmin();
    return admin !== undefined && this.users.checkPassword(admin.id, password);
  }
}
