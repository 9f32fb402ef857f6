/**
 * The behavioral queries (SQL plus the TypeScript scans) on the worked examples of
 * docs/BEHAVIORAL.md, run on a real in-memory DuckDB table with the event schema. Rows are
 * inserted in arrival order (`seq`); each table row below is one event. Expected values come
 * from the spec's examples, worked by hand.
 */
import { DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTableSql } from '../../storage/columns.js';
import type { QueryRunner } from '../../storage/storage.js';
import { duckdb } from '../dialects/duckdb.js';
import { parseFilters } from '../filters.js';
import type { Scope } from '../stats.js';
import { type FlowNode, flow } from './flow.js';
import { parseFunnelModes, windowFunnel } from './funnel.js';
import { funnel } from './funnel-query.js';
import { flowPath } from './next-node.js';
import { retention } from './retention.js';
import { parsePattern } from './sequence.js';
import { sequences } from './sequence-query.js';
import { sessionStats } from './sessions.js';
import { parseSteps } from './steps.js';

const SITE = 'spec.test';
const DAY = '2026-05-04'; // a Monday

/** [visitor, time (HH:MM:SS, or a full ISO time), event name ('pv' = pageview), pathname] */
type Row = [number, string, string, string | null];

let instance: DuckDBInstance;
let runner: QueryRunner;
let site = 0;

/**
 * Loads rows as a fresh site (in arrival order) and returns the scope over its day(s).
 * `signedIn`: the visitor numbers are signed-in users (`user_key`), who can be followed
 * across days; a cookieless visitor id, as the ingest computes it, is of one UTC day.
 */
async function load(rows: readonly Row[], days = 1, signedIn = false): Promise<Scope> {
  const siteId = `s${++site}.${SITE}`;
  const c = await instance.connect();
  let seq = site * 1000;
  for (const [visitor, time, name, path] of rows) {
    const ts = time.includes('T') ? time : `${DAY}T${time}`;
    await c.run(
      `INSERT INTO ev (site_id, visitor_id, user_key, session_id, timestamp, event_name, pathname, seq)
       VALUES ($1, $2, $7, 0, $3::TIMESTAMP, $4, $5, $6)`,
      [
        siteId,
        visitor,
        ts.replace('T', ' ').replace('Z', ''),
        name === 'pv' ? 'pageview' : name,
        path,
        ++seq,
        signedIn ? visitor : null,
      ] as DuckDBValue[],
    );
  }
  c.closeSync();
  const from = new Date(`${DAY}T00:00:00Z`);
  return {
    siteId,
    period: { name: 'custom', from, to: new Date(from.getTime() + days * 86_400_000), interval: 'day' },
    filters: [],
  };
}

beforeAll(async () => {
  instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  await c.run(createTableSql('ev'));
  c.closeSync();
  runner = {
    dialect: duckdb,
    events: 'ev',
    // As the store's: exactly the site's events in [from, to).
    eventsFor: (siteId: string, from?: Date, to?: Date) => {
      const ts = (d: Date) => `TIMESTAMP '${d.toISOString().replace('T', ' ').replace('Z', '')}'`;
      return `(SELECT * FROM ev WHERE site_id = '${siteId}'${from ? ` AND timestamp >= ${ts(from)}` : ''}${to ? ` AND timestamp < ${ts(to)}` : ''})`;
    },
    eventsOf: () => 'ev',
    engagementFor: () => '(SELECT * FROM ev WHERE false)',
    all: async <T>(sql: string, params: readonly unknown[]) => {
      const conn = await instance.connect();
      try {
        return (await conn.runAndReadAll(sql, params as DuckDBValue[])).getRowObjectsJS() as T[];
      } finally {
        conn.closeSync();
      }
    },
    writeParquet: () => Promise.reject(new Error('behavioral queries write no files')),
    stream: async (sql, params, onRows) => {
      const conn = await instance.connect();
      try {
        const result = await conn.stream(sql, params as DuckDBValue[]);
        let n = 0;
        for await (const rows of result.yieldRowsJs()) {
          n += rows.length;
          await onRows(rows);
        }
        return n;
      } finally {
        conn.closeSync();
      }
    },
  };
});

afterAll(() => instance?.closeSync());

describe('sessions (§2)', () => {
  const cases: [string, Row[], number, object][] = [
    [
      'gaps of 1799, 1800 and 1801 s: sessions 1, 1, 1, 2',
      [
        [1, '10:00:00', 'pv', '/'],
        [1, '10:29:59', 'pv', '/'],
        [1, '10:59:59', 'pv', '/'],
        [1, '11:30:00', 'pv', '/'],
      ],
      1800,
      { total_sessions: 2, avg_session_duration_secs: Math.round(3599 / 2), avg_pages_per_session: 2, bounce_rate: 0.5 },
    ],
    [
      'three events in one second: one session, duration 0, not a bounce',
      [
        [1, '09:00:00', 'pv', '/'],
        [1, '09:00:00', 'pv', '/docs'],
        [1, '09:00:00', 'click', '/docs'],
      ],
      1800,
      { total_sessions: 1, avg_session_duration_secs: 0, avg_pages_per_session: 2, bounce_rate: 0 },
    ],
    [
      'a page view and a click 30 s later: not a bounce',
      [
        [1, '09:00:00', 'pv', '/'],
        [1, '09:00:30', 'click', '/'],
      ],
      1800,
      { total_sessions: 1, avg_session_duration_secs: 30, avg_pages_per_session: 1, bounce_rate: 0 },
    ],
    [
      'two page views 45 min apart: two bounces',
      [
        [1, '09:00:00', 'pv', '/'],
        [1, '09:45:00', 'pv', '/'],
      ],
      1800,
      { total_sessions: 2, avg_session_duration_secs: 0, avg_pages_per_session: 1, bounce_rate: 1 },
    ],
    [
      'the same rows with a 1 hour gap: one session of 2700 s',
      [
        [1, '09:00:00', 'pv', '/'],
        [1, '09:45:00', 'pv', '/'],
      ],
      3600,
      { total_sessions: 1, avg_session_duration_secs: 2700, avg_pages_per_session: 2, bounce_rate: 0 },
    ],
    [
      'sub-second times are truncated: 1800.05 s apart counts as a gap of 1800',
      [
        [1, '09:00:00.900', 'pv', '/'],
        [1, '09:30:00.950', 'pv', '/'],
      ],
      1800,
      { total_sessions: 1, avg_session_duration_secs: 1800, avg_pages_per_session: 2, bounce_rate: 0 },
    ],
    [
      'a row without a pathname or a name is still activity',
      [
        [1, '09:00:00', 'pv', null],
        [2, '09:00:00', 'pv', '/'],
      ],
      1800,
      { total_sessions: 2, avg_session_duration_secs: 0, avg_pages_per_session: 1, bounce_rate: 1 },
    ],
  ];
  it.each(cases)('%s', async (_name, rows, gap, expected) => {
    const scope = await load(rows);
    expect(await sessionStats(runner, scope, gap)).toEqual({ ...expected, gap_secs: gap });
  });
});

const A = '10:00:00';
const at = (secs: number) => new Date(Date.parse(`${DAY}T${A}Z`) + secs * 1000).toISOString().slice(11, 19);

describe('funnel (§3 examples through SQL): A = page:/, B = page:/pricing, C = event:signup, window 3600', () => {
  const STEPS = parseSteps('page:/,page:/pricing,event:signup', 'steps', 2, 8);
  const a = (s: number): Row => [1, at(s), 'pv', '/'];
  const b = (s: number): Row => [1, at(s), 'pv', '/pricing'];
  const c = (s: number): Row => [1, at(s), 'signup', '/welcome'];
  const x = (s: number): Row => [1, at(s), 'pv', '/elsewhere'];
  const cases: [string, Row[], string, number][] = [
    ['A@0 B@60 C@3600', [a(0), b(60), c(3600)], '', 3],
    ['A@0 B@60 C@3601', [a(0), b(60), c(3601)], '', 2],
    ['B@0 (arrives first) A@0 C@50', [b(0), a(0), c(50)], '', 3],
    ['B@0 A@0 C@50, strict_increase', [b(0), a(0), c(50)], 'strict_increase', 1],
    ['A X B B C, default', [a(0), x(10), b(20), b(30), c(40)], '', 3],
    ['A X B B C, strict_deduplication', [a(0), x(10), b(20), b(30), c(40)], 'strict_deduplication', 2],
    ['A X B B C, strict_order', [a(0), x(10), b(20), b(30), c(40)], 'strict_order', 1],
    ['A X B B C, strict_order + allow_reentry', [a(0), x(10), b(20), b(30), c(40)], 'strict_order,allow_reentry', 1],
    ['A C B C, default', [a(0), c(10), b(20), c(30)], '', 3],
    ['A C B C, strict_order', [a(0), c(10), b(20), c(30)], 'strict_order', 1],
    ['A C B C, strict_order + allow_reentry', [a(0), c(10), b(20), c(30)], 'allow_reentry,strict_order', 3],
    ['A A B@100 C, default', [a(0), a(100), b(100), c(200)], '', 3],
    ['A A B@100 C, strict_increase', [a(0), a(100), b(100), c(200)], 'strict_increase', 1],
    ['A A B@100 C, strict_increase + strict_once', [a(0), a(100), b(100), c(200)], 'strict_increase,strict_once', 3],
    [
      'a page view without a pathname under strict_order stops the funnel',
      [a(0), [1, at(5), 'pv', null], b(10)],
      'strict_order',
      1,
    ],
    ['a page view without a pathname is invisible by default', [a(0), [1, at(5), 'pv', null], b(10)], '', 2],
  ];
  it.each(cases)('%s → level %i', async (_name, rows, mode, level) => {
    const scope = await load(rows);
    const answer = await funnel(runner, scope, { steps: STEPS, windowSecs: 3600, modes: parseFunnelModes(mode) });
    expect(answer.map((s) => s.visitors)).toEqual([1, 2, 3].map((k) => (level >= k ? 1 : 0)));
  });

  it('one row matching B and C at 30 s: default 3, strict_once 2', async () => {
    const steps = parseSteps('page:/,page:/pricing,event:signup', 'steps', 2, 8);
    const rows: Row[] = [a(0), [1, at(30), 'signup', '/pricing']];
    for (const [mode, level] of [
      ['', 3],
      ['strict_once', 2],
    ] as const) {
      const answer = await funnel(runner, await load(rows), { steps, windowSecs: 3600, modes: parseFunnelModes(mode) });
      expect(
        answer.map((s) => s.visitors),
        mode,
      ).toEqual([1, 2, 3].map((k) => (level >= k ? 1 : 0)));
    }
  });

  it('counts per step over several visitors, with wildcards and a filter', async () => {
    const rows: Row[] = [
      [1, at(0), 'pv', '/'],
      [1, at(10), 'pv', '/blog/one'],
      [2, at(0), 'pv', '/'],
      [2, at(10), 'pv', '/blog'],
      [3, at(0), 'pv', '/'],
      [4, at(0), 'pv', '/blog/two'],
    ];
    const scope = await load(rows);
    const wild = parseSteps('page:/,page:/blog/*', 'steps', 2, 8);
    const answer = await funnel(runner, scope, { steps: wild, windowSecs: 60, modes: parseFunnelModes('') });
    // /blog/* needs the slash: visitor 1 only (visitor 4 never saw /).
    expect(answer).toEqual([
      { step: 1, label: 'page:/', visitors: 3, conversion_rate: 1, dropoff: 0, dropoff_rate: 0 },
      { step: 2, label: 'page:/blog/*', visitors: 1, conversion_rate: 0.3333, dropoff: 2, dropoff_rate: 0.6667 },
    ]);
    const filtered = { ...scope, filters: parseFilters([['is_not', 'event:page', ['/blog/one']]]) };
    const without = await funnel(runner, filtered, { steps: wild, windowSecs: 60, modes: parseFunnelModes('') });
    expect(without.map((s) => s.visitors)).toEqual([3, 0]);
  });
});

describe('the default-mode funnel in SQL equals the windowFunnel scan', () => {
  const STEPS = parseSteps('page:/,page:/p,event:signup', 'steps', 2, 8);
  const row = fc.record({
    visitor: fc.integer({ min: 1, max: 4 }),
    second: fc.integer({ min: 0, max: 90 }),
    kind: fc.constantFrom('/', '/p', '/x', null, 'signup'),
  });
  it('on random rows with ties, repeats, NULL pathnames and several visitors', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 24 }), fc.integer({ min: 0, max: 60 }), async (rows, window) => {
        const table: Row[] = rows.map((r) =>
          r.kind === 'signup' ? [r.visitor, at(r.second), 'signup', '/p'] : [r.visitor, at(r.second), 'pv', r.kind],
        );
        const answer = await funnel(runner, await load(table), {
          steps: STEPS,
          windowSecs: Math.max(1, window),
          modes: new Set(),
        });
        // The reference: the scan over each visitor's rows in (time, arrival) order.
        const expected = [0, 0, 0];
        for (const v of new Set(rows.map((r) => r.visitor))) {
          const mine = rows.filter((r) => r.visitor === v).map((r, i) => ({ ...r, i }));
          mine.sort((a, b) => a.second - b.second || a.i - b.i);
          const masks = mine.map(
            (r) => (r.kind === '/' ? 1 : 0) | (r.kind === '/p' || r.kind === 'signup' ? 2 : 0) | (r.kind === 'signup' ? 4 : 0),
          );
          const level = windowFunnel(
            mine.map((r) => r.second),
            masks,
            3,
            Math.max(1, window),
            new Set(),
          );
          for (let k = 0; k < level; k++) expected[k] = (expected[k] ?? 0) + 1;
        }
        expect(answer.map((s) => s.visitors)).toEqual(expected);
      }),
      { numRuns: 150, seed: 4242 },
    );
  });
});

describe('sequences (§5 examples through SQL): 1 = page:/pricing, 2 = event:signup', () => {
  const P = (v: number, s: number): Row => [v, at(s), 'pv', '/pricing'];
  const S = (v: number, s: number): Row => [v, at(s), 'signup', '/welcome'];
  const blog = (v: number, s: number): Row => [v, at(s), 'pv', '/blog'];
  const run = async (rows: Row[], steps: string, pattern: string) => {
    const parsed = parseSteps(steps, 'steps', 1, 8);
    const answer = await sequences(runner, await load(rows), parsed, parsePattern(pattern, parsed.length));
    return [answer.converting_visitors, answer.sequence_count];
  };
  const TWO = 'page:/pricing,event:signup';
  const cases: [string, Row[], string, string, [number, number]][] = [
    ['/blog between is invisible', [P(1, 0), blog(1, 10), S(1, 20)], TWO, '(?1)(?2)', [1, 1]],
    ['/blog as a third condition breaks adjacency', [P(1, 0), blog(1, 10), S(1, 20)], `${TWO},page:/blog`, '(?1)(?2)', [0, 0]],
    ['… and `.` steps over it', [P(1, 0), blog(1, 10), S(1, 20)], `${TWO},page:/blog`, '(?1).(?2)', [1, 1]],
    ['(?t<=600) at 600 s', [P(1, 0), S(1, 600)], TWO, '(?1)(?t<=600)(?2)', [1, 1]],
    ['(?t<600) at 600 s', [P(1, 0), S(1, 600)], TWO, '(?1)(?t<600)(?2)', [0, 0]],
    ['(?t>=600) at 600 s', [P(1, 0), S(1, 600)], TWO, '(?1)(?t>=600)(?2)', [1, 1]],
    ['(?t>600) at 600 s', [P(1, 0), S(1, 600)], TWO, '(?1)(?t>600)(?2)', [0, 0]],
    ['(?t<=3600) at 5000 s', [P(1, 0), S(1, 5000)], TWO, '(?1)(?t<=3600)(?2)', [0, 0]],
    ['.*(?t<=3600) limits nothing', [P(1, 0), S(1, 5000)], TWO, '(?1).*(?t<=3600)(?2)', [1, 1]],
    ['count P S P S P', [P(1, 0), S(1, 1), P(1, 2), S(1, 3), P(1, 4)], TWO, '(?1)(?2)', [1, 2]],
    ['count P P S S', [P(1, 0), P(1, 1), S(1, 2), S(1, 3)], TWO, '(?1)(?2)', [1, 1]],
    ['count P P S S with .*', [P(1, 0), P(1, 1), S(1, 2), S(1, 3)], TWO, '(?1).*(?2)', [1, 1]],
    ['count within 60 s', [P(1, 0), S(1, 30), P(1, 100), S(1, 5000), P(1, 5010), S(1, 5020)], TWO, '(?1)(?t<=60)(?2)', [1, 2]],
    ['count adjacent', [P(1, 0), S(1, 30), P(1, 100), S(1, 5000), P(1, 5010), S(1, 5020)], TWO, '(?1)(?2)', [1, 3]],
    ['tie: signup arrives before /pricing', [S(1, 0), P(1, 0)], TWO, '(?1)(?2)', [0, 0]],
    ['tie: signup arrives after /pricing', [P(1, 0), S(1, 0)], TWO, '(?1)(?2)', [1, 1]],
    ['two visitors, one converting', [P(1, 0), S(1, 10), P(2, 0)], TWO, '(?1).*(?2)', [1, 1]],
  ];
  it.each(cases)('%s', async (_name, rows, steps, pattern, expected) => {
    expect(await run(rows, steps, pattern)).toEqual(expected);
  });

  // The denominator is counted per identity part (ten UTC days of cookieless ids, then the
  // signed-in users over the whole period): these periods span three parts.
  const on = (date: string, v: number, name: string, path: string): Row => [v, `${date}T12:00:00Z`, name, path];
  const overParts: [string, boolean, Row[], [number, number, number]][] = [
    [
      // u1 converts across two weeks; u2 browses on two days; u3 sees /pricing once.
      'follows signed-in users across days and counts each once in the total',
      true,
      [
        on('2026-05-04', 1, 'pv', '/pricing'),
        on('2026-05-18', 1, 'signup', '/welcome'),
        on('2026-05-05', 2, 'pv', '/blog'),
        on('2026-05-16', 2, 'pv', '/blog'),
        on('2026-05-15', 3, 'pv', '/pricing'),
      ],
      [1, 3, 0.3333],
    ],
    [
      // Ids 1 and 2 on 05-04 (1 converts), 3 on 05-13, 4 on 05-14 and 5 on 05-24 (5 converts).
      'counts a cookieless id per day in the total, in every part of the period',
      false,
      [
        on('2026-05-04', 1, 'pv', '/pricing'),
        on('2026-05-04', 1, 'signup', '/welcome'),
        on('2026-05-04', 2, 'pv', '/blog'),
        on('2026-05-13', 3, 'pv', '/pricing'),
        on('2026-05-14', 4, 'pv', '/blog'),
        on('2026-05-24', 5, 'pv', '/pricing'),
        on('2026-05-24', 5, 'signup', '/welcome'),
      ],
      [2, 5, 0.4],
    ],
  ];
  it.each(overParts)('%s', async (_name, signedIn, rows, expected) => {
    const parsed = parseSteps(TWO, 'steps', 1, 8);
    const a = await sequences(runner, await load(rows, 21, signedIn), parsed, parsePattern('(?1).*(?2)', 2));
    expect([a.converting_visitors, a.total_visitors, a.conversion_rate]).toEqual(expected);
  });
});

describe('flow (§6 examples through SQL, first_match)', () => {
  const pv = (s: number, path: string | null, v = 1): Row => [v, at(s), 'pv', path];
  const FIVE = [pv(0, '/blog'), pv(10, '/'), pv(20, '/docs'), pv(30, '/'), pv(40, '/pricing')];
  const cases: [string, Row[], string, 'forward' | 'backward', number, object][] = [
    ['forward from the first /', FIVE, '/', 'forward', 1, [{ next_page: '/docs', visitors: 1 }]],
    ['backward from the first /', FIVE, '/', 'backward', 1, [{ next_page: '/blog', visitors: 1 }]],
    [
      'forward, depth 3: the chain after the first /',
      FIVE,
      '/',
      'forward',
      3,
      [
        {
          next_page: '/docs',
          visitors: 1,
          children: [{ next_page: '/', visitors: 1, children: [{ next_page: '/pricing', visitors: 1 }] }],
        },
      ],
    ],
    [
      'a tie is ordered by pathname, not arrival',
      [pv(0, '/'), pv(10, '/zeta'), pv(10, '/about')],
      '/',
      'forward',
      1,
      [{ next_page: '/about', visitors: 1 }],
    ],
    [
      'a page view without a pathname is not a node',
      [pv(0, '/'), pv(10, null), pv(20, '/docs')],
      '/',
      'forward',
      1,
      [{ next_page: '/docs', visitors: 1 }],
    ],
    [
      'custom events are not page views',
      [pv(0, '/'), [1, at(5), 'click', '/x'], pv(9, '/y')],
      '/',
      'forward',
      1,
      [{ next_page: '/y', visitors: 1 }],
    ],
    ['the last page has no next page', [pv(0, '/a'), pv(10, '/')], '/', 'forward', 2, []],
  ];
  it.each(cases)('%s', async (_name, rows, page, direction, depth, expected) => {
    expect(await flow(runner, await load(rows), { page, direction, depth, limit: 10 })).toEqual(expected);
  });

  it("equals each identity's path (flowPath) counted and ranked, on random rows with ties in the second of the first view", async () => {
    const paths = ['/', '/a', '/b', '/ab'];
    const row = fc.record({
      visitor: fc.integer({ min: 1, max: 6 }),
      second: fc.integer({ min: 0, max: 6 }),
      path: fc.option(fc.constantFrom(...paths), { nil: null, freq: 8 }),
      custom: fc.integer({ min: 0, max: 5 }).map((n) => n === 0),
    });
    const bytewise = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 8, maxLength: 30 }),
        fc.constantFrom(...paths),
        fc.constantFrom<'forward' | 'backward'>('forward', 'backward'),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        async (list, page, direction, depth, limit) => {
          const rows: Row[] = list.map((r) => [r.visitor, at(r.second), r.custom ? 'click' : 'pv', r.path]);
          // The oracle: per visitor, page views with a pathname by (second, pathname bytewise, arrival).
          const counts = new Map<string, number>();
          for (const v of new Set(list.map((r) => r.visitor))) {
            const views = list
              .map((r, arrival) => ({ ...r, arrival }))
              .filter((r) => r.visitor === v && !r.custom && r.path !== null)
              .sort((a, b) => a.second - b.second || bytewise(a.path ?? '', b.path ?? '') || a.arrival - b.arrival)
              .map((r) => r.path ?? '');
            const path = flowPath(views, page, direction, depth);
            for (let d = 1; d <= path.length; d++) {
              const key = JSON.stringify(path.slice(0, d));
              counts.set(key, (counts.get(key) ?? 0) + 1);
            }
          }
          // Each node's `limit` children with the most visitors (ties: page bytewise), under kept parents only.
          const tree = (prefix: string[]): FlowNode[] =>
            [...counts]
              .map(([key, visitors]) => ({ path: JSON.parse(key) as string[], visitors }))
              .filter((n) => n.path.length === prefix.length + 1 && prefix.every((p, i) => n.path[i] === p))
              .sort((x, y) => y.visitors - x.visitors || bytewise(x.path.at(-1) ?? '', y.path.at(-1) ?? ''))
              .slice(0, limit)
              .map((n) => ({
                next_page: n.path.at(-1) ?? '',
                visitors: n.visitors,
                ...(n.path.length < depth ? { children: tree(n.path) } : {}),
              }));
          expect(await flow(runner, await load(rows), { page, direction, depth, limit })).toEqual(tree([]));
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('retention (§4, §8)', () => {
  it('weekly cohorts from Monday, unobservable periods null', async () => {
    const d = (date: string, v: number): Row => [v, `${date}T12:00:00Z`, 'pv', '/'];
    // Signed-in users (a cookieless id is of one day): v1 weeks 0 and 2; v2 week 0 only; v3 first seen in week 1, seen in week 2.
    const rows: Row[] = [d('2026-05-04', 1), d('2026-05-10', 2), d('2026-05-18', 1), d('2026-05-12', 3), d('2026-05-20', 3)];
    const answer = await retention(runner, await load(rows, 21, true), 'week', 3);
    expect(answer.cohorts).toEqual([
      { cohort_date: '2026-05-04', size: 2, retained: [2, 0, 1, null], rate: [1, 0, 0.5, null] },
      { cohort_date: '2026-05-11', size: 1, retained: [1, 1, null, null], rate: [1, 1, null, null] },
    ]);
    expect([answer.identified_visitors, answer.anonymous_visitors]).toEqual([3, 0]);
  });

  it('counts a cookieless visitor of several days once per day, as the ingest makes them', async () => {
    // Each day's id is another identity: four cohorts of one, none retained.
    const d = (date: string, v: number): Row => [v, `${date}T12:00:00Z`, 'pv', '/'];
    const rows: Row[] = [d('2026-05-04', 1), d('2026-05-05', 2), d('2026-05-12', 3), d('2026-05-12', 4)];
    const answer = await retention(runner, await load(rows, 21), 'week', 1);
    expect(answer.cohorts).toEqual([
      { cohort_date: '2026-05-04', size: 2, retained: [2, 0], rate: [1, 0] },
      { cohort_date: '2026-05-11', size: 2, retained: [2, null], rate: [1, null] },
    ]);
    expect([answer.identified_visitors, answer.anonymous_visitors]).toEqual([0, 4]);
  });
});
