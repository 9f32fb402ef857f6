/**
 * The one place where Plausible's factory fields become what we ingest through
 * `POST /api/events` (docs/API.md): Plausible's tests set a row's columns directly
 * (`browser: "Chrome"`, `country_code: "EE"`), we derive them from the page URL, the
 * referrer, the User-Agent, the screen width and the client IP. Every value a ported case
 * uses has a row in a table below; translate.test.ts ingests each row alone and checks that
 * we answer exactly the Plausible value it stands for. A row we cannot make answer that
 * value carries `fails` (a tag the report explains), and so do the cases that depend on it.
 *
 * Visitors: Plausible's `user_id` is its visitor. Each user id gets one IP address and one
 * User-Agent (those of its first event: a visit's attributes are its first event's, in both
 * systems), so its events share our daily visitor id; every event without a user id is a
 * visitor of its own, with a new address. Addresses are 198.18.<geo row>.<n> for a located
 * visitor (the test GeoIP database, test/fixtures/build-city-mmdb.pl) and 198.19.x.y for one
 * without a location.
 */
import type { PlausibleEvent } from './case.js';

/** One event of a `POST /api/events` batch. */
export interface IngestEvent {
  domain: string;
  name: string;
  url: string;
  timestamp: string;
  ip: string;
  user_agent?: string;
  referrer?: string;
  w?: number;
  props?: Record<string, string>;
  revenue?: { amount: string; currency: string };
  e?: number;
  sd?: number;
}

/** A value we cannot make answer as Plausible does: the tag names the reason (see the report / docs). */
interface Marked {
  fails?: string;
}

// ---------------------------------------------------------------------------------------
// User-Agent: a browser token and a platform token, both chosen by Plausible's field values.

/**
 * `browser` (+ `browser_version`) → the product token of a real User-Agent. `value: ''` is a
 * version without a browser, which no User-Agent carries.
 */
export interface BrowserRow extends Marked {
  value: string;
  version?: string;
  token: string;
}

const chrome = (v: string) => `AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v} Safari/537.36`;
const firefox = (v: string) => `Gecko/20100101 Firefox/${v}`;

// biome-ignore format: one row per line reads best
export const BROWSERS: readonly BrowserRow[] = [
  { value: 'Chrome', token: chrome('120.0.6099.144') },
  { value: 'Safari', token: 'AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15' },
  { value: 'Firefox', token: firefox('121.0') },
  // Plausible's fixtures say "Edge" and "IE"; its own ingestion (UAInspector) names them
  // "Microsoft Edge" and "Internet Explorer", as we do.
  { value: 'Edge', token: `${chrome('120.0.0.0')} Edg/120.0.2210.91`, fails: 'fixture-names' },
  { value: 'IE', token: 'compatible; MSIE 10.0; Trident/6.0', fails: 'fixture-names' },
  // A version is kept as its first two parts as the User-Agent writes them ("56" stays "56"),
  // by Plausible and by us (majorMinor in src/ingest/enrich/user-agent.ts).
  { value: 'Chrome', version: '56', token: chrome('56') },
  { value: 'Chrome', version: '14', token: chrome('14') },
  { value: 'Firefox', version: '11', token: firefox('11') },
  { value: '', version: '14', token: chrome('14'), fails: 'ua-unproducible' },
];

/** `operating_system` (+ `operating_system_version`) → the platform part of a User-Agent. */
export interface OsRow extends Marked {
  value: string;
  version?: string;
  platform: string;
}

// biome-ignore format: one row per line reads best
export const OPERATING_SYSTEMS: readonly OsRow[] = [
  { value: 'Mac', platform: 'Macintosh; Intel Mac OS X 10_15_7' },
  { value: 'Windows', platform: 'Windows NT 10.0; Win64; x64' },
  // Plausible's fixtures say "Linux"; its ingestion (UAInspector) names it "GNU/Linux", as we do.
  { value: 'Linux', platform: 'X11; Linux x86_64', fails: 'fixture-names' },
  { value: 'Mac', version: '14', platform: 'Macintosh; Intel Mac OS X 14' },
  // A User-Agent cannot tell Windows 11 from 10 (both send "Windows NT 10.0").
  { value: 'Windows', version: '11', platform: 'Windows NT 10.0; Win64; x64', fails: 'ua-unproducible' },
  // A version comes with its system in a User-Agent: these answer Mac, not (not set).
  { value: '', version: '14', platform: 'Macintosh; Intel Mac OS X 14', fails: 'ua-unproducible' },
  { value: '', version: '10.5', platform: 'Macintosh; Intel Mac OS X 10_5', fails: 'ua-unproducible' },
];

// ---------------------------------------------------------------------------------------
// Screen, source, referrer, place.

/** `screen_size` → the screen width `w` the tracker would send (docs/DATA.md §7 breakpoints). */
export interface ScreenRow extends Marked {
  value: string;
  w: number;
}

export const SCREENS: readonly ScreenRow[] = [
  { value: 'Mobile', w: 375 },
  { value: 'Tablet', w: 800 },
  { value: 'Laptop', w: 1280 },
  { value: 'Desktop', w: 1920 },
];

/** `referrer_source` → a referrer our source table (src/ingest/enrich/referrer.ts) names so. */
export interface SourceRow extends Marked {
  value: string;
  referrer: string;
}

export const SOURCES: readonly SourceRow[] = [
  { value: 'Google', referrer: 'https://www.google.com/' },
  { value: 'Twitter', referrer: 'https://twitter.com/' },
  { value: 'Bing', referrer: 'https://www.bing.com/' },
  { value: 'Facebook', referrer: 'https://www.facebook.com/' },
];

/** `referrer` → the referrer URL sent. */
export interface ReferrerRow extends Marked {
  value: string;
  referrer: string;
}

// biome-ignore format: one row per line reads best
export const REFERRERS: readonly ReferrerRow[] = [
  { value: 'example.com', referrer: 'https://example.com/' },
  { value: 'google.com', referrer: 'https://google.com/' },
  { value: 'site.com', referrer: 'https://site.com/' },
  { value: 'site.com/1', referrer: 'https://site.com/1' },
  // Plausible's ingestion stores a referrer without its scheme too ("facebook.com"); only
  // its fixtures write one, which no visit can produce.
  { value: 'https://facebook.com', referrer: 'https://facebook.com/', fails: 'fixture-referrer' },
  { value: 'https://a.com', referrer: 'https://a.com/', fails: 'fixture-referrer' },
  { value: 'https://ab.com', referrer: 'https://ab.com/', fails: 'fixture-referrer' },
];

/**
 * `country_code` / `subdivision1_code` / `city_geoname_id` → the /24 of the test GeoIP
 * database (build-city-mmdb.pl, 198.18.<octet>.0/24) that lies there; `octet: null` is a
 * place the database does not know (Plausible's city 0 is "no city"). Plausible's v2 answers
 * regions by ISO code and cities by GeoNames id, and so does ours (the database's codes and
 * ids, kept beside the names).
 */
export interface GeoRow extends Marked {
  country_code?: string;
  subdivision1_code?: string;
  city_geoname_id?: number;
  octet: number | null;
}

// biome-ignore format: one row per line reads best
export const GEO: readonly GeoRow[] = [
  { country_code: 'EE', octet: 1 },
  { country_code: 'US', octet: 2 },
  { country_code: 'IT', octet: 3 },
  { country_code: 'DE', octet: 4 },
  { country_code: 'GB', octet: 11 },
  { country_code: 'FR', octet: 12 },
  { country_code: 'GB', subdivision1_code: 'GB-LND', city_geoname_id: 2_643_743, octet: 5 },
  { country_code: 'CA', subdivision1_code: 'CA-ON', city_geoname_id: 6_058_560, octet: 6 },
  { country_code: 'EE', subdivision1_code: 'EE-37', city_geoname_id: 588_409, octet: 7 },
  { country_code: 'EE', subdivision1_code: 'EE-79', city_geoname_id: 588_335, octet: 8 },
  { country_code: 'EE', subdivision1_code: 'EE-50', city_geoname_id: 591_902, octet: 9 },
  { country_code: 'DE', subdivision1_code: 'DE-BE', city_geoname_id: 2_950_159, octet: 13 },
  // The two Londons of query_imported_test.exs, named without their region.
  { country_code: 'GB', city_geoname_id: 2_643_743, octet: 5 },
  { country_code: 'CA', city_geoname_id: 6_058_560, octet: 6 },
  { city_geoname_id: 588_409, octet: 7 },
  { city_geoname_id: 689_123, octet: 10 },
  { city_geoname_id: 0, octet: null },
  // An id no database knows: Plausible stores it as given, we find no place.
  { city_geoname_id: 10, octet: null, fails: 'unknown-geo-id' },
];

// ---------------------------------------------------------------------------------------

const HANDLED = new Set<keyof PlausibleEvent>([
  'name',
  'timestamp',
  'user_id',
  'pathname',
  'hostname',
  'referrer_source',
  'referrer',
  'click_id_param',
  'utm_medium',
  'utm_source',
  'utm_campaign',
  'utm_content',
  'utm_term',
  'browser',
  'browser_version',
  'operating_system',
  'operating_system_version',
  'screen_size',
  'country_code',
  'subdivision1_code',
  'city_geoname_id',
  'props',
  'revenue_reporting_amount',
  'revenue_reporting_currency',
  'engagement_time',
  'scroll_depth',
]);

const blank = (v: string | undefined): v is undefined => v === undefined || v === '';

function find<T>(rows: readonly T[], match: (row: T) => boolean, what: string): T {
  const row = rows.find(match);
  if (row === undefined) throw new Error(`translate.ts: no table row for ${what}; add one (the check test covers it)`);
  return row;
}

export function browserRow(e: Pick<PlausibleEvent, 'browser' | 'browser_version'>): BrowserRow | null {
  if (blank(e.browser) && blank(e.browser_version)) return null;
  const value = e.browser ?? '';
  const version = blank(e.browser_version) ? undefined : e.browser_version;
  return find(BROWSERS, (r) => r.value === value && r.version === version, `browser ${value} ${version ?? ''}`);
}

export function osRow(e: Pick<PlausibleEvent, 'operating_system' | 'operating_system_version'>): OsRow | null {
  if (blank(e.operating_system) && blank(e.operating_system_version)) return null;
  const value = e.operating_system ?? '';
  const version = blank(e.operating_system_version) ? undefined : e.operating_system_version;
  return find(OPERATING_SYSTEMS, (r) => r.value === value && r.version === version, `os ${value} ${version ?? ''}`);
}

export function geoRow(e: Pick<PlausibleEvent, 'country_code' | 'subdivision1_code' | 'city_geoname_id'>): GeoRow | null {
  if (blank(e.country_code) && blank(e.subdivision1_code) && e.city_geoname_id === undefined) return null;
  return find(
    GEO,
    (r) =>
      r.country_code === (blank(e.country_code) ? undefined : e.country_code) &&
      r.subdivision1_code === (blank(e.subdivision1_code) ? undefined : e.subdivision1_code) &&
      r.city_geoname_id === e.city_geoname_id,
    `place ${e.country_code ?? ''}/${e.subdivision1_code ?? ''}/${e.city_geoname_id ?? ''}`,
  );
}

/** The User-Agent of a visitor whose first event is `e`; undefined when it names no browser nor system. */
export function userAgent(e: PlausibleEvent): string | undefined {
  const b = browserRow(e);
  const os = osRow(e);
  if (b === null && os === null) return undefined;
  return ['Mozilla/5.0', os === null ? '' : `(${os.platform})`, b?.token ?? ''].filter((s) => s !== '').join(' ');
}

/** The page URL: hostname and pathname, with UTM tags and a click id in the query. */
function pageUrl(e: PlausibleEvent, siteId: string): string {
  const url = new URL(`https://${blank(e.hostname) ? siteId : e.hostname}`);
  url.pathname = e.pathname ?? '/';
  for (const key of ['utm_source', 'utm_medium', 'utm_campaign', 'utm_content', 'utm_term'] as const) {
    const v = e[key];
    if (!blank(v)) url.searchParams.set(key, v);
  }
  if (!blank(e.click_id_param)) url.searchParams.set(e.click_id_param, 'compat');
  return url.toString();
}

function referrerUrl(e: PlausibleEvent): string | undefined {
  if (!blank(e.referrer)) return find(REFERRERS, (r) => r.value === e.referrer, `referrer ${e.referrer}`).referrer;
  if (!blank(e.referrer_source))
    return find(SOURCES, (r) => r.value === e.referrer_source, `referrer_source ${e.referrer_source}`).referrer;
  return undefined;
}

/**
 * The timestamp of a source event written without one: Plausible's factory stamps it with
 * the current time, and so does the runner (the time the file starts).
 */
export const NOW = 'now';

/** `2021-01-01 00:00:00` (a UTC NaiveDateTime) → ISO 8601 with Z. */
export function isoTimestamp(naive: string): string {
  if (!/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/.test(naive)) throw new Error(`translate.ts: timestamp ${naive}`);
  return `${naive.replace(' ', 'T')}Z`;
}

/** A case's events as a batch for site `siteId`; `now` is what `NOW` stands for. */
export function translate(events: readonly PlausibleEvent[], siteId: string, now: Date): IngestEvent[] {
  const defaultTs = `${now.toISOString().slice(0, 19)}Z`;
  const ts = (e: PlausibleEvent) => (e.timestamp === NOW ? defaultTs : isoTimestamp(e.timestamp));
  for (const e of events) {
    const unknown = Object.keys(e).filter((k) => !HANDLED.has(k as keyof PlausibleEvent));
    if (unknown.length > 0) throw new Error(`translate.ts: no translation for ${unknown.join(', ')}`);
  }
  // A user's first event (by time, then by order) gives the user's address and User-Agent.
  const firstOfUser = new Map<number, PlausibleEvent>();
  const ordered = events.map((e, i) => ({ e, i })).sort((a, b) => ts(a.e).localeCompare(ts(b.e)) || a.i - b.i);
  for (const { e } of ordered) if (e.user_id !== undefined && !firstOfUser.has(e.user_id)) firstOfUser.set(e.user_id, e);

  let visitors = 0;
  const address = (first: PlausibleEvent) => {
    visitors += 1;
    const octet = geoRow(first)?.octet ?? null;
    if (visitors > 250) throw new Error('translate.ts: more than 250 visitors in one case');
    return octet === null ? `198.19.0.${visitors}` : `198.18.${octet}.${visitors}`;
  };
  const identities = new Map<number, { ip: string; ua: string | undefined }>();
  for (const [user, first] of firstOfUser) identities.set(user, { ip: address(first), ua: userAgent(first) });

  return events.map((e) => {
    const who = e.user_id === undefined ? { ip: address(e), ua: userAgent(e) } : identities.get(e.user_id);
    if (who === undefined) throw new Error('unreachable: every user has an identity');
    const out: IngestEvent = { domain: siteId, name: e.name, url: pageUrl(e, siteId), timestamp: ts(e), ip: who.ip };
    if (who.ua !== undefined) out.user_agent = who.ua;
    const referrer = referrerUrl(e);
    if (referrer !== undefined) out.referrer = referrer;
    if (!blank(e.screen_size)) out.w = find(SCREENS, (r) => r.value === e.screen_size, `screen_size ${e.screen_size}`).w;
    if (e.props !== undefined && Object.keys(e.props).length > 0) out.props = e.props;
    if (e.revenue_reporting_amount !== undefined) {
      if (e.revenue_reporting_currency === undefined) throw new Error('translate.ts: revenue without a currency');
      out.revenue = { amount: e.revenue_reporting_amount, currency: e.revenue_reporting_currency };
    }
    if (e.engagement_time !== undefined) out.e = e.engagement_time;
    if (e.scroll_depth !== undefined) out.sd = e.scroll_depth;
    // Plausible's engagement row without either field holds 0 ms; we refuse one with neither.
    if (e.name === 'engagement' && out.e === undefined && out.sd === undefined) out.e = 0;
    return out;
  });
}
