/**
 * Who may do what, as data: the three roles a user holds per site, the needs a route states
 * (`read`, `ingest`, `admin`, `owner`, `super`) and which role and which API-key scope
 * satisfy which need. The guard (http/auth-guard.ts) is the only caller that enforces these;
 * docs/API.md ("Users and roles") has the same table in words.
 */
import type { Scope } from './api-keys.js';

export const ROLES = ['viewer', 'admin', 'owner'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a route needs: `read` a site's stats and lists, `ingest` events, `admin` its settings
 * (goals, segments, shields, keys, imports), `owner` its members and invitations and its
 * removal, `super` what spans every site (users, backups).
 */
export type Need = 'read' | 'ingest' | 'admin' | 'owner' | 'super';

const ROLE_ALLOWS: Record<Role, readonly Need[]> = {
  viewer: ['read'],
  admin: ['read', 'ingest', 'admin'],
  owner: ['read', 'ingest', 'admin', 'owner'],
};

/** Whether holding `role` on a site satisfies `need` there (`super` is never a site role's). */
export const roleAllows = (role: Role, need: Need): boolean => ROLE_ALLOWS[role].includes(need);

/** Whether a key of `scope` may be used for `need` at all: an admin key carries its user's rights, the others one each. */
export const scopeAllows = (scope: Scope, need: Need): boolean => scope === 'admin' || scope === need;

/** The higher of two roles (an invitation does not demote a member). */
export const higherRole = (a: Role, b: Role): Role => (ROLES.indexOf(a) >= ROLES.indexOf(b) ? a : b);
