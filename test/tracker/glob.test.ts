/**
 * `data-exclude` / `data-include` patterns (tracker/src/glob.ts), Plausible's syntax:
 * `*` within a segment, `**` across segments, optional trailing slash, the rest literal.
 */
import { describe, expect, it } from 'vitest';
import { globToRegExp, matchesAny } from '../../tracker/src/glob.js';

const matches = (glob: string, path: string) => globToRegExp(glob).test(path);

describe('path globs', () => {
  it('matches literal paths exactly, with an optional trailing slash', () => {
    expect(matches('/pricing', '/pricing')).toBe(true);
    expect(matches('/pricing', '/pricing/')).toBe(true);
    expect(matches('/pricing', '/pricing/team')).toBe(false);
    expect(matches('/pricing', '/pricingx')).toBe(false);
    expect(matches('/pricing', '/x/pricing')).toBe(false);
  });

  it('* matches within one segment only', () => {
    expect(matches('/blog/*', '/blog/hello')).toBe(true);
    expect(matches('/blog/*', '/blog/')).toBe(true);
    expect(matches('/blog/*', '/blog/hello/comments')).toBe(false);
    expect(matches('/user/*/settings', '/user/42/settings')).toBe(true);
    expect(matches('/user/*/settings', '/user/42/x/settings')).toBe(false);
    expect(matches('/*.html', '/index.html')).toBe(true);
  });

  it('** matches across segments', () => {
    expect(matches('/admin/**', '/admin/users/7/edit')).toBe(true);
    expect(matches('/admin/**', '/admin/')).toBe(true);
    expect(matches('/admin/**', '/admin')).toBe(false);
    expect(matches('/admin**', '/admin')).toBe(true);
    expect(matches('/**/edit', '/posts/7/edit')).toBe(true);
    expect(matches('/**/edit', '/posts/7/view')).toBe(false);
  });

  it('takes regular-expression characters literally', () => {
    expect(matches('/a.b', '/a.b')).toBe(true);
    expect(matches('/a.b', '/axb')).toBe(false);
    expect(matches('/(x)+', '/(x)+')).toBe(true);
    expect(matches('/(x)+', '/xx')).toBe(false);
    expect(matches('/a?b', '/ab')).toBe(false);
    // Characters that are not special in a regular expression are escaped too, harmlessly.
    expect(matches('/50%-off/caf\u00e9', '/50%-off/caf\u00e9')).toBe(true);
    expect(matches('/a-b/*', '/a-b/c')).toBe(true);
    expect(matches('/a-b/*', '/ab/c')).toBe(false);
  });

  it('answers undefined without a list (the caller decides what a missing list means)', () => {
    expect(matchesAny(null, '/')).toBeUndefined();
  });

  it('matches hash-mode paths, whose fragment is part of the path', () => {
    expect(matches('/app#/admin/**', '/app#/admin/users')).toBe(true);
    expect(matches('/app#/admin/**', '/app#/home')).toBe(false);
  });

  it('reads comma-separated lists, ignoring spaces around patterns', () => {
    expect(matchesAny('/admin/**, /drafts/*', '/drafts/x')).toBe(true);
    expect(matchesAny('/admin/**, /drafts/*', '/admin/x/y')).toBe(true);
    expect(matchesAny('/admin/**, /drafts/*', '/blog/x')).toBe(false);
  });
});
