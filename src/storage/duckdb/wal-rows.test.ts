/**
 * The engine reads the log's lines back as exactly the rows that were written: text with
 * quotes, escapes, control characters and JSON-looking content, the largest unsigned
 * 64-bit ids, times to the millisecond, revenue decimals and nulls; a torn last line is skipped.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, expect, it } from 'vitest';
import { storedRow } from '../../../test/helpers/stored-row.js';
import { decodeRow, EVENT_COLUMNS, encodeRow, LINE_LENGTHS, type StoredRow } from '../columns.js';
import { walRowsSql } from './wal-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'mallard-wal-rows-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = storedRow({
  site_id: 'example.com',
  visitor_id: 1n,
  session_id: 2n,
  timestamp: new Date('2026-12-01T10:00:00.123Z'),
  country_code: 'DE',
  seq: 1n,
});

const rows: StoredRow[] = [
  base,
  {
    ...base,
    seq: 2n,
    visitor_id: 18446744073709551615n,
    session_id: 9007199254740993n,
    user_key: 12345678901234567890n,
    pathname: '/a"b\\c/é ✓ 𝄞',
    referrer: 'https://x.test/?q=line\nbreak\ttab\u0001',
    props: '{"plan":"pro","n":"1e5","nested":"[1,2]"}',
    utm_campaign: 'null',
    utm_term: '',
    revenue_amount: '-12.3400',
    revenue_currency: 'EUR',
    screen_width: 0,
    event_name: 'engagement',
    engaged_ms: 12_345,
    scroll_depth: 100,
    region_code: 'EE-37',
    city_geoname_id: '588409',
    timestamp: new Date('1999-12-31T23:59:59.999Z'),
  },
];

it('reads every column of every line back as written, and skips a torn last line', async () => {
  const path = join(dir, '0000000001.log');
  writeFileSync(path, `${rows.map(encodeRow).join('\n')}\n${encodeRow({ ...base, seq: 3n }).slice(0, 40)}`);
  const instance = await DuckDBInstance.create(':memory:');
  const c = await instance.connect();
  const read = (await c.runAndReadAll(`SELECT * FROM ${walRowsSql([path])} ORDER BY seq`)).getRowObjectsJS();
  c.closeSync();
  instance.closeSync();
  expect(read).toHaveLength(2);
  const asRead = (row: StoredRow) =>
    Object.fromEntries(
      EVENT_COLUMNS.map(({ name, kind }) => {
        const v = row[name];
        // Decimals come back as numbers (4 places), the rest as the row holds them.
        return [name, kind === 'decimal' && v !== null ? Number(v) : v];
      }),
    );
  expect(read[0]).toEqual(asRead(rows[0] as StoredRow));
  expect(read[1]).toEqual(asRead(rows[1] as StoredRow));
});

it.each([
  ['the engagement columns', 4],
  ['the region code and city id', 2],
])(
  'reads a line of the release before %s (%i values fewer) with the missing ones NULL, in SQL and in JavaScript',
  async (_what, fewer) => {
    const length = EVENT_COLUMNS.length - fewer;
    expect(LINE_LENGTHS).toContain(length);
    const full = { ...base, seq: 7n, engaged_ms: 1500, scroll_depth: 40, region_code: 'DE-BE', city_geoname_id: '2950159' };
    const old = JSON.stringify((JSON.parse(encodeRow(full)) as unknown[]).slice(0, length));
    const path = join(dir, `000000000${fewer}.log`);
    writeFileSync(path, `${old}\n`);
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    const read = (await c.runAndReadAll(`SELECT * FROM ${walRowsSql([path])}`)).getRowObjectsJS();
    c.closeSync();
    instance.closeSync();
    expect(read).toHaveLength(1);
    const kept = fewer === 4 ? { engaged_ms: null, scroll_depth: null } : { engaged_ms: 1500, scroll_depth: 40 };
    expect(read[0]).toMatchObject({ seq: 7n, country_code: 'DE', ...kept, region_code: null, city_geoname_id: null });
    expect(decodeRow(old)).toEqual({ ...base, seq: 7n, ...kept, region_code: null, city_geoname_id: null });
    expect(() => decodeRow(JSON.stringify([1, 2, 3]))).toThrow('malformed log row');
  },
);
