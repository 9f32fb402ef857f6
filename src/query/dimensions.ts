/**
 * The dimension allowlist: the only way a breakdown name becomes a column. Each entry is
 * server-authored SQL over the event row. Event dimensions (page, hostname) count the
 * rows that carry the value (`pageviewsOnly` restricts to page views); visit dimensions
 * (source, device, location, …) are attributes of a visit, taken from its first event,
 * as in Plausible.
 */
export interface Dimension {
  readonly expr: string;
  readonly level: 'event' | 'visit';
  readonly pageviewsOnly: boolean;
}

const NOT_SET = (col: string) => `coalesce(nullif(${col}, ''), '(not set)')`;
const d = (expr: string): Dimension => ({ expr, level: 'visit', pageviewsOnly: false });
const e = (expr: string, pageviewsOnly: boolean): Dimension => ({ expr, level: 'event', pageviewsOnly });

export const DIMENSIONS: Readonly<Record<string, Dimension>> = {
  pages: e('pathname', true),
  hostnames: e(NOT_SET('hostname'), false),
  sources: d("coalesce(nullif(referrer_source, ''), 'Direct / None')"),
  referrers: d("coalesce(nullif(referrer, ''), 'Direct / None')"),
  channels: d(NOT_SET('channel')),
  'utm-source': d(NOT_SET('utm_source')),
  'utm-medium': d(NOT_SET('utm_medium')),
  'utm-campaign': d(NOT_SET('utm_campaign')),
  'utm-content': d(NOT_SET('utm_content')),
  'utm-term': d(NOT_SET('utm_term')),
  browsers: d(NOT_SET('browser')),
  'browser-versions': d(`${NOT_SET('browser')} || ' ' || ${NOT_SET('browser_version')}`),
  os: d(NOT_SET('os')),
  'os-versions': d(`${NOT_SET('os')} || ' ' || ${NOT_SET('os_version')}`),
  devices: d(NOT_SET('device_type')),
  'screen-sizes': d(NOT_SET('device_type')),
  countries: d(NOT_SET('country_code')),
  regions: d(NOT_SET('region')),
  cities: d(NOT_SET('city')),
};

export function dimension(name: string): Dimension | undefined {
  return Object.hasOwn(DIMENSIONS, name) ? DIMENSIONS[name] : undefined;
}
