/**
 * Disjoint parts of a scope's identities, for analyses whose counts add up over disjoint
 * sets of identities (funnel steps, retention cohorts, sessions, the identities in scope). A
 * cookieless visitor id belongs to one UTC day (docs/METRICS.md), so the cookieless
 * identities of a few days at a time are a part of their own, and the signed-in users (whose
 * identity spans days) are one more part over the whole period. Run one after another, each
 * part holds a fraction of the memory of a statement over the whole period (at 10M events, a
 * funnel over 30 days took the server ~140 MB above its resting memory). Sequences' matching
 * streams identities to JavaScript in one statement, and flow ranks values over all of them:
 * both still read the whole period at once.
 */
import { DAY_MS, dayStart, utcDate } from '../../utc-days.js';
import type { TimeRange } from '../builder.js';
import type { Scope } from '../stats.js';

/**
 * UTC days per cookieless part. Each statement has a fixed cost: at 10M events over 30 days,
 * parts of 5 days made the funnel 0.54 → 0.67 s, of 10 days 0.61 s, for ~15 MB more.
 */
const DAYS_PER_PART = 10;

export interface IdentityPart {
  /** The part's time ranges inside the period (undefined: the whole period). */
  ranges?: TimeRange[];
  /** The part's identities: signed-in users, or cookieless visitors. */
  signedIn: boolean;
}

/** SQL condition on an event row for a part's identities. */
export const identityIs = (part: IdentityPart) => (part.signedIn ? 'user_key IS NOT NULL' : 'user_key IS NULL');

export function identityParts(scope: Pick<Scope, 'period'>): IdentityPart[] {
  const from = scope.period.from.getTime();
  const to = scope.period.to.getTime();
  const parts: IdentityPart[] = [];
  let start = from;
  while (start < to) {
    // The end of the part: DAYS_PER_PART UTC midnights after its start, or the period's end.
    const firstMidnight = Date.parse(`${utcDate(new Date(start))}T00:00:00Z`);
    const end = Math.min(to, firstMidnight + DAYS_PER_PART * DAY_MS);
    parts.push({ ranges: [{ from: new Date(start), to: new Date(end) }], signedIn: false });
    start = end;
  }
  return [...parts, { signedIn: true }];
}

/** The UTC days among `days` (`YYYY-MM-DD`) that begin in the part's ranges. */
export const daysOf = (part: IdentityPart, days: readonly string[]): string[] =>
  days.filter((d) => part.ranges?.some((r) => dayStart(d) >= r.from.getTime() && dayStart(d) < r.to.getTime()) ?? true);
