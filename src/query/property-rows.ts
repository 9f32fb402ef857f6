/**
 * The rollup rows of custom properties (derived-tables.ts): each key's event count (the
 * property-keys list), and what the rollup set of property values groups
 * (rollup-sets.ts, `PROPERTY_VALUES_SET`): every event of the day once per rolled key, the
 * key in `prop_key`. An event without the key counts under `(none)`, as in a scan, so a
 * key's rows are the whole day by its values. A day rolls up its most used keys only: one
 * more key is one more pass over the day, and a site can send thousands of distinct keys; a
 * key left out is scanned on that day (property-rollup.ts).
 */
import type { Dialect } from './dialect.js';
import { PROP_KEY_PATTERN } from './dimensions.js';

/** The most property keys whose values a day's rollup holds. */
export const ROLLED_KEYS_MAX = 32;

/** The rollup rows holding each day's key counts (derived-tables.ts, property-keys.ts). */
export const PROPERTY_KEYS_SET = 'props:keys';

/** The rollup rows naming a day's rolled keys (`v0`), so a query knows a day without them. */
export const PROPERTY_ROLLED_SET = 'props:rolled';

/** `key, events` per key of the `scoped` rows: `props` is JSON object text (NULL without props); a key appears at most once per event. */
export const keyCounts = (scoped: string, d: Dialect) =>
  `SELECT key, count(*) AS events FROM (SELECT ${d.unnest(d.jsonKeys('props'))} AS key FROM ${scoped} WHERE props IS NOT NULL) GROUP BY key`;

/**
 * `prop_key` of each rolled key of `events` (a relation of one day): the keys that can be
 * asked for, most used first, then bytewise. `events` is a relation name or subquery.
 */
export const rolledKeys = (events: string, d: Dialect) =>
  `SELECT key AS prop_key FROM (${keyCounts(events, d)})
   WHERE ${d.regexMatchText('key', PROP_KEY_PATTERN)} ORDER BY events DESC, key LIMIT ${ROLLED_KEYS_MAX}`;

/** Each event of `events` once per rolled key, with the key in `prop_key`. */
export const rowsPerRolledKey = (events: string, d: Dialect) =>
  `(SELECT ev0.*, k.prop_key FROM ${events} ev0 CROSS JOIN (${rolledKeys(events, d)}) k)`;
