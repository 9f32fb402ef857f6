/**
 * Small persisted settings (server secret, admin password hash) in the metadata database.
 */
import type { MetadataDb } from '../storage/metadata.js';

export class Settings {
  constructor(private readonly db: MetadataDb) {}

  async get(key: string): Promise<string | null> {
    const rows = await this.db.all<{ value: string }>('SELECT value FROM settings WHERE key = $1', [key]);
    return rows[0]?.value ?? null;
  }

  async set(key: string, value: string): Promise<void> {
    await this.db.run('INSERT OR REPLACE INTO settings VALUES ($1, $2)', [key, value]);
  }
}
