/**
 * Numbered schema migrations of the metadata database. Append only: a migration, once
 * released, is never edited. Event columns live in Parquet and evolve by adding columns
 * (read with union_by_name), so they need no migration of their own.
 */
import type { DuckDBConnection } from '@duckdb/node-api';

const MIGRATIONS: readonly (readonly string[])[] = [
  // 1: settings (server secret, admin password hash) and API keys
  [
    'CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)',
    `CREATE TABLE api_keys (
       id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, scope VARCHAR NOT NULL, sites VARCHAR[],
       key_hash VARCHAR NOT NULL UNIQUE, created_at TIMESTAMP NOT NULL, last_used_at TIMESTAMP)`,
  ],
  // 2: registered sites (origins as a JSON array of strings) and their share links (token SHA-256 only)
  [
    `CREATE TABLE sites (
       id VARCHAR PRIMARY KEY, origins VARCHAR NOT NULL, timezone VARCHAR, rate_limit INTEGER,
       signing_secret VARCHAR, created_at TIMESTAMP NOT NULL)`,
    `CREATE TABLE share_links (
       id VARCHAR PRIMARY KEY, site_id VARCHAR NOT NULL, label VARCHAR, token_hash VARCHAR NOT NULL UNIQUE,
       created_at TIMESTAMP NOT NULL)`,
  ],
  // 3: site-owner features: per-site shields (JSON object, NULL = none), goals and saved segments
  [
    'ALTER TABLE sites ADD COLUMN shields VARCHAR',
    `CREATE TABLE goals (
       id VARCHAR PRIMARY KEY, site_id VARCHAR NOT NULL, event_name VARCHAR, page_path VARCHAR,
       display_name VARCHAR NOT NULL, currency VARCHAR, created_at TIMESTAMP NOT NULL)`,
    `CREATE TABLE segments (
       id VARCHAR PRIMARY KEY, site_id VARCHAR NOT NULL, name VARCHAR NOT NULL, filters VARCHAR NOT NULL,
       created_at TIMESTAMP NOT NULL)`,
  ],
  // 4: e-mail reports and traffic alerts per site (JSON objects), and the ledger of what was sent
  [
    'CREATE TABLE notifications (site_id VARCHAR PRIMARY KEY, reports VARCHAR NOT NULL, alerts VARCHAR NOT NULL)',
    `CREATE TABLE notifications_sent (
       site_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, period VARCHAR NOT NULL, sent_at TIMESTAMP NOT NULL,
       PRIMARY KEY (site_id, kind, period))`,
  ],
  // 5: imported aggregates (docs/DATA.md, "Imported data"): one row per import, and one table per
  // table of a Plausible export with its own columns (sites/imported-tables.ts names them)
  [
    `CREATE TABLE site_imports (
       id VARCHAR PRIMARY KEY, site_id VARCHAR NOT NULL, source VARCHAR NOT NULL, start_date DATE NOT NULL,
       end_date DATE NOT NULL, created_at TIMESTAMP NOT NULL, file_count INTEGER NOT NULL, row_count BIGINT NOT NULL)`,
    `CREATE TABLE imported_visitors (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       visitors BIGINT NOT NULL, pageviews BIGINT NOT NULL, bounces BIGINT NOT NULL, visits BIGINT NOT NULL,
       visit_duration BIGINT NOT NULL)`,
    `CREATE TABLE imported_sources (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       source VARCHAR NOT NULL, referrer VARCHAR NOT NULL, utm_source VARCHAR NOT NULL, utm_medium VARCHAR NOT NULL,
       utm_campaign VARCHAR NOT NULL, utm_content VARCHAR NOT NULL, utm_term VARCHAR NOT NULL,
       pageviews BIGINT NOT NULL, visitors BIGINT NOT NULL, visits BIGINT NOT NULL, visit_duration BIGINT NOT NULL,
       bounces BIGINT NOT NULL)`,
    `CREATE TABLE imported_pages (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       hostname VARCHAR NOT NULL, page VARCHAR NOT NULL, visits BIGINT NOT NULL, visitors BIGINT NOT NULL,
       pageviews BIGINT NOT NULL)`,
    `CREATE TABLE imported_entry_pages (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       entry_page VARCHAR NOT NULL, visitors BIGINT NOT NULL, entrances BIGINT NOT NULL, visit_duration BIGINT NOT NULL,
       bounces BIGINT NOT NULL, pageviews BIGINT NOT NULL)`,
    `CREATE TABLE imported_exit_pages (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       exit_page VARCHAR NOT NULL, visitors BIGINT NOT NULL, visit_duration BIGINT NOT NULL, exits BIGINT NOT NULL,
       bounces BIGINT NOT NULL, pageviews BIGINT NOT NULL)`,
    `CREATE TABLE imported_locations (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       country VARCHAR NOT NULL, region VARCHAR NOT NULL, city VARCHAR NOT NULL, visitors BIGINT NOT NULL,
       visits BIGINT NOT NULL, visit_duration BIGINT NOT NULL, bounces BIGINT NOT NULL, pageviews BIGINT NOT NULL)`,
    `CREATE TABLE imported_devices (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       device VARCHAR NOT NULL, visitors BIGINT NOT NULL, visits BIGINT NOT NULL, visit_duration BIGINT NOT NULL,
       bounces BIGINT NOT NULL, pageviews BIGINT NOT NULL)`,
    `CREATE TABLE imported_browsers (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       browser VARCHAR NOT NULL, browser_version VARCHAR NOT NULL, visitors BIGINT NOT NULL, visits BIGINT NOT NULL,
       visit_duration BIGINT NOT NULL, bounces BIGINT NOT NULL, pageviews BIGINT NOT NULL)`,
    `CREATE TABLE imported_operating_systems (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       operating_system VARCHAR NOT NULL, operating_system_version VARCHAR NOT NULL, visitors BIGINT NOT NULL,
       visits BIGINT NOT NULL, visit_duration BIGINT NOT NULL, bounces BIGINT NOT NULL, pageviews BIGINT NOT NULL)`,
    `CREATE TABLE imported_custom_events (import_id VARCHAR NOT NULL, site_id VARCHAR NOT NULL, date DATE NOT NULL,
       name VARCHAR NOT NULL, link_url VARCHAR NOT NULL, path VARCHAR NOT NULL, visitors BIGINT NOT NULL,
       events BIGINT NOT NULL)`,
  ],
  // 6: users (the admin password becomes the super-admin's), their roles per site, invitations
  // (token SHA-256 only) and the user each API key belongs to (NULL: the super-admin)
  [
    `CREATE TABLE users (
       id VARCHAR PRIMARY KEY, email VARCHAR, password_hash VARCHAR NOT NULL, super_admin BOOLEAN NOT NULL,
       created_at TIMESTAMP NOT NULL)`,
    `INSERT INTO users SELECT 'super-admin', NULL, value, TRUE, now() FROM settings WHERE key = 'admin_password_hash'`,
    "DELETE FROM settings WHERE key = 'admin_password_hash'",
    `CREATE TABLE site_members (
       site_id VARCHAR NOT NULL, user_id VARCHAR NOT NULL, role VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL,
       PRIMARY KEY (site_id, user_id))`,
    `CREATE TABLE invitations (
       token_hash VARCHAR PRIMARY KEY, site_id VARCHAR NOT NULL, email VARCHAR NOT NULL, role VARCHAR NOT NULL,
       created_at TIMESTAMP NOT NULL, expires_at TIMESTAMP NOT NULL, used_at TIMESTAMP)`,
    'ALTER TABLE api_keys ADD COLUMN user_id VARCHAR',
  ],
  // 7: two-factor sign-in: a user's TOTP secret (pending until enabled) and the SHA-256 of
  // their single-use recovery codes
  [
    `CREATE TABLE user_totp (
       user_id VARCHAR PRIMARY KEY, secret VARCHAR NOT NULL, enabled BOOLEAN NOT NULL, last_step BIGINT,
       created_at TIMESTAMP NOT NULL)`,
    `CREATE TABLE recovery_codes (
       user_id VARCHAR NOT NULL, code_hash VARCHAR NOT NULL, used_at TIMESTAMP, PRIMARY KEY (user_id, code_hash))`,
  ],
  // 8: a site made by `mallard-metrics demo` (generated traffic, not real) is marked as such
  ['ALTER TABLE sites ADD COLUMN demo BOOLEAN DEFAULT false'],
];

export async function migrate(conn: DuckDBConnection): Promise<number> {
  await conn.run('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)');
  const rows = (await conn.runAndReadAll('SELECT coalesce(max(version), 0) AS v FROM schema_migrations')).getRowObjectsJS();
  const current = Number(rows[0]?.v ?? 0);
  for (let v = current + 1; v <= MIGRATIONS.length; v++) {
    await conn.run('BEGIN TRANSACTION');
    try {
      for (const stmt of MIGRATIONS[v - 1] ?? []) await conn.run(stmt);
      await conn.run('INSERT INTO schema_migrations VALUES ($1, now())', [v]);
      await conn.run('COMMIT');
    } catch (err) {
      await conn.run('ROLLBACK');
      throw err;
    }
  }
  return MIGRATIONS.length;
}

/** The schema version this build migrates to (a backup made by a newer build may need more). */
export const SCHEMA_VERSION = MIGRATIONS.length;
