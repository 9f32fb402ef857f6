/**
 * GET /api/stats/funnel: visitors per step (docs/BEHAVIORAL.md §3, §8). Without modes the
 * counts come from one SQL statement (funnel-sql.ts); with modes each identity's rows are
 * reduced to a level by the windowFunnel scan. Identities without a step-1 row are not
 * shipped from SQL (level 0), nor those without a step-2 row (level 1).
 */
import type { QueryRunner } from '../../storage/storage.js';
import type { Scope } from '../stats.js';
import { type FunnelMode, windowFunnel } from './funnel.js';
import { defaultFunnelCounts } from './funnel-sql.js';
import type { Step } from './steps.js';
import { eachVisitor } from './visitor-rows.js';

export interface FunnelStep {
  step: number;
  label: string;
  visitors: number;
  /** visitors(k) / visitors(1), 0..1. */
  conversion_rate: number;
  /** visitors(k-1) − visitors(k); 0 for the first step. */
  dropoff: number;
  /** dropoff / visitors(k-1), 0..1. */
  dropoff_rate: number;
}

export interface FunnelQuery {
  steps: readonly Step[];
  windowSecs: number;
  modes: ReadonlySet<FunnelMode>;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : Math.round((a / b) * 10_000) / 10_000);

export async function funnel(q: QueryRunner, scope: Scope, f: FunnelQuery): Promise<FunnelStep[]> {
  const atLeast = f.modes.size === 0 ? await defaultFunnelCounts(q, scope, f.steps, f.windowSecs) : await scanLevels(q, scope, f);
  const first = atLeast[0] ?? 0;
  return f.steps.map((s, i) => {
    const visitors = atLeast[i] ?? 0;
    const previous = i === 0 ? visitors : (atLeast[i - 1] ?? 0);
    return {
      step: i + 1,
      label: s.label,
      visitors,
      conversion_rate: ratio(visitors, first),
      dropoff: previous - visitors,
      dropoff_rate: ratio(previous - visitors, previous),
    };
  });
}

/** Identities reaching at least step k (k = 1..n) by the windowFunnel scan, for the strict modes. */
async function scanLevels(q: QueryRunner, scope: Scope, f: FunnelQuery): Promise<number[]> {
  const n = f.steps.length;
  // reached[k] = identities whose level is exactly k.
  const reached = new Array<number>(n + 1).fill(0);
  const onlyStepOne = await eachVisitor(
    q,
    scope,
    f.steps,
    // Without a step-2 row the level is 1 whatever the mode: those are only counted.
    { keepNoise: f.modes.has('strict_order'), required: 0b11, counted: 0b1 },
    (ts, masks) => {
      const level = windowFunnel(ts, masks, n, f.windowSecs, f.modes);
      reached[level] = (reached[level] ?? 0) + 1;
    },
  );
  reached[1] = (reached[1] ?? 0) + onlyStepOne;
  // visitors(k) = identities with level ≥ k.
  const atLeast = new Array<number>(n + 1).fill(0);
  for (let k = n; k >= 1; k--) atLeast[k - 1] = (atLeast[k] ?? 0) + (reached[k] ?? 0);
  return atLeast.slice(0, n);
}
