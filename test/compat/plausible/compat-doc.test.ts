/**
 * docs/PLAUSIBLE-COMPAT.md against the ported cases: every `differs` verdict has its own row in
 * the table of deliberate differences (the row starts with the verdict's tag and names the
 * case's test), every row stands for a case, and the missing-features list counts every
 * `pending` case.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PortedCase } from './case.js';
import { CASES as comparisons } from './cases/comparisons.js';
import { CASES as goalDimension } from './cases/goal-dimension.js';
import { CASES as imported } from './cases/imported.js';
import { QUERY_CASES } from './cases/query.js';
import { CASES as specialMetrics } from './cases/special-metrics.js';
import { CASES as timeOnPage } from './cases/time-on-page.js';
import { CASES as timezone } from './cases/timezone.js';

const ALL: PortedCase[] = [
  ...QUERY_CASES,
  ...goalDimension,
  ...specialMetrics,
  ...comparisons,
  ...imported,
  ...timezone,
  ...timeOnPage,
];
const DOC = readFileSync(new URL('../../../docs/PLAUSIBLE-COMPAT.md', import.meta.url), 'utf8');

/** The table rows of a section (`## title`), without the header and its rule. */
function rows(title: string): string[] {
  const section = DOC.split(/^## /m).find((s) => s.startsWith(title));
  if (section === undefined) throw new Error(`docs/PLAUSIBLE-COMPAT.md: no section ${title}`);
  return section
    .split('\n')
    .filter((l) => l.startsWith('|'))
    .slice(2);
}

describe('docs/PLAUSIBLE-COMPAT.md', () => {
  it('has one row per differs case, starting with its tag and naming its test', () => {
    const table = rows('Deliberate differences');
    const unmatched = [...table];
    for (const c of ALL) {
      if (c.verdict.kind !== 'differs') continue;
      const tag = `| \`${c.verdict.why}\` · `;
      const at = unmatched.findIndex((r) => r.startsWith(tag) && r.includes(c.source.test));
      expect(at, `no row for [${c.verdict.why}] ${c.source.test}`).toBeGreaterThanOrEqual(0);
      unmatched.splice(at, 1);
    }
    expect(unmatched, 'rows without a differs case').toEqual([]);
  });

  it('counts every pending case among the missing features', () => {
    const counts = rows('Missing features').map((r) => Number(r.split('|').at(-2)?.trim()));
    const sum = counts.reduce((a, b) => a + b, 0);
    expect(sum).toBe(ALL.filter((c) => c.verdict.kind === 'pending').length);
  });
});
