/**
 * A site's shields, the traffic it excludes (docs/API.md, "Shields"): client IPs and CIDRs,
 * countries, page path patterns, and the hostnames it accepts. This module validates and
 * normalizes the four lists, as the API, the config file and the stored JSON spell them;
 * matching events against them is src/ingest/guards/shields.ts.
 */
import { isIP } from 'node:net';
import { z } from 'zod';

export interface Shields {
  /** IPv4/IPv6 addresses and CIDRs, as given (IPv6 lower-cased). */
  readonly ips: readonly string[];
  /** ISO 3166-1 alpha-2 codes, upper case. */
  readonly countries: readonly string[];
  /** Path patterns starting with `/`; `*` matches any run of characters. */
  readonly pages: readonly string[];
  /** Allowed hostnames, lower case without `www.`; `*.example.com` = its subdomains. [] = any hostname. */
  readonly hostnames: readonly string[];
}

export const MAX_SHIELD_ENTRIES = 500;
const PAGE_MAX = 500;

export const NO_SHIELDS: Shields = Object.freeze({
  ips: Object.freeze([]),
  countries: Object.freeze([]),
  pages: Object.freeze([]),
  hostnames: Object.freeze([]),
}) as Shields;

const LABELS = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** An address or CIDR with a prefix length the family allows; normalized, or undefined when invalid. */
export function normalizeIpRule(value: string): string | undefined {
  const text = value.trim();
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const family = isIP(addr);
  if (family === 0 || addr.includes('%')) return undefined;
  if (slash >= 0) {
    const bits = text.slice(slash + 1);
    if (!/^\d{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return undefined;
  }
  return family === 6 ? text.toLowerCase() : text;
}

/**
 * A hostname as page URLs give it once stored (src/ingest/enrich/url.ts): lower case, IDN as
 * punycode, no trailing dot and no leading `www.`; `*.` kept in front. Undefined when invalid.
 */
export function normalizeHostnameRule(value: string): string | undefined {
  let text = value.trim().toLowerCase();
  const wildcard = text.startsWith('*.');
  if (wildcard) text = text.slice(2);
  if (text.length === 0 || text.length > 253 || /[/:@?#\s\\[\]*]/.test(text)) return undefined;
  let host: string;
  try {
    host = new URL(`http://${text}/`).hostname;
  } catch {
    return undefined;
  }
  host = host.replace(/\.$/, '');
  if (!wildcard) host = host.replace(/^www\./, '');
  if (!LABELS.test(host)) return undefined;
  return wildcard ? `*.${host}` : host;
}

/** A list of at most MAX_SHIELD_ENTRIES strings, each normalized (duplicates dropped). */
const list = (normalize: (v: string) => string | undefined, problem: string) =>
  z
    .array(
      z.string({ error: 'must be a string' }).transform((v, ctx) => {
        const n = normalize(v);
        if (n === undefined) {
          ctx.addIssue({ code: 'custom', message: problem });
          return z.NEVER;
        }
        return n;
      }),
      { error: 'must be an array of strings' },
    )
    .max(MAX_SHIELD_ENTRIES, `at most ${MAX_SHIELD_ENTRIES} entries`)
    .transform((l) => [...new Set(l)]);

/** The shields object: missing lists are empty; unknown keys are refused. */
export const shieldsField = z
  .strictObject(
    {
      ips: list(normalizeIpRule, 'not an IP address or CIDR').optional(),
      countries: list(
        (v) => (/^[A-Za-z]{2}$/.test(v.trim()) ? v.trim().toUpperCase() : undefined),
        'not a 2-letter country code',
      ).optional(),
      pages: list(
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
        (v) => (v.startsWith('/') && v.length <= PAGE_MAX && !/[\u0000-\u001f\u007f]/.test(v) ? v : undefined),
        `not a path pattern starting with / (at most ${PAGE_MAX} characters)`,
      ).optional(),
      hostnames: list(normalizeHostnameRule, 'not a hostname like example.com or *.example.com').optional(),
    },
    { error: 'must be an object with ips, countries, pages and hostnames lists, or null' },
  )
  .transform((s): Shields => shieldsOf(s));

/** Frozen shields from possibly missing lists; NO_SHIELDS when every list is empty. */
function shieldsOf(s: { ips?: string[]; countries?: string[]; pages?: string[]; hostnames?: string[] }): Shields {
  const ips = s.ips ?? [];
  const countries = s.countries ?? [];
  const pages = s.pages ?? [];
  const hostnames = s.hostnames ?? [];
  if (ips.length + countries.length + pages.length + hostnames.length === 0) return NO_SHIELDS;
  return Object.freeze({
    ips: Object.freeze(ips),
    countries: Object.freeze(countries),
    pages: Object.freeze(pages),
    hostnames: Object.freeze(hostnames),
  });
}

export const isEmptyShields = (s: Shields): boolean => s === NO_SHIELDS;

/** The column value: JSON text, or null for none. */
export const storedShields = (s: Shields): string | null => (isEmptyShields(s) ? null : JSON.stringify(s));

/** The column value read back, validated again (it was written by storedShields). */
export function parseStoredShields(text: unknown): Shields {
  if (text === null || text === undefined) return NO_SHIELDS;
  return shieldsField.parse(JSON.parse(String(text)));
}
