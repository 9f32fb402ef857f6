/**
 * Registered sites and their share links, persisted in the metadata database and held in
 * memory: ingestion asks `get`/`has` for every event, the auth guard `siteForShareToken`
 * for every shared-link request, so reads are synchronous. Writes go to the database first
 * (one at a time), then to memory. Share tokens are 256 random bits shown once; only their
 * SHA-256 is stored, and lookup is by that digest (no comparison of the secret itself).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { conflict, invalidInput, notFound } from '../errors.js';
import { checkField as check } from '../field-path.js';
import { SITE_ID, SITE_ID_MAX } from '../site-id.js';
import type { MetadataDb } from '../storage/metadata.js';
import { removeSiteImports } from './imports.js';
import { NO_SHIELDS, parseStoredShields, type Shields, shieldsField, storedShields } from './shields.js';
import { WriteQueue } from './write-queue.js';

export interface Site {
  /** The site id (domain), SITE_ID of src/site-id.ts. */
  id: string;
  /** Allowed `Origin` values for browser ingestion, exact match (stored normalized); [] = any origin. */
  origins: string[];
  /** IANA time zone name; stored and returned (queries stay UTC for now). */
  timezone: string | null;
  /** Events per second for this site (token bucket, burst = 2 × rate); null = unlimited. */
  rateLimit: number | null;
  /** When set, POST /api/events for this site must carry `X-Mallard-Signature: sha256=<hex HMAC-SHA256(secret, raw body)>`. */
  signingSecret: string | null;
  /** Traffic the site excludes (src/sites/shields.ts); NO_SHIELDS when none. */
  shields: Shields;
  /** Made by `mallard-metrics demo`: its events are generated, not real traffic (src/demo). */
  demo: boolean;
  /** ISO 8601. */
  createdAt: string;
}

export interface SiteInput {
  id: string;
  origins?: string[];
  timezone?: string | null;
  rateLimit?: number | null;
  signingSecret?: string | null;
  /** Validated by shieldsField; missing lists are empty. */
  shields?: {
    ips?: readonly string[];
    countries?: readonly string[];
    pages?: readonly string[];
    hostnames?: readonly string[];
  } | null;
  /** Set only by the demo loader, never from a request body. */
  demo?: boolean;
}

export interface ShareLink {
  id: string;
  label: string | null;
  createdAt: string;
}

export const MAX_ORIGINS = 50;
export const RATE_LIMIT_MAX = 100_000;
export const LABEL_MAX = 100;

const ORIGIN_SHAPE = /^https?:\/\/[^/?#@\s\\]+$/i;
const HOST = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])$/;
const TIME_ZONE_SHAPE = /^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/;
const SHARE_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/**
 * An origin as browsers send it: `scheme://host[:port]`, http or https, nothing after the
 * host. Returned normalized (lower-case host, IDN as punycode, default port dropped) so an
 * exact comparison with the `Origin` header works; undefined when invalid.
 */
export function normalizeOrigin(value: string): string | undefined {
  if (value.length > 300 || !ORIGIN_SHAPE.test(value)) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (!HOST.test(url.hostname) || url.port === '0') return undefined;
  return url.origin;
}

/**
 * An IANA time zone name the runtime knows, as given; only its case is corrected when it
 * differs from the runtime's spelling (`europe/berlin` → `Europe/Berlin`). Aliases are kept
 * (ICU would turn `Asia/Kolkata` into `Asia/Calcutta`). Undefined when unknown.
 */
export function normalizeTimeZone(value: string): string | undefined {
  if (value.length > 100 || !TIME_ZONE_SHAPE.test(value)) return undefined;
  let resolved: string;
  try {
    resolved = new Intl.DateTimeFormat('en-US', { timeZone: value }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
  return resolved.toLowerCase() === value.toLowerCase() ? resolved : value;
}

/** The field rules, shared by the registry, the HTTP routes and the config file. */
export const siteFields = {
  id: z
    .string({ error: (issue) => (issue.input === undefined ? 'required' : 'must be a string') })
    .max(SITE_ID_MAX, `at most ${SITE_ID_MAX} characters`)
    .regex(SITE_ID, 'not a valid site id'),
  origins: z
    .array(
      z.string().transform((v, ctx) => {
        const origin = normalizeOrigin(v);
        if (origin === undefined) {
          ctx.addIssue({ code: 'custom', message: 'not an origin like https://example.com (http/https, no path)' });
          return z.NEVER;
        }
        return origin;
      }),
    )
    .max(MAX_ORIGINS, `at most ${MAX_ORIGINS} origins`)
    .transform((list) => [...new Set(list)]),
  timezone: z.string().transform((v, ctx) => {
    const tz = normalizeTimeZone(v);
    if (tz === undefined) {
      ctx.addIssue({ code: 'custom', message: 'not an IANA time zone name like Europe/Berlin' });
      return z.NEVER;
    }
    return tz;
  }),
  rateLimit: z
    .number()
    .int('must be an integer')
    .min(1, `must be from 1 to ${RATE_LIMIT_MAX}`)
    .max(RATE_LIMIT_MAX, `must be from 1 to ${RATE_LIMIT_MAX}`),
  signingSecret: z.string().min(16, 'at least 16 characters').max(256, 'at most 256 characters'),
  label: z.string().trim().max(LABEL_MAX, `at most ${LABEL_MAX} characters`),
  shields: shieldsField,
};

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const iso = (d: unknown) => (d instanceof Date ? d.toISOString() : String(d));
const freeze = (s: Site): Site => Object.freeze({ ...s, origins: Object.freeze([...s.origins]) as string[] });

interface StoredLink extends ShareLink {
  siteId: string;
  tokenHash: string;
}

export class SiteRegistry {
  private readonly sites = new Map<string, Site>();
  /** token hash → link */
  private readonly links = new Map<string, StoredLink>();
  private readonly writes = new WriteQueue();

  private constructor(private readonly db: MetadataDb) {}

  /** Loads every site and share link into memory. */
  static async open(db: MetadataDb): Promise<SiteRegistry> {
    const registry = new SiteRegistry(db);
    const sites = await db.all<Record<string, unknown>>(
      'SELECT id, origins, timezone, rate_limit, signing_secret, shields, demo, created_at FROM sites ORDER BY id',
    );
    for (const r of sites) {
      registry.sites.set(
        String(r.id),
        freeze({
          id: String(r.id),
          origins: JSON.parse(String(r.origins)) as string[],
          timezone: (r.timezone as string | null) ?? null,
          rateLimit: r.rate_limit === null || r.rate_limit === undefined ? null : Number(r.rate_limit),
          signingSecret: (r.signing_secret as string | null) ?? null,
          shields: parseStoredShields(r.shields),
          demo: r.demo === true,
          createdAt: iso(r.created_at),
        }),
      );
    }
    const links = await db.all<Record<string, unknown>>(
      'SELECT id, site_id, label, token_hash, created_at FROM share_links ORDER BY created_at, id',
    );
    for (const r of links) {
      const link: StoredLink = {
        id: String(r.id),
        siteId: String(r.site_id),
        label: (r.label as string | null) ?? null,
        tokenHash: String(r.token_hash),
        createdAt: iso(r.created_at),
      };
      registry.links.set(link.tokenHash, link);
    }
    return registry;
  }

  get(id: string): Site | undefined {
    return this.sites.get(id);
  }

  /** Every site, ordered by id. */
  list(): Site[] {
    return [...this.sites.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  has(id: string): boolean {
    return this.sites.has(id);
  }

  /** Adds a site; 400 for an invalid field, 409 when the id is taken. */
  async create(input: SiteInput): Promise<Site> {
    const id = check(siteFields.id, input.id, 'id');
    const site: Site = {
      id,
      origins: check(siteFields.origins, input.origins ?? [], 'origins'),
      timezone: input.timezone == null ? null : check(siteFields.timezone, input.timezone, 'timezone'),
      rateLimit: input.rateLimit == null ? null : check(siteFields.rateLimit, input.rateLimit, 'rateLimit'),
      signingSecret: input.signingSecret == null ? null : check(siteFields.signingSecret, input.signingSecret, 'signingSecret'),
      shields: input.shields == null ? NO_SHIELDS : check(siteFields.shields, input.shields, 'shields'),
      demo: input.demo === true,
      createdAt: new Date().toISOString(),
    };
    return this.writes.run(async () => {
      if (this.sites.has(id)) throw conflict(`site ${id} already exists`);
      await this.db.run(
        'INSERT INTO sites (id, origins, timezone, rate_limit, signing_secret, shields, demo, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::TIMESTAMP)',
        [
          site.id,
          JSON.stringify(site.origins),
          site.timezone,
          site.rateLimit,
          site.signingSecret,
          storedShields(site.shields),
          site.demo,
          site.createdAt,
        ],
      );
      const stored = freeze(site);
      this.sites.set(id, stored);
      return stored;
    });
  }

  /**
   * Changes the fields the patch names (undefined = keep; null = clear; `origins: []` = any
   * origin); 404 when the site is missing, 400 for an invalid field or a different id.
   */
  async update(id: string, patch: Partial<SiteInput>): Promise<Site> {
    if (patch.id !== undefined && patch.id !== id) throw invalidInput('id: cannot be changed');
    const changes: Partial<Omit<Site, 'id' | 'createdAt'>> = {};
    if (patch.origins !== undefined) changes.origins = check(siteFields.origins, patch.origins, 'origins');
    if (patch.timezone !== undefined) {
      changes.timezone = patch.timezone === null ? null : check(siteFields.timezone, patch.timezone, 'timezone');
    }
    if (patch.rateLimit !== undefined) {
      changes.rateLimit = patch.rateLimit === null ? null : check(siteFields.rateLimit, patch.rateLimit, 'rateLimit');
    }
    if (patch.signingSecret !== undefined) {
      changes.signingSecret =
        patch.signingSecret === null ? null : check(siteFields.signingSecret, patch.signingSecret, 'signingSecret');
    }
    if (patch.shields !== undefined) {
      changes.shields = patch.shields === null ? NO_SHIELDS : check(siteFields.shields, patch.shields, 'shields');
    }
    return this.writes.run(async () => {
      const current = this.sites.get(id);
      if (!current) throw notFound(`no site ${id}`);
      const next: Site = { ...current, ...changes };
      await this.db.run(
        'UPDATE sites SET origins = $2, timezone = $3, rate_limit = $4, signing_secret = $5, shields = $6 WHERE id = $1',
        [id, JSON.stringify(next.origins), next.timezone, next.rateLimit, next.signingSecret, storedShields(next.shields)],
      );
      const stored = freeze(next);
      this.sites.set(id, stored);
      return stored;
    });
  }

  /** Removes a site with its share links, goals, segments, e-mail settings and imports (not its events); false when there was none. */
  remove(id: string): Promise<boolean> {
    return this.writes.run(async () => {
      if (!this.sites.has(id)) return false;
      await this.transaction([
        ['DELETE FROM share_links WHERE site_id = $1', [id]],
        ['DELETE FROM goals WHERE site_id = $1', [id]],
        ['DELETE FROM segments WHERE site_id = $1', [id]],
        ['DELETE FROM notifications WHERE site_id = $1', [id]],
        ['DELETE FROM notifications_sent WHERE site_id = $1', [id]],
        ...removeSiteImports(id),
        ['DELETE FROM site_members WHERE site_id = $1', [id]],
        ['DELETE FROM invitations WHERE site_id = $1', [id]],
        ['DELETE FROM sites WHERE id = $1', [id]],
      ]);
      this.sites.delete(id);
      for (const [hash, link] of this.links) if (link.siteId === id) this.links.delete(hash);
      return true;
    });
  }

  /** A new read-only link to the site's stats; the token is returned here only. 404 for an unknown site. */
  async createShareLink(
    siteId: string,
    label?: string,
  ): Promise<{ id: string; token: string; label: string | null; createdAt: string }> {
    const text = label === undefined ? '' : check(siteFields.label, label, 'label');
    return this.writes.run(async () => {
      if (!this.sites.has(siteId)) throw notFound(`no site ${siteId}`);
      const token = randomBytes(32).toString('base64url');
      const link: StoredLink = {
        id: randomUUID(),
        siteId,
        label: text === '' ? null : text,
        tokenHash: digest(token),
        createdAt: new Date().toISOString(),
      };
      await this.db.run('INSERT INTO share_links VALUES ($1, $2, $3, $4, $5::TIMESTAMP)', [
        link.id,
        link.siteId,
        link.label,
        link.tokenHash,
        link.createdAt,
      ]);
      this.links.set(link.tokenHash, link);
      return { id: link.id, token, label: link.label, createdAt: link.createdAt };
    });
  }

  /** The site's links without tokens, oldest first. */
  listShareLinks(siteId: string): ShareLink[] {
    return [...this.links.values()]
      .filter((l) => l.siteId === siteId)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id))
      .map(({ id, label, createdAt }) => ({ id, label, createdAt }));
  }

  /** False when the site has no such link. */
  revokeShareLink(siteId: string, linkId: string): Promise<boolean> {
    return this.writes.run(async () => {
      const entry = [...this.links.values()].find((l) => l.id === linkId && l.siteId === siteId);
      if (!entry) return false;
      await this.db.run('DELETE FROM share_links WHERE id = $1', [linkId]);
      this.links.delete(entry.tokenHash);
      return true;
    });
  }

  /** The site a share token opens; undefined when malformed, unknown or revoked. */
  siteForShareToken(token: string): string | undefined {
    if (!SHARE_TOKEN.test(token)) return undefined;
    return this.links.get(digest(token))?.siteId;
  }

  private transaction(statements: [string, (string | null)[]][]): Promise<void> {
    return this.db.transaction(statements);
  }
}

/**
 * Applies the sites of the config file: new ones are created, existing ones get the fields
 * the file sets (the file wins for those; the others keep their stored values).
 */
export async function applyConfiguredSites(registry: SiteRegistry, configured: readonly SiteInput[]): Promise<void> {
  for (const input of configured) {
    if (!registry.has(input.id)) {
      await registry.create(input);
      continue;
    }
    const patch: Partial<SiteInput> = {};
    if (input.origins !== undefined) patch.origins = input.origins;
    if (input.timezone !== undefined) patch.timezone = input.timezone;
    if (input.rateLimit !== undefined) patch.rateLimit = input.rateLimit;
    if (input.signingSecret !== undefined) patch.signingSecret = input.signingSecret;
    if (input.shields !== undefined) patch.shields = input.shields;
    if (Object.keys(patch).length > 0) await registry.update(input.id, patch);
  }
}
