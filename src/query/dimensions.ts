/**
 * The dimension allowlist, in Plausible's v2 names: the only way a name becomes SQL.
 * Event dimensions are read from each event row; visit dimensions are attributes of a
 * visit taken from its first event (entry/exit page: its first/last page view), as in
 * Plausible; time dimensions bucket the event time (and a visit's start, for visit
 * metrics). Expressions are server-authored; a property key is a bound parameter.
 *
 * One exception: `visit:region` and `visit:city` are names here, as the stats API, the
 * dashboard and saved segments have always meant them (Berlin, Tallinn), while Plausible's
 * v2 means the ISO 3166-2 code and the GeoNames id (DE-BE, 588409) by them and the names by
 * `visit:region_name` and `visit:city_name`. POST /api/v2/query reads its names through
 * `v2Dimension` (V2_NAMES); the codes are `visit:region_code` and `visit:city_geoname_id` here.
 */
import type { TimeUnit } from './dialect.js';
import { fragment, type Sql, spelled, sql } from './sql.js';

export type Level = 'event' | 'visit' | 'time';

export interface Dimension {
  readonly name: string;
  readonly level: Level;
  /** SQL over the joined row relation (event columns plus `v_*` visit attributes). */
  readonly expr: Sql;
  /** For visit dimensions: how `v_<alias>` is computed from the visit's events. */
  readonly visitColumn?: VisitColumn;
  /** For time dimensions: the truncation unit. */
  readonly unit?: TimeUnit;
  /**
   * For an event dimension whose breakdown counts other rows than a filter on it keeps: the
   * dimension that groups what the filter keeps (rollup sets of a one-value filter, planner.ts).
   */
  readonly asFilter?: Dimension;
  /**
   * For a property: the condition that the event has the key. A pattern filter (contains,
   * matches and their negations) only ever matches events that have it, as in Plausible: a
   * page view without `plan` is neither "plan contains pro" nor "plan does not contain pro".
   */
  readonly present?: Sql;
}

/**
 * A visit attribute: the value of `firstRow` on the visit's first event (all such attributes
 * are read together, with one ordering key per visit), or else a per-visit aggregate.
 */
export type VisitColumn = { alias: string; firstRow: string } | { alias: string; agg: Sql };

export const NOT_SET = '(not set)';
const notSet = (col: string) => `coalesce(nullif(${col}, ''), '${NOT_SET}')`;
const event = (name: string, expr: string): Dimension => ({ name, level: 'event', expr: fragment(expr) });
const visitOf = (name: string, visitColumn: VisitColumn): Dimension => ({
  name,
  level: 'visit',
  expr: fragment(`v_${visitColumn.alias}`),
  visitColumn,
});
/** An attribute of the visit's first event. */
const visit = (name: string, alias: string, firstRow: string) => visitOf(name, { alias, firstRow });

/**
 * Countries' English names by ISO code, from Node's own CLDR data (as the dashboard names
 * countries): every two-letter code it names, but ZZ (unknown).
 */
const COUNTRY_NAMES: ReadonlyMap<string, string> = (() => {
  const names = new Intl.DisplayNames(['en'], { type: 'region' });
  const letters = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZ'];
  return new Map(
    letters.flatMap((a) =>
      letters.flatMap((b) => {
        const code = a + b;
        const name = code === 'ZZ' ? undefined : names.of(code);
        return name === undefined || name === code ? [] : [[code, name] as const];
      }),
    ),
  );
})();

/** A country's name from its code; a code without a name (or `(not set)`) as it is. */
export const countryNameOf = (code: string): string => COUNTRY_NAMES.get(code) ?? code;

/**
 * countryNameOf in SQL, over a server-authored expression: the names are constants of this
 * server, spelled as literals.
 */
export function countryNameSql(code: string): string {
  return `(CASE ${code} ${COUNTRY_NAME_BRANCHES} ELSE ${code} END)`;
}

/** The CASE branches of countryNameSql, spelled once: every imported-country filter compiles them. */
const COUNTRY_NAME_BRANCHES = [...COUNTRY_NAMES].map(([c, name]) => `WHEN '${c}' THEN '${name.replaceAll("'", "''")}'`).join(' ');

/** The visit's country by name. */
const countryName = (): Dimension => ({
  name: 'visit:country_name',
  level: 'visit',
  expr: fragment(countryNameSql('v_country')),
  visitColumn: { alias: 'country', firstRow: notSet('country_code') },
});

const time = (unit: TimeUnit): Dimension => ({
  name: `time:${unit}`,
  level: 'time',
  expr: spelled((d) => d.truncate(unit, 'local_ts')),
  unit,
});

/**
 * `event:page` as a one-page filter reads it. Not an API name: the rollup sets that answer a
 * one-page filter group by it (rollup-sets.ts), page first, so their rows in a day file are
 * sorted by page; a name of its own tells them from the sets of the same dimensions sorted
 * by the other one (a page breakdown under an attribute's filter).
 */
export const PAGE_OF_EVENT: Dimension = event('filter:event:page', 'pathname');

const FIXED: readonly Dimension[] = [
  { ...event('event:page', 'pathname'), asFilter: PAGE_OF_EVENT },
  event('event:hostname', notSet('hostname')),
  event('event:name', 'event_name'),
  event('event:goal', 'event_name'),
  visit('visit:source', 'source', "coalesce(nullif(referrer_source, ''), 'Direct / None')"),
  visit('visit:referrer', 'referrer', "coalesce(nullif(referrer, ''), 'Direct / None')"),
  visit('visit:channel', 'channel', notSet('channel')),
  visit('visit:utm_source', 'utm_source', notSet('utm_source')),
  visit('visit:utm_medium', 'utm_medium', notSet('utm_medium')),
  visit('visit:utm_campaign', 'utm_campaign', notSet('utm_campaign')),
  visit('visit:utm_content', 'utm_content', notSet('utm_content')),
  visit('visit:utm_term', 'utm_term', notSet('utm_term')),
  visit('visit:browser', 'browser', notSet('browser')),
  visit('visit:browser_version', 'browser_version', notSet('browser_version')),
  visit('visit:os', 'os', notSet('os')),
  visit('visit:os_version', 'os_version', notSet('os_version')),
  visit('visit:device', 'device', notSet('device_type')),
  visit('visit:screen', 'screen', notSet('device_type')),
  visit('visit:country', 'country', notSet('country_code')),
  visit('visit:region', 'region', notSet('region')),
  visit('visit:city', 'city', notSet('city')),
  // Plausible's values for none: no region code, city 0.
  visit('visit:region_code', 'region_code', "coalesce(region_code, '')"),
  visit('visit:city_geoname_id', 'city_geoname_id', "coalesce(city_geoname_id, '0')"),
  countryName(),
  visitOf('visit:entry_page', {
    alias: 'entry_page',
    agg: spelled((d) => `coalesce(${d.firstByTime('pathname', "event_name = 'pageview'")}, '${NOT_SET}')`),
  }),
  visitOf('visit:exit_page', {
    alias: 'exit_page',
    agg: spelled((d) => `coalesce(${d.lastByTime('pathname', "event_name = 'pageview'")}, '${NOT_SET}')`),
  }),
  // The hostname of the entry and exit page: what an `event:hostname` filter narrows a
  // visit dimension to (hostname-visits.ts).
  visitOf('visit:entry_page_hostname', {
    alias: 'entry_hostname',
    agg: spelled((d) => notSet(d.firstByTime('hostname', "event_name = 'pageview'"))),
  }),
  visitOf('visit:exit_page_hostname', {
    alias: 'exit_hostname',
    agg: spelled((d) => notSet(d.lastByTime('hostname', "event_name = 'pageview'"))),
  }),
  time('hour'),
  time('day'),
  time('week'),
  time('month'),
];

const BY_NAME = new Map(FIXED.map((d) => [d.name, d]));

/** What a property key may be to be asked for (the engine checks stored keys with the same pattern). */
export const PROP_KEY_PATTERN = '^[A-Za-z0-9_.:\\- ]{1,300}$';
const PROP_KEY = new RegExp(PROP_KEY_PATTERN);
export const PROPS_PREFIX = 'event:props:';
export const NONE = '(none)';

/**
 * Not API names: the rollup set of property values (property-rows.ts) groups rows that
 * carry a key in `prop_key` by the key and by its value, as `event:props:<key>` groups them.
 */
export const PROPERTY_KEY_OF_ROW: Dimension = event('property:key', 'prop_key');
export const PROPERTY_VALUE_OF_ROW: Dimension = {
  name: 'property:value',
  level: 'event',
  expr: spelled((d) => `coalesce(${d.jsonTextOfKeyIn('props', 'prop_key')}, '${NONE}')`),
};

/** A custom property as a dimension; the key is validated and bound, never pasted. */
function propDimension(key: string): Dimension {
  const value = spelled((d) => d.jsonText('props', key));
  return {
    name: `${PROPS_PREFIX}${key}`,
    level: 'event',
    expr: sql`coalesce(${value}, ${NONE})`,
    present: sql`(${value} IS NOT NULL)`,
  };
}

/**
 * Minute buckets, for realtime's timeseries only: not a v2 name (Plausible's API has none),
 * so no filter, breakdown or v2 query can ask for it.
 */
const MINUTE = time('minute');

/** The time dimension of a timeseries interval. */
export const timeDimension = (unit: TimeUnit): Dimension =>
  unit === 'minute' ? MINUTE : (BY_NAME.get(`time:${unit}`) as Dimension);

/**
 * Plausible v2's names that mean another dimension here (see the top): the region and city
 * by code and id, and their names. Every other v2 name means what it says.
 */
export const V2_NAMES: Readonly<Record<string, string>> = {
  'visit:region': 'visit:region_code',
  'visit:city': 'visit:city_geoname_id',
  'visit:region_name': 'visit:region',
  'visit:city_name': 'visit:city',
};

/** What a name means in POST /api/v2/query: a dimension's name here (V2_NAMES). */
export const fromV2Name = (name: string): string => V2_NAMES[name] ?? name;

const TO_V2 = new Map(Object.entries(V2_NAMES).map(([v2, here]) => [here, v2]));

/** A dimension's name here as POST /api/v2/query names it (V2_NAMES backwards). */
export const toV2Name = (name: string): string => TO_V2.get(name) ?? name;

/** Looks a dimension up by its v2 name; undefined when unknown. */
export const v2Dimension = (name: string): Dimension | undefined => dimension(fromV2Name(name));

/** Looks a dimension up by name; undefined when unknown. */
export function dimension(name: string): Dimension | undefined {
  if (name.startsWith(PROPS_PREFIX)) {
    const key = name.slice(PROPS_PREFIX.length);
    return PROP_KEY.test(key) ? propDimension(key) : undefined;
  }
  return BY_NAME.get(name);
}

/** The visit dimensions (each an attribute of the visits table). */
export const visitDimensions = (): Dimension[] => FIXED.filter((d) => d.visitColumn !== undefined);

/** The `/api/stats/breakdown/{dim}` names, as v2 dimensions. */
export const BREAKDOWNS: Readonly<Record<string, readonly string[]>> = {
  pages: ['event:page'],
  'entry-pages': ['visit:entry_page'],
  'exit-pages': ['visit:exit_page'],
  hostnames: ['event:hostname'],
  sources: ['visit:source'],
  referrers: ['visit:referrer'],
  channels: ['visit:channel'],
  'utm-source': ['visit:utm_source'],
  'utm-medium': ['visit:utm_medium'],
  'utm-campaign': ['visit:utm_campaign'],
  'utm-content': ['visit:utm_content'],
  'utm-term': ['visit:utm_term'],
  browsers: ['visit:browser'],
  'browser-versions': ['visit:browser', 'visit:browser_version'],
  os: ['visit:os'],
  'os-versions': ['visit:os', 'visit:os_version'],
  devices: ['visit:device'],
  'screen-sizes': ['visit:screen'],
  countries: ['visit:country'],
  regions: ['visit:region'],
  cities: ['visit:city'],
  events: ['event:name'],
};
