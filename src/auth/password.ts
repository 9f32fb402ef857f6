/**
 * The admin password, hashed with Argon2id. MALLARD_ADMIN_PASSWORD, when set, replaces
 * the stored hash at start-up; otherwise the first-run setup chooses it. The presented
 * password is never compared directly: argon2's `verify` recomputes the hash and compares
 * the digests in constant time.
 */
import { hash, verify } from '@node-rs/argon2';
import type { Settings } from './settings.js';

const KEY = 'admin_password_hash';

export class AdminPassword {
  constructor(private readonly settings: Settings) {}

  async isSet(): Promise<boolean> {
    return (await this.settings.get(KEY)) !== null;
  }

  async set(password: string): Promise<void> {
    await this.settings.set(KEY, await hash(password)); // library default is Argon2id
  }

  async check(password: string): Promise<boolean> {
    const stored = await this.settings.get(KEY);
    if (!stored) return false;
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  }
}
