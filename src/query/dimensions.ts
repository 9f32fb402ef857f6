/**
 * The dimension allowlist: the only way a breakdown name becomes a column. Each entry is
 * server-authored SQL over the event row; `pageviewsOnly` restricts the rows it counts.
 */
export interface Dimension {
  readonly expr: string;
  readonly pageviewsOnly: boolean;
}

const NOT_SET = (col: string) => `coalesce(nullif(${col}, ''), '(not set)')`;
const d = (expr: string, pageviewsOnly = false): Dimension => ({ expr, pageviewsOnly });

export const DIMENSIONS: Readonly<Record<string, Dimension>> = {
  pages: d('pathname', true),
  hostnames: d(NOT_SET('hostname')),
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
