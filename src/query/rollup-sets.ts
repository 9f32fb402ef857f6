/**
 * What a day's rollup holds (docs/ARCHITECTURE.md, "Derived tier"): for each group of
 * dimensions an unfiltered dashboard or API query asks for, the additive counts of
 * metrics.ts per value. One row set per key; `''` is the day's totals, `time:hour` the
 * hourly chart. Day, week and month buckets are sums of the totals rows.
 */

import type { StatsQuery } from './builder.js';
import type { Dialect } from './dialect.js';
import {
  BREAKDOWNS,
  type Dimension,
  dimension,
  PAGE_OF_EVENT,
  PROPERTY_KEY_OF_ROW,
  PROPERTY_VALUE_OF_ROW,
} from './dimensions.js';
import { rowsPerRolledKey } from './property-rows.js';

export interface RollupSet {
  key: string;
  dimensions: readonly Dimension[];
  /** Only custom events count (the goals breakdown). */
  customEventsOnly: boolean;
  /** Only page views count (page goals by page, goal-counts.ts). */
  pageviewsOnly: boolean;
  /** The rows the set groups, from the day's events (default: the events themselves). */
  rows?: (events: string, d: Dialect) => string;
}

/** The dimensions of sets that are no API names. */
const INTERNAL = new Map([PAGE_OF_EVENT, PROPERTY_KEY_OF_ROW, PROPERTY_VALUE_OF_ROW].map((d) => [d.name, d]));
const dims = (names: readonly string[]) => names.map((n) => INTERNAL.get(n) ?? (dimension(n) as Dimension));

/**
 * The visit attributes of the overview's first tabs (Sources, Locations, Devices). With one of
 * them filtered to one value — a click on one of their rows — the other two panels, the goals
 * and the property keys are sums of stored rows: a set for each pair, each with the goals
 * (and property-keys.ts's per-value key counts). A day holds at most |sources| × |countries|
 * rows of a pair.
 */
export const OVERVIEW_ATTRIBUTES: readonly string[] = ['visit:source', 'visit:country', 'visit:browser'];
const OVERVIEW_PAIRS = OVERVIEW_ATTRIBUTES.flatMap((a, i) => OVERVIEW_ATTRIBUTES.slice(i + 1).map((b) => [a, b]));
const OVERVIEW_GOAL_PAIRS = OVERVIEW_ATTRIBUTES.map((a) => [a, 'event:name']);
/**
 * Sets with a row per page and value: too many to keep in memory (a day holds up to
 * |pages| × |countries| rows of one), so their keys start with UNCACHED_PREFIX and queries
 * read them from the day's file, whose rows are sorted by set and values so that one
 * value's rows are a few row groups. With a page filtered to one value (a click on a Top
 * pages row) the overview's panels are sums of the page's rows over every event on it: by
 * itself, by each overview attribute, and by goal. With an overview attribute filtered to
 * one value, Top pages is the sum of that value's rows by page, and the Goals panel's page
 * goals the sum of its page-view rows by page; the attribute comes first so that its value
 * sorts the rows.
 */
const PAGE_SETS = [[PAGE_OF_EVENT.name], ...OVERVIEW_ATTRIBUTES.map((a) => [PAGE_OF_EVENT.name, a])];
const PAGES_BY_ATTRIBUTE = OVERVIEW_ATTRIBUTES.map((a) => [a, 'event:page']);
export const UNCACHED_PREFIX = 'files:';

/** Which events a set counts: all of them, custom events only, or page views only. */
type Only = 'custom' | 'pageviews' | undefined;
const onlyOf = (q: Pick<StatsQuery, 'customEventsOnly' | 'pageviewsOnly'>): Only =>
  q.customEventsOnly ? 'custom' : q.pageviewsOnly ? 'pageviews' : undefined;
const keyOf = (names: readonly string[], only: Only) => names.join(',') + (only ? `#${only}` : '');

/**
 * Each rolled property key's values (property-rows.ts): `v0` the key, `v1` the value. In the
 * files: a key can have as many values as events.
 */
export const PROPERTY_VALUES_SET = UNCACHED_PREFIX + keyOf([PROPERTY_KEY_OF_ROW.name, PROPERTY_VALUE_OF_ROW.name], undefined);

const SETS: RollupSet[] = (() => {
  const out = new Map<string, RollupSet>();
  const add = (names: readonly string[], only: Only = undefined, inFiles = false, rows?: RollupSet['rows']) => {
    const key = (inFiles ? UNCACHED_PREFIX : '') + keyOf(names, only);
    const counted = { customEventsOnly: only === 'custom', pageviewsOnly: only === 'pageviews' };
    out.set(key, { key, dimensions: dims(names), ...counted, ...(rows ? { rows } : {}) });
  };
  add([]);
  add(['time:hour']);
  for (const [name, names] of Object.entries(BREAKDOWNS)) add(names, name === 'events' ? 'custom' : undefined);
  add(['event:name']);
  add(['event:goal'], 'custom');
  add(['event:page'], 'pageviews');
  for (const pair of OVERVIEW_PAIRS) add(pair);
  for (const pair of OVERVIEW_GOAL_PAIRS) add(pair, 'custom');
  for (const names of [...PAGE_SETS, ...PAGES_BY_ATTRIBUTE]) add(names, undefined, true);
  for (const names of PAGES_BY_ATTRIBUTE) add(names, 'pageviews', true);
  add([PAGE_OF_EVENT.name, 'event:name'], 'custom', true);
  add([PROPERTY_KEY_OF_ROW.name, PROPERTY_VALUE_OF_ROW.name], undefined, true, rowsPerRolledKey);
  return [...out.values()];
})();

/** The rollup set of exactly these dimensions, in any order (a one-value filter picks one of them, planner.ts). */
export function setOfDimensions(
  names: readonly string[],
  counted: Pick<StatsQuery, 'customEventsOnly' | 'pageviewsOnly'>,
): RollupSet | undefined {
  const key = [...names].sort().join(',');
  const namesOf = (set: RollupSet) =>
    set.dimensions
      .map((d) => d.name)
      .sort()
      .join(',');
  return SETS.find((set) => onlyOf(set) === onlyOf(counted) && namesOf(set) === key);
}

export const ROLLUP_SETS: readonly RollupSet[] = SETS;

/** The set whose rows of a value are the counts of a one-value filter on `dim` (planner.ts). */
export function filterSetOf(dim: Dimension): RollupSet | undefined {
  return setOfDimensions([(dim.asFilter ?? dim).name], {});
}

/** Whether a set's rows are read from the day files only (see PAGE_SETS). */
export const uncached = (key: string) => key.startsWith(UNCACHED_PREFIX);

/** Day, week and month buckets come from the totals rows. */
const DAY_BUCKETS = new Set(['time:day', 'time:week', 'time:month']);

/** The rollup rows a query's groups are sums of, if any (filters are checked by the planner). */
export function rollupSetFor(q: Pick<StatsQuery, 'dimensions' | 'customEventsOnly' | 'pageviewsOnly'>): RollupSet | undefined {
  const names = q.dimensions.map((d) => d.name);
  const buckets = names.length === 1 && DAY_BUCKETS.has(names[0] ?? '') && !onlyOf(q);
  const key = buckets ? keyOf([], undefined) : keyOf(names, onlyOf(q));
  return SETS.find((s) => s.key === key);
}
