import { timestampText } from '../../utc-days.js';

/** A ClickHouse string literal, for text the store puts in a relation it hands out (site ids: validated upstream, escaped here anyway). */
export const chString = (s: string) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A UTC instant as a ClickHouse time literal (milliseconds kept). */
export const chTime = (at: Date) => `toDateTime64('${timestampText(at)}', 3, 'UTC')`;

/** The stored events of one site, in [from, to) when given, as a SELECT (reads and rollup builds). */
export const siteEvents = (siteId: string, from?: Date, to?: Date) =>
  `SELECT * FROM events WHERE site_id = ${chString(siteId)}${from ? ` AND timestamp >= ${chTime(from)}` : ''}${
    to ? ` AND timestamp < ${chTime(to)}` : ''
  }`;
