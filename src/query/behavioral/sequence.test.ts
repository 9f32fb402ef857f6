import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrownDomainError } from '../../../test/helpers/http-error.js';
import { DomainError } from '../../errors.js';
import {
  PATTERN_LIMITS,
  type Pattern,
  type PatternToken,
  PatternTooExpensive,
  parsePattern,
  sequenceCount,
  sequenceMatch,
  stepsPattern,
} from './sequence.js';

/**
 * Rows written as "P@0 B@10 S@20" in arrival order. `conds` names the conditions: its
 * i-th letter is condition i+1 (so with 'PS', P = cond 1, S = cond 2); a row may carry
 * several letters ("PS@0"); letters not in `conds` make an irrelevant row (mask 0).
 * Returned in (ts, arrival) order.
 */
function rows(conds: string, text: string): { ts: number[]; masks: number[] } {
  const parsed = text
    .split(' ')
    .filter((w) => w !== '')
    .map((w, arrival) => {
      const [letters = '', at = ''] = w.split('@');
      let mask = 0;
      for (const c of letters) {
        const k = conds.indexOf(c);
        if (k >= 0) mask |= 1 << k;
      }
      return { ts: Number(at), mask, arrival };
    })
    .sort((a, b) => a.ts - b.ts || a.arrival - b.arrival);
  return { ts: parsed.map((r) => r.ts), masks: parsed.map((r) => r.mask) };
}

function match(conds: string, text: string, pattern: string): boolean {
  const { ts, masks } = rows(conds, text);
  return sequenceMatch(parsePattern(pattern, conds.length), ts, masks);
}

function count(conds: string, text: string, pattern: string): number {
  const { ts, masks } = rows(conds, text);
  return sequenceCount(parsePattern(pattern, conds.length), ts, masks);
}

describe('sequenceMatch: docs/BEHAVIORAL.md §5 examples (P = /pricing, S = signup, B = /blog)', () => {
  // [conditions, rows, pattern, expected]
  const cases: [string, string, string, boolean][] = [
    ['PS', 'P@0 B@10 S@20', '(?1)(?2)', true],
    ['PSB', 'P@0 B@10 S@20', '(?1)(?2)', false],
    ['PSB', 'P@0 B@10 S@20', '(?1).(?2)', true],
    ['PS', 'P@0 S@600', '(?1)(?t<=600)(?2)', true],
    ['PS', 'P@0 S@600', '(?1)(?t<600)(?2)', false],
    ['PS', 'P@0 S@600', '(?1)(?t>=600)(?2)', true],
    ['PS', 'P@0 S@600', '(?1)(?t>600)(?2)', false],
    ['PS', 'P@0 S@5000', '(?1)(?t<=3600)(?2)', false],
    ['PS', 'P@0 S@5000', '(?1).*(?t<=3600)(?2)', true],
    ['PS', 'S@0 P@0', '(?1)(?2)', false],
    ['PS', 'P@0 S@0', '(?1)(?2)', true],
  ];
  it.each(cases)('[%s] %s %s → %s', (conds, text, pattern, expected) => {
    expect(match(conds, text, pattern)).toBe(expected);
  });
});

describe('sequenceCount: docs/BEHAVIORAL.md §5 examples', () => {
  const cases: [string, string, string, number][] = [
    ['PS', 'P@0 S@1 P@2 S@3 P@4', '(?1)(?2)', 2],
    ['PS', 'P@0 P@1 S@2 S@3', '(?1)(?2)', 1],
    ['PS', 'P@0 P@1 S@2 S@3', '(?1).*(?2)', 1],
    ['PS', 'P@0 S@30 P@100 S@5000 P@5010 S@5020', '(?1)(?t<=60)(?2)', 2],
    ['PS', 'P@0 S@30 P@100 S@5000 P@5010 S@5020', '(?1)(?2)', 3],
  ];
  it.each(cases)('[%s] %s %s → %i', (conds, text, pattern, expected) => {
    expect(count(conds, text, pattern)).toBe(expected);
  });
});

describe('sequenceMatch: edge cases', () => {
  // [case, conditions, rows, pattern, expected]
  const cases: [string, string, string, string, boolean][] = [
    ['no rows', 'PS', '', '(?1)', false],
    ['no rows, pattern matching nothing', 'PS', '', '.*', false],
    ['only irrelevant rows', 'PS', 'X@0 X@1', '.*', false],
    ['one event', 'PS', 'P@0', '(?1)', true],
    ['quick reject', 'PS', 'P@0 P@1', '(?1).*(?2)', false],
    ['adjacency', 'PS', 'P@0 P@1 S@2', '(?1)(?2)', true],
    ['irrelevant rows are invisible to "."', 'PS', 'P@0 X@5 S@10', '(?1).(?2)', false],
    ['a row with two conditions is one event', 'PS', 'PS@0', '(?1)(?2)', false],
    ['a row with two conditions matches either', 'PS', 'PS@0', '(?2)', true],
    ['two rows with both conditions', 'PS', 'PS@0 PS@1', '(?1)(?2)', true],
    ['within: relevant events in between', 'PS', 'P@0 P@100 S@500', '(?1)(?t<=600)(?2)', true],
    ['leading time item', 'PS', 'P@0', '(?t<=5)(?1)', true],
    ['trailing <=, no later event', 'PS', 'P@0', '(?1)(?t<=10)', true],
    ['trailing <=, next event inside', 'PS', 'P@0 S@5', '(?1)(?t<=10)', true],
    ['trailing <=, next event outside', 'PS', 'P@0 S@20', '(?1)(?t<=10)', false],
    ['trailing >, no later event', 'PS', 'P@0', '(?1)(?t>10)', false],
    ['trailing >, a later event far enough', 'PS', 'P@0 S@5 S@20', '(?1)(?t>10)', true],
    ['trailing >, later events too close', 'PS', 'P@0 S@5', '(?1)(?t>10)', false],
    ['trailing >=0 at the end', 'PS', 'P@0', '(?1)(?t>=0)', true],
    ['trailing >=1 at the end', 'PS', 'P@0', '(?1)(?t>=1)', false],
    ['trailing <0 at the end', 'PS', 'P@0', '(?1)(?t<0)', true],
    ['trailing <0 with a later event', 'PS', 'P@0 S@0', '(?1)(?t<0)', false],
    ['== exact', 'PS', 'P@0 S@30', '(?1)(?t==30)(?2)', true],
    ['== off by one', 'PS', 'P@0 S@30', '(?1)(?t==29)(?2)', false],
    ['== skips an earlier event', 'PS', 'P@0 S@10 S@30', '(?1)(?t==30)(?2)', true],
    ['== 0 in the same second', 'PS', 'P@5 S@5', '(?1)(?t==0)(?2)', true],
    ['trailing == with no later event', 'PS', 'P@0', '(?1)(?t==30)', false],
    ['trailing == with a later event', 'PS', 'P@0 S@30', '(?1)(?t==30)', true],
    ['> after .* counts from the next event (far)', 'PSB', 'P@0 B@100 S@1950', '(?1).*(?t>1800)(?2)', true],
    ['> after .* counts from the next event (near)', 'PSB', 'P@0 B@100 S@1850', '(?1).*(?t>1800)(?2)', false],
    ['> after .* compares S with itself', 'PS', 'P@0 S@1850', '(?1).*(?t>1800)(?2)', false],
    ['> without .* counts from P', 'PSB', 'P@0 B@100 S@1850', '(?1)(?t>1800)(?2)', true],
    ['.* then <= behaves like .*', 'PS', 'P@0 S@99999', '(?1).*(?t<=1)(?2)', true],
    ['backtracking over several .*', 'PSB', 'P@0 B@1 P@2 S@3 B@4', '(?1).*(?2).*(?3)', true],
    ['order matters', 'PSB', 'S@0 P@1 B@2', '(?1).*(?2).*(?3)', false],
  ];
  it.each(cases)('%s', (_name, conds, text, pattern, expected) => {
    expect(match(conds, text, pattern)).toBe(expected);
  });

  it('skips mask-0 rows whether or not the caller filtered them', () => {
    const p = parsePattern('(?1)(?2)', 2);
    expect(sequenceMatch(p, [0, 5, 10], [1, 0, 2])).toBe(true);
    expect(sequenceMatch(p, [0, 10], [1, 2])).toBe(true);
    expect(sequenceCount(p, [0, 5, 10, 11, 12], [1, 0, 2, 0, 1])).toBe(1);
  });

  it('accepts typed arrays and bit 31 (condition 32)', () => {
    const p = parsePattern('(?32)(?1)', 32);
    expect(sequenceMatch(p, new Float64Array([0, 1]), new Int32Array([1 << 31, 1]))).toBe(true);
    expect(sequenceMatch(p, [0, 1], [2 ** 31, 1])).toBe(true);
    expect(sequenceMatch(p, [0, 1], [1, 2 ** 31])).toBe(false);
  });

  it('orders rows given out of timestamp order, keeping the given order for ties', () => {
    const p = parsePattern('(?1)(?2)', 3);
    expect(sequenceMatch(p, [10, 0], [1, 2])).toBe(false);
    expect(sequenceMatch(p, [10, 5, 10], [2, 4, 1])).toBe(false);
    expect(sequenceMatch(p, [10, 5, 10], [1, 4, 2])).toBe(true);
  });
});

describe('sequenceCount: edge cases', () => {
  const cases: [string, string, string, string, number][] = [
    ['no rows', 'PS', '', '(?1)', 0],
    ['no relevant rows, pattern matching nothing', 'PS', 'X@0', '.*', 0],
    ['every event', 'PS', 'P@0 P@1 P@2', '(?1)', 3],
    ['no overlap: 3 events, pairs', 'PS', 'P@0 P@1 P@2', '(?1)(?1)', 1],
    ['no overlap: 4 events, pairs', 'PS', 'P@0 P@1 P@2 P@3', '(?1)(?1)', 2],
    ['rows with both conditions are not shared', 'PS', 'PS@0 PS@1 PS@2', '(?1)(?2)', 1],
    ['restart after .*', 'PS', 'P@0 S@1 P@2 S@3', '(?1).*(?2)', 2],
    ['a match consuming nothing restarts one later', 'PS', 'P@0 P@100', '(?t<=5)', 2],
    ['.* matches once per event', 'PS', 'P@0 S@1 P@2', '.*', 3],
    ['match ending on exhausted events', 'PS', 'P@0 P@5 P@100', '(?1)(?t<=10)', 2],
    ['quick reject', 'PS', 'P@0 P@1', '(?1)(?2)', 0],
    ['irrelevant rows between', 'PS', 'P@0 X@1 S@2 X@3 P@4 S@5', '(?1)(?2)', 2],
  ];
  it.each(cases)('%s', (_name, conds, text, pattern, expected) => {
    expect(count(conds, text, pattern)).toBe(expected);
  });
});

describe('sequence matching cost', () => {
  const pathological = parsePattern('(?1).*(?1).*(?1).*(?1).*(?1).*(?1).*(?1).*(?2)', 2);

  it('fails fast when the only cond-2 event comes first (2,000 events)', () => {
    const ts = Array.from({ length: 2000 }, (_, i) => i);
    const masks = ts.map((i) => (i === 0 ? 2 : 1));
    expect(sequenceMatch(pathological, ts, masks)).toBe(false);
    expect(sequenceCount(pathological, ts, masks)).toBe(0);
  });

  it('matches when the cond-2 event comes last (2,000 events)', () => {
    const ts = Array.from({ length: 2000 }, (_, i) => i);
    const masks = ts.map((i) => (i === 1999 ? 2 : 1));
    expect(sequenceMatch(pathological, ts, masks)).toBe(true);
    expect(sequenceCount(pathological, ts, masks)).toBe(1);
  });

  it('counts every 400th event as the end of one match (2,000 events)', () => {
    const ts = Array.from({ length: 2000 }, (_, i) => i);
    const masks = ts.map((i) => (i % 400 === 399 ? 2 : 1));
    expect(sequenceCount(pathological, ts, masks)).toBe(5);
  });

  it('gives up with PatternTooExpensive past 1,000,000 steps', () => {
    const p = parsePattern(`${'(?1)(?t>=0)'.repeat(15)}(?2)`, 2);
    const ts = Array.from({ length: 40_000 }, (_, i) => i);
    const masks = ts.map((i) => (i === 0 ? 2 : 1));
    expect(() => sequenceMatch(p, ts, masks)).toThrow(PatternTooExpensive);
  });
});

/**
 * The depth-first search exactly as §5 words it, with no memo: exponential, for small
 * random inputs only. Returns the match end or -1.
 */
function literalAttempt(tokens: PatternToken[], ts: number[], masks: number[], s: number): number {
  const all: PatternToken[] = [{ kind: 'anyRun' }, ...tokens];
  const n = ts.length;
  const skippable = (t: PatternToken) =>
    t.kind === 'anyRun' || (t.kind === 'time' && (t.op === '<' || t.op === '<=' || (t.op === '>=' && t.seconds === 0)));
  const holds = (op: string, a: number, b: number) =>
    op === '<=' ? a <= b : op === '<' ? a < b : op === '>=' ? a >= b : op === '>' ? a > b : a === b;
  const go = (i: number, p: number, r: number): number => {
    const t = all[i];
    if (t === undefined) return p;
    if (p === n) return all.slice(i).every(skippable) ? p : -1;
    if (t.kind === 'cond') return ((masks[p] ?? 0) >> (t.index - 1)) & 1 ? go(i + 1, p + 1, p) : -1;
    if (t.kind === 'any') return go(i + 1, p + 1, p);
    for (let q = p; q < n; q++) {
      if (t.kind === 'time' && !holds(t.op, ts[q] ?? 0, (ts[r] ?? 0) + t.seconds)) continue;
      const end = go(i + 1, q, q);
      if (end >= 0) return end;
    }
    return -1;
  };
  return go(0, s, s);
}

function literalCount(p: Pattern, ts: number[], masks: number[]): number {
  if (ts.length === 0) return 0;
  let c = 0;
  let s = 0;
  while (s < ts.length) {
    const end = literalAttempt(p.tokens, ts, masks, s);
    if (end < 0) break;
    c++;
    s = end > s ? end : s + 1;
  }
  return c;
}

describe('sequence matcher vs the literal search of §5', () => {
  const item = fc.oneof(
    fc.constantFrom('(?1)', '(?2)', '(?3)', '.', '.*'),
    fc.tuple(fc.constantFrom('<=', '<', '>=', '>', '=='), fc.integer({ min: 0, max: 6 })).map(([op, x]) => `(?t${op}${x})`),
  );
  const pattern = fc
    .array(item, { minLength: 1, maxLength: 6 })
    .map((items) => items.filter((it, i) => !(it.startsWith('(?t') && items[i - 1]?.startsWith('(?t'))).join(''))
    .filter((text) => text !== '');
  const events = fc.array(fc.record({ dt: fc.integer({ min: 0, max: 3 }), mask: fc.integer({ min: 1, max: 7 }) }), {
    maxLength: 9,
  });

  it('agrees on match and count for random patterns and visitors', () => {
    fc.assert(
      fc.property(pattern, events, (text, list) => {
        const p = parsePattern(text, 3);
        let t = 0;
        const ts = list.map((e) => (t += e.dt));
        const masks = list.map((e) => e.mask);
        const expectedCount = p.referenced.every((k) => masks.some((m) => (m >> (k - 1)) & 1)) ? literalCount(p, ts, masks) : 0;
        expect(sequenceCount(p, ts, masks)).toBe(expectedCount);
        const expectedMatch = ts.length > 0 && expectedCount > 0;
        expect(sequenceMatch(p, ts, masks)).toBe(expectedMatch);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('parsePattern', () => {
  it('reads every kind of item', () => {
    const p = parsePattern('(?1)(?t<=1800)(?2).*(?3).(?t==0)(?2)(?t<5).(?t>=7)(?1)(?t>9)', 3);
    expect(p.tokens).toEqual([
      { kind: 'cond', index: 1 },
      { kind: 'time', op: '<=', seconds: 1800 },
      { kind: 'cond', index: 2 },
      { kind: 'anyRun' },
      { kind: 'cond', index: 3 },
      { kind: 'any' },
      { kind: 'time', op: '==', seconds: 0 },
      { kind: 'cond', index: 2 },
      { kind: 'time', op: '<', seconds: 5 },
      { kind: 'any' },
      { kind: 'time', op: '>=', seconds: 7 },
      { kind: 'cond', index: 1 },
      { kind: 'time', op: '>', seconds: 9 },
    ]);
    expect(p.referenced).toEqual([1, 2, 3]);
    expect(p.text).toBe('(?1)(?t<=1800)(?2).*(?3).(?t==0)(?2)(?t<5).(?t>=7)(?1)(?t>9)');
  });

  it.each([
    ['(?2).(?2)', 2, [2]],
    ['(?3).*(?1)', 3, [1, 3]],
    ['.*', 1, []],
    ['(?t<=5)(?1)', 1, [1]],
    ['(?01)', 1, [1]],
    [`(?1)(?t<=${PATTERN_LIMITS.seconds})(?2)`, 2, [1, 2]],
    ['(?1)'.repeat(PATTERN_LIMITS.items), 1, [1]],
    ['(?1).*'.repeat(PATTERN_LIMITS.anyRuns), 1, [1]],
    [`(?1)${'.'.repeat(PATTERN_LIMITS.items - 1)}`, 1, [1]],
  ])('accepts %s', (text, conditions, referenced) => {
    expect(parsePattern(text, conditions).referenced).toEqual(referenced);
  });

  // [pattern, conditions, message]
  const errors: [string, number, string][] = [
    ['', 2, 'pattern: empty pattern'],
    ['(?0)', 2, 'pattern: conditions are numbered from 1, (?0) is invalid at position 3'],
    ['(?1)(?3)', 2, 'pattern: (?3) refers to condition 3 but there are only 2 conditions at position 7'],
    [
      '(?99999999999999999999)',
      2,
      'pattern: (?99999999999999999999) refers to condition 99999999999999999999 but there are only 2 conditions at position 3',
    ],
    ['(?00)', 2, 'pattern: conditions are numbered from 1, (?00) is invalid at position 3'],
    ['(?1)(?t!=5)(?2)', 2, 'pattern: unknown time operator "!=" (use <=, <, >=, > or ==) at position 8'],
    ['(?1)(?t=5)(?2)', 2, 'pattern: unknown time operator "="'],
    ['(?1)(?t<>5)(?2)', 2, 'pattern: unknown time operator "<>"'],
    ['(?1)(?t=<5)(?2)', 2, 'pattern: unknown time operator "=<"'],
    ['(?1)(?tx5)(?2)', 2, 'pattern: unexpected character "x" (expected a time operator <=, <, >=, > or ==) at position 8'],
    ['(?1)(?t<=-5)(?2)', 2, 'pattern: unexpected character "-" (expected a number) at position 10'],
    ['(?1', 2, 'pattern: unbalanced parentheses: "(" not closed at position 1'],
    ['(?1)(?2', 2, 'pattern: unbalanced parentheses: "(" not closed at position 5'],
    ['(?1(?2)', 2, 'pattern: unbalanced parentheses: "(" not closed at position 1'],
    ['(', 2, 'pattern: unbalanced parentheses: "(" not closed at position 1'],
    ['(?1)(?t<=5', 2, 'pattern: unbalanced parentheses: "(" not closed at position 5'],
    ['(?1))', 2, 'pattern: unbalanced parentheses: ")" without "(" at position 5'],
    [')(?1)', 2, 'pattern: unbalanced parentheses: ")" without "(" at position 1'],
    ['(?1)x', 2, 'pattern: unexpected character "x" at position 5'],
    ['(?1) (?2)', 2, 'pattern: unexpected character " " at position 5'],
    ['(?1)*', 2, 'pattern: unexpected character "*" at position 5'],
    ['(?1)?', 2, 'pattern: unexpected character "?" at position 5'],
    ['(1)', 2, 'pattern: unexpected character "1" (expected "?" after "(") at position 2'],
    ['(?)', 2, 'pattern: unexpected character ")" (expected a number) at position 3'],
    ['(?1x)', 2, 'pattern: unexpected character "x" (expected ")") at position 4'],
    ['(?t<=)(?1)', 2, 'pattern: unexpected character ")" (expected a number) at position 6'],
    ['(?1)(?t<=5)(?t>1)(?2)', 2, 'pattern: a time constraint directly after another time constraint at position 12'],
    ['(?1)(?t<=315360001)(?2)', 2, 'pattern: time threshold 315360001 is too large (at most 315360000) at position 10'],
    ['(?1)(?t<=99999999999999999999)(?2)', 2, 'pattern: time threshold 99999999999999999999 is too large'],
    ['(?1)'.repeat(33), 1, 'pattern: more than 32 items at position 129'],
    ['(?1).*'.repeat(9), 1, 'pattern: more than 8 ".*" at position 53'],
    ['.'.repeat(257), 1, 'pattern: longer than 256 characters (257)'],
  ];
  it.each(errors)('%s → %s', (text, conditions, message) => {
    expect(() => parsePattern(text, conditions)).toThrow(DomainError);
    expect(() => parsePattern(text, conditions)).toThrow(message);
    const e = thrownDomainError(() => parsePattern(text, conditions));
    expect(e.kind).toBe('invalid');
    expect(e.message.startsWith('pattern: ')).toBe(true);
  });
});

describe('stepsPattern', () => {
  it.each([
    [3, [1800, null], '(?1)(?t<=1800)(?2).*(?3)'],
    [2, [null], '(?1).*(?2)'],
    [2, [0], '(?1)(?t<=0)(?2)'],
    [4, [60, 60, null], '(?1)(?t<=60)(?2)(?t<=60)(?3).*(?4)'],
    [1, [], '(?1)'],
  ] as [number, (number | null)[], string][])('%i steps, %j → %s', (steps, limits, expected) => {
    expect(stepsPattern(steps, limits)).toBe(expected);
    expect(() => parsePattern(expected, steps)).not.toThrow();
  });

  it.each([
    [3, [null]],
    [2, [null, null]],
    [2, [-1]],
    [2, [1.5]],
    [0, []],
  ] as [number, (number | null)[]][])('rejects %i steps with %j', (steps, limits) => {
    expect(() => stepsPattern(steps, limits)).toThrow(RangeError);
  });
});
