/**
 * Segments: named filter sets saved per site (`segments` table of the metadata database).
 * The filters are checked at save time by the stats routes' own parser (query/filters.ts),
 * so a saved segment is always one the stats routes accept; they are stored as sent and
 * returned as sent. Reads go to the database every time (no copy in memory): removing a
 * site deletes its segments there (registry.ts), and nothing here could miss that.
 */
import { randomUUID } from 'node:crypto';
import { conflict, invalidInput } from '../errors.js';
import { parseFilters } from '../query/filters.js';
import type { MetadataDb } from '../storage/metadata.js';
import { WriteQueue } from './write-queue.js';

export interface Segment {
  id: string;
  name: string;
  /** Plausible v2 filter expressions, as saved. */
  filters: unknown[];
}

export const SEGMENT_NAME_MAX = 100;
export const MAX_SEGMENTS_PER_SITE = 100;
/** A saved filter list as JSON text: the parser's own limits allow far more than a dashboard ever sends. */
export const SEGMENT_FILTERS_MAX_CHARS = 20_000;

const SEGMENT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Whether `id` has the shape of a segment id (a UUID as `randomUUID` writes it). */
export const isSegmentId = (id: unknown): id is string => typeof id === 'string' && SEGMENT_ID.test(id);

/** Names compare without case and surrounding space: "Mobile" and " mobile" are one name. */
const nameKey = (name: string) => name.toLowerCase();

function checkName(value: unknown): string {
  if (value === undefined || value === null) throw invalidInput('name: required');
  if (typeof value !== 'string') throw invalidInput('name: must be a string');
  const name = value.trim();
  if (name.length === 0 || name.length > SEGMENT_NAME_MAX) throw invalidInput(`name: 1 to ${SEGMENT_NAME_MAX} characters`);
  return name;
}

function checkFilters(value: unknown): unknown[] {
  if (value === undefined || value === null) throw invalidInput('filters: required');
  if (!Array.isArray(value)) throw invalidInput('filters: must be a list of filters');
  if (value.length === 0) throw invalidInput('filters: must hold at least one filter');
  parseFilters(value, 'filters');
  if (JSON.stringify(value).length > SEGMENT_FILTERS_MAX_CHARS) {
    throw invalidInput(`filters: at most ${SEGMENT_FILTERS_MAX_CHARS} characters as JSON`);
  }
  return value;
}

const fromRow = (r: Record<string, unknown>): Segment => ({
  id: String(r.id),
  name: String(r.name),
  filters: JSON.parse(String(r.filters)) as unknown[],
});

export class Segments {
  private readonly writes = new WriteQueue();

  constructor(private readonly db: MetadataDb) {}

  /** The site's segments by name (ignoring case), then id. */
  async list(siteId: string): Promise<Segment[]> {
    const rows = await this.db.all<Record<string, unknown>>('SELECT id, name, filters FROM segments WHERE site_id = $1', [
      siteId,
    ]);
    return rows.map(fromRow).sort((a, b) => {
      const x = nameKey(a.name);
      const y = nameKey(b.name);
      return x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
    });
  }

  /** The site's segment `id`; undefined when the site has none such (another site's id included). */
  async get(siteId: string, id: string): Promise<Segment | undefined> {
    if (!isSegmentId(id)) return undefined;
    const rows = await this.db.all<Record<string, unknown>>(
      'SELECT id, name, filters FROM segments WHERE site_id = $1 AND id = $2',
      [siteId, id],
    );
    return rows[0] === undefined ? undefined : fromRow(rows[0]);
  }

  /** Saves a segment; 400 naming a bad field, 409 for a name the site already uses or a full site. */
  async create(siteId: string, input: { name: unknown; filters: unknown }): Promise<Segment> {
    const segment: Segment = { id: randomUUID(), name: checkName(input.name), filters: checkFilters(input.filters) };
    return this.writes.run(async () => {
      const existing = await this.list(siteId);
      if (existing.some((s) => nameKey(s.name) === nameKey(segment.name))) {
        throw conflict(`name: the site already has a segment named "${segment.name}"`);
      }
      if (existing.length >= MAX_SEGMENTS_PER_SITE) {
        throw conflict(`the site already has ${MAX_SEGMENTS_PER_SITE} segments, the most it may have; delete one first`);
      }
      await this.db.run('INSERT INTO segments (id, site_id, name, filters, created_at) VALUES ($1, $2, $3, $4, $5::TIMESTAMP)', [
        segment.id,
        siteId,
        segment.name,
        JSON.stringify(segment.filters),
        new Date().toISOString(),
      ]);
      return segment;
    });
  }

  /** False when the site has no such segment. */
  remove(siteId: string, id: string): Promise<boolean> {
    return this.writes.run(async () => {
      if (!(await this.get(siteId, id))) return false;
      await this.db.run('DELETE FROM segments WHERE site_id = $1 AND id = $2', [siteId, id]);
      return true;
    });
  }
}
