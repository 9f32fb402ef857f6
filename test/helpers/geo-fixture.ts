/**
 * Builds the test City database (test/fixtures/build-city-mmdb.pl) so tests can check
 * GeoIP2-City lookups without a licensed MaxMind file. Needs Debian's
 * libmaxmind-db-writer-perl. Networks in the file:
 *   203.0.113.0/24  → US / California / San Francisco
 *   198.51.100.0/24 → DE / Berlin / Berlin
 *   192.0.2.0/24    → FR (country only, no region or city)
 *   2001:db8::/32   → JP / Tokyo / Tokyo
 *   198.18.N.0/24   → the places Plausible's ported tests name (test/compat/plausible/translate.ts, GEO)
 * IPv4 is also reachable as IPv4-mapped IPv6 (::ffff:203.0.113.1).
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../fixtures/build-city-mmdb.pl', import.meta.url));

/** Writes `city.mmdb` into `dir` and returns its path. */
export function buildCityMmdb(dir: string): string {
  const out = join(dir, 'city.mmdb');
  execFileSync('perl', [SCRIPT, out], { stdio: ['ignore', 'ignore', 'pipe'] });
  return out;
}
