/**
 * The `Origin` check of POST /api/event: a site that lists origins accepts browser events
 * only from those. Both sides are compared as normalized origins (`scheme://host[:port]`,
 * lower case, no default port); a request without an `Origin` header (a server) passes.
 */

/** `scheme://host[:port]` of an http(s) origin, or null (e.g. the opaque origin "null"). */
export function normalizeOrigin(value: string): string | null {
  if (!URL.canParse(value)) return null;
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || url.search || url.hash || url.pathname !== '/') return null;
  return url.origin;
}

/** True when the request's `Origin` header may send events for a site allowing `allowed` ([] = any). */
export function originAllowed(header: string | undefined, allowed: readonly string[]): boolean {
  if (header === undefined || allowed.length === 0) return true;
  const origin = normalizeOrigin(header);
  return origin !== null && allowed.some((a) => normalizeOrigin(a) === origin);
}
