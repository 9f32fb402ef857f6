/**
 * GET /api/stats/sequences: which identities' rows match a sequence pattern
 * (docs/BEHAVIORAL.md §5, §8), and how often (non-overlapping occurrences). Identities lacking
 * a condition the pattern names are rejected in SQL (the quick reject of §5).
 */
import type { QueryRunner } from '../../storage/storage.js';
import { withScopeSource } from '../scope-source.js';
import type { Scope } from '../stats.js';
import { type Pattern, sequenceCount } from './sequence.js';
import type { Step } from './steps.js';
import { eachVisitorIn, identitiesIn } from './visitor-rows.js';

export interface SequenceAnswer {
  pattern: string;
  converting_visitors: number;
  total_visitors: number;
  /** converting / total, 0..1. */
  conversion_rate: number;
  /** Non-overlapping occurrences of the pattern, summed over identities. */
  sequence_count: number;
}

export async function sequences(q: QueryRunner, scope: Scope, steps: readonly Step[], pattern: Pattern): Promise<SequenceAnswer> {
  const required = pattern.referenced.reduce((bits, k) => bits | (1 << (k - 1)), 0);
  let converting = 0;
  let occurrences = 0;
  // One scope source for both statements: the matching, and the identities it divides by.
  const total = await withScopeSource(q, scope, async (src) => {
    // Identities lacking a required condition are not shipped: they cannot match.
    await eachVisitorIn(q, src, scope, steps, { keepNoise: false, required }, (ts, masks) => {
      // The first attempt of a count is the match itself: count > 0 exactly when it matches.
      const count = sequenceCount(pattern, ts, masks);
      if (count > 0) converting++;
      occurrences += count;
    });
    return identitiesIn(q, src, scope);
  });
  return {
    pattern: pattern.text,
    converting_visitors: converting,
    total_visitors: total,
    conversion_rate: total === 0 ? 0 : Math.round((converting / total) * 10_000) / 10_000,
    sequence_count: occurrences,
  };
}
