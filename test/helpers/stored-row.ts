/** A stored event row for storage tests: a desktop Firefox page view of `/`, with the fields a test cares about given. */
import type { StoredRow } from '../../src/storage/columns.js';

type Given = Pick<StoredRow, 'site_id' | 'visitor_id' | 'session_id' | 'timestamp' | 'seq'> & Partial<StoredRow>;

export function storedRow(given: Given): StoredRow {
  return {
    user_key: null,
    event_name: 'pageview',
    pathname: '/',
    hostname: given.site_id,
    referrer: null,
    referrer_source: null,
    channel: 'Direct',
    utm_source: null,
    utm_medium: null,
    utm_campaign: null,
    utm_content: null,
    utm_term: null,
    browser: 'Firefox',
    browser_version: '120.0',
    os: 'GNU/Linux',
    os_version: null,
    device_type: 'Desktop',
    screen_width: 1920,
    country_code: null,
    region: null,
    city: null,
    props: null,
    revenue_amount: null,
    revenue_currency: null,
    ...given,
  };
}
