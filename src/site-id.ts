/**
 * What a site id may be: a lower-case domain-like name. It names a directory of the cold
 * tier (`site_id=<id>`), so the pattern is also what keeps paths safe.
 */
import { invalidInput } from './errors.js';

export const SITE_ID = /^[a-z0-9](?:[a-z0-9._-]*[a-z0-9])?$/;
export const SITE_ID_MAX = 253;

export const isSiteId = (s: string) => s.length <= SITE_ID_MAX && SITE_ID.test(s);

/** Validates a `site_id` parameter; 400 naming it otherwise. */
export function siteIdParam(value: unknown, param = 'site_id'): string {
  if (value === undefined || value === null || value === '') throw invalidInput(`${param}: required`);
  if (typeof value !== 'string' || !isSiteId(value)) throw invalidInput(`${param}: not a valid site id`);
  return value;
}
