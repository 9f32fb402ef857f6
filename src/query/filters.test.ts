import { describe, expect, it } from 'vitest';
import { DomainError } from '../errors.js';
import { duckdb } from './dialects/duckdb.js';
import { compileFilters, filterDimensions, hasBehavioral, parseFilters, parseFiltersParam } from './filters.js';
import { render } from './sql.js';

describe('parseFilters', () => {
  it.each([
    ['{}', 'filters: must be a list of filters'],
    ['[["is"]]', 'filters[0]: dimension must be a string'],
    ['[["eq","visit:country",["US"]]]', 'filters[0]: unknown operator "eq"'],
    ['[["is","visit:planet",["US"]]]', 'filters[0]: unknown dimension "visit:planet"'],
    ['[["is","time:day",["2026-01-01"]]]', 'filters[0]: filter time with the period'],
    ['[["is","visit:country",[]]]', 'filters[0]: values must be a list of 1 to 100 strings'],
    ['[["is","visit:country",[{"a":1}]]]', 'filters[0]: values must be strings'],
    ['[["is","visit:country",["US"],{"case_sensitive":"no"}]]', 'filters[0]: case_sensitive must be true or false'],
    ['[["and",[]]]', 'filters[0]: "and" takes a non-empty list of filters'],
    ['[["not",["is","visit:country",["US"]],1]]', 'filters[0]: "not" takes one filter'],
    ['[["is","event:props:bad/key",["x"]]]', 'filters[0]: unknown dimension'],
    ['not json', 'filters: not valid JSON'],
    ['[["has_done"]]', 'filters[0]: "has_done" takes one filter of event:* dimensions'],
    ['[["has_done",[]]]', 'filters[0][1]: expected [operator, ...]'],
    ['[["has_not_done",["is","event:name",["a"]],1]]', 'filters[0]: "has_not_done" takes one filter'],
    [
      '[["has_done",["is","visit:browser",["Chrome"]]]]',
      'filters[0][1]: "has_done" takes filters of event:* dimensions only, not "visit:browser"',
    ],
    [
      '[["has_not_done",["or",[["is","event:name",["a"]],["not",["is","visit:entry_page",["/"]]]]]]]',
      'filters[0][1][1][1][1]: "has_not_done" takes filters of event:* dimensions only, not "visit:entry_page"',
    ],
    [
      '[["has_done",["has_not_done",["is","event:name",["a"]]]]]',
      'filters[0][1]: "has_not_done" cannot be inside "has_done" (behavioral filters do not nest)',
    ],
    [
      '[["has_done",["and",[["is","event:page",["/"]],["has_done",["is","event:name",["a"]]]]]]]',
      'filters[0][1][1][1]: "has_done" cannot be inside "has_done"',
    ],
  ])('%s → %s', (text, message) => {
    expect(() => parseFiltersParam(text)).toThrow(DomainError);
    expect(() => parseFiltersParam(text)).toThrow(message);
  });

  it('refuses nesting deeper than 5', () => {
    let f: unknown = ['is', 'visit:country', ['US']];
    for (let i = 0; i < 5; i++) f = ['not', f];
    expect(() => parseFilters([f])).toThrow('nested deeper than 5');
  });

  it('compiles to bound parameters only', () => {
    const filters = parseFilters([
      ['is', 'visit:country', ["US' OR 1=1 --"]],
      [
        'or',
        [
          ['contains', 'event:page', ['/Blog'], { case_sensitive: false }],
          ['matches', 'event:props:plan', ['^p.*']],
        ],
      ],
    ]);
    const { text, params } = render(compileFilters(filters), duckdb);
    // A pattern on a property holds only for events that have the key (Plausible).
    expect(text).toBe(
      '(v_country IN ($1)) AND ((contains(lower(pathname), lower($2))) OR ((json_extract_string(props, $3) IS NOT NULL) AND (regexp_matches(coalesce(json_extract_string(props, $4), $5), $6))))',
    );
    expect(params).toEqual(["US' OR 1=1 --", '/Blog', '$."plan"', '$."plan"', '(none)', '^p.*']);
  });

  it('takes has_done / has_not_done of event filters, also inside and/or/not', () => {
    const filters = parseFilters([
      ['has_done', ['is', 'event:goal', ['Signup']]],
      [
        'not',
        [
          'has_not_done',
          [
            'and',
            [
              ['contains', 'event:page', ['/blog']],
              ['is', 'event:props:paid', ['true']],
            ],
          ],
        ],
      ],
    ]);
    expect(filters.map((f) => f.kind)).toEqual(['has_done', 'not']);
    expect(hasBehavioral(filters)).toBe(true);
    expect(hasBehavioral(parseFilters([['not', ['is', 'event:name', ['a']]]]))).toBe(false);
    // The planner reads a behavioral filter's dimensions: events, never visit rows alone.
    expect(filterDimensions(filters).map((d) => [d.name, d.level])).toEqual([
      ['event:goal', 'event'],
      ['event:page', 'event'],
      ['event:props:paid', 'event'],
    ]);
  });

  it('compiles a behavioral filter to the visits of ev with a matching event, values bound', () => {
    const filters = parseFilters([
      ['has_done', ['is', 'event:name', ["Signup' --"]]],
      ['has_not_done', ['contains', 'event:page', ['/blog']]],
    ]);
    const { text, params } = render(compileFilters(filters), duckdb);
    expect(text).toBe(
      '(session_id IN (SELECT session_id FROM ev WHERE (event_name IN ($1)))) AND (session_id NOT IN (SELECT session_id FROM ev WHERE (contains(pathname, $2))))',
    );
    expect(params).toEqual(["Signup' --", '/blog']);
  });
});
