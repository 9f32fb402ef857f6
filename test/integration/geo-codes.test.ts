/**
 * Region codes and city ids (docs/DATA.md §8): kept beside the names, answered by v2's
 * `visit:region` and `visit:city` as Plausible answers them, while the GET breakdowns keep
 * the names. A data directory written before the two columns existed still reads: its
 * events have no code (v2's none: `""` and 0), the new ones beside them do, before and after
 * the partition holding old and new files is compacted and its derived tables built again.
 *
 * Places (the test City database, test/fixtures/build-city-mmdb.pl):
 *   198.51.100.x  DE / Berlin (DE-BE) / Berlin (2950159)
 *   203.0.113.x   US / California (US-CA) / San Francisco (5391959)
 * Visitors (a daily id per address and User-Agent): on 02-01 B1 and S1 before the change,
 * B2 after it; on 02-02 B1 again (another daily visitor).
 */
import { readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADDED_COLUMNS } from '../../src/storage/columns.js';
import { TEST_STORAGE } from '../helpers/backends.js';
import { buildCityMmdb } from '../helpers/geo-fixture.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent } from './fixture.js';
import { apiRequest, listFiles, loadBatch, removeScratchDirs, scratchDir, stats, UA } from './support.js';

const SITE = 'geo.test';
const B1 = { ip: '198.51.100.1', ua: UA.chromeWindows };
const B2 = { ip: '198.51.100.2', ua: UA.firefoxLinux };
const S1 = { ip: '203.0.113.1', ua: UA.safariMac };
const RANGE = { start_date: '2026-02-01', end_date: '2026-02-02' };

describe.skipIf(TEST_STORAGE === 'clickhouse')('region codes and city ids, beside a day written before them', () => {
  let server: RunningServer;
  let key: string;
  let env: Record<string, string>;

  afterAll(async () => {
    await server?.stop('SIGTERM');
    removeScratchDirs();
  });

  beforeAll(async () => {
    env = { MALLARD_GEOIP_DB: buildCityMmdb(scratchDir('geo-codes')), MALLARD_COMPACT_MIN_FILES: '2' };
    server = await startServer({ env });
    key = await createKey(server.url, await login(server.url), 'admin');
    await loadBatch(server.url, key, [
      batchEvent(SITE, { ...B1, t: '2026-02-01T10:00:00Z', path: '/a' }),
      batchEvent(SITE, { ...S1, t: '2026-02-01T11:00:00Z', path: '/a' }),
    ]);
    await server.stop('SIGTERM');
    // The file as a release before the two columns wrote it (nor the engagement columns).
    const files = listFiles(join(server.dataDir, 'events')).filter((f) => f.endsWith('.parquet'));
    expect(files).toHaveLength(1);
    const file = files[0] as string;
    const instance = await DuckDBInstance.create(':memory:');
    const c = await instance.connect();
    const dropped = ADDED_COLUMNS.map((col) => col.name).join(', ');
    await c.run(`COPY (SELECT * EXCLUDE (${dropped}) FROM read_parquet('${file}')) TO '${file}.old' (FORMAT parquet)`);
    const columns = (await c.runAndReadAll(`SELECT name FROM parquet_schema('${file}.old')`))
      .getRowObjectsJS()
      .map((r) => r.name);
    expect(columns).not.toContain('region_code');
    c.closeSync();
    instance.closeSync();
    renameSync(`${file}.old`, file);
    server = await startServer({ dataDir: server.dataDir, env });
  });

  const v2 = async (dimensions: string[], filters?: unknown[]) => {
    const body = { site_id: SITE, metrics: ['visitors'], date_range: ['2026-02-01', '2026-02-02'], dimensions, filters };
    const a = await apiRequest<{ results: unknown[] }>(server.url, 'POST', '/api/v2/query', { key }, body);
    expect(a.status, a.text).toBe(200);
    return a.json?.results;
  };

  const answers = async () => ({
    codes: await v2(['visit:region', 'visit:city']),
    names: await v2(['visit:country_name', 'visit:region_name', 'visit:city_name']),
    berlin: await v2([], [['is', 'visit:city', [2_950_159]]]),
    regions: (
      await stats<{ value: string; visitors: number }[]>(server.url, key, 'breakdown/regions', { site_id: SITE, ...RANGE })
    ).map((r) => [r.value, r.visitors]),
  });

  it('reads the old day with no codes, the new events with theirs, before and after compaction', async () => {
    await loadBatch(server.url, key, [
      batchEvent(SITE, { ...B2, t: '2026-02-01T12:00:00Z', path: '/a' }),
      batchEvent(SITE, { ...B1, t: '2026-02-02T09:00:00Z', path: '/b' }),
    ]);
    const expected = {
      // B1 and S1 of 02-01 have no code; B2 of 02-01 and B1 of 02-02 are Berlin's.
      codes: [
        { dimensions: ['', 0], metrics: [2] },
        { dimensions: ['DE-BE', 2_950_159], metrics: [2] },
      ],
      names: [
        { dimensions: ['Germany', 'Berlin', 'Berlin'], metrics: [3] },
        { dimensions: ['United States', 'California', 'San Francisco'], metrics: [1] },
      ],
      berlin: [{ dimensions: [], metrics: [2] }],
      regions: [
        ['Berlin', 3],
        ['California', 1],
      ],
    };
    expect(await answers()).toEqual(expected);
    // A restart flushes, compacts 02-01's old and new file into one and builds the derived tables again.
    await server.stop('SIGTERM');
    server = await startServer({ dataDir: server.dataDir, env });
    const day = readdirSync(join(server.dataDir, 'events', `site_id=${SITE}`, 'date=2026-02-01'));
    expect(day).toHaveLength(1);
    expect(day[0]).toMatch(/^\d{20}\.c\d{20}\.parquet$/);
    expect(await answers()).toEqual(expected);
  });
});
