/**
 * GET /api/stats/export against the real server: exact CSV/JSON for daily aggregates of a
 * fixed data set, raw events as NDJSON/CSV/Parquet (checked field by field and against each
 * other), the formula-injection guard, auth and bad input, a 50,000-event export streamed
 * from both storage tiers, client aborts (slots, lock and temp files released), and the same
 * answers again from Parquet after a restart. The server's flush count is above the data
 * set, so every export reads the hot tier until the restart writes it all to Parquet (flushes
 * triggered by count while 10,000-event batches arrive are the storage tests' concern).
 *
 * Fixture, site export-a.test (the stats fixture; all times UTC):
 *   01-10  V1 Chrome/Win w=1920 from Google: 10:00 pv /, 10:10 pv /pricing, 10:12 signup {plan: pro}   720 s
 *          V2 Firefox/Linux w=1280 direct:   10:30 pv /  (bounce); 11:01 pv /blog, 11:11 pv /blog/post-1  600 s
 *          V3 Safari/iPhone w=390 from HN:   23:00 pv /blog, 23:30 pv /                                  1800 s
 *          → 3 visitors, 4 visits, 7 pageviews, 8 events, 1 bounce of 4 = 0.25, (720+0+600+1800)/4 = 780 s
 *   01-11  V1 from Google: 09:00 pv / (bounce); V4 Safari/Mac w=800 newsletter: 14:00 pv /,
 *          14:20 download /docs, 14:40 pv /docs (2400 s)
 *          → 2 visitors, 2 visits, 3 pageviews, 4 events, bounce 0.5, 1200 s
 *   01-12  V5 Edge/Win direct: 08:00 pv /pricing (bounce); V2 from Google: 12:00 pv /blog,
 *          12:15 pv /blog/post-1, 12:15:30 signup {plan: free} (930 s)
 *          → 2 visitors, 2 visits, 3 pageviews, 4 events, bounce 0.5, 465 s
 *   Visits from Google (visit:source is Google): 01-10 V1 (2 pv, 3 events, 720 s), 01-11 V1
 *   (1 pv, bounce), 01-12 V2 (2 pv, 3 events, 930 s).
 */
import { readdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { type ClientRequest, get as httpGet, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_STORAGE } from '../helpers/backends.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { batchEvent, EVENTS, V1 } from './fixture.js';
import { loadBatch, removeScratchDirs, scratchDir, stats, UA } from './support.js';

const SITE = 'export-a.test';
const INJ = 'export-inj.test';
const BIG = 'export-big.test';
const OTHER = 'export-b.test';

/** Values a spreadsheet would run as formulas, where they can start a cell, and two where they cannot. */
const INJECTION_EVENTS = [
  {
    d: INJ,
    n: 'pageview',
    u: `https://${INJ}/=HYPERLINK("x")`,
    p: { v: '+cmd' },
    timestamp: '2026-01-10T10:00:00Z',
    ip: V1.ip,
    user_agent: V1.ua,
  },
  {
    d: INJ,
    n: "=cmd|' /C calc'!A0",
    u: `https://${INJ}/buy?utm_source=@SUM(1)&utm_campaign=-2%2B3&utm_medium=%2Bmedium`,
    r: 'https://-1.example/x',
    revenue: { amount: '-5', currency: 'USD' },
    timestamp: '2026-01-10T10:01:00Z',
    ip: V1.ip,
    user_agent: V1.ua,
  },
];

const BIG_COUNT = 50_000;
const BIG_BATCH = 10_000;
const bigEvent = (i: number) => ({
  d: BIG,
  n: i % 10 === 9 ? 'click' : 'pageview',
  u: `https://${BIG}/p/${i % 200}?utm_source=s${i % 7}`,
  p: i % 10 === 9 ? { n: String(i), text: 'padding '.repeat(20) } : undefined,
  timestamp: new Date(Date.UTC(2026, 1, 1) + i * 8_000).toISOString(),
  ip: `203.0.${113 + (i % 2)}.${(i >> 1) % 250}`,
  user_agent: [UA.chromeWindows, UA.firefoxLinux, UA.safariMac][i % 3],
});
const BIG_RANGE = { start_date: '2026-02-01', end_date: '2026-02-05' };

const RANGE = { start_date: '2026-01-09', end_date: '2026-01-13' };
const AGGREGATES_CSV = [
  'date,visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events',
  '2026-01-09,0,0,0,0,0,0,0',
  '2026-01-10,3,4,7,1.75,0.25,780,8',
  '2026-01-11,2,2,3,1.5,0.5,1200,4',
  '2026-01-12,2,2,3,1.5,0.5,465,4',
  '2026-01-13,0,0,0,0,0,0,0',
  '',
].join('\r\n');
const agg = (
  date: string,
  visitors = 0,
  visits = 0,
  pageviews = 0,
  views_per_visit = 0,
  bounce_rate = 0,
  visit_duration = 0,
  events = 0,
) => ({ date, visitors, visits, pageviews, views_per_visit, bounce_rate, visit_duration, events });
const AGGREGATES = [
  agg('2026-01-09'),
  agg('2026-01-10', 3, 4, 7, 1.75, 0.25, 780, 8),
  agg('2026-01-11', 2, 2, 3, 1.5, 0.5, 1200, 4),
  agg('2026-01-12', 2, 2, 3, 1.5, 0.5, 465, 4),
  agg('2026-01-13'),
];

const COLUMNS = [
  'site_id',
  'visitor_id',
  'session_id',
  'user_key',
  'timestamp',
  'event_name',
  'pathname',
  'hostname',
  'referrer',
  'referrer_source',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_content',
  'utm_term',
  'browser',
  'browser_version',
  'os',
  'os_version',
  'device_type',
  'screen_width',
  'country_code',
  'region',
  'city',
  'props',
  'revenue_amount',
  'revenue_currency',
  'region_code',
  'city_geoname_id',
];
const NUMERIC = new Set(['visitor_id', 'session_id', 'user_key', 'screen_width', 'revenue_amount']);

let server: RunningServer;
let dataDir: string;
let tmpDir: string;
let readKey: string;
let ingestKey: string;
let otherSiteKey: string;
let ownSiteKey: string;
let cookie: string;

const start = async () => {
  // TMPDIR is where the server writes Parquet exports before sending them. Everything stays
  // in the hot tier until the restart, which writes it all to Parquet.
  server = await startServer({
    dataDir,
    env: { MALLARD_FLUSH_INTERVAL: '86400', MALLARD_FLUSH_COUNT: '5000', TMPDIR: tmpDir },
  });
};

const exportUrl = (params: Record<string, string>) => `${server.url}/api/stats/export?${new URLSearchParams(params)}`;
const get = (params: Record<string, string>, headers: Record<string, string> = { authorization: `Bearer ${readKey}` }) =>
  fetch(exportUrl(params), { headers });

async function text(params: Record<string, string>): Promise<{ res: Response; body: string }> {
  const res = await get(params);
  const body = await res.text();
  expect(res.status, body).toBe(200);
  return { res, body };
}

async function bytes(params: Record<string, string>): Promise<{ res: Response; body: Buffer }> {
  const res = await get(params);
  const body = Buffer.from(await res.arrayBuffer());
  expect(res.status, body.toString().slice(0, 200)).toBe(200);
  return { res, body };
}

/** RFC 4180 reader: quoted fields with doubled quotes, CRLF record ends (required after every record). */
function parseCsv(input: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  let i = 0;
  while (i < input.length) {
    const ch = input[i];
    if (quoted) {
      if (ch === '"' && input[i + 1] === '"') {
        cell += '"';
        i += 2;
      } else if (ch === '"') {
        quoted = false;
        i++;
      } else {
        cell += ch;
        i++;
      }
    } else if (ch === '"' && cell === '') {
      quoted = true;
      i++;
    } else if (ch === ',') {
      row.push(cell);
      cell = '';
      i++;
    } else if (ch === '\r' && input[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i += 2;
    } else {
      cell += ch;
      i++;
    }
  }
  expect(cell === '' && row.length === 0 && !quoted, 'every record ends with CRLF').toBe(true);
  return rows;
}

const ndjson = (body: string) => {
  expect(body === '' || body.endsWith('\n')).toBe(true);
  return body
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
};

/** Reads a Parquet file with DuckDB: column names and types, and the rows as JS values. */
async function readParquet(body: Buffer) {
  const file = join(scratchDir('parquet'), 'x.parquet');
  await writeFile(file, body);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  try {
    const described = (await conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS();
    const rows = (await conn.runAndReadAll(`SELECT * FROM read_parquet('${file}')`)).getRowObjectsJS();
    const codecs = (await conn.runAndReadAll(`SELECT DISTINCT compression FROM parquet_metadata('${file}')`))
      .getRowObjectsJS()
      .map((r) => String(r.compression));
    return {
      columns: described.map((r) => String(r.column_name)),
      types: Object.fromEntries(described.map((r) => [String(r.column_name), String(r.column_type)])),
      rows,
      codecs,
    };
  } finally {
    conn.closeSync();
    db.closeSync();
  }
}

/** Counts the lines of a streamed body without holding it. */
async function countLines(res: Response): Promise<{ lines: number; bytes: number }> {
  let lines = 0;
  let total = 0;
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    for (const b of value) if (b === 10) lines++;
  }
  return { lines, bytes: total };
}

/**
 * Opens a download on a socket of its own (node:http, no pooling) and leaves the body
 * unread, so the server meets backpressure; `req.destroy()` is the client going away.
 */
async function openDownload(params: Record<string, string>): Promise<{ req: ClientRequest; res: IncomingMessage }> {
  const req = httpGet(exportUrl(params), { headers: { authorization: `Bearer ${readKey}` }, agent: false });
  const res = await new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', resolve);
    req.once('error', reject);
  });
  res.pause();
  res.on('error', () => undefined); // destroyed on purpose
  return { req, res };
}

const exportTempDirs = () => readdirSync(tmpDir).filter((n) => n.startsWith('mallard-export-'));

async function until(what: string, ok: () => Promise<boolean> | boolean): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(async () => {
  dataDir = scratchDir('export');
  tmpDir = scratchDir('export-tmp');
  await start();
  cookie = await login(server.url);
  readKey = await createKey(server.url, cookie, 'read');
  ingestKey = await createKey(server.url, cookie, 'ingest');
  otherSiteKey = await createKey(server.url, cookie, 'read', [OTHER]);
  ownSiteKey = await createKey(server.url, cookie, 'read', [SITE]);
  await loadBatch(
    server.url,
    ingestKey,
    EVENTS.map((e) => batchEvent(SITE, e)),
  );
  await loadBatch(server.url, ingestKey, INJECTION_EVENTS);
});

afterAll(async () => {
  await server?.stop('SIGTERM');
  removeScratchDirs();
});

// Answers captured in the hot tier, compared again after the restart.
const captured: Record<string, string> = {};

describe('daily aggregates', () => {
  it('CSV by default: a header, one row per day (zero days included), exact numbers', async () => {
    const { res, body } = await text({ site_id: SITE, ...RANGE });
    expect(body).toBe(AGGREGATES_CSV);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${SITE}-2026-01-09-2026-01-13-aggregates.csv"`);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const explicit = await text({ site_id: SITE, ...RANGE, format: 'csv', kind: 'aggregates' });
    expect(explicit.body).toBe(AGGREGATES_CSV);
    captured.aggregates = body;
  });

  it('agree with the timeseries', async () => {
    const series = await stats<{ date: string; visitors: number; pageviews: number }[]>(server.url, readKey, 'timeseries', {
      site_id: SITE,
      ...RANGE,
      interval: 'day',
    });
    expect(series.map((b) => [b.date, b.visitors, b.pageviews])).toEqual(
      AGGREGATES.map((a) => [a.date, a.visitors, a.pageviews]),
    );
  });

  it('with a visit filter (visit:source is Google)', async () => {
    const { body } = await text({
      site_id: SITE,
      start_date: '2026-01-10',
      end_date: '2026-01-12',
      filters: JSON.stringify([['is', 'visit:source', ['Google']]]),
    });
    expect(body).toBe(
      [
        'date,visitors,visits,pageviews,views_per_visit,bounce_rate,visit_duration,events',
        '2026-01-10,1,1,2,2,0,720,3',
        '2026-01-11,1,1,1,1,1,0,1',
        '2026-01-12,1,1,2,2,0,930,3',
        '',
      ].join('\r\n'),
    );
  });

  it('period=day and period=month name the resolved days', async () => {
    const day = await text({ site_id: SITE, period: 'day', date: '2026-01-11' });
    expect(day.body).toBe(`${AGGREGATES_CSV.split('\r\n').slice(0, 1)}\r\n2026-01-11,2,2,3,1.5,0.5,1200,4\r\n`);
    expect(day.res.headers.get('content-disposition')).toContain(`"${SITE}-2026-01-11-2026-01-11-aggregates.csv"`);
    const month = await text({ site_id: SITE, period: 'month', date: '2026-01-20' });
    expect(month.body.split('\r\n')).toHaveLength(1 + 31 + 1);
    expect(month.res.headers.get('content-disposition')).toContain(`"${SITE}-2026-01-01-2026-01-31-aggregates.csv"`);
  });

  it('period=all starts at the first event', async () => {
    const { res, body } = await text({ site_id: SITE, period: 'all' });
    expect(body.split('\r\n')[1]).toBe('2026-01-10,3,4,7,1.75,0.25,780,8');
    expect(res.headers.get('content-disposition')).toMatch(
      new RegExp(`^attachment; filename="${SITE.replace('.', '\\.')}-2026-01-10-\\d{4}-\\d{2}-\\d{2}-aggregates\\.csv"$`),
    );
  });

  it('JSON: an array of the same rows', async () => {
    const { res, body } = await text({ site_id: SITE, ...RANGE, format: 'json' });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${SITE}-2026-01-09-2026-01-13-aggregates.json"`);
    expect(JSON.parse(body)).toEqual(AGGREGATES);
    expect(Object.keys(JSON.parse(body)[0])).toEqual(Object.keys(agg('x')));
  });

  it('Parquet: the same rows, typed, ZSTD', async () => {
    const { res, body } = await bytes({ site_id: SITE, ...RANGE, format: 'parquet' });
    expect(res.headers.get('content-type')).toBe('application/vnd.apache.parquet');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="${SITE}-2026-01-09-2026-01-13-aggregates.parquet"`,
    );
    expect(res.headers.get('content-length')).toBe(String(body.length));
    const p = await readParquet(body);
    expect(p.codecs).toEqual(['ZSTD']);
    expect(p.columns).toEqual(Object.keys(agg('x')));
    expect(p.types.date).toBe('DATE');
    expect(p.types.visitors).toBe('BIGINT');
    expect(p.types.bounce_rate).toBe('DOUBLE');
    expect(
      p.rows.map((r) => ({
        ...r,
        date: (r.date as Date).toISOString().slice(0, 10),
        ...Object.fromEntries(
          Object.entries(r)
            .filter(([k]) => k !== 'date')
            .map(([k, v]) => [k, Number(v)]),
        ),
      })),
    ).toEqual(AGGREGATES);
    await until('the temp file is deleted', () => exportTempDirs().length === 0);
  });
});

describe('raw events', () => {
  it('NDJSON: every stored column but seq, ids as decimal strings, props as JSON text, in time order', async () => {
    const { res, body } = await text({ site_id: SITE, ...RANGE, kind: 'events', format: 'json' });
    expect(res.headers.get('content-type')).toBe('application/x-ndjson');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${SITE}-2026-01-09-2026-01-13-events.ndjson"`);
    expect(res.headers.get('content-length')).toBeNull(); // streamed, not built in memory
    const rows = ndjson(body);
    expect(rows).toHaveLength(16);
    for (const r of rows) expect(Object.keys(r)).toEqual(COLUMNS);
    expect(rows.map((r) => r.timestamp)).toEqual(EVENTS.map((e) => e.t.replace('Z', '.000Z')));
    expect(rows[0]).toMatchObject({
      site_id: SITE,
      user_key: null,
      timestamp: '2026-01-10T10:00:00.000Z',
      event_name: 'pageview',
      pathname: '/',
      hostname: SITE,
      referrer_source: 'Google',
      channel: 'Organic Search',
      utm_source: null,
      browser: 'Chrome',
      os: 'Windows',
      screen_width: 1920,
      props: null,
      revenue_amount: null,
    });
    for (const r of rows) {
      expect(r.visitor_id).toMatch(/^\d+$/);
      expect(r.session_id).toMatch(/^\d+$/);
    }
    // V1's first visit: one visitor, one session; V1 the next day is a new visitor.
    expect(new Set(rows.slice(0, 3).map((r) => r.visitor_id)).size).toBe(1);
    expect(new Set(rows.slice(0, 3).map((r) => r.session_id)).size).toBe(1);
    expect(rows[8]?.visitor_id).not.toBe(rows[0]?.visitor_id);
    expect(rows[2]).toMatchObject({ event_name: 'signup', pathname: '/pricing', props: '{"plan":"pro"}' });
    expect(JSON.parse(String(rows[10]?.props))).toEqual({ file: 'guide.pdf' });
    expect(rows[10]).toMatchObject({ utm_source: 'newsletter', utm_medium: 'email', channel: 'Email' });
    captured.ndjson = body;
  });

  it('CSV: a header and the same values, text guarded and quoted', async () => {
    const { res, body } = await text({ site_id: SITE, ...RANGE, kind: 'events' });
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${SITE}-2026-01-09-2026-01-13-events.csv"`);
    const [header, ...rows] = parseCsv(body);
    expect(header).toEqual(COLUMNS);
    expect(rows).toHaveLength(16);
    const json = ndjson(captured.ndjson ?? (await text({ site_id: SITE, ...RANGE, kind: 'events', format: 'json' })).body);
    rows.forEach((row, i) => {
      expect(row).toEqual(COLUMNS.map((c) => (json[i]?.[c] === null ? '' : String(json[i]?.[c]))));
    });
    expect(body).toContain(',"{""plan"":""pro""}",');
    captured.csv = body;
  });

  it('event-level filters apply to the rows', async () => {
    const signups = ndjson(
      (
        await text({
          site_id: SITE,
          ...RANGE,
          kind: 'events',
          format: 'json',
          filters: JSON.stringify([['is', 'event:name', ['signup']]]),
        })
      ).body,
    );
    expect(signups.map((r) => [r.timestamp, r.props])).toEqual([
      ['2026-01-10T10:12:00.000Z', '{"plan":"pro"}'],
      ['2026-01-12T12:15:30.000Z', '{"plan":"free"}'],
    ]);
    const blog = parseCsv(
      (
        await text({
          site_id: SITE,
          ...RANGE,
          kind: 'events',
          filters: JSON.stringify([
            ['contains', 'event:page', ['/blog']],
            ['is_not', 'event:props:plan', ['pro']],
          ]),
        })
      ).body,
    );
    expect(blog).toHaveLength(1 + 6); // the six /blog events; none has plan=pro
  });

  it('a range without events: the CSV header only, an empty NDJSON body', async () => {
    const empty = { site_id: SITE, start_date: '2025-01-01', end_date: '2025-01-31', kind: 'events' };
    expect((await text(empty)).body).toBe(`${COLUMNS.join(',')}\r\n`);
    expect((await text({ ...empty, format: 'json' })).body).toBe('');
  });

  it('Parquet: the same rows with the storage types, no seq', async () => {
    const { res, body } = await bytes({ site_id: SITE, ...RANGE, kind: 'events', format: 'parquet' });
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${SITE}-2026-01-09-2026-01-13-events.parquet"`);
    const p = await readParquet(body);
    expect(p.codecs).toEqual(['ZSTD']);
    expect(p.columns).toEqual(COLUMNS);
    expect(p.rows).toHaveLength(16);
    // ClickHouse writes its times as instants (UTC-adjusted): the same values, a tz-aware type (docs/CLICKHOUSE.md).
    const timestamp = TEST_STORAGE === 'clickhouse' ? 'TIMESTAMP WITH TIME ZONE' : 'TIMESTAMP';
    expect(p.types).toMatchObject({ visitor_id: 'UBIGINT', timestamp, screen_width: 'INTEGER', props: 'VARCHAR' });
    const json = ndjson(captured.ndjson ?? '');
    expect(p.rows.map((r) => String(r.visitor_id))).toEqual(json.map((r) => r.visitor_id));
    expect(p.rows.map((r) => (r.timestamp as Date).toISOString())).toEqual(json.map((r) => r.timestamp));
    await until('the temp file is deleted', () => exportTempDirs().length === 0);
  });
});

describe('formula injection', () => {
  it('CSV text cells that would start a formula get a leading quote; numbers we produce do not', async () => {
    const { body } = await text({ site_id: INJ, start_date: '2026-01-10', end_date: '2026-01-10', kind: 'events' });
    const [header, ...rows] = parseCsv(body);
    expect(rows).toHaveLength(2);
    const cell = (row: number, col: string) => rows[row]?.[(header ?? []).indexOf(col)];

    // A pathname always starts with "/" and props with "{": these cannot start a formula,
    // and come out as stored, quoted.
    expect(cell(0, 'pathname')).toBe('/=HYPERLINK("x")');
    expect(body).toContain(',"/=HYPERLINK(""x"")",');
    expect(cell(0, 'props')).toBe('{"v":"+cmd"}');
    expect(body).toContain(',"{""v"":""+cmd""}",');

    expect(cell(1, 'event_name')).toBe("'=cmd|' /C calc'!A0");
    expect(cell(1, 'utm_source')).toBe("'@SUM(1)");
    expect(cell(1, 'referrer_source')).toBe("'@SUM(1)");
    expect(cell(1, 'utm_campaign')).toBe("'-2+3");
    expect(cell(1, 'utm_medium')).toBe("'+medium");
    expect(cell(1, 'referrer')).toBe("'-1.example/x");
    expect(cell(1, 'revenue_amount')).toBe('-5.0000');
    expect(cell(1, 'revenue_currency')).toBe('USD');

    // No text cell of the export starts with a formula character.
    for (const row of rows) {
      row.forEach((value, i) => {
        if (!NUMERIC.has(header?.[i] ?? '')) expect(value).not.toMatch(/^[=+\-@\t\r]/);
      });
    }
  });

  it('NDJSON carries the values as stored (the guard is for spreadsheets)', async () => {
    const { body } = await text({
      site_id: INJ,
      start_date: '2026-01-10',
      end_date: '2026-01-10',
      kind: 'events',
      format: 'json',
    });
    const rows = ndjson(body);
    expect(rows[0]).toMatchObject({ pathname: '/=HYPERLINK("x")', props: '{"v":"+cmd"}' });
    expect(rows[1]).toMatchObject({ event_name: "=cmd|' /C calc'!A0", utm_source: '@SUM(1)', revenue_amount: '-5.0000' });
  });
});

describe('auth and bad input', () => {
  it('needs a read key for the site, or a session', async () => {
    const q = { site_id: SITE, ...RANGE };
    expect((await get(q, {})).status).toBe(401);
    expect((await get(q, { authorization: `Bearer ${ingestKey}` })).status).toBe(403);
    expect((await get({ ...q, kind: 'events' }, { authorization: `Bearer ${ingestKey}` })).status).toBe(403);
    const other = await get(q, { authorization: `Bearer ${otherSiteKey}` });
    expect(other.status).toBe(403);
    expect(await other.json()).toEqual({ error: 'this API key may not access this site' });
    const own = await get(q, { 'x-api-key': ownSiteKey });
    expect(own.status).toBe(200);
    expect(await own.text()).toBe(AGGREGATES_CSV);
    const session = await get({ ...q, kind: 'events', format: 'json' }, { cookie });
    expect(session.status).toBe(200);
    expect(ndjson(await session.text())).toHaveLength(16);
  });

  const NO_RANGE = { start_date: undefined, end_date: undefined };
  const visitFilter = JSON.stringify([['is', 'visit:source', ['Google']]]);
  const cases: [string, Record<string, string | undefined>, RegExp][] = [
    ['unknown format', { format: 'xml' }, /^format: /],
    ['unknown kind', { kind: 'raw' }, /^kind: /],
    ['format given twice', { format: 'csv&format=json' }, /format/],
    ['bad start_date', { start_date: '2026-13-01', end_date: '2026-01-12' }, /^start_date: /],
    ['end before start', { start_date: '2026-01-12', end_date: '2026-01-10' }, /^end_date: /],
    ['start_date alone', { start_date: '2026-01-12', end_date: undefined }, /start_date/],
    ['bad period', { period: 'fortnight', ...NO_RANGE }, /^period: /],
    ['bad date', { period: 'day', date: '2026-02-30', ...NO_RANGE }, /^date: /],
    ['period and dates together', { period: '7d' }, /^period: /],
    ['filters not JSON', { filters: '[[' }, /^filters: /],
    ['unknown filter dimension', { filters: '[["is","visit:shoe",["x"]]]' }, /^filters\[0\]: /],
    ['visit filter on raw events', { kind: 'events', filters: visitFilter }, /visit:source/],
    [
      'visit filter on raw events, nested',
      { kind: 'events', format: 'parquet', filters: JSON.stringify([['not', ['is', 'visit:country', ['US']]]]) },
      /visit:country/,
    ],
    ['bad regular expression (events)', { kind: 'events', filters: '[["matches","event:page",["("]]]' }, /^filters: invalid/],
    ['bad regular expression (aggregates)', { filters: '[["matches","event:page",["("]]]' }, /^filters: invalid/],
    ['aggregates over too many days', { start_date: '1990-01-01', end_date: '2026-01-01' }, /^start_date: .*5000 days/],
    ['site_id with a path', { site_id: '../x' }, /^site_id: /],
    ['site_id with a quote', { site_id: 'a"b.test' }, /^site_id: /],
    ['no site_id', { site_id: '' }, /^site_id: /],
  ];
  it.each(cases)('%s → 400 naming it', async (_name, params, message) => {
    const base = Object.fromEntries(
      Object.entries({ site_id: SITE, ...RANGE, ...params }).filter((e): e is [string, string] => e[1] !== undefined),
    );
    // format given twice: the raw query string carries the second value
    const url = exportUrl(base).replace('format=csv%26format%3Djson', 'format=csv&format=json');
    const res = await fetch(url, { headers: { authorization: `Bearer ${readKey}` } });
    const body = (await res.json()) as { error: string };
    expect(res.status, body.error).toBe(400);
    expect(res.headers.get('content-disposition')).toBeNull();
    expect(body.error).toMatch(message);
  });
});

describe(`a large export (${BIG_COUNT} events, loaded in batches of ${BIG_BATCH})`, () => {
  beforeAll(async () => {
    for (let from = 0; from < BIG_COUNT; from += BIG_BATCH) {
      await loadBatch(
        server.url,
        ingestKey,
        Array.from({ length: BIG_BATCH }, (_, k) => bigEvent(from + k)),
      );
    }
  }, 180_000);

  it('NDJSON streams every row', async () => {
    const res = await get({ site_id: BIG, ...BIG_RANGE, kind: 'events', format: 'json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBeNull();
    expect(res.headers.get('transfer-encoding')).toBe('chunked');
    const { lines } = await countLines(res);
    expect(lines).toBe(BIG_COUNT);
  });

  it('CSV streams every row after the header', async () => {
    const res = await get({ site_id: BIG, ...BIG_RANGE, kind: 'events' });
    expect(res.status).toBe(200);
    const { lines } = await countLines(res);
    expect(lines).toBe(BIG_COUNT + 1);
  });

  it('Parquet holds every row; the aggregates add up', async () => {
    const { body } = await bytes({ site_id: BIG, ...BIG_RANGE, kind: 'events', format: 'parquet' });
    const p = await readParquet(body);
    expect(p.rows).toHaveLength(BIG_COUNT);
    expect(p.columns).toEqual(COLUMNS);
    const aggregates = JSON.parse((await text({ site_id: BIG, ...BIG_RANGE, format: 'json' })).body) as { events: number }[];
    expect(aggregates).toHaveLength(5);
    expect(aggregates.reduce((n, a) => n + a.events, 0)).toBe(BIG_COUNT);
    await until('the temp file is deleted', () => exportTempDirs().length === 0);
  });

  it('stalled clients hold at most two export slots (429); aborting frees them, the lock and temp files', async () => {
    const q = { site_id: BIG, ...BIG_RANGE, kind: 'events', format: 'json' };
    // Two exports whose bodies are never read: the server blocks on backpressure mid-stream.
    const stalled = await Promise.all([openDownload(q), openDownload(q)]);
    for (const d of stalled) expect(d.res.statusCode).toBe(200);
    const third = await get(q);
    expect(third.status).toBe(429);
    expect(third.headers.get('retry-after')).toBe('5');
    expect((await third.json()) as { error: string }).toMatchObject({ error: expect.stringMatching(/exports/) });
    // Aggregates do not take a slot.
    const aggregates = await get({ site_id: BIG, ...BIG_RANGE });
    expect(aggregates.status).toBe(200);
    await aggregates.arrayBuffer();

    for (const d of stalled) d.req.destroy();
    await until('a slot is free again', async () => {
      const res = await get({ ...q, filters: JSON.stringify([['is', 'event:page', ['/p/1']]]) });
      await res.arrayBuffer();
      return res.status === 200;
    });

    // A Parquet download abandoned after its first bytes: the temp file still goes.
    const pq = await openDownload({ ...q, format: 'parquet' });
    expect(pq.res.statusCode).toBe(200);
    await new Promise((resolve) => {
      pq.res.once('data', resolve);
      pq.res.resume();
    });
    pq.req.destroy();
    await until('the aborted Parquet temp file is deleted', () => exportTempDirs().length === 0);

    // The read lock must be free too: the restart below flushes under the write lock, which
    // waits for every reader, so a lock held by an abandoned export would hang the shutdown.
  });
});

describe('after a restart (from Parquet)', () => {
  beforeAll(async () => {
    expect(await server.stop('SIGTERM')).toBe(0);
    await start();
  });

  it('the exports are the same, byte for byte', async () => {
    expect(exportTempDirs()).toEqual([]);
    expect((await text({ site_id: SITE, ...RANGE })).body).toBe(captured.aggregates);
    expect((await text({ site_id: SITE, ...RANGE, kind: 'events', format: 'json' })).body).toBe(captured.ndjson);
    expect((await text({ site_id: SITE, ...RANGE, kind: 'events' })).body).toBe(captured.csv);
    const p = await readParquet((await bytes({ site_id: SITE, ...RANGE, kind: 'events', format: 'parquet' })).body);
    expect(p.rows).toHaveLength(16);
  });

  it(`the ${BIG_COUNT}-event export streams from Parquet too`, async () => {
    const res = await get({ site_id: BIG, ...BIG_RANGE, kind: 'events', format: 'json' });
    expect(res.status).toBe(200);
    expect((await countLines(res)).lines).toBe(BIG_COUNT);
  });
});
