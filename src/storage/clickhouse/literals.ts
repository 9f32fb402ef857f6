import { timestampText } from '../../utc-days.js';
import { ENGAGEMENT } from '../columns.js';

/** A ClickHouse string literal, for text the store puts in a relation it hands out (site ids: validated upstream, escaped here anyway). */
export const chString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A UTC instant as a ClickHouse time literal (milliseconds kept). */
export const chTime = (at: Date) => `toDateTime64('${timestampText(at)}', 3, 'UTC')`;

/** Rows that count as events: every row but the engagement rows (time on page, scroll depth). */
export const COUNTED_ROWS = `event_name != '${ENGAGEMENT}'`;

/**
 * The stored events of one site, in [from, to) when given, as a SELECT (reads and rollup
 * builds); the engagement rows instead with `engagement`.
 */
export const siteEvents = (siteId: string, from?: Date, to?: Date, engagement = false) =>
  `SELECT * FROM events WHERE site_id = ${chString(siteId)} AND ${engagement ? `event_name = '${ENGAGEMENT}'` : COUNTED_ROWS}${
    from ? ` AND timestamp >= ${chTime(from)}` : ''
  }${to ? ` AND timestamp < ${chTime(to)}` : ''}`;
