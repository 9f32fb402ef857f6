/**
 * Privacy: the client IP, the full User-Agent and a signed-in user's id are used at ingest
 * (visitor id, geo, browser) and then discarded. After events carrying distinctive values
 * are stored and flushed, no file under the data dir (write-ahead log, DuckDB files,
 * Parquet — also decoded, since Parquet is ZSTD-compressed), no stored value (on ClickHouse:
 * every row of every table of the server's database, and the engine's files), no log line
 * and no operational endpoint contains any of them; yet the location and browser derived
 * from them are right.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClickHouseConnection } from '../../src/storage/clickhouse/connection.js';
import { clickhouseDataDir, clickhouseOf, TEST_STORAGE } from '../helpers/backends.js';
import { buildCityMmdb } from '../helpers/geo-fixture.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { listFiles, loadBatch, removeScratchDirs, scratchDir, sendEvent, stats } from './support.js';

const SITE = 'privacy.test';
const MARKER = 'PrivacyMarker/9.9';
const UA_MARKED = `Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0 ${MARKER}`;
const IP_BATCH = '203.0.113.77';
const IP_V6 = '2001:db8::4242:77';
const IP_FORWARDED = '198.51.100.77';
const IP_PROXY_CHAIN = '10.9.8.7';
const USER_ID = 'user-secret-4242';

/** Stored on purpose (a custom property), so the scans below are shown to find what is there. */
const CONTROL = 'ControlMarker-7777';

/** Strings that must not be stored or logged anywhere. */
const SECRETS = [MARKER, 'PrivacyMarker', IP_BATCH, IP_V6, IP_FORWARDED, IP_PROXY_CHAIN, USER_ID, 'secret-4242'];

let server: RunningServer;
let dataDir: string;
let readKey: string;
let logs = '';

/** Which secrets occur in `haystack`, case-insensitively and byte for byte (binary-safe). */
function secretsIn(haystack: Buffer | string): string[] {
  const text = (typeof haystack === 'string' ? haystack : haystack.toString('latin1')).toLowerCase();
  return SECRETS.filter((s) => text.includes(s.toLowerCase()));
}

function secretsInFiles(dir: string): Record<string, string[]> {
  const found: Record<string, string[]> = {};
  for (const f of listFiles(dir)) {
    const hits = secretsIn(readFileSync(f));
    if (hits.length > 0) found[f] = hits;
  }
  return found;
}

/** Values as text: 64-bit integers as digits, times as ISO 8601. */
const asText = (rows: unknown) => JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));

/** Every stored event, decoded: the Parquet files (DuckDB) or the events table (ClickHouse). */
async function storedEvents(): Promise<Record<string, unknown>[]> {
  if (TEST_STORAGE === 'clickhouse') {
    const conn = new ClickHouseConnection(await clickhouseOf(dataDir));
    try {
      return await conn.all('SELECT * FROM events');
    } finally {
      await conn.close();
    }
  }
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const glob = join(dataDir, 'events', '*', '*', '*.parquet');
    return (
      await conn.runAndReadAll(`SELECT * FROM read_parquet('${glob}', hive_partitioning = true, union_by_name = true)`)
    ).getRowObjectsJS() as Record<string, unknown>[];
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

beforeAll(async () => {
  const geoDb = buildCityMmdb(scratchDir('geo'));
  dataDir = scratchDir('privacy');
  server = await startServer({
    dataDir,
    env: {
      MALLARD_GEOIP_DB: geoDb,
      MALLARD_TRUSTED_PROXIES: '127.0.0.1',
      MALLARD_LOG_LEVEL: 'trace',
      MALLARD_FLUSH_INTERVAL: '86400',
    },
  });
  const cookie = await login(server.url);
  readKey = await createKey(server.url, cookie, 'read');
  const ingestKey = await createKey(server.url, cookie, 'ingest');

  const ev = (t: string, path: string, ip: string, extra: object = {}) => ({
    d: SITE,
    n: 'pageview',
    u: `https://${SITE}${path}`,
    timestamp: t,
    ip,
    user_agent: UA_MARKED,
    user_id: USER_ID,
    ...extra,
  });
  await loadBatch(server.url, ingestKey, [
    ev('2026-01-10T10:00:00Z', '/', IP_BATCH),
    ev('2026-01-10T10:05:00Z', '/pricing', IP_BATCH),
    ev('2026-01-10T10:07:00Z', '/pricing', IP_BATCH, { n: 'signup', p: { plan: 'pro', note: CONTROL } }),
    ev('2026-01-10T11:00:00Z', '/docs', IP_V6),
  ]);
  for (const path of ['/from-proxy', '/from-proxy/2']) {
    const res = await sendEvent(
      server.url,
      { d: SITE, n: 'pageview', u: `https://${SITE}${path}`, w: 1280 },
      { ua: UA_MARKED, headers: { 'x-forwarded-for': `${IP_FORWARDED}, ${IP_PROXY_CHAIN}` } },
    );
    expect(res.status).toBe(202);
  }
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

const valuesAndVisitors = (rows: { value: string; visitors: number }[]) => rows.map((r) => [r.value, r.visitors]);

describe('before the flush', () => {
  // First, before any read: on ClickHouse a read ships the log's events first.
  it('the write-ahead log and the DuckDB files hold none of the secrets', () => {
    const walFiles = listFiles(join(dataDir, 'wal'));
    expect(walFiles.some((f) => readFileSync(f).includes(CONTROL))).toBe(true); // the scan sees stored values
    expect(secretsInFiles(dataDir)).toEqual({});
  });

  it('the location comes from the IP (socket, batch `ip`, trusted X-Forwarded-For) and the browser from the UA', async () => {
    const q = { site_id: SITE, period: 'all' };
    expect(valuesAndVisitors(await stats(server.url, readKey, 'breakdown/countries', q))).toEqual([
      ['DE', 1],
      ['JP', 1],
      ['US', 1],
    ]);
    expect(valuesAndVisitors(await stats(server.url, readKey, 'breakdown/regions', q))).toEqual([
      ['Berlin', 1],
      ['California', 1],
      ['Tokyo', 1],
    ]);
    expect(valuesAndVisitors(await stats(server.url, readKey, 'breakdown/cities', q))).toEqual([
      ['Berlin', 1],
      ['San Francisco', 1],
      ['Tokyo', 1],
    ]);
    expect(valuesAndVisitors(await stats(server.url, readKey, 'breakdown/browsers', q))).toEqual([['Firefox', 3]]);
    expect(await stats(server.url, readKey, 'main', q)).toMatchObject({ unique_visitors: 3, events: 6, total_pageviews: 5 });
  });

  it('/metrics and /health/detailed show none of them', async () => {
    expect(secretsIn(await (await fetch(`${server.url}/metrics`)).text())).toEqual([]);
    expect(secretsIn(await (await fetch(`${server.url}/health/detailed`)).text())).toEqual([]);
  });
});

describe('after SIGTERM (flushed to Parquet, or shipped to ClickHouse)', () => {
  beforeAll(async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    logs = server.logs();
  });

  it('no file under the data dir holds a secret, byte for byte', () => {
    const files = listFiles(dataDir);
    expect(files.some((f) => f.endsWith('.parquet'))).toBe(TEST_STORAGE === 'duckdb');
    expect(files.some((f) => f.endsWith('.duckdb'))).toBe(true);
    expect(secretsInFiles(dataDir)).toEqual({});
  });

  it('no stored event value, decoded, holds a secret; the derived location is there', async () => {
    const rows = await storedEvents();
    expect(rows).toHaveLength(6);
    const text = asText(rows);
    expect(text).toContain(CONTROL); // the decoded scan sees stored values
    expect(secretsIn(text)).toEqual([]);
    const places = rows.map((r) => `${r.country_code}/${r.region}/${r.city}`).sort();
    expect(places).toEqual([
      'DE/Berlin/Berlin',
      'DE/Berlin/Berlin',
      'JP/Tokyo/Tokyo',
      'US/California/San Francisco',
      'US/California/San Francisco',
      'US/California/San Francisco',
    ]);
    // The user id is kept only as a keyed hash: one value for all four of that user's events.
    const userKeys = new Set(rows.filter((r) => r.user_key !== null).map((r) => String(r.user_key)));
    expect(userKeys.size).toBe(1);
    expect(rows.filter((r) => r.user_key !== null)).toHaveLength(4);
  });

  it.runIf(TEST_STORAGE === 'clickhouse')('no row of any table of the ClickHouse database holds a secret', async () => {
    const conn = new ClickHouseConnection(await clickhouseOf(dataDir));
    try {
      const tables = await conn.all<{ name: string }>('SELECT name FROM system.tables WHERE database = currentDatabase()');
      expect(tables.map((t) => t.name)).toContain('events');
      const found: Record<string, string[]> = {};
      let all = '';
      for (const { name } of tables) {
        const text = asText(await conn.all(`SELECT * FROM \`${name}\``));
        all += text;
        const hits = secretsIn(text);
        if (hits.length > 0) found[name] = hits;
      }
      expect(all).toContain(CONTROL); // the scan sees stored values
      expect(found).toEqual({});
    } finally {
      await conn.close();
    }
  });

  it.runIf(TEST_STORAGE === 'clickhouse')('no file of the ClickHouse engine holds a secret, byte for byte', async () => {
    const dir = await clickhouseDataDir();
    const files = listFiles(dir);
    expect(files.some((f) => readFileSync(f).includes(CONTROL))).toBe(true); // the scan sees stored values
    expect(secretsInFiles(dir)).toEqual({});
  });

  it('the server log (at trace level) holds none of the secrets', () => {
    // the log was captured to the end (the last flush, or the last line)
    expect(logs).toContain(TEST_STORAGE === 'duckdb' ? 'flushed to parquet' : 'shut down cleanly');
    expect(secretsIn(logs)).toEqual([]);
  });
});
