/**
 * Imports uploaded to the running server (POST /api/sites/:id/imports/upload, then the job's
 * progress): files written here by hand, every number below counted from them.
 *
 * Umami (umami-upload.test): the rows of import-umami.test.ts — page views 6, events 7,
 * visitors 4, visits 5; rows 7 and 8 are bad (lines 8 and 9 of the file, after the header).
 *
 * NDJSON (ndjson-upload.test), 2026-10-01, line by line:
 *   1 A (Chrome, 198.51.100.1) / 10:00 · 2 A /pricing 10:01 · 3 blank · 4 not JSON ·
 *   5 B (Firefox, 198.51.100.2) / 11:00 · 6 Googlebot / (bot) · 7 no timestamp · 8 A signup 10:02
 * Records 7 (the blank line is none), accepted 4, rejected invalid 2 (lines 4, 7), bot 1 (line 6).
 * Page views 3, events 4, visitors 2 (A, B), visits 2.
 *
 * Plausible (plausible-upload.test): a zip of one imported_visitors file, two days of 2024-01 —
 * visitors 5 + 3, page views 12 + 4, visits 6 + 3 (2 rows); the site has no events of its own.
 * A second zip with a bad number is refused with its file, line and column, nothing stored.
 */
import { readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { literal } from '../../src/storage/duckdb/database.js';
import { umamiCsv } from '../fixtures/umami.js';
import { createKey, login, type RunningServer, startServer } from '../helpers/server.js';
import { removeScratchDirs, scratchDir, stats, UA } from './support.js';

const MAX = 64 * 1024;
const UMAMI = 'umami-upload.test';
const NDJSON = 'ndjson-upload.test';
const BROKEN = 'broken-upload.test';
const SLOW = 'slow-upload.test';
const PLAUSIBLE = 'plausible-upload.test';
const VISITORS_CSV = 'imported_visitors_20240101_20240102.csv';
const plausibleZip = (rows: string[]) =>
  zipSync({ [VISITORS_CSV]: strToU8(['date,visitors,pageviews,bounces,visits,visit_duration', ...rows].join('\n')) });

const UMAMI_CSV = umamiCsv(UMAMI);

const event = (path: string, time: string | null, ip: string, ua: string, n = 'pageview') =>
  JSON.stringify({
    n,
    u: `https://${NDJSON}${path}`,
    ...(time ? { timestamp: `2026-10-01T${time}:00Z` } : {}),
    ip,
    user_agent: ua,
  });
const NDJSON_FILE = `${[
  event('/', '10:00', '198.51.100.1', UA.chromeWindows),
  event('/pricing', '10:01', '198.51.100.1', UA.chromeWindows),
  '',
  '{"n": "pageview", "u":',
  event('/', '11:00', '198.51.100.2', UA.firefoxLinux),
  event('/', '11:30', '198.51.100.3', UA.googlebot),
  event('/x', null, '198.51.100.1', UA.chromeWindows),
  event('/pricing', '10:02', '198.51.100.1', UA.chromeWindows, 'signup'),
].join('\n')}\n`;

interface Job {
  state: string;
  records_read: number;
  accepted: number;
  rejected: Record<string, number>;
  errors: { line: number; error: string }[];
  bytes_total: number;
  bytes_done: number;
  imported: number;
  error: string | null;
}

let server: RunningServer;
let admin = '';
let reader = '';
let share = '';

const uploadUrl = (site: string, format: string) => `${server.url}/api/sites/${site}/imports/upload?format=${format}`;

async function upload(site: string, format: string, body: BodyInit, headers: Record<string, string> = {}) {
  const res = await fetch(uploadUrl(site, format), {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as { job_id?: string; error?: string } };
}

async function job(site: string, id: string): Promise<{ status: number; body: Job }> {
  const res = await fetch(`${server.url}/api/sites/${site}/imports/jobs/${id}`, {
    headers: { authorization: `Bearer ${admin}` },
  });
  return { status: res.status, body: (await res.json()) as Job };
}

/** Polls the job until it has finished (done or failed). */
async function finished(site: string, id: string): Promise<Job> {
  for (;;) {
    const { body } = await job(site, id);
    if (body.state === 'done' || body.state === 'failed') return body;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const main = (site: string, start: string, end: string) =>
  stats<Record<string, number>>(server.url, admin, 'main', { site_id: site, start_date: start, end_date: end });

beforeAll(async () => {
  server = await startServer({ env: { MALLARD_MAX_IMPORT_BYTES: String(MAX) } });
  const cookie = await login(server.url);
  admin = await createKey(server.url, cookie, 'admin');
  reader = await createKey(server.url, cookie, 'read');
  for (const id of [UMAMI, NDJSON, BROKEN, SLOW, 'gzip-upload.test', 'csv-upload.test', 'parquet-upload.test', PLAUSIBLE]) {
    const res = await fetch(`${server.url}/api/sites`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id }),
    });
    expect(res.status).toBe(201);
  }
  const link = await fetch(`${server.url}/api/sites/${UMAMI}/shares`, {
    method: 'POST',
    headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
    body: '{}',
  });
  share = ((await link.json()) as { token: string }).token;
});

afterAll(async () => {
  await server?.stop();
  if (server) rmSync(server.dataDir, { recursive: true, force: true });
  removeScratchDirs();
});

describe('imports uploaded to the running server', () => {
  it('stores an Umami export, names its bad lines, and refuses the same file again', async () => {
    const sent = await upload(UMAMI, 'umami', UMAMI_CSV);
    expect(sent.status).toBe(202);
    const id = sent.body.job_id ?? '';
    const bytes = Buffer.byteLength(UMAMI_CSV);
    expect(await finished(UMAMI, id)).toEqual({
      job_id: id,
      site_id: UMAMI,
      format: 'umami',
      state: 'done',
      records_read: 9,
      accepted: 7,
      rejected: { invalid: 2 },
      errors: [
        { line: 8, error: 'event_type: 3 is not 1 (page view) or 2 (custom event)' },
        { line: 9, error: 'created_at: not a time' },
      ],
      bytes_total: bytes,
      bytes_done: bytes,
      imported: 7,
      error: null,
    });
    const counted = { total_pageviews: 6, events: 7, unique_visitors: 4, visits: 5 };
    expect(await main(UMAMI, '2026-11-02', '2026-11-03')).toMatchObject(counted);

    const again = await upload(UMAMI, 'umami', UMAMI_CSV);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatch(
      new RegExp(
        `^this file was imported into ${UMAMI} on \\d{4}-\\d\\d-\\d\\d \\(7 events\\); importing it again would count them twice$`,
      ),
    );
    expect(await main(UMAMI, '2026-11-02', '2026-11-03')).toMatchObject(counted);
  });

  it('stores an NDJSON file (gzip too) and names each rejected line', async () => {
    const sent = await upload(NDJSON, 'ndjson', NDJSON_FILE);
    expect(sent.status).toBe(202);
    const done = await finished(NDJSON, sent.body.job_id ?? '');
    expect(done).toMatchObject({ state: 'done', records_read: 7, accepted: 4, imported: 4, rejected: { invalid: 2, bot: 1 } });
    expect(done.errors.map((e) => e.line)).toEqual([4, 6, 7]);
    expect(done.errors[0]?.error).toBe('malformed JSON');
    expect(done.errors[2]?.error).toBe('timestamp: required in an import');
    expect(await main(NDJSON, '2026-10-01', '2026-10-01')).toMatchObject({
      total_pageviews: 3,
      events: 4,
      unique_visitors: 2,
      visits: 2,
    });
  });

  it('stores gzip NDJSON, CSV and Parquet files the same way', async () => {
    const counted = { total_pageviews: 3, events: 4, unique_visitors: 2, visits: 2 };
    const gz = 'gzip-upload.test';
    const sent = await upload(gz, 'ndjson', gzipSync(NDJSON_FILE.replaceAll(NDJSON, gz)));
    expect(await finished(gz, sent.body.job_id ?? '')).toMatchObject({ state: 'done', accepted: 4, imported: 4 });
    expect(await main(gz, '2026-10-01', '2026-10-01')).toMatchObject(counted);

    // The NDJSON file's good events as CSV rows, and one without a time (line 5, row 4).
    const q = (s: string) => `"${s.replaceAll('"', '""')}"`;
    const csvOf = (site: string) =>
      `${[
        'name,url,timestamp,ip,user_agent',
        `pageview,https://${site}/,2026-10-01T10:00:00Z,198.51.100.1,${q(UA.chromeWindows)}`,
        `pageview,https://${site}/pricing,2026-10-01T10:01:00Z,198.51.100.1,${q(UA.chromeWindows)}`,
        `pageview,https://${site}/,2026-10-01T11:00:00Z,198.51.100.2,${q(UA.firefoxLinux)}`,
        `pageview,https://${site}/x,,198.51.100.1,${q(UA.chromeWindows)}`,
        `signup,https://${site}/pricing,2026-10-01T10:02:00Z,198.51.100.1,${q(UA.chromeWindows)}`,
      ].join('\n')}\n`;
    const csvSite = 'csv-upload.test';
    const csv = await upload(csvSite, 'csv', csvOf(csvSite));
    expect(await finished(csvSite, csv.body.job_id ?? '')).toMatchObject({
      state: 'done',
      records_read: 5,
      accepted: 4,
      rejected: { invalid: 1 },
      errors: [{ line: 5, error: 'timestamp: required in an import' }],
    });
    expect(await main(csvSite, '2026-10-01', '2026-10-01')).toMatchObject(counted);

    const parquetSite = 'parquet-upload.test';
    const dir = scratchDir('import-upload');
    const csvPath = join(dir, 'events.csv');
    const parquetPath = join(dir, 'events.parquet');
    writeFileSync(csvPath, csvOf(parquetSite));
    const db = await DuckDBInstance.create(':memory:');
    const c = await db.connect();
    await c.run(`COPY (SELECT name, url, timezone('UTC', "timestamp"::TIMESTAMPTZ) AS "timestamp", ip, user_agent
      FROM read_csv(${literal(csvPath)}, header = true, all_varchar = true)) TO ${literal(parquetPath)} (FORMAT parquet)`);
    c.closeSync();
    db.closeSync();
    const parquet = await upload(parquetSite, 'parquet', readFileSync(parquetPath));
    expect(await finished(parquetSite, parquet.body.job_id ?? '')).toMatchObject({
      state: 'done',
      records_read: 5,
      accepted: 4,
      errors: [{ line: 4, error: 'timestamp: required in an import' }],
    });
    expect(await main(parquetSite, '2026-10-01', '2026-10-01')).toMatchObject(counted);
  });

  it("stores a Plausible export as the site's imported data, all of it or nothing", async () => {
    const bad = await upload(PLAUSIBLE, 'plausible', plausibleZip(['2024-01-01,5,12,2,6,300', '2024-01-02,3,four,1,3,90']));
    expect(bad.status).toBe(202);
    const failed = await finished(PLAUSIBLE, bad.body.job_id ?? '');
    expect([failed.state, failed.imported, failed.error]).toEqual([
      'failed',
      0,
      `${VISITORS_CSV} line 3: pageviews: not a non-negative integer`,
    ]);
    expect(await main(PLAUSIBLE, '2024-01-01', '2024-01-02')).toMatchObject({ unique_visitors: 0, total_pageviews: 0 });

    const good = await upload(PLAUSIBLE, 'plausible', plausibleZip(['2024-01-01,5,12,2,6,300', '2024-01-02,3,4,1,3,90']));
    const done = await finished(PLAUSIBLE, good.body.job_id ?? '');
    expect([done.state, done.records_read, done.imported, done.error]).toEqual(['done', 2, 2, null]);
    expect(await main(PLAUSIBLE, '2024-01-01', '2024-01-02')).toMatchObject({
      unique_visitors: 8,
      visits: 9,
      total_pageviews: 16,
    });
  });

  it('fails a file that cannot be read, storing none of its events', async () => {
    // 200 good events, then the gzip stream cut in half: the first events read fine.
    const lines = Array.from({ length: 200 }, (_, i) => event(`/p${i}`, '09:00', `198.51.100.${i % 250}`, UA.chromeWindows));
    const whole = gzipSync(`${lines.join('\n')}\n`.replaceAll(NDJSON, BROKEN));
    const cut = await upload(BROKEN, 'ndjson', whole.subarray(0, Math.floor(whole.length / 2)));
    expect(cut.status).toBe(202);
    const failed = await finished(BROKEN, cut.body.job_id ?? '');
    expect(failed.state).toBe('failed');
    expect(failed.error).toMatch(/^the file cannot be read after record \d+: unexpected end of file$/);
    expect(failed.imported).toBe(0);

    // Not an Umami export: refused whole, naming the columns it lacks.
    const notUmami = await upload(BROKEN, 'umami', 'a,b\n1,2\n');
    const refused = await finished(BROKEN, notUmami.body.job_id ?? '');
    expect(refused).toMatchObject({ state: 'failed', records_read: 0, accepted: 0, imported: 0 });
    expect(refused.error).toBe(
      'the file is not an Umami website_event export: it lacks the columns session_id, url_path, event_type, created_at',
    );
    // A CSV without the columns an event needs.
    const noColumns = await upload(BROKEN, 'csv', 'page,when\n/,2026-10-01\n');
    expect((await finished(BROKEN, noColumns.body.job_id ?? '')).error).toBe(
      'the file has no column n or name, no column u or url, no column timestamp in its header (docs/IMPORT.md, "Formats")',
    );

    expect(await main(BROKEN, '2026-10-01', '2026-10-01')).toMatchObject({ total_pageviews: 0, events: 0 });
    // The uploads are removed once their jobs end.
    expect(readdirSync(join(server.dataDir, 'imports', 'uploads'))).toEqual([]);
  });

  it('refuses a file over max_import_bytes (413), whether its size is declared or not', async () => {
    const big = 'x'.repeat(MAX + 1);
    expect(await upload(NDJSON, 'ndjson', big)).toEqual({
      status: 413,
      body: { error: `body: the file is larger than ${MAX} bytes (max_import_bytes)` },
    });
    // Sent in chunks without a length: counted as it arrives.
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 5; i++) c.enqueue(new TextEncoder().encode('y'.repeat(MAX / 4)));
        c.close();
      },
    });
    const res = await fetch(uploadUrl(NDJSON, 'ndjson'), {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' },
      body: chunks,
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(413);
    expect(readdirSync(join(server.dataDir, 'imports', 'uploads'))).toEqual([]);
  });

  it("names a bad format (400), and an unknown site or another site's job (404)", async () => {
    expect(await upload(NDJSON, 'xml', NDJSON_FILE)).toEqual({
      status: 400,
      body: { error: 'format: must be one of umami, ndjson, csv, parquet, plausible' },
    });
    expect((await upload(NDJSON, '', NDJSON_FILE)).status).toBe(400);
    expect(await upload('unregistered.test', 'ndjson', NDJSON_FILE)).toEqual({
      status: 404,
      body: { error: 'no site unregistered.test' },
    });
    expect(await upload(NDJSON, 'ndjson', '')).toEqual({
      status: 400,
      body: { error: 'body: empty; send the file as the request body' },
    });

    const sent = await upload(BROKEN, 'ndjson', '{"n": 1}\n');
    const id = sent.body.job_id ?? '';
    await finished(BROKEN, id);
    expect(await job(NDJSON, id)).toEqual({ status: 404, body: { error: `no import job ${id} for ${NDJSON}` } });
    expect((await job(BROKEN, id)).status).toBe(200);
    expect((await job(BROKEN, 'not-a-job')).status).toBe(400);
  });

  it('runs one import per site at a time (409)', async () => {
    // The first upload is held open: its site stays taken until its body ends.
    let push: (s: string) => void = () => {};
    let end: () => void = () => {};
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        push = (s) => c.enqueue(new TextEncoder().encode(s));
        end = () => c.close();
      },
    });
    const slow = fetch(uploadUrl(SLOW, 'ndjson'), {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/octet-stream' },
      body,
      duplex: 'half',
    } as RequestInit);
    push(`${event('/', '10:00', '198.51.100.1', UA.chromeWindows).replaceAll(NDJSON, SLOW)}\n`);
    // Its first bytes are on the server's disk: the site is taken.
    const uploads = join(server.dataDir, 'imports', 'uploads');
    await expect.poll(() => readdirSync(uploads).filter((f) => statSync(join(uploads, f)).size > 0).length).toBe(1);

    expect(await upload(SLOW, 'ndjson', NDJSON_FILE)).toEqual({
      status: 409,
      body: { error: `an import into ${SLOW} is already running; wait for it to finish` },
    });
    // Another site is free.
    expect((await upload(NDJSON, 'ndjson', '{"n": 1}\n')).status).toBe(202);

    end();
    const res = await slow;
    expect(res.status).toBe(202);
    const { job_id } = (await res.json()) as { job_id: string };
    expect(await finished(SLOW, job_id)).toMatchObject({ state: 'done', accepted: 1, imported: 1 });
  });

  it('lets only admins upload: not a read key (403), a share link (403) or no one (401)', async () => {
    const attempt = async (headers: Record<string, string>, query = '') => {
      const res = await fetch(`${uploadUrl(UMAMI, 'umami')}${query}`, { method: 'POST', headers, body: UMAMI_CSV });
      return { status: res.status, body: await res.json() };
    };
    expect(await attempt({ authorization: `Bearer ${reader}` })).toEqual({
      status: 403,
      body: { error: 'this API key\'s scope "read" does not allow this' },
    });
    expect(await attempt({}, `&auth=${share}`)).toEqual({
      status: 403,
      body: { error: 'a share link only allows reading stats' },
    });
    expect(await attempt({})).toEqual({ status: 401, body: { error: 'not signed in' } });
  });
});

describe('an upload cut short by kill -9', () => {
  it('keeps the events stored before the kill and refuses the same file afterwards', async () => {
    const site = 'killed-upload.test';
    // 15,000 page views of one visitor on 2026-09-01, a second apart: the first batch is 10,000.
    const start = Date.parse('2026-09-01T00:00:00Z');
    const lines = Array.from({ length: 15_000 }, (_, i) =>
      JSON.stringify({
        n: 'pageview',
        u: `https://${site}/p`,
        timestamp: start + i * 1000,
        ip: '198.51.100.9',
        user_agent: UA.chromeWindows,
      }),
    );
    const file = `${lines.join('\n')}\n`;
    const dying = await startServer({ env: { NODE_ENV: 'test', MALLARD_CRASH_AT: 'import.upload-appended:1' } });
    const exited = new Promise((resolve) => dying.proc.once('exit', (_code, signal) => resolve(signal)));
    const key = await createKey(dying.url, await login(dying.url), 'admin');
    const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    expect((await fetch(`${dying.url}/api/sites`, { method: 'POST', headers, body: JSON.stringify({ id: site }) })).status).toBe(
      201,
    );
    const sent = await fetch(`${dying.url}/api/sites/${site}/imports/upload?format=ndjson`, {
      method: 'POST',
      headers,
      body: file,
    });
    expect(sent.status).toBe(202);
    expect(await exited).toBe('SIGKILL');

    const again = await startServer({ dataDir: dying.dataDir });
    try {
      // The first batch was in the log when the process died: it is kept, the rest is not stored.
      const counted = await stats<Record<string, number>>(again.url, key, 'main', {
        site_id: site,
        start_date: '2026-09-01',
        end_date: '2026-09-01',
      });
      expect(counted).toMatchObject({ total_pageviews: 10_000, unique_visitors: 1 });
      const res = await fetch(`${again.url}/api/sites/${site}/imports/upload?format=ndjson`, {
        method: 'POST',
        headers,
        body: file,
      });
      expect(res.status).toBe(409);
      expect(((await res.json()) as { error: string }).error).toMatch(
        new RegExp(
          `^an import of this file into ${site} \\(\\d{4}-\\d\\d-\\d\\d\\) stopped after 0 or 10000 of its events were stored; importing it again would count those twice \\(docs/IMPORT.md, "From the dashboard"\\)$`,
        ),
      );
      // The upload the killed server held is gone.
      expect(readdirSync(join(again.dataDir, 'imports', 'uploads'))).toEqual([]);
    } finally {
      await again.stop();
      rmSync(again.dataDir, { recursive: true, force: true });
    }
  });
});
