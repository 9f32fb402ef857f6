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
import { EVENT_COLUMNS, encodeRow, type StoredRow } from '../columns.js';
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
