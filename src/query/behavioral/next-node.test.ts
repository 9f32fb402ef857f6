import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Base, compareUtf8, type Direction, flowPath, type NodeRow, sequenceNextNode } from './next-node.js';

/** Rows from [ts, value] pairs in arrival order; every condition compares the value. */
function pages(list: [number, string | null][], base: (v: string | null) => boolean, events: string[]): NodeRow[] {
  return list.map(([ts, value], arrival) => ({
    ts,
    value,
    arrival,
    base: base(value),
    events: events.map((e) => value === e),
  }));
}

const always = () => true;
const is = (page: string) => (v: string | null) => v === page;

const example: [number, string][] = [
  [0, '/blog'],
  [10, '/'],
  [20, '/docs'],
  [30, '/'],
  [40, '/pricing'],
];

describe('sequenceNextNode: docs/BEHAVIORAL.md §6 examples', () => {
  // [case, rows, direction, base, base_condition, events, expected]
  const cases: [string, [number, string | null][], Direction, Base, (v: string | null) => boolean, string[], string | null][] = [
    ['forward first_match /', example, 'forward', 'first_match', always, ['/'], '/docs'],
    ['forward last_match /', example, 'forward', 'last_match', always, ['/'], '/pricing'],
    ['forward head, base /, event /', example, 'forward', 'head', is('/'), ['/'], null],
    ['backward first_match /', example, 'backward', 'first_match', always, ['/'], '/blog'],
    ['backward last_match /', example, 'backward', 'last_match', always, ['/'], '/docs'],
    ['backward tail /pricing', example, 'backward', 'tail', always, ['/pricing'], '/'],
    [
      'chains are adjacent',
      [
        [0, '/'],
        [10, '/blog'],
        [20, '/pricing'],
        [30, '/signup'],
      ],
      'forward',
      'first_match',
      always,
      ['/', '/pricing'],
      null,
    ],
    [
      'ties sort by value',
      [
        [0, '/'],
        [10, '/zeta'],
        [10, '/about'],
      ],
      'forward',
      'first_match',
      always,
      ['/'],
      '/about',
    ],
    [
      'NULL values are not nodes',
      [
        [0, '/'],
        [10, null],
        [20, '/docs'],
      ],
      'forward',
      'first_match',
      always,
      ['/'],
      '/docs',
    ],
  ];
  it.each(cases)('%s', (_name, list, direction, base, baseCond, events, expected) => {
    expect(sequenceNextNode(direction, base, pages(list, baseCond, events), events.length)).toBe(expected);
  });
});

describe('sequenceNextNode: edge cases', () => {
  const cases: [string, [number, string | null][], Direction, Base, (v: string | null) => boolean, string[], string | null][] = [
    ['no rows', [], 'forward', 'first_match', always, ['/'], null],
    ['only the base node', [[0, '/']], 'forward', 'first_match', always, ['/'], null],
    [
      'n <= K counts non-NULL rows only',
      [
        [0, '/'],
        [5, null],
      ],
      'forward',
      'first_match',
      always,
      ['/'],
      null,
    ],
    [
      'a NULL row satisfying the condition is still dropped',
      [
        [0, null],
        [5, '/a'],
      ],
      'forward',
      'head',
      (v) => v === null || v === '/a',
      [],
      '/a',
    ],
    ['head, K = 0: its own value', example, 'forward', 'head', always, [], '/blog'],
    ['tail, K = 0: its own value', example, 'backward', 'tail', always, [], '/pricing'],
    ['head with base_condition true', example, 'forward', 'head', is('/blog'), ['/blog'], '/'],
    ['head where event1 fails', example, 'forward', 'head', always, ['/'], null],
    ['tail with base_condition false', example, 'backward', 'tail', is('/'), ['/pricing'], null],
    ['first_match needs base_condition too', example, 'forward', 'first_match', (v) => v !== '/', ['/'], null],
    ['forward answer past the end', example, 'forward', 'first_match', always, ['/pricing'], null],
    ['backward answer before the start', example, 'backward', 'first_match', always, ['/blog'], null],
    ['backward chain of two', example, 'backward', 'last_match', always, ['/', '/docs'], '/'],
    ['backward chain reaching node 0', example, 'backward', 'last_match', always, ['/', '/docs', '/'], '/blog'],
    ['backward chain with b < K', example, 'backward', 'first_match', always, ['/', '/blog'], null],
    ['forward chain of three', example, 'forward', 'first_match', always, ['/blog', '/', '/docs'], '/'],
    [
      'only the first base is tried',
      [
        [0, '/'],
        [10, '/a'],
        [20, '/'],
        [30, '/b'],
        [40, '/c'],
      ],
      'forward',
      'first_match',
      always,
      ['/', '/b'],
      null,
    ],
    [
      'last_match picks the later base',
      [
        [0, '/'],
        [10, '/a'],
        [20, '/'],
        [30, '/b'],
        [40, '/c'],
      ],
      'forward',
      'last_match',
      always,
      ['/', '/b'],
      '/c',
    ],
    [
      'rows given out of order are sorted by ts',
      [
        [30, '/c'],
        [10, '/'],
        [20, '/b'],
      ],
      'forward',
      'first_match',
      always,
      ['/'],
      '/b',
    ],
    [
      'a prefix sorts first',
      [
        [0, '/'],
        [5, '/ab'],
        [5, '/a'],
      ],
      'forward',
      'first_match',
      always,
      ['/'],
      '/a',
    ],
    [
      'bytewise, not UTF-16: U+FF5E before U+1F600',
      [
        [0, '/'],
        [5, '/😀'],
        [5, '/～'],
      ],
      'forward',
      'first_match',
      always,
      ['/'],
      '/～',
    ],
    [
      'bytewise: "Z" before "a" before "é"',
      [
        [0, '/'],
        [5, '/é'],
        [5, '/a'],
        [5, '/Z'],
      ],
      'forward',
      'last_match',
      always,
      ['/', '/Z', '/a'],
      '/é',
    ],
  ];
  it.each(cases)('%s', (_name, list, direction, base, baseCond, events, expected) => {
    expect(sequenceNextNode(direction, base, pages(list, baseCond, events), events.length)).toBe(expected);
  });

  it('breaks ties of equal ts and value by arrival', () => {
    // Node 1 must satisfy event2; of the two equal "/x" rows only the earlier arrival does.
    const rows = (flagFirst: boolean): NodeRow[] => [
      { ts: 0, value: '/', arrival: 1, base: true, events: [true, false] },
      { ts: 5, value: '/x', arrival: 3, base: true, events: [false, !flagFirst] },
      { ts: 5, value: '/x', arrival: 2, base: true, events: [false, flagFirst] },
      { ts: 9, value: '/end', arrival: 4, base: true, events: [false, false] },
    ];
    expect(sequenceNextNode('forward', 'first_match', rows(true), 2)).toBe('/x');
    expect(sequenceNextNode('forward', 'first_match', rows(false), 2)).toBeNull();
  });

  it.each([
    ['forward', 'tail', 1, 'forward with tail'],
    ['backward', 'head', 1, 'backward with head'],
    ['forward', 'first_match', 0, 'first_match needs at least one event'],
    ['backward', 'last_match', 0, 'last_match needs at least one event'],
    ['forward', 'head', 65, '0 to 64 events'],
  ] as [Direction, Base, number, string][])('%s + %s with K = %i is an error', (direction, base, k, message) => {
    expect(() => sequenceNextNode(direction, base, [], k)).toThrow(message);
  });
});

describe('compareUtf8', () => {
  it.each([
    ['a', 'b', -1],
    ['a', 'a', 0],
    ['a', 'ab', -1],
    ['', 'a', -1],
    ['Z', 'a', -1],
    ['z', 'é', -1],
    ['～', '😀', -1],
    ['😀', '😁', -1],
    ['\uffff', '\u{10000}', -1],
  ])('%s vs %s → %i', (a, b, sign) => {
    expect(Math.sign(compareUtf8(a, b))).toBe(sign);
    expect(Math.sign(compareUtf8(b, a))).toBe(sign === 0 ? 0 : -sign);
    expect(Math.sign(compareUtf8(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});

describe('flowPath', () => {
  const visits = ['/a', '/x', '/b', '/x', '/c'];
  it.each([
    ['forward, depth 1', visits, '/x', 'forward', 1, ['/b']],
    ['forward, depth 2 from the first /x', visits, '/x', 'forward', 2, ['/b', '/x']],
    ['forward, depth past the end', visits, '/x', 'forward', 5, ['/b', '/x', '/c']],
    ['backward, nearest first', ['/a', '/b', '/x', '/x'], '/x', 'backward', 2, ['/b', '/a']],
    ['backward, depth past the start', visits, '/x', 'backward', 3, ['/a']],
    ['backward from the first page', visits, '/a', 'backward', 3, []],
    ['forward from the last page', visits, '/c', 'forward', 3, []],
    ['page never visited', visits, '/zz', 'forward', 3, []],
    ['no pages', [], '/x', 'backward', 3, []],
    ['depth 0', visits, '/x', 'forward', 0, []],
  ] as [string, string[], string, Direction, number, string[]][])('%s', (_name, list, page, direction, depth, expected) => {
    expect(flowPath(list, page, direction, depth)).toEqual(expected);
  });

  it('equals sequenceNextNode(first_match) with the earlier answers as further events (§8)', () => {
    const row = fc.record({
      dt: fc.integer({ min: 0, max: 2 }),
      value: fc.option(fc.constantFrom('/', '/a', '/b', '/ab', '/é'), { nil: null, freq: 6 }),
    });
    fc.assert(
      fc.property(
        fc.array(row, { maxLength: 12 }),
        fc.constantFrom('/', '/a', '/b'),
        fc.constantFrom<Direction>('forward', 'backward'),
        fc.integer({ min: 1, max: 5 }),
        (list, page, direction, depth) => {
          let t = 0;
          const timed = list.map((r, arrival) => {
            t += r.dt;
            return { ts: t, value: r.value as string | null, arrival };
          });
          // The flow query's own ordering: non-NULL pathnames by (ts, pathname bytewise, arrival).
          const sorted = timed
            .flatMap((r) => (r.value === null ? [] : [{ ...r, value: r.value }]))
            .sort((a, b) => a.ts - b.ts || Buffer.compare(Buffer.from(a.value), Buffer.from(b.value)) || a.arrival - b.arrival)
            .map((r) => r.value);
          const expected: string[] = [];
          for (let d = 1; d <= depth; d++) {
            const chain = [page, ...expected];
            const rows: NodeRow[] = timed.map((r) => ({ ...r, base: true, events: chain.map((p) => r.value === p) }));
            const answer = sequenceNextNode(direction, 'first_match', rows, d);
            if (answer === null) break;
            expected.push(answer);
          }
          expect(flowPath(sorted, page, direction, depth)).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
