import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { thrownDomainError } from '../../../test/helpers/http-error.js';
import { DomainError } from '../../errors.js';
import { FUNNEL_MODES, type FunnelMode, parseFunnelModes, windowFunnel } from './funnel.js';

/**
 * Rows written as "A@0 X@10 BC@30" in arrival order: letters A.. = steps 1.. the row
 * satisfies, X = none (noise), the number = whole seconds. Returned in (ts, arrival) order
 * as windowFunnel expects.
 */
function rows(text: string): { ts: number[]; masks: number[] } {
  const parsed = text
    .split(' ')
    .filter((w) => w !== '')
    .map((w, arrival) => {
      const [letters = '', at = ''] = w.split('@');
      let mask = 0;
      for (const c of letters) if (c !== 'X') mask |= 1 << (c.charCodeAt(0) - 65);
      return { ts: Number(at), mask, arrival };
    })
    .sort((a, b) => a.ts - b.ts || a.arrival - b.arrival);
  return { ts: parsed.map((r) => r.ts), masks: parsed.map((r) => r.mask) };
}

const modes = (text: string) => new Set(text.split(',').filter((m) => m !== '') as FunnelMode[]);

function funnel(text: string, steps: number, window: number, mode: string): number {
  const { ts, masks } = rows(text);
  return windowFunnel(ts, masks, steps, window, modes(mode));
}

describe('windowFunnel: docs/BEHAVIORAL.md §3 examples (A = step 1, B = 2, C = 3, window 3600)', () => {
  // [rows, modes, expected level]
  const cases: [string, string, number][] = [
    ['A@0 B@60 C@3600', '', 3],
    ['A@0 B@60 C@3601', '', 2],
    ['B@0 A@0 C@50', '', 3],
    ['B@0 A@0 C@50', 'strict_increase', 1],
    ['A@0 X@10 B@20 B@30 C@40', '', 3],
    ['A@0 X@10 B@20 B@30 C@40', 'strict_deduplication', 2],
    ['A@0 X@10 B@20 B@30 C@40', 'strict_order', 1],
    ['A@0 X@10 B@20 B@30 C@40', 'strict_order,allow_reentry', 1],
    ['A@0 C@10 B@20 C@30', '', 3],
    ['A@0 C@10 B@20 C@30', 'strict_order', 1],
    ['A@0 C@10 B@20 C@30', 'strict_order,allow_reentry', 3],
    ['A@0 A@100 B@100 C@200', '', 3],
    ['A@0 A@100 B@100 C@200', 'strict_increase', 1],
    ['A@0 A@100 B@100 C@200', 'strict_increase,strict_once', 3],
    ['A@0 BC@30', '', 3],
    ['A@0 BC@30', 'strict_once', 2],
  ];
  it.each(cases)('%s [%s] → %i', (text, mode, expected) => {
    expect(funnel(text, 3, 3600, mode)).toBe(expected);
  });
});

describe('windowFunnel: edge cases (window 3600 unless stated)', () => {
  // [case, rows, steps, window, modes, expected]
  const cases: [string, string, number, number, string, number][] = [
    ['no rows', '', 3, 3600, '', 0],
    ['only noise', 'X@0 X@5', 3, 3600, '', 0],
    ['only noise, strict_order', 'X@0 X@5', 3, 3600, 'strict_order', 0],
    ['one step-1 row', 'A@0', 3, 3600, '', 1],
    ['one step-2 row', 'B@0', 3, 3600, '', 0],
    ['no step-1 row', 'B@0 C@10', 3, 3600, '', 0],
    ['steps in reverse order', 'C@0 B@10 A@20', 3, 3600, '', 1],
    ['N = 1 shortcut', 'X@0 A@5', 1, 3600, '', 1],
    ['N = 1, strict_order, noise first', 'X@0 A@5', 1, 3600, 'strict_order', 1],
    ['N = 1, strict_order, noise after', 'A@0 X@5', 1, 3600, 'strict_order', 1],
    ['N = 1, strict_order, noise only', 'X@0', 1, 3600, 'strict_order', 0],
    ['step 2 exactly at the window edge', 'A@0 B@3600', 2, 3600, '', 2],
    ['step 2 one second past the window', 'A@0 B@3601', 2, 3600, '', 1],
    ['window 0, same second', 'A@5 B@5', 2, 0, '', 2],
    ['window 0, next second', 'A@5 B@6', 2, 0, '', 1],
    ['window counts from step 1, not the previous step', 'A@0 B@3000 C@3700', 3, 3600, '', 2],
    ['a later step-1 row does not help an older chain', 'A@0 B@100 A@3000 C@3700', 3, 3600, '', 2],
    ['a later chain keeps its own start', 'A@0 B@100 A@3000 B@3100 C@3700', 3, 3600, '', 3],
    ['a step past the window is ignored', 'A@0 B@4000 A@4100', 2, 3600, '', 1],
    ['tie: steps arriving in reverse order', 'C@0 B@0 A@0', 3, 3600, '', 3],
    ['tie: reverse arrival, strict_increase', 'C@0 B@0 A@0', 3, 3600, 'strict_increase', 1],
    ['tie: noise sorts before step 1', 'A@10 X@10 B@20', 2, 3600, 'strict_order', 2],
    ['noise one second after step 1 stops', 'A@10 X@11 B@20', 2, 3600, 'strict_order', 1],
    ['noise before step 1 is ignored', 'X@0 A@10 B@20', 2, 3600, 'strict_order', 2],
    ['strict_order: step 1 repeated', 'A@0 B@10 A@20 C@30', 3, 3600, 'strict_order', 3],
    ['strict_order: step 2 repeated', 'A@0 B@10 B@20 C@30', 3, 3600, 'strict_order', 3],
    ['strict_order: a later step before any step 1', 'B@0 A@10 B@20', 2, 3600, 'strict_order', 2],
    ['strict_order: stop keeps the level', 'A@0 B@10 X@20 C@30', 3, 3600, 'strict_order', 2],
    ['strict_order: skipped step stops', 'A@0 C@10 B@20', 3, 3600, 'strict_order', 1],
    ['allow_reentry: noise still stops', 'A@0 C@10 B@20 X@25 C@30', 3, 3600, 'strict_order,allow_reentry', 2],
    ['repeated steps, default', 'A@0 B@10 B@20 B@30 C@40', 3, 3600, '', 3],
    ['strict_deduplication: step 1 may repeat', 'A@0 A@10 B@20', 2, 3600, 'strict_deduplication', 2],
    ['strict_deduplication: repeat in another chain', 'A@0 B@10 A@5000 B@5010 C@5020', 3, 3600, '', 3],
    ['strict_deduplication: repeat in another chain stops', 'A@0 B@10 A@5000 B@5010 C@5020', 3, 3600, 'strict_deduplication', 2],
    ['strict_deduplication with strict_order', 'A@0 B@10 B@20 C@30', 3, 3600, 'strict_deduplication,strict_order', 2],
    ['strict_increase: steps 2 and 3 in one second', 'A@0 B@10 C@10', 3, 3600, 'strict_increase', 2],
    ['steps 2 and 3 in one second, default', 'A@0 B@10 C@10', 3, 3600, '', 3],
    ['one row for steps 1 and 2', 'AB@0', 2, 3600, '', 2],
    ['one row for steps 1 and 2, strict_once', 'AB@0', 2, 3600, 'strict_once', 1],
    ['one row for steps 1 and 2, strict_increase', 'AB@0', 2, 3600, 'strict_increase', 1],
    ['three rows in one second, strict_once', 'A@0 B@0 C@0', 3, 3600, 'strict_once', 3],
    ['default uses the newest step-1 row', 'A@0 AB@100 C@3650', 3, 3600, '', 3],
    ['strict_once: the newest row cannot be both steps', 'A@0 AB@100 C@3650', 3, 3600, 'strict_once', 2],
    ['strict_once keeps the older chain', 'A@0 AB@100 C@200', 3, 3600, 'strict_once', 3],
    ['strict_increase: the newest chain blocks', 'A@0 AB@100 C@200', 3, 3600, 'strict_increase', 1],
    ['strict_increase + strict_once', 'A@0 AB@100 C@200', 3, 3600, 'strict_increase,strict_once', 3],
    [
      'strict_once with strict_order and allow_reentry',
      'A@0 C@10 B@20 C@30',
      3,
      3600,
      'strict_once,strict_order,allow_reentry',
      3,
    ],
    ['strict_once with strict_order', 'A@0 C@10 B@20 C@30', 3, 3600, 'strict_once,strict_order', 1],
    ['strict_once with strict_deduplication', 'A@0 B@10 B@20 C@30', 3, 3600, 'strict_once,strict_deduplication', 2],
    ['strict_once: window still applies', 'A@0 B@10 C@3601', 3, 3600, 'strict_once', 2],
  ];
  it.each(cases)('%s', (_name, text, steps, window, mode, expected) => {
    expect(funnel(text, steps, window, mode)).toBe(expected);
  });

  it('handles 32 steps, including bit 31', () => {
    const ts = Array.from({ length: 32 }, (_, i) => i);
    const signed = ts.map((i) => 1 << i); // 1 << 31 is negative
    const unsigned = ts.map((i) => 2 ** i);
    expect(windowFunnel(ts, signed, 32, 3600, new Set())).toBe(32);
    expect(windowFunnel(ts, unsigned, 32, 3600, new Set())).toBe(32);
    expect(windowFunnel(ts.slice(0, 31), unsigned.slice(0, 31), 32, 3600, new Set())).toBe(31);
  });

  it('accepts typed arrays and gives the same answer on repeated calls (buffers are reused)', () => {
    const ts = new Float64Array([0, 10, 20, 30]);
    const masks = new Int32Array([1, 4, 2, 4]);
    for (let i = 0; i < 3; i++) {
      expect(windowFunnel(ts, masks, 3, 3600, new Set())).toBe(3);
      expect(windowFunnel(ts, masks, 3, 3600, new Set(['strict_order'] as const))).toBe(1);
    }
  });

  it('handles many rows (buffers grow)', () => {
    const n = 5000;
    const ts = Array.from({ length: n }, (_, i) => i);
    const masks = ts.map((i) => (i === n - 1 ? 4 : 3)); // every row is steps 1 and 2, the last is step 3
    expect(windowFunnel(ts, masks, 3, 10, new Set())).toBe(3);
    expect(windowFunnel(ts, masks, 3, 10, new Set(['strict_once'] as const))).toBe(3);
    expect(windowFunnel(ts, masks, 3, 10, new Set(['strict_deduplication'] as const))).toBe(2);
  });

  it('rejects invalid step counts and windows', () => {
    expect(() => windowFunnel([0], [1], 0, 10, new Set())).toThrow(RangeError);
    expect(() => windowFunnel([0], [1], 33, 10, new Set())).toThrow(RangeError);
    expect(() => windowFunnel([0], [1], 2, -1, new Set())).toThrow(RangeError);
  });
});

/** strict_once exactly as §3 words it: lists of chains that remember every row they used. */
function literalStrictOnce(ts: number[], masks: number[], n: number, window: number, m: ReadonlySet<FunnelMode>): number {
  const entries: { t: number; j: number; row: number }[] = [];
  ts.forEach((t, row) => {
    const mask = masks[row] ?? 0;
    let any = false;
    for (let j = 1; j <= n; j++) {
      if (mask & (1 << (j - 1))) {
        entries.push({ t, j, row });
        any = true;
      }
    }
    if (!any && m.has('strict_order')) entries.push({ t, j: 0, row });
  });
  if (entries.length === 0) return 0;
  if (n === 1 && !m.has('strict_order')) return 1;
  entries.sort((a, b) => a.t - b.t || a.j - b.j || a.row - b.row);
  const lists: { start: number; last: number; rows: number[] }[][] = Array.from({ length: n + 1 }, () => []);
  const level = () => {
    for (let k = n; k >= 1; k--) if ((lists[k] ?? []).length > 0) return k;
    return 0;
  };
  let seen1 = false;
  for (const { t, j, row } of entries) {
    if (j === 0) {
      if (seen1) return level();
      continue;
    }
    if (j === 1) {
      lists[1]?.push({ start: t, last: t, rows: [row] });
      seen1 = true;
      continue;
    }
    if (m.has('strict_deduplication') && (lists[j] ?? []).length > 0) return level();
    if (m.has('strict_order') && seen1 && (lists[j - 1] ?? []).length === 0) {
      if (m.has('allow_reentry')) continue;
      return level();
    }
    for (const c of lists[j - 1] ?? []) {
      if (t <= c.start + window && !c.rows.includes(row) && (!m.has('strict_increase') || c.last < t)) {
        lists[j]?.push({ start: c.start, last: t, rows: [...c.rows, row] });
      }
    }
    if (j === n && (lists[n] ?? []).length > 0) return n;
  }
  return level();
}

describe('windowFunnel strict_once', () => {
  it('matches the literal list-of-chains reading of §3 on random visitors', () => {
    const row = fc.record({ dt: fc.integer({ min: 0, max: 4 }), mask: fc.integer({ min: 0, max: 15 }) });
    const modeSet = fc.subarray(['strict_deduplication', 'strict_order', 'strict_increase', 'allow_reentry'] as const);
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 10 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 12 }),
        modeSet,
        (list, n, window, picked) => {
          const m = new Set<FunnelMode>(['strict_once', ...picked]);
          if (m.has('allow_reentry')) m.add('strict_order');
          let t = 0;
          const ts = list.map((r) => (t += r.dt));
          const masks = list.map((r) => r.mask);
          expect(windowFunnel(ts, masks, n, window, m)).toBe(literalStrictOnce(ts, masks, n, window, m));
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('parseFunnelModes', () => {
  it.each([
    [undefined, []],
    ['', []],
    ['strict_order', ['strict_order']],
    ['strict_increase,strict_deduplication', ['strict_deduplication', 'strict_increase']],
    ['allow_reentry,strict_order', ['allow_reentry', 'strict_order']],
    [' strict_order , strict_once ', ['strict_once', 'strict_order']],
    [[...FUNNEL_MODES].reverse().join(','), [...FUNNEL_MODES].sort()],
  ])('%s → %j', (text, expected) => {
    expect([...parseFunnelModes(text)].sort()).toEqual(expected);
  });

  it.each([
    ['strict', 'mode: "strict" is now called "strict_deduplication"'],
    ['strict_order,strict', 'now called "strict_deduplication"'],
    ['timestamp_dedup', 'mode: "timestamp_dedup" is not supported'],
    ['strict_oder', 'mode: unknown mode "strict_oder"'],
    ['STRICT_ORDER', 'mode: unknown mode "STRICT_ORDER"'],
    ['strict_order,strict_order', 'mode: "strict_order" given twice'],
    ['allow_reentry', 'mode: allow_reentry requires strict_order'],
    ['allow_reentry,strict_once,strict_increase', 'mode: allow_reentry requires strict_order'],
    ['strict_order,', 'mode: empty mode name'],
  ])('%s → %s', (text, message) => {
    expect(() => parseFunnelModes(text)).toThrow(DomainError);
    expect(() => parseFunnelModes(text)).toThrow(message);
    const e = thrownDomainError(() => parseFunnelModes(text));
    expect(e.kind).toBe('invalid');
    expect(e.message.startsWith('mode: ')).toBe(true);
  });
});
