/**
 * Values the ported sibling files (query_imported_test.exs) name that translate.ts's tables do
 * not have yet, translated around translate.ts without touching it: the fields are taken off
 * the events, translate.ts translates the rest, and the values are put back on its output.
 * They belong in translate.ts's REFERRERS and GEO (and its check test); this module goes when
 * they are there.
 */
import type { PlausibleEvent } from './case.js';
import { type IngestEvent, translate } from './translate.js';

/** `referrer` → the referrer URL sent (we answer it without the scheme, as Plausible stores it). */
export const EXTRA_REFERRERS: Readonly<Record<string, string>> = {
  'site.com': 'https://site.com/',
  'site.com/1': 'https://site.com/1',
};

/**
 * A place → an address of the base test GeoIP database (test/helpers/geo-fixture.ts):
 * 198.51.100.0/24 is DE / Berlin / Berlin (GeoNames 2950159). We answer the region and city
 * by name ("Berlin"), where Plausible answers "DE-BE" and 2950159 (translate.ts: geo-ids).
 */
export const EXTRA_PLACES: readonly {
  country_code: string;
  subdivision1_code: string;
  city_geoname_id: number;
  prefix: string;
}[] = [{ country_code: 'DE', subdivision1_code: 'DE-BE', city_geoname_id: 2_950_159, prefix: '198.51.100.' }];

const placeOf = (e: PlausibleEvent) =>
  EXTRA_PLACES.find(
    (p) =>
      p.country_code === e.country_code && p.subdivision1_code === e.subdivision1_code && p.city_geoname_id === e.city_geoname_id,
  );

/** translate.ts's batch, with the values above. */
export function translateSiblings(events: readonly PlausibleEvent[], siteId: string, now: Date): IngestEvent[] {
  const extras = events.map((e) => ({
    referrer: e.referrer === undefined ? undefined : EXTRA_REFERRERS[e.referrer],
    place: placeOf(e),
  }));
  const stripped = events.map((e, i) => {
    const { referrer, country_code, subdivision1_code, city_geoname_id, ...rest } = e;
    const x = extras[i];
    if (x?.place !== undefined && e.user_id !== undefined) {
      throw new Error('translate-siblings.ts: a place for a user id (its other events would need it too)');
    }
    return {
      ...rest,
      ...(referrer === undefined || x?.referrer !== undefined ? {} : { referrer }),
      ...(x?.place !== undefined ? {} : { country_code, subdivision1_code, city_geoname_id }),
    } as PlausibleEvent;
  });
  return translate(stripped, siteId, now).map((out, i) => {
    const x = extras[i];
    const ip = x?.place === undefined ? out.ip : `${x.place.prefix}${out.ip.split('.').pop()}`;
    return { ...out, ip, ...(x?.referrer === undefined ? {} : { referrer: x.referrer }) };
  });
}
