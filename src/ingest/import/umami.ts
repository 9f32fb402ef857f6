/**
 * Umami's raw events (its `website_event` table, as its data export writes it to CSV) as
 * events of this product (docs/IMPORT.md, "From Umami"). A row names its page, referrer and
 * time; Umami has already parsed the visitor's browser, OS, device and location and keeps no
 * IP or User-Agent, so those come over as known attributes instead of being derived. The
 * visitor is Umami's session id, hashed with the day's salt like any visitor (never stored).
 */
import type { KnownAttributes } from '../validate.js';

/** The columns a row cannot do without (the others may be missing or empty). */
export const UMAMI_COLUMNS = ['session_id', 'url_path', 'event_type', 'created_at'] as const;

/** A record whose visitor attributes are known rather than derived (the importer validates `event`). */
export class KnownRecord {
  constructor(
    readonly event: Record<string, unknown>,
    readonly known: KnownAttributes,
  ) {}
}

/** Umami's browser ids (its detect-browser names) → the names this product shows. Others pass through. */
const BROWSERS: Readonly<Record<string, string>> = {
  chrome: 'Chrome',
  crios: 'Chrome',
  'chromium-webview': 'Chrome',
  firefox: 'Firefox',
  fxios: 'Firefox',
  safari: 'Safari',
  ios: 'Safari',
  'ios-webview': 'Safari',
  edge: 'Microsoft Edge',
  'edge-chromium': 'Microsoft Edge',
  'edge-ios': 'Microsoft Edge',
  opera: 'Opera',
  'opera-mini': 'Opera',
  samsung: 'Samsung Browser',
  yandexbrowser: 'Yandex Browser',
  ie: 'Internet Explorer',
  android: 'Android Browser',
  facebook: 'Facebook',
  instagram: 'Instagram',
  silk: 'Silk',
  miui: 'MIUI Browser',
};

/** Umami's OS names → this product's name and version ("Windows 10" → Windows, 10). */
function os(name: string): [string, string | null] {
  const windows = /^Windows (.+)$/.exec(name);
  if (windows) return ['Windows', windows[1] ?? null];
  const fixed: Record<string, string> = { 'Mac OS': 'Mac', 'Android OS': 'Android', Linux: 'GNU/Linux', 'Open BSD': 'OpenBSD' };
  return [fixed[name] ?? name, null];
}

const DEVICES: Readonly<Record<string, string>> = { desktop: 'Desktop', laptop: 'Laptop', mobile: 'Mobile', tablet: 'Tablet' };

const text = (v: unknown): string => (v === null || v === undefined ? '' : String(v).trim());
const orNull = (s: string): string | null => (s === '' ? null : s);

/** `2024-03-05 10:00:00` (UTC, as Umami stores it) or ISO 8601 → epoch milliseconds; NaN when neither. */
function utcTime(s: string): number {
  const iso = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?$/.test(s) ? `${s.replace(' ', 'T')}Z` : s;
  return Date.parse(iso);
}

/** One `website_event` row (all values text, as CSV gives them) → a record, or why it cannot be one. */
export function umamiRecord(row: Record<string, unknown>, site: string): KnownRecord | Error {
  const type = text(row.event_type);
  const path = text(row.url_path);
  const time = utcTime(text(row.created_at));
  const session = text(row.session_id);
  if (type !== '1' && type !== '2') return new Error(`event_type: ${type || 'missing'} is not 1 (page view) or 2 (custom event)`);
  if (!path.startsWith('/')) return new Error('url_path: missing or not a path');
  if (Number.isNaN(time)) return new Error('created_at: not a time');
  if (session === '') return new Error('session_id: missing');

  const query = text(row.url_query);
  const host = text(row.hostname) || site;
  const referrerHost = text(row.referrer_domain);
  const referrerQuery = text(row.referrer_query);
  const width = /^(\d{1,5})x\d{1,5}$/.exec(text(row.screen))?.[1];
  const event: Record<string, unknown> = {
    n: type === '1' ? 'pageview' : text(row.event_name),
    u: `https://${host}${path}${query ? `?${query.replace(/^\?/, '')}` : ''}`,
    timestamp: time,
  };
  if (referrerHost) event.r = `https://${referrerHost}${text(row.referrer_path)}${referrerQuery ? `?${referrerQuery}` : ''}`;
  if (width) event.w = Number(width);

  const browser = text(row.browser);
  const [osName, osVersion] = os(text(row.os));
  const device = DEVICES[text(row.device)] ?? null;
  return new KnownRecord(event, {
    visitor: `umami:${session}`,
    browser: orNull(BROWSERS[browser] ?? browser),
    browserVersion: null,
    os: orNull(osName),
    osVersion,
    device,
    countryCode: orNull(text(row.country).toUpperCase()),
    region: orNull(text(row.subdivision1) || text(row.region)),
    city: orNull(text(row.city)),
  });
}
