import { describe, expect, it } from 'vitest';
import type { Goal } from '../sites/goals.js';
import { dimension } from './dimensions.js';
import { type Filter, withoutGoalFilters } from './filters.js';
import { goalFilter, pagePatternRegex, resolveGoals } from './goals.js';

const goal = (displayName: string, kind: { eventName: string } | { pagePath: string }): Goal => ({
  id: displayName,
  siteId: 's',
  eventName: 'eventName' in kind ? kind.eventName : null,
  pagePath: 'pagePath' in kind ? kind.pagePath : null,
  displayName,
  currency: null,
  createdAt: '2026-01-01T00:00:00.000Z',
});
const SIGNUP = goal('Sign up', { eventName: 'Signup' });
const BLOG = goal('Visit /blog/*', { pagePath: '/blog/*' });
const match = (name: string, op: 'is' | 'contains' | 'matches', values: string[], caseSensitive = true): Filter => ({
  kind: 'match',
  op,
  dim: dimension(name) as NonNullable<ReturnType<typeof dimension>>,
  values,
  caseSensitive,
});

describe('pagePatternRegex', () => {
  it.each([
    ['/blog/*', '^/blog/.*$', ['/blog/', '/blog/a', '/blog/a/b'], ['/blog', '/blogs/a', '/x/blog/a']],
    ['/a.b/(c)', '^/a\\.b/\\(c\\)$', ['/a.b/(c)'], ['/aXb/(c)', '/a.b/c']],
    ['/*/pricing', '^/.*/pricing$', ['/de/pricing', '//pricing'], ['/pricing', '/de/pricing/x']],
  ])('%s', (path, regex, hits, misses) => {
    expect(pagePatternRegex(path)).toBe(regex);
    for (const h of hits) expect(new RegExp(regex).test(h), h).toBe(true);
    for (const m of misses) expect(new RegExp(regex).test(m), m).toBe(false);
  });
});

describe('resolveGoals', () => {
  it('leaves the filters of a site without goals alone', () => {
    const filters = [match('event:goal', 'is', ['Signup'])];
    expect(resolveGoals(filters, [])).toEqual({ filters, shown: [] });
  });

  it('turns a goal name into its goal condition, marked as a goal filter', () => {
    const { filters, shown } = resolveGoals([match('event:goal', 'is', ['Visit /blog/*'])], [SIGNUP, BLOG]);
    expect(shown).toEqual([BLOG]);
    expect(filters).toEqual([goalFilter(BLOG)]);
    expect(goalFilter(BLOG)).toMatchObject({
      kind: 'and',
      goal: 'Visit /blog/*',
      children: [
        { op: 'is', values: ['pageview'] },
        { op: 'matches', values: ['^/blog/.*$'] },
      ],
    });
    expect(withoutGoalFilters(filters)).toEqual([]);
  });

  it('ors the goals a contains filter selects, case-insensitively when asked', () => {
    const { filters, shown } = resolveGoals([match('event:goal', 'contains', ['S'], false)], [SIGNUP, BLOG]);
    expect(shown).toEqual([SIGNUP, BLOG]);
    expect(filters).toEqual([{ kind: 'or', children: [goalFilter(SIGNUP), goalFilter(BLOG)], goal: 'S' }]);
  });

  it('keeps no row for a name that is no goal, and resolves goals nested in or/not', () => {
    const nested: Filter = { kind: 'not', child: match('event:goal', 'is', ['Nope']) };
    const { filters, shown } = resolveGoals([nested, match('visit:browser', 'is', ['Chrome'])], [SIGNUP]);
    expect(shown).toEqual([SIGNUP]);
    expect(filters[0]).toMatchObject({ kind: 'not', child: { op: 'is', values: [''], goal: 'Nope' } });
    expect(filters[1]).toEqual(match('visit:browser', 'is', ['Chrome']));
  });

  it('leaves what it resolved alone when asked again', () => {
    const once = resolveGoals([match('event:goal', 'is', ['Sign up'])], [SIGNUP, BLOG]);
    expect(resolveGoals(once.filters, [SIGNUP, BLOG])).toEqual({ filters: once.filters, shown: [SIGNUP, BLOG] });
  });

  it('refuses operators a name comparison cannot answer', () => {
    expect(() => resolveGoals([match('event:goal', 'matches', ['^S'])], [SIGNUP])).toThrow(
      'filters: event:goal can only be filtered with is or contains',
    );
  });
});
