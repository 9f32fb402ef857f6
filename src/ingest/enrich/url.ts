/**
 * Page URL → hostname, pathname and UTM tags (docs/DATA.md §4, field `u`).
 *
 * Why it exists: the full URL is not stored; the dashboard groups by hostname and
 * pathname and attributes visits by `utm_*`. Normalizing here keeps one page one row:
 * the hostname is lower case without `www.`, the pathname is percent-decoded (so
 * `/caf%C3%A9` and `/café` are one page), the query string is dropped, and the
 * `#fragment` is kept only for hash-routed sites (`h: 1`), as Plausible does.
 * Like Plausible, `ref` stands in for `utm_source` when that is absent.
 */

export interface PageUrl {
  hostname: string;
  pathname: string;
  utm: {
    source: string | null;
    medium: string | null;
    campaign: string | null;
    content: string | null;
    term: string | null;
  };
}

/** Lower case, no trailing dot, no leading `www.`. */
export function normalizeHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/\.$/, '')
    .replace(/^www\./, '');
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function param(q: URLSearchParams, name: string): string | null {
  const v = q.get(name)?.trim();
  return v ? v : null;
}

/** Null when the URL does not parse or is not http(s). */
export function parsePageUrl(u: string, hashMode: boolean): PageUrl | null {
  let url: URL;
  try {
    url = new URL(u.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  const hostname = normalizeHost(url.hostname);
  if (hostname === '') return null;
  let pathname = decode(url.pathname) || '/';
  if (hashMode && url.hash.length > 1) pathname += decode(url.hash);
  const q = url.searchParams;
  return {
    hostname,
    pathname,
    utm: {
      source: param(q, 'utm_source') ?? param(q, 'ref'),
      medium: param(q, 'utm_medium'),
      campaign: param(q, 'utm_campaign'),
      content: param(q, 'utm_content'),
      term: param(q, 'utm_term'),
    },
  };
}
