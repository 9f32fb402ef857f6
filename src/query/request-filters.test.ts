/** A saved segment's filters renamed for a v2 body (the dashboard's region and city names are v2's `_name` dimensions). */
import { describe, expect, it } from 'vitest';
import { inV2Names } from './request-filters.js';

describe('inV2Names', () => {
  it('renames region and city names and codes at every depth, and nothing else', () => {
    expect(
      inV2Names([
        'and',
        [
          ['is', 'visit:region', ['Berlin']],
          ['not', ['contains', 'visit:city', ['Lon'], { case_sensitive: false }]],
          [
            'or',
            [
              ['is', 'visit:region_code', ['DE-BE']],
              ['is', 'visit:city_geoname_id', ['2950159']],
            ],
          ],
          ['has_done', ['is', 'event:page', ['/pricing']]],
          ['is', 'visit:country', ['DE']],
        ],
      ]),
    ).toEqual([
      'and',
      [
        ['is', 'visit:region_name', ['Berlin']],
        ['not', ['contains', 'visit:city_name', ['Lon'], { case_sensitive: false }]],
        [
          'or',
          [
            ['is', 'visit:region', ['DE-BE']],
            ['is', 'visit:city', ['2950159']],
          ],
        ],
        ['has_done', ['is', 'event:page', ['/pricing']]],
        ['is', 'visit:country', ['DE']],
      ],
    ]);
  });

  it('leaves what is not a filter as it is, for the parser to refuse', () => {
    expect(inV2Names('x')).toBe('x');
    expect(inV2Names([])).toEqual([]);
    expect(inV2Names(['is'])).toEqual(['is']);
  });
});
