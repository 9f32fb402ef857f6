/**
 * Segments against a real DuckDB metadata database in a temp directory, and the one
 * resolver of a request's filters (query/request-filters.ts) over it: names, limits,
 * one site's segments invisible to another, concurrent saves, and what a segment turns into.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { httpStatus } from '../http/errors.js';
import { parseFilters } from '../query/filters.js';
import { andFilters, segmentFilters } from '../query/request-filters.js';
import { Database } from '../storage/duckdb/database.js';
import { MAX_SEGMENTS_PER_SITE, Segments } from './segments.js';

const dirs: string[] = [];
const dbs: Database[] = [];

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function fresh(): Promise<Segments> {
  const dir = mkdtempSync(join(tmpdir(), 'mallard-segments-'));
  dirs.push(dir);
  const db = await Database.open(dir, undefined, 2);
  dbs.push(db);
  return new Segments(db);
}

async function failure(fn: () => unknown): Promise<{ status: number; message: string }> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof DomainError) return { status: httpStatus(err), message: err.message };
    throw err;
  }
  throw new Error('expected a failure');
}

const US = [['is', 'visit:country', ['US']]];
const PAGE = [['contains', 'event:page', ['/blog'], { case_sensitive: false }]];

describe('Segments', () => {
  it('saves, lists by name ignoring case, finds only within the site, removes', async () => {
    const s = await fresh();
    const b = await s.create('a.test', { name: 'blog', filters: PAGE });
    const a = await s.create('a.test', { name: ' Americans ', filters: US });
    const other = await s.create('b.test', { name: 'blog', filters: US });
    expect(a).toEqual({ id: expect.any(String), name: 'Americans', filters: US });
    expect(await s.list('a.test')).toEqual([a, b]);
    expect(await s.get('a.test', b.id)).toEqual(b);
    expect(await s.get('a.test', other.id)).toBeUndefined();
    expect(await s.get('a.test', 'not-an-id')).toBeUndefined();
    expect(await s.remove('a.test', other.id)).toBe(false);
    expect(await s.remove('a.test', b.id)).toBe(true);
    expect(await s.list('a.test')).toEqual([a]);
    expect(await s.list('b.test')).toEqual([other]);
  });

  it('lets one of two concurrent saves of a name through', async () => {
    const s = await fresh();
    const results = await Promise.allSettled([
      s.create('a.test', { name: 'Same', filters: US }),
      s.create('a.test', { name: 'same', filters: PAGE }),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected']);
    expect(await s.list('a.test')).toHaveLength(1);
  });

  it(`holds at most ${MAX_SEGMENTS_PER_SITE} per site`, async () => {
    const s = await fresh();
    for (let i = 0; i < MAX_SEGMENTS_PER_SITE; i++) await s.create('a.test', { name: `s${i}`, filters: US });
    expect(await failure(() => s.create('a.test', { name: 'one more', filters: US }))).toEqual({
      status: 409,
      message: `the site already has ${MAX_SEGMENTS_PER_SITE} segments, the most it may have; delete one first`,
    });
    expect((await s.create('b.test', { name: 'elsewhere', filters: US })).name).toBe('elsewhere');
  });
});

describe('segmentFilters', () => {
  it('turns a site’s segment into the parsed filters, and-ed before the request’s own', async () => {
    const s = await fresh();
    const seg = await s.create('a.test', { name: 'US', filters: US });
    const own = parseFilters(PAGE);
    const resolved = await segmentFilters(s, 'a.test', seg.id);
    expect(resolved).toEqual(parseFilters(US));
    expect(andFilters(resolved, own)).toEqual(parseFilters([...US, ...PAGE]));
  });

  it.each([
    [undefined, []],
    ['', []],
  ])('no segment for %j', async (param, expected) => {
    expect(await segmentFilters(await fresh(), 'a.test', param)).toEqual(expected);
  });

  it('400 for a malformed id, 404 for another site’s', async () => {
    const s = await fresh();
    const seg = await s.create('b.test', { name: 'US', filters: US });
    expect(await failure(() => segmentFilters(s, 'a.test', 'x'))).toEqual({
      status: 400,
      message: 'segment: not a valid segment id',
    });
    expect(await failure(() => segmentFilters(s, 'a.test', seg.id))).toEqual({
      status: 404,
      message: `segment: no segment ${seg.id} on site a.test`,
    });
  });
});
