/**
 * The one place a stats request's filters are resolved: the saved segment it names with
 * `segment` (always the request's own site's: another site's id is unknown here), and-ed
 * with the filters it sends itself. Every stats route, export and POST /api/v2/query come
 * through here, so a segment means the same everywhere.
 */
import { invalidInput, notFound } from '../errors.js';
import { isSegmentId } from '../sites/segments.js';
import { toV2Name } from './dimensions.js';
import { type Filter, parseFilters } from './filters.js';

/** The saved filters of a site's segment; undefined when the site has no such segment. */
export interface SegmentLookup {
  get(siteId: string, id: string): Promise<{ filters: unknown[] } | undefined>;
}

/** The filters of the segment `param` names (none when it is absent); 400/404 naming `segment`. */
export async function segmentFilters(segments: SegmentLookup, siteId: string, param: unknown): Promise<Filter[]> {
  if (param === undefined || param === null || param === '') return [];
  if (!isSegmentId(param)) throw invalidInput('segment: not a valid segment id');
  const segment = await segments.get(siteId, param);
  if (!segment) throw notFound(`segment: no segment ${param} on site ${siteId}`);
  // Checked when saved; parsed again because the parser, not the stored text, is the contract.
  return parseFilters(segment.filters, 'segment');
}

/**
 * Plausible's segment filter in a v2 body's top level, `["is", "segment", [id, …]]`: replaced by
 * the saved filters of the site's segments (one id: and-ed with the rest; several: any of them),
 * so the parser and the echo see plain filters. An id that is not one of this site's segments
 * is refused in Plausible's words, whichever site it belongs to.
 */
export async function expandSegmentFilters(segments: SegmentLookup, siteId: string, filters: unknown): Promise<unknown> {
  if (!Array.isArray(filters)) return filters;
  const out: unknown[] = [];
  for (const [i, f] of filters.entries()) {
    if (!Array.isArray(f) || f[1] !== 'segment') {
      out.push(f);
      continue;
    }
    const [op, , ids] = f as unknown[];
    if (op !== 'is' || !Array.isArray(ids) || ids.length === 0 || ids.length > 10) {
      throw invalidInput(`filters[${i}]: a segment filter is ["is", "segment", [1 to 10 segment ids]]`);
    }
    const saved: unknown[][] = [];
    for (const id of ids) {
      const segment = isSegmentId(id) ? await segments.get(siteId, id) : undefined;
      if (!segment) throw invalidInput(`filters[${i}]: Invalid filters. Some segments don't exist or aren't accessible.`);
      saved.push(segment.filters.map(inV2Names));
    }
    if (saved.length === 1) out.push(...(saved[0] ?? []));
    else out.push(['or', saved.map((s) => ['and', s])]);
  }
  return out;
}

/**
 * A saved filter (named as the dashboard and the GET routes name dimensions) as the v2 body
 * names them, where it goes: a region or city by name is `visit:region_name`,
 * `visit:city_name` there (dimensions.ts, V2_NAMES). Anything malformed is left to the parser.
 */
export function inV2Names(f: unknown): unknown {
  if (!Array.isArray(f) || f.length < 2) return f;
  const [op, arg, ...rest] = f as unknown[];
  if (typeof arg === 'string') return [op, toV2Name(arg), ...rest];
  if ((op === 'and' || op === 'or') && Array.isArray(arg)) return [op, arg.map(inV2Names), ...rest];
  return [op, inV2Names(arg), ...rest];
}

/** A segment's filters and the request's own, all of which must hold (the top level of a filter list is and-ed). */
export const andFilters = (segment: readonly Filter[], own: readonly Filter[]): Filter[] => [...segment, ...own];
