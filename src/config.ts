/**
 * Configuration: the only module that reads the environment or the TOML file.
 * Every key may come from `mallard-metrics.toml` (snake_case) or from `MALLARD_<KEY>`;
 * the environment wins. A bad value stops start-up with one line naming the key.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { type SiteInput, siteFields } from './sites/registry.js';

const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const list = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0));

/** `[[sites]]` tables of the file (not settable from the environment); same rules as /api/sites. */
const site = z
  .strictObject({
    id: siteFields.id,
    origins: siteFields.origins.optional(),
    timezone: siteFields.timezone.optional(),
    rate_limit: siteFields.rateLimit.optional(),
    signing_secret: siteFields.signingSecret.optional(),
    shields: siteFields.shields.optional(),
  })
  .transform(
    (s): SiteInput => ({
      id: s.id,
      origins: s.origins,
      timezone: s.timezone,
      rateLimit: s.rate_limit,
      signingSecret: s.signing_secret,
      shields: s.shields,
    }),
  );
const sites = z.array(site).superRefine((list, ctx) => {
  const seen = new Set<string>();
  list.forEach((s, i) => {
    if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `"${s.id}" is listed twice` });
    seen.add(s.id);
  });
});

/** Keys only the file can set (a table array has no sensible environment form). */
const FILE_ONLY = new Set(['sites']);

/** A size as the configuration spells it: KB/MB/GB are powers of 1000, KiB/MiB/GiB of 1024 (as DuckDB reads them). */
const SIZE = /^(\d+(?:\.\d+)?)\s*([KMG])(i?)B$/i;

/** A size in that form in bytes (NaN for anything else). */
export function sizeBytes(size: string): number {
  const m = SIZE.exec(size.trim());
  if (!m) return Number.NaN;
  const power = 'KMG'.indexOf((m[2] ?? '').toUpperCase()) + 1;
  return Number(m[1]) * (m[3] ? 1024 : 1000) ** power;
}

const schema = z.object({
  host: z.string().min(1).default('0.0.0.0'),
  port: int(0, 65535).default(8000),
  data_dir: z.string().min(1).default('data'),
  secret: z.string().min(16, 'must be at least 16 characters').optional(),
  flush_count: int(1, 1_000_000).default(20_000),
  flush_interval: int(1, 86_400).default(60),
  retention_days: int(0, 36_500).default(0),
  session_timeout: int(60, 86_400).default(1800),
  admin_password: z.string().min(8, 'must be at least 8 characters').optional(),
  /** An admin API key for the `backup` command to present to the running server (the server ignores it). */
  api_key: z
    .string()
    .regex(/^mm_[A-Za-z0-9_-]{16,64}$/, 'must be an API key (mm_…)')
    .optional(),
  geoip_db: z.string().min(1).optional(),
  log_format: z.enum(['json', 'pretty']).default('json'),
  log_level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  site_ids: list.default([]),
  trusted_proxies: list.default([]),
  storage: z.enum(['duckdb', 'clickhouse']).default('duckdb'),
  clickhouse_url: z.string().url().optional(),
  clickhouse_database: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be a plain name (letters, digits, _)')
    .default('mallard'),
  clickhouse_user: z.string().min(1).optional(),
  clickhouse_password: z.string().optional(),
  max_body_bytes: int(512, 1_048_576).default(8192),
  max_batch_bytes: int(1024, 256 * 1_048_576).default(16 * 1_048_576),
  /** The largest file an upload from the dashboard takes (POST /api/sites/:id/imports/upload), in bytes. */
  max_import_bytes: int(1024, 64 * 1024 * 1_048_576).default(512 * 1_048_576),
  /** POST /api/event: events per second per client IP (burst twice that, at least 1); 0 = off. */
  ip_rate_limit: z.coerce.number().min(0).max(1_000_000).default(0),
  /** Sign-in lockout: after this many failed passwords from one address within login_lockout_secs, 429. */
  login_max_failures: int(1, 1000).default(5),
  login_lockout_secs: int(1, 86_400).default(900),
  /** How long an invitation link stays usable, in seconds (7 days); 0 makes links that are expired at once (tests). */
  invitation_ttl_secs: int(0, 365 * 86_400).default(7 * 86_400),
  compact_min_files: int(2, 10_000).default(8),
  /** Keep per-day visits and rollups next to the events (false: every query scans events). */
  rollups: bool.default(true),
  /** Seconds a day's events must stay unchanged before its visits and rollup are rebuilt. */
  rollup_delay: int(0, 86_400).default(10),
  /** DuckDB's memory limit (e.g. 256MB, 1GB): a query needing more spills to disk, then fails with 503. */
  duckdb_memory_limit: z.string().regex(SIZE, 'must be a size such as 256MB or 1GB').default('256MB'),
  /** DuckDB worker threads; 0 = one per core. */
  duckdb_threads: int(0, 256).default(0),
  /** How far the JavaScript heap grows past what a full collection kept before the next one, in %; 0 = V8's own choice. */
  js_heap_growth_percent: int(0, 300).default(20),
  wal_fsync: bool.default(true),
  /** SMTP server for reports and alerts (smtp://user:pass@host:587, smtps://… for TLS at once); none: no e-mail. */
  smtp_url: z
    .string()
    .regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL')
    .optional(),
  smtp_from: z.string().min(3).default('Mallard Metrics <mallard@localhost>'),
  /** Seconds between the scheduler's looks at what reports and alerts are due. */
  notify_interval: int(1, 86_400).default(300),
  sites: sites.default([]),
});

export type Config = Readonly<z.infer<typeof schema>>;
export const CONFIG_KEYS = Object.keys(schema.shape) as (keyof typeof schema.shape)[];

export class ConfigError extends Error {}

/** The ClickHouse database `storage = "clickhouse"` keeps events in (the server and the import open it). */
export const clickhouseConnection = (config: Config) => ({
  url: config.clickhouse_url ?? '',
  database: config.clickhouse_database,
  username: config.clickhouse_user,
  password: config.clickhouse_password,
});

/** Reads file + env into a validated, frozen Config; throws ConfigError with a one-line message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = process.argv.slice(2)): Config {
  const path = configPath(env, argv);
  const raw: Record<string, unknown> = {};
  if (path) {
    if (!existsSync(path)) throw new ConfigError(`config file not found: ${path}`);
    let fileValues: Record<string, unknown>;
    try {
      fileValues = parseToml(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new ConfigError(`config file ${path} is not valid TOML: ${(err as Error).message.split('\n')[0]}`);
    }
    for (const [key, value] of Object.entries(fileValues)) {
      if (!(CONFIG_KEYS as string[]).includes(key)) throw new ConfigError(`unknown config key "${key}" in ${path}`);
      raw[key] = value;
    }
  }
  for (const key of CONFIG_KEYS) {
    const value = env[`MALLARD_${key.toUpperCase()}`];
    if (value === undefined || value === '') continue;
    if (FILE_ONLY.has(key)) throw new ConfigError(`MALLARD_${key.toUpperCase()}: ${key} can only be set in the config file`);
    raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue?.path[0] ?? '?');
    if (FILE_ONLY.has(key)) {
      const [, ...rest] = issue?.path ?? [];
      const at = key + rest.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      const message = issue?.code === 'unrecognized_keys' ? `unknown key "${issue.keys[0]}"` : issue?.message;
      throw new ConfigError(`invalid config value for ${at}: ${message}`);
    }
    throw new ConfigError(`invalid config value for ${key} (MALLARD_${key.toUpperCase()}): ${issue?.message}`);
  }
  if (parsed.data.storage === 'clickhouse' && !parsed.data.clickhouse_url) {
    throw new ConfigError(
      'invalid config value for clickhouse_url (MALLARD_CLICKHOUSE_URL): required when storage = "clickhouse"',
    );
  }
  return Object.freeze(parsed.data);
}

function configPath(env: NodeJS.ProcessEnv, argv: readonly string[]): string | undefined {
  const i = argv.indexOf('--config');
  if (i >= 0) return argv[i + 1];
  if (env.MALLARD_CONFIG) return env.MALLARD_CONFIG;
  return existsSync('mallard-metrics.toml') ? 'mallard-metrics.toml' : undefined;
}
