/** A stored event row for storage tests: a desktop Firefox page view of `/`, with the fields a test cares about given. */
import { EVENT_COLUMNS, type StoredRow } from '../../src/storage/columns.js';

type Given = Pick<StoredRow, 'site_id' | 'visitor_id' | 'session_id' | 'timestamp' | 'seq'> & Partial<StoredRow>;

/** Every column null: the schema's list, not a copy of it. */
const nulls = Object.fromEntries(EVENT_COLUMNS.map((c) => [c.name, null]));

export function storedRow(given: Given): StoredRow {
  return {
    ...nulls,
    event_name: 'pageview',
    pathname: '/',
    hostname: given.site_id,
    channel: 'Direct',
    browser: 'Firefox',
    browser_version: '120.0',
    os: 'GNU/Linux',
    device_type: 'Desktop',
    screen_width: 1920,
    ...given,
  } as StoredRow;
}
