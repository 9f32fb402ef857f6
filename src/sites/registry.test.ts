/**
 * SiteRegistry against a real DuckDB file in a temp directory: validation, CRUD, share
 * links, and persistence proven by closing and reopening the database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { httpStatus } from '../http/errors.js';
import { Database } from '../storage/duckdb/database.js';
import { applyConfiguredSites, normalizeOrigin, normalizeTimeZone, SiteRegistry } from './registry.js';

const dirs: string[] = [];
const dbs: Database[] = [];

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mallard-sites-'));
  dirs.push(dir);
  return dir;
}

async function openDb(dir: string): Promise<Database> {
  const db = await Database.open(dir, undefined, 2);
  dbs.push(db);
  return db;
}

function closeDb(db: Database): void {
  dbs.splice(dbs.indexOf(db), 1);
  db.close();
}

async function fresh(): Promise<{ dir: string; db: Database; registry: SiteRegistry }> {
  const dir = tempDir();
  const db = await openDb(dir);
  return { dir, db, registry: await SiteRegistry.open(db) };
}

/** The DomainError a promise (or function) fails with. */
async function failure(fn: () => unknown): Promise<{ status: number; message: string }> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof DomainError) return { status: httpStatus(err), message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

const NONE = { ips: [], countries: [], pages: [], hostnames: [] };
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('normalizeOrigin', () => {
  it.each([
    ['https://example.com', 'https://example.com'],
    ['http://localhost:3000', 'http://localhost:3000'],
    ['https://Example.COM:443', 'https://example.com'],
    ['http://example.com:80', 'http://example.com'],
    ['https://example.com:8443', 'https://example.com:8443'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
    ['http://[::1]:8080', 'http://[::1]:8080'],
    ['http://127.0.0.1', 'http://127.0.0.1'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeOrigin(input)).toBe(expected);
  });

  it.each([
    'example.com',
    'https://example.com/',
    'https://example.com/path',
    'https://example.com?q=1',
    'https://example.com#x',
    'ftp://example.com',
    'https://user@example.com',
    'https://*.example.com',
    'https://a,b.com',
    'https://example.com.',
    'https://example.com:0',
    'https://example.com:99999',
    'null',
    '*',
    '',
  ])('rejects %j', (input) => {
    expect(normalizeOrigin(input)).toBeUndefined();
  });
});

describe('normalizeTimeZone', () => {
  it.each([
    ['UTC', 'UTC'],
    ['Europe/Berlin', 'Europe/Berlin'],
    ['europe/berlin', 'Europe/Berlin'],
    ['utc', 'UTC'],
    ['America/Argentina/Buenos_Aires', 'America/Argentina/Buenos_Aires'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['US/Pacific', 'US/Pacific'],
  ])('%s → %s', (input, expected) => {
    expect(normalizeTimeZone(input)).toBe(expected);
  });

  it.each(['Mars/Olympus_Mons', '+01:00', 'Europe/', '', 'Europe/Berlin; DROP'])('rejects %j', (input) => {
    expect(normalizeTimeZone(input)).toBeUndefined();
  });
});

describe('SiteRegistry', () => {
  it('creates sites with defaults and normalized fields, and reads them synchronously', async () => {
    const { registry } = await fresh();
    const a = await registry.create({ id: 'a.com' });
    expect(a).toEqual({
      id: 'a.com',
      origins: [],
      timezone: null,
      rateLimit: null,
      signingSecret: null,
      shields: NONE,
      demo: false,
      createdAt: a.createdAt,
    });
    expect(a.createdAt).toMatch(ISO);
    const b = await registry.create({
      id: 'b.example.org',
      origins: ['https://B.example.org:443', 'https://b.example.org', 'http://localhost:8080'],
      timezone: 'europe/berlin',
      rateLimit: 50,
      signingSecret: 'sixteen-chars-xx',
    });
    expect(b).toEqual({
      id: 'b.example.org',
      origins: ['https://b.example.org', 'http://localhost:8080'],
      timezone: 'Europe/Berlin',
      rateLimit: 50,
      signingSecret: 'sixteen-chars-xx',
      shields: NONE,
      demo: false,
      createdAt: b.createdAt,
    });
    expect(registry.get('b.example.org')).toEqual(b);
    expect(registry.get('c.com')).toBeUndefined();
    expect(registry.has('a.com')).toBe(true);
    expect(registry.has('c.com')).toBe(false);
    expect(registry.list().map((s) => s.id)).toEqual(['a.com', 'b.example.org']);
  });

  it('hands out frozen sites, so callers cannot change the registry by accident', async () => {
    const { registry } = await fresh();
    await registry.create({ id: 'a.com', origins: ['https://a.com'] });
    const site = registry.get('a.com');
    expect(() => {
      (site as { rateLimit: number | null }).rateLimit = 5;
    }).toThrow(TypeError);
    expect(() => site?.origins.push('https://evil.com')).toThrow(TypeError);
    expect(registry.get('a.com')?.origins).toEqual(['https://a.com']);
  });

  it.each([
    [{ id: 'Bad Site' }, 'id: not a valid site id'],
    [{ id: '' }, 'id: not a valid site id'],
    [
      { id: 'a.com', origins: ['https://a.com/path'] },
      'origins[0]: not an origin like https://example.com (http/https, no path)',
    ],
    [
      { id: 'a.com', origins: ['https://a.com', 'a.com'] },
      'origins[1]: not an origin like https://example.com (http/https, no path)',
    ],
    [{ id: 'a.com', origins: Array.from({ length: 51 }, (_, i) => `https://s${i}.a.com`) }, 'origins: at most 50 origins'],
    [{ id: 'a.com', timezone: 'Mars/Olympus_Mons' }, 'timezone: not an IANA time zone name like Europe/Berlin'],
    [{ id: 'a.com', rateLimit: 0 }, 'rateLimit: must be from 1 to 100000'],
    [{ id: 'a.com', rateLimit: 100_001 }, 'rateLimit: must be from 1 to 100000'],
    [{ id: 'a.com', rateLimit: 1.5 }, 'rateLimit: must be an integer'],
    [{ id: 'a.com', signingSecret: 'fifteen-chars-x' }, 'signingSecret: at least 16 characters'],
    [{ id: 'a.com', signingSecret: 'x'.repeat(257) }, 'signingSecret: at most 256 characters'],
  ])('refuses %j with 400', async (input, message) => {
    const { registry } = await fresh();
    expect(await failure(() => registry.create(input))).toEqual({ status: 400, message });
    expect(registry.list()).toEqual([]);
  });

  it('accepts the bounds: 50 origins, rate 1 and 100000, secrets of 16 and 256 characters', async () => {
    const { registry } = await fresh();
    const origins = Array.from({ length: 50 }, (_, i) => `https://s${i}.a.com`);
    expect((await registry.create({ id: 'a.com', origins, rateLimit: 1, signingSecret: 'x'.repeat(16) })).origins).toHaveLength(
      50,
    );
    const b = await registry.create({ id: 'b.com', rateLimit: 100_000, signingSecret: 'y'.repeat(256) });
    expect([b.rateLimit, b.signingSecret?.length]).toEqual([100_000, 256]);
  });

  it('answers 409 for an existing id, also when two creates race', async () => {
    const { registry } = await fresh();
    await registry.create({ id: 'a.com' });
    expect(await failure(() => registry.create({ id: 'a.com' }))).toEqual({ status: 409, message: 'site a.com already exists' });
    const results = await Promise.allSettled([registry.create({ id: 'b.com' }), registry.create({ id: 'b.com' })]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(registry.list().map((s) => s.id)).toEqual(['a.com', 'b.com']);
  });

  it('updates only the fields a patch names; null clears', async () => {
    const { registry } = await fresh();
    const created = await registry.create({
      id: 'a.com',
      origins: ['https://a.com'],
      timezone: 'UTC',
      rateLimit: 10,
      signingSecret: 'sixteen-chars-xx',
    });
    const one = await registry.update('a.com', { rateLimit: 20 });
    expect(one).toEqual({ ...created, rateLimit: 20 });
    const two = await registry.update('a.com', { origins: [], timezone: null, signingSecret: null });
    expect(two).toEqual({ ...created, rateLimit: 20, origins: [], timezone: null, signingSecret: null });
    expect(await registry.update('a.com', {})).toEqual(two);
    expect(await registry.update('a.com', { id: 'a.com', timezone: 'Asia/Tokyo' })).toEqual({ ...two, timezone: 'Asia/Tokyo' });
    expect(registry.get('a.com')).toEqual({ ...two, timezone: 'Asia/Tokyo' });
  });

  it('refuses updates of a missing site (404), a new id and invalid fields (400)', async () => {
    const { registry } = await fresh();
    await registry.create({ id: 'a.com', rateLimit: 10 });
    expect(await failure(() => registry.update('b.com', { rateLimit: 5 }))).toEqual({ status: 404, message: 'no site b.com' });
    expect(await failure(() => registry.update('a.com', { id: 'b.com' }))).toEqual({
      status: 400,
      message: 'id: cannot be changed',
    });
    expect(await failure(() => registry.update('a.com', { rateLimit: -1 }))).toEqual({
      status: 400,
      message: 'rateLimit: must be from 1 to 100000',
    });
    expect(registry.get('a.com')?.rateLimit).toBe(10);
  });

  it('sets shields normalized, keeps them when a patch leaves them out, clears them with null', async () => {
    const { registry } = await fresh();
    const a = await registry.create({ id: 'a.com', shields: { countries: ['xx'], hostnames: ['WWW.a.com', '*.a.com'] } });
    expect(a.shields).toEqual({ ips: [], countries: ['XX'], pages: [], hostnames: ['a.com', '*.a.com'] });
    const b = await registry.update('a.com', { rateLimit: 5 });
    expect(b.shields).toBe(a.shields);
    const c = await registry.update('a.com', { shields: { ips: ['2001:DB8::/32', '192.0.2.1'], pages: ['/admin/*'] } });
    expect(c.shields).toEqual({ ips: ['2001:db8::/32', '192.0.2.1'], countries: [], pages: ['/admin/*'], hostnames: [] });
    expect((await registry.update('a.com', { shields: null })).shields).toEqual(NONE);
    expect((await registry.update('a.com', { shields: { pages: ['/x'] } })).shields.pages).toEqual(['/x']);
    expect((await registry.update('a.com', { shields: {} })).shields).toEqual(NONE);
  });

  it.each([
    [{ ips: ['192.0.2.1', '192.0.2.0/33'] }, 'shields.ips[1]: not an IP address or CIDR'],
    [{ countries: ['DEU'] }, 'shields.countries[0]: not a 2-letter country code'],
    [{ pages: ['admin'] }, 'shields.pages[0]: not a path pattern starting with / (at most 500 characters)'],
    [{ hostnames: ['a.com', 'a b.com'] }, 'shields.hostnames[1]: not a hostname like example.com or *.example.com'],
    [{ ip: [] }, 'shields.ip: unknown field'],
  ])('refuses shields %j (400) and keeps the stored ones', async (shields, message) => {
    const { registry } = await fresh();
    await registry.create({ id: 'a.com', shields: { countries: ['XX'] } });
    expect(await failure(() => registry.update('a.com', { shields: shields as never }))).toEqual({ status: 400, message });
    expect(registry.get('a.com')?.shields.countries).toEqual(['XX']);
  });

  it('removes a site with its share links', async () => {
    const { registry } = await fresh();
    await registry.create({ id: 'a.com' });
    await registry.create({ id: 'b.com' });
    const linkA = await registry.createShareLink('a.com');
    const linkB = await registry.createShareLink('b.com');
    expect(await registry.remove('a.com')).toBe(true);
    expect(await registry.remove('a.com')).toBe(false);
    expect(registry.has('a.com')).toBe(false);
    expect(registry.siteForShareToken(linkA.token)).toBeUndefined();
    expect(registry.listShareLinks('a.com')).toEqual([]);
    expect(registry.siteForShareToken(linkB.token)).toBe('b.com');
    // the id can be registered again, without the old links
    await registry.create({ id: 'a.com' });
    expect(registry.listShareLinks('a.com')).toEqual([]);
  });

  it('creates share links with a 256-bit token shown once, lists them without it, and revokes them', async () => {
    const { registry } = await fresh();
    await registry.create({ id: 'a.com' });
    await registry.create({ id: 'b.com' });
    const one = await registry.createShareLink('a.com', '  Team board  ');
    const two = await registry.createShareLink('a.com');
    expect(one.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(one.token, 'base64url')).toHaveLength(32);
    expect(one.token).not.toBe(two.token);
    expect(one.id).toMatch(/^[0-9a-f-]{36}$/);
    expect([one.label, two.label]).toEqual(['Team board', null]);
    expect(one.createdAt).toMatch(ISO);
    expect(registry.listShareLinks('a.com')).toEqual([
      { id: one.id, label: 'Team board', createdAt: one.createdAt },
      { id: two.id, label: null, createdAt: two.createdAt },
    ]);
    expect(registry.listShareLinks('b.com')).toEqual([]);
    expect(registry.siteForShareToken(one.token)).toBe('a.com');
    // One character changed (to one it is not: a 256-bit token's last character is 'A' one time in 16).
    const changed = `${one.token.slice(0, 42)}${one.token.endsWith('A') ? 'E' : 'A'}`;
    expect(changed).not.toBe(one.token);
    expect(registry.siteForShareToken(changed)).toBeUndefined();
    expect(registry.siteForShareToken('')).toBeUndefined();
    expect(registry.siteForShareToken(`mm_${one.token}`)).toBeUndefined();

    expect(await registry.revokeShareLink('b.com', one.id)).toBe(false); // another site's link
    expect(registry.siteForShareToken(one.token)).toBe('a.com');
    expect(await registry.revokeShareLink('a.com', one.id)).toBe(true);
    expect(await registry.revokeShareLink('a.com', one.id)).toBe(false);
    expect(registry.siteForShareToken(one.token)).toBeUndefined();
    expect(registry.siteForShareToken(two.token)).toBe('a.com');
    expect(registry.listShareLinks('a.com')).toEqual([{ id: two.id, label: null, createdAt: two.createdAt }]);
  });

  it('refuses share links for an unknown site (404) and labels over 100 characters (400)', async () => {
    const { registry } = await fresh();
    await registry.create({ id: 'a.com' });
    expect(await failure(() => registry.createShareLink('b.com'))).toEqual({ status: 404, message: 'no site b.com' });
    expect(await failure(() => registry.createShareLink('a.com', 'x'.repeat(101)))).toEqual({
      status: 400,
      message: 'label: at most 100 characters',
    });
    expect((await registry.createShareLink('a.com', 'x'.repeat(100))).label).toHaveLength(100);
  });

  it('keeps sites, links and revocations across a reopen of the database file', async () => {
    const { dir, db, registry } = await fresh();
    const a = await registry.create({
      id: 'a.com',
      origins: ['https://a.com', 'https://www.a.com'],
      timezone: 'Europe/Paris',
      rateLimit: 7,
      signingSecret: 'a-secret-of-16-chars',
    });
    const b = await registry.create({ id: 'b.com' });
    await registry.create({ id: 'gone.com' });
    await registry.update('b.com', { rateLimit: 3, shields: { ips: ['203.0.113.0/24'], hostnames: ['*.b.com'] } });
    const kept = await registry.createShareLink('a.com', 'public');
    const revoked = await registry.createShareLink('a.com');
    await registry.revokeShareLink('a.com', revoked.id);
    const orphan = await registry.createShareLink('gone.com');
    await registry.remove('gone.com');
    closeDb(db);

    const again = await SiteRegistry.open(await openDb(dir));
    expect(again.list()).toEqual([
      a,
      { ...b, rateLimit: 3, shields: { ips: ['203.0.113.0/24'], countries: [], pages: [], hostnames: ['*.b.com'] } },
    ]);
    expect(again.siteForShareToken(kept.token)).toBe('a.com');
    expect(again.siteForShareToken(revoked.token)).toBeUndefined();
    expect(again.siteForShareToken(orphan.token)).toBeUndefined();
    expect(again.listShareLinks('a.com')).toEqual([{ id: kept.id, label: 'public', createdAt: kept.createdAt }]);
  });

  it('stores only the SHA-256 of share tokens', async () => {
    const { db, registry } = await fresh();
    await registry.create({ id: 'a.com' });
    const link = await registry.createShareLink('a.com');
    const rows = await db.all<Record<string, unknown>>('SELECT * FROM share_links');
    expect(JSON.stringify(rows, (_k, v) => (v instanceof Date ? v.toISOString() : v))).not.toContain(link.token);
    const { createHash } = await import('node:crypto');
    expect(rows.map((r) => r.token_hash)).toEqual([createHash('sha256').update(link.token).digest('hex')]);
  });

  it('upgrades a database made before sites existed (migration 1 only)', async () => {
    const dir = tempDir();
    const instance = await DuckDBInstance.create(join(dir, 'mallard.duckdb'));
    const conn = await instance.connect();
    await conn.run('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMP NOT NULL)');
    await conn.run('CREATE TABLE settings (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)');
    await conn.run(`CREATE TABLE api_keys (
       id VARCHAR PRIMARY KEY, name VARCHAR NOT NULL, scope VARCHAR NOT NULL, sites VARCHAR[],
       key_hash VARCHAR NOT NULL UNIQUE, created_at TIMESTAMP NOT NULL, last_used_at TIMESTAMP)`);
    await conn.run("INSERT INTO settings VALUES ('k', 'v')");
    await conn.run('INSERT INTO schema_migrations VALUES (1, now())');
    conn.closeSync();
    instance.closeSync();

    const db = await openDb(dir);
    const registry = await SiteRegistry.open(db);
    expect(registry.list()).toEqual([]);
    await registry.create({ id: 'a.com' });
    expect(await db.all('SELECT version FROM schema_migrations ORDER BY version')).toEqual([
      { version: 1 },
      { version: 2 },
      { version: 3 },
      { version: 4 },
      { version: 5 },
      { version: 6 },
      { version: 7 },
      { version: 8 },
    ]);
    expect(await db.all('SELECT value FROM settings')).toEqual([{ value: 'v' }]);
  });
});

describe('applyConfiguredSites', () => {
  it('creates new sites and overwrites only the fields the file sets', async () => {
    const { registry } = await fresh();
    const existing = await registry.create({
      id: 'a.com',
      origins: ['https://a.com'],
      timezone: 'UTC',
      rateLimit: 10,
      signingSecret: 'stored-secret-0001',
    });
    await applyConfiguredSites(registry, [
      { id: 'a.com', rateLimit: 99, origins: ['https://www.a.com'] },
      { id: 'b.com', timezone: 'Asia/Tokyo' },
      { id: 'c.com', shields: { pages: ['/admin/*'] } },
    ]);
    expect(registry.get('a.com')).toEqual({ ...existing, rateLimit: 99, origins: ['https://www.a.com'] });
    const b = registry.get('b.com');
    expect(b).toEqual({
      id: 'b.com',
      origins: [],
      timezone: 'Asia/Tokyo',
      rateLimit: null,
      signingSecret: null,
      shields: NONE,
      demo: false,
      createdAt: b?.createdAt,
    });
    // applying the same file again changes nothing
    const c = registry.get('c.com');
    expect(c?.shields).toEqual({ ...NONE, pages: ['/admin/*'] });
    await applyConfiguredSites(registry, [{ id: 'a.com', rateLimit: 99 }, { id: 'b.com' }, { id: 'c.com' }]);
    expect(registry.list()).toEqual([{ ...existing, rateLimit: 99, origins: ['https://www.a.com'] }, b, c]);
  });
});
