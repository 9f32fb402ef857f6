import { describe, expect, it } from 'vitest';
import { higherRole, type Need, type Role, roleAllows, scopeAllows } from './roles.js';

const NEEDS: Need[] = ['read', 'ingest', 'admin', 'owner', 'super'];

describe('roleAllows', () => {
  it.each<[Role, Need[]]>([
    ['viewer', ['read']],
    ['admin', ['read', 'ingest', 'admin']],
    ['owner', ['read', 'ingest', 'admin', 'owner']],
  ])('%s may %j and nothing else', (role, allowed) => {
    expect(NEEDS.filter((n) => roleAllows(role, n))).toEqual(allowed);
  });
});

describe('scopeAllows', () => {
  it.each([
    ['read', ['read']],
    ['ingest', ['ingest']],
    ['admin', NEEDS],
  ] as const)('a %s key may be used for %j', (scope, allowed) => {
    expect(NEEDS.filter((n) => scopeAllows(scope, n))).toEqual(allowed);
  });
});

describe('higherRole', () => {
  it.each<[Role, Role, Role]>([
    ['viewer', 'admin', 'admin'],
    ['owner', 'viewer', 'owner'],
    ['admin', 'admin', 'admin'],
  ])('%s and %s → %s', (a, b, want) => {
    expect(higherRole(a, b)).toBe(want);
  });
});
