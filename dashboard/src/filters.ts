/**
 * Dashboard filters: Plausible v2 filter expressions (`["is", "event:page", ["/pricing"]]`)
 * kept as the `filters` query parameter of both the page URL and every API call. Clicking
 * a breakdown row adds one; a chip removes it.
 */

export type Filter = [op: string, dimension: string, values: string[]] | unknown[];

const LABELS: Record<string, string> = {
  'event:page': 'Page',
  'event:hostname': 'Hostname',
  'event:goal': 'Goal',
  'event:name': 'Event',
  'visit:entry_page': 'Entry page',
  'visit:exit_page': 'Exit page',
  'visit:source': 'Source',
  'visit:referrer': 'Referrer',
  'visit:channel': 'Channel',
  'visit:utm_source': 'UTM source',
  'visit:utm_medium': 'UTM medium',
  'visit:utm_campaign': 'UTM campaign',
  'visit:utm_content': 'UTM content',
  'visit:utm_term': 'UTM term',
  'visit:browser': 'Browser',
  'visit:browser_version': 'Browser version',
  'visit:os': 'OS',
  'visit:os_version': 'OS version',
  'visit:device': 'Device',
  'visit:screen': 'Screen size',
  'visit:country': 'Country',
  'visit:region': 'Region',
  'visit:city': 'City',
};

const OPS: Record<string, string> = {
  is: 'is',
  is_not: 'is not',
  contains: 'contains',
  contains_not: 'does not contain',
  matches: 'matches',
  matches_not: 'does not match',
};

/** A simple `[op, dimension, values]` filter, or null for and/or/not trees. */
export function simple(f: Filter): [string, string, string[]] | null {
  const [op, dim, values] = f;
  if (typeof op !== 'string' || typeof dim !== 'string' || !Array.isArray(values)) return null;
  return values.every((v) => typeof v === 'string') ? [op, dim, values as string[]] : null;
}

export function dimensionLabel(dim: string): string {
  if (dim.startsWith('event:props:')) return `Property ${dim.slice('event:props:'.length)}`;
  return LABELS[dim] ?? dim;
}

let regionNames: Intl.DisplayNames | null | undefined;
/** "DE" → "Germany" (offline, from the browser's own data); anything else unchanged. */
export function countryName(code: string): string {
  if (!/^[A-Z]{2}$/.test(code)) return code;
  if (regionNames === undefined) {
    try {
      regionNames = new Intl.DisplayNames(undefined, { type: 'region' });
    } catch {
      regionNames = null;
    }
  }
  return regionNames?.of(code) ?? code;
}

export function valueLabel(dim: string, value: string): string {
  return dim === 'visit:country' ? countryName(value) : value;
}

/** The chip text: "Page is /pricing", "Country is Germany or France". */
export function filterLabel(f: Filter): string {
  const s = simple(f);
  if (!s) return JSON.stringify(f);
  const [op, dim, values] = s;
  return `${dimensionLabel(dim)} ${OPS[op] ?? op} ${values.map((v) => valueLabel(dim, v)).join(' or ')}`;
}

/** Filters from the URL parameter; anything unparsable is dropped rather than sent. */
export function parseFilters(param: string | null): Filter[] {
  if (!param) return [];
  try {
    const parsed: unknown = JSON.parse(param);
    return Array.isArray(parsed) ? parsed.filter((f): f is Filter => Array.isArray(f)) : [];
  } catch {
    return [];
  }
}

/** Adds `dim is value`, replacing an earlier filter on the same dimension. */
export function withFilter(filters: Filter[], dim: string, value: string): Filter[] {
  return [...filters.filter((f) => simple(f)?.[1] !== dim), ['is', dim, [value]]];
}

export const encodeFilters = (filters: Filter[]): string | undefined =>
  filters.length > 0 ? JSON.stringify(filters) : undefined;

/** The `filters=` text when it is not a list of filters (router.ts `unreadFilters`), else undefined. */
export function unreadable(param: string | null): string | undefined {
  if (!param) return undefined;
  try {
    const parsed: unknown = JSON.parse(param);
    if (Array.isArray(parsed) && parsed.every(Array.isArray)) return undefined;
  } catch {}
  return param;
}

/** The `filters` parameter of a query: the unreadable text as it came, or the filters. */
export const filtersParam = (q: { filters: Filter[]; unreadFilters?: string }) => q.unreadFilters ?? encodeFilters(q.filters);
