/**
 * A hostname filter narrows the visits of a visit dimension to those that started (or, for
 * the exit page, ended) on that hostname, as in Plausible: with `event:hostname is
 * app.example.com`, a breakdown by source lists how people arrived at the app, not the
 * sources of visits that began on the blog and later reached the app (docs/METRICS.md,
 * "Hostnames"). Other dimensions keep the plain event filter.
 */
import type { StatsQuery } from './builder.js';
import { dimension } from './dimensions.js';
import type { Filter } from './filters.js';

const ENTRY_HOSTNAME = dimension('visit:entry_page_hostname');
const EXIT_HOSTNAME = dimension('visit:exit_page_hostname');

/** Visit dimensions read from the visit's first page → the hostname they are narrowed by. */
const NARROWED: Readonly<Record<string, typeof ENTRY_HOSTNAME>> = {
  'visit:source': ENTRY_HOSTNAME,
  'visit:referrer': ENTRY_HOSTNAME,
  'visit:entry_page': ENTRY_HOSTNAME,
  'visit:utm_source': ENTRY_HOSTNAME,
  'visit:utm_medium': ENTRY_HOSTNAME,
  'visit:utm_campaign': ENTRY_HOSTNAME,
  'visit:utm_content': ENTRY_HOSTNAME,
  'visit:utm_term': ENTRY_HOSTNAME,
  'visit:exit_page': EXIT_HOSTNAME,
};

/** The query with each top-level hostname filter repeated on the hostname its dimensions read. */
export function withHostnameVisits(query: StatsQuery): StatsQuery {
  const hostnames = query.filters.filter(
    (f): f is Extract<Filter, { kind: 'match' }> => f.kind === 'match' && f.dim.name === 'event:hostname',
  );
  if (hostnames.length === 0) return query;
  const targets = new Set(query.dimensions.flatMap((d) => NARROWED[d.name] ?? []));
  const extra = [...targets].flatMap((dim) => hostnames.map((f): Filter => ({ ...f, dim })));
  return extra.length === 0 ? query : { ...query, filters: [...query.filters, ...extra] };
}
