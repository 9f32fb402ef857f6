/**
 * The shapes an event takes on its way through the pipeline: the stored row (`EventRow`,
 * docs/DATA.md §3) and the typed reasons a step may drop it for.
 */

/** One stored row; the column order of the storage schema. */
export interface EventRow {
  site_id: string;
  visitor_id: bigint;
  session_id: bigint;
  user_key: bigint | null;
  timestamp: Date;
  event_name: string;
  pathname: string;
  hostname: string;
  referrer: string | null;
  referrer_source: string | null;
  channel: string;
  utm_source: string | null;
  utm_medium: string | null;
  utm_campaign: string | null;
  utm_content: string | null;
  utm_term: string | null;
  browser: string | null;
  browser_version: string | null;
  os: string | null;
  os_version: string | null;
  device_type: string | null;
  screen_width: number | null;
  country_code: string | null;
  region: string | null;
  city: string | null;
  props: string | null; // JSON object text
  revenue_amount: string | null;
  revenue_currency: string | null;
  /** Engagement rows only (event_name `engagement`): engaged time in ms and scroll depth in % (0..100). */
  engaged_ms: number | null;
  scroll_depth: number | null;
  /** The region's ISO 3166-2 code and the city's GeoNames id (decimal), when the location database gives them. */
  region_code: string | null;
  city_geoname_id: string | null;
}

export const DROP_REASONS = [
  'bot',
  'invalid',
  'unknown_site',
  'forbidden_origin',
  'rate_limited',
  'too_large',
  'future_timestamp',
  'engagement',
  'shield_ip',
  'shield_country',
  'shield_page',
  'shield_hostname',
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Thrown (or returned) by a pipeline step to drop an event with a typed, counted reason. */
export class Drop {
  constructor(
    readonly reason: DropReason,
    readonly message: string,
  ) {}
}
