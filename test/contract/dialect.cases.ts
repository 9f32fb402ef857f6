/**
 * What every dialect's spelling must answer, run on its own engine (dialect-*.test.ts):
 * the queries are written once against the `Dialect` interface, the expected values are
 * worked out by hand from the fixture below. A spelling that differs from DuckDB's at an
 * edge (NULLs, ties, a missing JSON key, Unicode case, time zones) fails here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Dialect, type TimeUnit, WHOLE_PARTITION } from '../../src/query/dialect.js';
import { fragment, render, type Sql, sql } from '../../src/query/sql.js';
import type { SqlValue } from '../../src/storage/storage.js';
import type { Engine, EventFixture } from './engines.js';

/** Two events in the same millisecond (seq breaks the tie), one without props, one later. */
export const FIXTURE: readonly EventFixture[] = [
  {
    timestamp: '2026-01-07 10:30:15.250',
    seq: 1,
    event_name: 'pageview',
    pathname: '/a',
    props: '{"plan":"pro","n":42,"b":true,"z":null,"a.b":"dot","ü":"Ünïcode"}',
  },
  { timestamp: '2026-01-07 10:30:15.250', seq: 2, event_name: 'signup', pathname: '/b', props: null },
  { timestamp: '2026-01-07 11:45:00.999', seq: 3, event_name: 'pageview', pathname: '/c', props: '{}' },
];

/** A value as the query layer reads it: times as ISO text, integers of any width as numbers or text. */
function plain(v: unknown): unknown {
  if (v instanceof Date) return v.toISOString();
  if (typeof v === 'bigint') return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return v;
}

export function dialectContract(open: (rows: readonly EventFixture[]) => Promise<Engine>): void {
  let engine: Engine;
  let d: Dialect;
  beforeAll(async () => {
    engine = await open(FIXTURE);
    d = engine.dialect;
  }, 120_000);
  afterAll(() => engine?.close());

  /** One row of `select` over the fixture's events (optionally only some), values made plain. */
  async function one(select: Sql, where: Sql = sql`true`): Promise<Record<string, unknown>> {
    const { text, params } = render(sql`SELECT ${select} FROM ev WHERE ${where}`, d);
    const rows = await engine.all(text, params);
    expect(rows).toHaveLength(1);
    return Object.fromEntries(Object.entries(rows[0] ?? {}).map(([k, v]) => [k, plain(v)]));
  }
  const row1 = sql`seq = 1`;
  const value = async (select: Sql, where?: Sql) => (await one(sql`${select} AS v`, where)).v;

  describe('placeholders', () => {
    it('bind text, integers, fractions, 64-bit ids, NULL and booleans, each as itself', async () => {
      const values: SqlValue[] = ["it's \\ a\ttab\nline", 42, -7, 1.5, 2n ** 64n - 1n, null, true];
      const select = values.map((v, i) => sql`${v} AS ${fragment(`c${i}`)}`);
      const got = await one(
        sql`${select[0] as Sql}, ${select[1] as Sql}, ${select[2] as Sql}, ${select[3] as Sql},
        ${select[4] as Sql}, ${select[5] as Sql}, ${select[6] as Sql}`,
        row1,
      );
      expect(got).toEqual({
        c0: "it's \\ a\ttab\nline",
        c1: 42,
        c2: -7,
        c3: 1.5,
        c4: '18446744073709551615',
        c5: null,
        c6: true,
      });
    });

    it('compare a bound value with a column', async () => {
      expect(await value(sql`count(*)`, sql`pathname = ${'/b'} AND seq = ${2n}`)).toBe(1);
    });
  });

  describe('truncate (weeks start on Monday)', () => {
    const cases: [TimeUnit, string][] = [
      ['minute', '2026-01-07T10:30:00.000Z'],
      ['hour', '2026-01-07T10:00:00.000Z'],
      ['day', '2026-01-07T00:00:00.000Z'],
      ['week', '2026-01-05T00:00:00.000Z'],
      ['month', '2026-01-01T00:00:00.000Z'],
    ];
    it.each(cases)('%s', async (unit, expected) => {
      expect(await value(fragment(d.truncate(unit, 'timestamp')), row1)).toBe(expected);
    });
  });

  it('spanMs: whole milliseconds from the first to the last event', async () => {
    // 10:30:15.250 → 11:45:00.999 = 1 h 14 min 45.749 s
    expect(await value(fragment(d.spanMs()))).toBe(((60 + 14) * 60 + 45) * 1000 + 749);
  });

  describe('firstByTime / lastByTime', () => {
    it('order by time, then by seq within the same millisecond', async () => {
      expect(await value(fragment(d.firstByTime('pathname')))).toBe('/a');
      expect(await value(fragment(d.lastByTime('pathname')))).toBe('/c');
      expect(await value(fragment(d.lastByTime('pathname')), sql`seq < 3`)).toBe('/b');
    });
    it('only among rows matching the condition', async () => {
      expect(await value(fragment(d.firstByTime('pathname', "event_name = 'signup'")))).toBe('/b');
      expect(await value(fragment(d.lastByTime('pathname', "event_name = 'pageview'")))).toBe('/c');
    });
    it('NULL when no row matches (not the type default)', async () => {
      expect(await value(fragment(d.firstByTime('pathname', "event_name = 'none'")))).toBeNull();
    });
    it("the chosen row's NULL, not a later row's value", async () => {
      expect(await value(fragment(d.firstByTime('props', 'seq >= 2')))).toBeNull();
      expect(await value(fragment(d.firstByTime('props')), sql`seq >= 2`)).toBeNull();
    });
  });

  describe('jsonText', () => {
    const cases: [string, string | null][] = [
      ['plan', 'pro'],
      ['n', '42'],
      ['b', 'true'],
      ['z', null],
      ['missing', null],
      ['a.b', 'dot'],
      ['ü', 'Ünïcode'],
    ];
    it.each(cases)('key %j', async (key, expected) => {
      expect(await value(d.jsonText('props', key), row1)).toBe(expected);
    });
    it('NULL when the column is NULL', async () => {
      expect(await value(d.jsonText('props', 'plan'), sql`seq = 2`)).toBeNull();
    });
    it('jsonKeys: every key of an object, none of an empty one or of NULL', async () => {
      const { text, params } = render(
        sql`SELECT seq, ${fragment(d.unnest(d.jsonKeys('props')))} AS k FROM ev ORDER BY seq, k`,
        d,
      );
      expect((await engine.all(text, params)).map((r) => [plain(r.seq), r.k])).toEqual(
        ['a.b', 'b', 'n', 'plan', 'z', 'ü'].map((k) => [1, k]),
      );
    });
    it("jsonTextOfKeyIn: the same for each row's key column", async () => {
      const { text, params } = render(
        sql`SELECT k.key AS key, ${fragment(d.jsonTextOfKeyIn('props', 'k.key'))} AS v
            FROM ev, (SELECT 'plan' AS key UNION ALL SELECT 'n' UNION ALL SELECT 'nope') k
            WHERE seq = 1 ORDER BY k.key`,
        d,
      );
      expect((await engine.all(text, params)).map((r) => [r.key, r.v])).toEqual([
        ['n', '42'],
        ['nope', null],
        ['plan', 'pro'],
      ]);
    });
  });

  describe('text matching', () => {
    it('contains is a case-sensitive substring test', async () => {
      expect(await value(d.contains(sql`${'/Blog/post'}`, sql`${'Blog/'}`), row1)).toBe(true);
      expect(await value(d.contains(sql`${'/Blog/post'}`, sql`${'blog'}`), row1)).toBe(false);
      expect(await value(d.contains(sql`${'100%'}`, sql`${'%'}`), row1)).toBe(true);
    });
    it('lower folds Unicode letters too', async () => {
      expect(await value(d.lower(sql`${'ÄÖÜ Straße ABC'}`), row1)).toBe('äöü straße abc');
    });
    it('regexMatchText spells the pattern as a literal, backslashes and quotes intact', async () => {
      const keyPattern = '^[A-Za-z0-9_.:\\- ]{1,300}$';
      const matches = async (subject: string, pattern: string) => {
        const { text, params } = render(
          sql`SELECT ${fragment(d.regexMatchText('s', pattern))} AS v FROM (SELECT ${subject} AS s) t`,
          d,
        );
        const [row] = await engine.all(text, params);
        return plain(row?.v);
      };
      expect(await matches('plan', keyPattern)).toBe(true);
      expect(await matches('a-b c.d:e_f', keyPattern)).toBe(true);
      expect(await matches('a\\b', keyPattern)).toBe(false);
      expect(await matches("it's", keyPattern)).toBe(false);
      expect(await matches('', keyPattern)).toBe(false);
      expect(await matches("it's", "^it's$")).toBe(true);
      expect(await matches('a\\b', '^a\\\\b$')).toBe(true);
    });
    it('regexMatch finds a match anywhere, case-sensitive or not', async () => {
      expect(await value(d.regexMatch(sql`${'/Blog/post'}`, '^/b', true), row1)).toBe(false);
      expect(await value(d.regexMatch(sql`${'/Blog/post'}`, '^/b', false), row1)).toBe(true);
      expect(await value(d.regexMatch(sql`${'/Blog/post'}`, 'po', true), row1)).toBe(true);
      expect(await value(d.regexMatch(sql`${'/Blog/post'}`, '^po', true), row1)).toBe(false);
    });
    it('like: % and _ are wildcards, a backslash makes them literal', async () => {
      const like = (subject: string, pattern: string) => value(d.like(sql`${subject}`, pattern), row1);
      expect(await like('/blog/post', '/blog/%')).toBe(true);
      expect(await like('/blog', '/blog/%')).toBe(false);
      expect(await like('/a_b', '/a\\_b')).toBe(true);
      expect(await like('/axb', '/a\\_b')).toBe(false);
      expect(await like('100%', '100\\%')).toBe(true);
      expect(await like('1000', '100\\%')).toBe(false);
      expect(await like('a\\b', 'a\\\\b')).toBe(true);
    });
  });

  describe('time arithmetic', () => {
    it('epochSeconds truncates to whole seconds', async () => {
      expect(await value(fragment(d.epochSeconds('timestamp')), row1)).toBe(Date.UTC(2026, 0, 7, 10, 30, 15) / 1000);
      expect(await value(fragment(d.epochSeconds('timestamp')), sql`seq = 3`)).toBe(Date.UTC(2026, 0, 7, 11, 45, 0) / 1000);
    });
    it('epochMs keeps the milliseconds, as an integer', async () => {
      expect(Number(await value(fragment(d.epochMs('timestamp')), row1))).toBe(Date.UTC(2026, 0, 7, 10, 30, 15, 250));
      expect(Number(await value(fragment(d.epochMs('timestamp')), sql`seq = 3`))).toBe(Date.UTC(2026, 0, 7, 11, 45, 0, 999));
    });
    const between: [Exclude<TimeUnit, 'minute' | 'hour'>, string, string, number][] = [
      ['day', '2026-01-01', '2026-01-31', 30],
      ['week', '2026-01-05', '2026-01-26', 3],
      ['week', '2026-01-05', '2026-01-05', 0],
      ['month', '2026-01-01', '2026-03-01', 2],
      ['month', '2025-12-01', '2026-01-01', 1],
    ];
    it.each(between)('periodsBetween %s %s → %s = %i', async (unit, from, to, expected) => {
      const t = (day: string) => d.truncate(unit, `CAST('${day} 00:00:00' AS TIMESTAMP)`);
      expect(await value(fragment(d.periodsBetween(unit, t(from), t(to))), row1)).toBe(expected);
    });
    const zones: [string | undefined, Sql, string][] = [
      [undefined, row1, '2026-01-07T10:30:15.250Z'],
      ['UTC', row1, '2026-01-07T10:30:15.250Z'],
      ['America/New_York', row1, '2026-01-07T05:30:15.250Z'],
      ['Asia/Kolkata', row1, '2026-01-07T16:00:15.250Z'],
      ['Australia/Lord_Howe', sql`seq = 3`, '2026-01-07T22:45:00.999Z'],
    ];
    it.each(zones)('localTime %s', async (tz, where, expected) => {
      expect(await value(d.localTime(tz), where)).toBe(expected);
    });
  });

  describe('export spellings', () => {
    it('isoTime: ISO 8601 UTC with milliseconds', async () => {
      expect(await value(fragment(d.isoTime('timestamp')), row1)).toBe('2026-01-07T10:30:15.250Z');
      expect(await value(fragment(d.isoTime('timestamp')), sql`seq = 3`)).toBe('2026-01-07T11:45:00.999Z');
    });
    it('decimalText: every digit of the scale, sign kept, NULL stays NULL', async () => {
      const dec = (v: string | null) =>
        value(fragment(d.decimalText(v === null ? 'CAST(NULL AS DECIMAL(18, 4))' : `CAST('${v}' AS DECIMAL(18, 4))`, 4)), row1);
      expect(await dec('-5')).toBe('-5.0000');
      expect(await dec('12.3456')).toBe('12.3456');
      expect(await dec('0.1')).toBe('0.1000');
      expect(await dec(null)).toBeNull();
    });
    it('jsonRows: objects as typed rows, in order, whatever else they hold', async () => {
      const rows = [
        { date: '2026-01-10', n: 3, x: 0.5, extra: 'ignored' },
        { date: '2026-01-11', n: 9007199254740993n.toString(), x: 2 },
      ];
      const { text, params } = render(
        sql`SELECT * FROM (${d.jsonRows(rows, [
          ['date', 'DATE'],
          ['n', 'BIGINT'],
          ['x', 'DOUBLE'],
        ])})`,
        d,
      );
      const got = (await engine.all(text, params)).map((r) => [plain(r.date), plain(r.n), plain(r.x)]);
      expect(got).toEqual([
        ['2026-01-10T00:00:00.000Z', 3, 0.5],
        ['2026-01-11T00:00:00.000Z', '9007199254740993', 2],
      ]);
    });
  });

  it('cte: each hint names a CTE readers can use, once or several times', async () => {
    const { text, params } = render(
      sql`WITH ${fragment(d.cte('t', 'materialized'))} (SELECT count(*) AS x FROM ev),
        ${fragment(d.cte('u', 'inline'))} (SELECT max(seq) AS y FROM ev),
        ${fragment(d.cte('w', 'shared'))} (SELECT min(seq) AS z FROM ev)
        SELECT t.x AS x, u.y AS y, w.z AS z, (SELECT x FROM t) + (SELECT z FROM w) AS again FROM t, u, w`,
      d,
    );
    const [got] = await engine.all(text, params);
    expect(Object.fromEntries(Object.entries(got ?? {}).map(([k, v]) => [k, plain(v)]))).toEqual({ x: 3, y: 3, z: 1, again: 4 });
  });

  describe('values and lists', () => {
    it('timestamp: a bound UTC text keeps its milliseconds and compares with stored times', async () => {
      const at = d.timestamp(sql`${'2026-01-07 10:30:15.250'}`);
      expect(await value(at, row1)).toBe('2026-01-07T10:30:15.250Z');
      expect(await value(sql`count(*)`, sql`timestamp >= ${at}`)).toBe(3);
      expect(await value(sql`count(*)`, sql`timestamp > ${at}`)).toBe(1);
    });
    it('distinctList and listLength: distinct matching values, 0 for a group with none', async () => {
      const list = fragment(d.distinctList('pathname', "event_name = 'pageview'"));
      const got = await one(sql`${fragment(d.listLength(d.distinctList('pathname', "event_name = 'pageview'")))} AS n,
        ${fragment(d.listLength(d.distinctList('pathname', "event_name = 'none'")))} AS none, ${list} AS l`);
      expect({ ...got, l: [...(got.l as string[])].sort() }).toEqual({ n: 2, none: 0, l: ['/a', '/c'] });
    });
    it('unnest: one row per element, the other columns repeated', async () => {
      const { text, params } = render(
        sql`SELECT seq, ${fragment(d.unnest('l'))} AS x FROM (SELECT seq, ${fragment(d.distinctList('pathname', 'true'))} AS l
            FROM ev WHERE seq = 1 GROUP BY seq) ORDER BY x`,
        d,
      );
      expect((await engine.all(text, params)).map((r) => [plain(r.seq), r.x])).toEqual([[1, '/a']]);
    });
    it('unnestNumbered: one row per element with its position, and nothing else paired', async () => {
      const { text, params } = render(
        sql`SELECT seq, ${fragment(d.unnestNumbered('l', 'x', 'k'))} FROM (SELECT 1 AS seq, ['/b', '/a', '/c'] AS l) ORDER BY k`,
        d,
      );
      expect((await engine.all(text, params)).map((r) => [plain(r.seq), r.x, plain(r.k)])).toEqual([
        [1, '/b', 1],
        [1, '/a', 2],
        [1, '/c', 3],
      ]);
    });
    it('listOf, severalDistinct and listOr: every value; distinct ones only when several; the list or one', async () => {
      const got = await one(sql`${fragment(d.listOf('pathname'))} AS l,
        ${fragment(d.listLength(d.severalDistinct('event_name')))} AS several,
        ${fragment(d.listLength(d.severalDistinct("'same'")))} AS one`);
      expect({ ...got, l: [...(got.l as string[])].sort() }).toEqual({ l: ['/a', '/b', '/c'], several: 2, one: 0 });
      const or = (list: string) =>
        one(sql`${fragment(d.listOr(list, 'pathname'))} AS l`, row1).then((r) => [...(r.l as string[])].sort());
      expect(await or(`(SELECT ${d.severalDistinct('event_name')} FROM ev)`)).toEqual(['pageview', 'signup']);
      expect(await or(`(SELECT ${d.severalDistinct('pathname')} FROM ev WHERE seq = 1)`)).toEqual(['/a']);
    });
    it('listOrdered and flatten: values in the keys’ order; lists of lists as one', async () => {
      const got = await one(sql`${fragment(d.listOrdered('pathname', 'event_name, seq'))} AS l,
        ${fragment(d.flatten(d.listOrdered("[pathname, 'x']", 'seq')))} AS f`);
      expect(got).toEqual({ l: ['/a', '/c', '/b'], f: ['/a', 'x', '/b', 'x', '/c', 'x'] });
    });
    it('listSlice, listReverse, listContains and listPosition', async () => {
      const l = "['a', 'b', 'c', 'd']";
      expect(
        await one(
          sql`${fragment(d.listSlice(l, '2', '3'))} AS mid, ${fragment(d.listSlice(l, '3', '2'))} AS none,
          ${fragment(d.listSlice(l, '3', '9'))} AS tail, ${fragment(d.listReverse(d.listSlice(l, '1', '2')))} AS rev,
          ${fragment(d.listContains(l, "'c'"))} AS has, ${fragment(d.listContains(l, "'z'"))} AS hasnt,
          ${fragment(d.listPosition("['a', 'c', 'c']", "'c'"))} AS pos`,
          row1,
        ),
      ).toEqual({ mid: ['b', 'c'], none: [], tail: ['c', 'd'], rev: ['b', 'a'], has: true, hasnt: false, pos: 2 });
    });
    it('record, recordField and allExcept: fields picked together, unpacked, the record left out', async () => {
      const fields = [
        ['p', 'pathname'],
        ['e', 'event_name'],
      ] as const;
      const { text, params } = render(
        sql`SELECT ${fragment(d.allExcept(['r']))}, ${fragment(d.recordField('r', fields, 0))} AS p,
            ${fragment(d.recordField('r', fields, 1))} AS e
            FROM (SELECT count(*) AS n, ${fragment(d.lastByTime(d.record(fields)))} AS r FROM ev)`,
        d,
      );
      const rows = (await engine.all(text, params)).map((r) =>
        Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])),
      );
      expect(rows).toEqual([{ n: 3, p: '/c', e: 'pageview' }]);
    });
  });

  describe('behavioral building blocks', () => {
    const rows = async (query: Sql) => {
      const { text, params } = render(query, d);
      return (await engine.all(text, params)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, plain(v)])));
    };
    it.each(['materialized', 'inline', 'shared'] as const)(
      'cte %s: a CTE read twice answers the same rows to both readers',
      async (use) => {
        // Pairs of seq 2 and 3: (2,2) (2,3) (3,2) (3,3), products 4 + 6 + 6 + 9.
        const got = await rows(sql`WITH ${fragment(d.cte('x', use))} (SELECT seq FROM ev WHERE seq >= 2)
          SELECT count(*) AS n, sum(a.seq * b.seq) AS s FROM x a, x b`);
        expect(got).toEqual([{ n: 4, s: 25 }]);
      },
    );
    it('hasBits: every bit asked for is set', async () => {
      const has = (expr: string, bits: number) => value(fragment(d.hasBits(expr, bits)), row1);
      expect(await has('5', 1)).toBe(true);
      expect(await has('5', 4)).toBe(true);
      expect(await has('5', 5)).toBe(true);
      expect(await has('5', 2)).toBe(false);
      expect(await has('5', 7)).toBe(false);
      expect(await has('0', 1)).toBe(false);
      // seq 1 (0b01), 2 (0b10), 3 (0b11).
      expect(await value(sql`count(*)`, fragment(d.hasBits('seq', 1)))).toBe(2);
      expect(await value(sql`count(*)`, fragment(`NOT ${d.hasBits('seq', 3)}`))).toBe(2);
    });
    it('bitOrAgg: the OR of the values, NULLs skipped, NULL without a value', async () => {
      // seq² = 1, 4, 9: 0b0001 | 0b0100 | 0b1001.
      expect(await value(fragment(d.bitOrAgg('seq * seq')))).toBe(13);
      expect(await value(fragment(d.bitOrAgg('CASE WHEN seq <> 3 THEN seq * seq END')))).toBe(5);
      expect(await value(fragment(d.bitOrAgg('CASE WHEN seq > 9 THEN seq END')))).toBeNull();
      expect(await value(fragment(d.bitOrAgg('seq')), sql`false`)).toBeNull();
    });
    it('semiJoin: each left row with a match once, NULL matches nothing', async () => {
      const pageviews = sql`SELECT 'pageview' AS event_name UNION ALL SELECT 'pageview' UNION ALL SELECT 'none'`;
      expect(
        await rows(sql`SELECT seq FROM ev ${fragment(d.semiJoin())} (${pageviews}) r USING (event_name) ORDER BY seq`),
      ).toEqual([{ seq: 1 }, { seq: 3 }]);
      const paths = sql`SELECT CAST(NULL AS VARCHAR) AS pathname UNION ALL SELECT '/c'`;
      expect(await rows(sql`SELECT seq FROM ev ${fragment(d.semiJoin())} (${paths}) r USING (pathname) ORDER BY seq`)).toEqual([
        { seq: 3 },
      ]);
    });
    it('neighbour: the rows after and before in the window, NULL past either end (not 0)', async () => {
      const n = (expr: string, offset: number) => fragment(`${d.neighbour(expr, offset)} OVER o`);
      const window = (partition: string) => fragment(`WINDOW o AS (${partition}ORDER BY timestamp, seq ${WHOLE_PARTITION})`);
      expect(
        await rows(sql`SELECT seq, ${n('pathname', 1)} AS n1, ${n('pathname', 2)} AS n2, ${n('pathname', -1)} AS p1,
            ${n('seq', 1)} AS s1, ${n('seq', -2)} AS s2 FROM ev ${window('')} ORDER BY seq`),
      ).toEqual([
        { seq: 1, n1: '/b', n2: '/c', p1: null, s1: 2, s2: null },
        { seq: 2, n1: '/c', n2: null, p1: '/a', s1: 3, s2: null },
        { seq: 3, n1: null, n2: null, p1: '/b', s1: null, s2: 1 },
      ]);
      expect(
        await rows(sql`SELECT seq, ${n('pathname', 1)} AS n1, ${n('pathname', -1)} AS p1
            FROM ev ${window('PARTITION BY event_name ')} ORDER BY seq`),
      ).toEqual([
        { seq: 1, n1: '/c', p1: null },
        { seq: 2, n1: null, p1: null },
        { seq: 3, n1: null, p1: '/a' },
      ]);
    });
    it('argMin: the value on the row with the least key, rows with a NULL skipped', async () => {
      expect(await value(fragment(d.argMin('pathname', 'seq')))).toBe('/a');
      expect(await value(fragment(d.argMin('pathname', '-seq')))).toBe('/c');
      expect(await value(fragment(d.argMin('CASE WHEN seq = 1 THEN NULL ELSE pathname END', 'seq')))).toBe('/b');
      expect(await value(fragment(d.argMin('pathname', 'CASE WHEN seq = 1 THEN NULL ELSE seq END')))).toBe('/b');
      expect(await value(fragment(d.argMin('[pathname, event_name]', '-seq')))).toEqual(['/c', 'pageview']);
    });
    it('listWithoutNulls: the non-NULL elements in order, NULL past the end', async () => {
      const list = d.listWithoutNulls('[pathname, NULL, event_name]');
      expect(
        await one(sql`${fragment(list)} AS l, ${fragment(`${list}[3]`)} AS past, ${fragment(d.listLength(list))} AS n`, row1),
      ).toEqual({ l: ['/a', 'pageview'], past: null, n: 2 });
      // Elements that can never be NULL: past the end is still NULL, not the type's default.
      expect(await value(fragment(`${d.listWithoutNulls('[event_name]')}[2]`), row1)).toBeNull();
      const none = d.listWithoutNulls('[CASE WHEN false THEN pathname END]');
      expect(await one(sql`${fragment(none)} AS l, ${fragment(d.listLength(none))} AS n`, row1)).toEqual({ l: [], n: 0 });
    });
  });
}
