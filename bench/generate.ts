/**
 * Synthetic data set for the query benchmark, written straight into the server's cold-tier
 * layout with DuckDB SQL (no HTTP): `events/site_id=<site>/date=<YYYY-MM-DD>/<id>.parquet`,
 * ZSTD, sorted by time, the columns of `EVENT_COLUMNS` minus `site_id`, `<id>` = the
 * highest `seq` in the file (20 digits), one file per partition.
 *
 * Shape (defaults, for 10,000,000 events): 30 days ending yesterday (UTC), about
 * 2,000,000 visitor-days (a visitor id lives one UTC day, as in the product), each with
 * 1–3 visits of 1–10 events (gaps of 5 s … 7.5 min inside a visit, visits of one visitor
 * at least 30 minutes apart and never across midnight), so the product's visit rule gives
 * back exactly the visits generated: `session_id = visitor_id XOR epoch_ms(first event)`.
 * 2% of the visitor-days belong to a second, small site (to see that the site filter prunes).
 *
 * Every "random" value is a hash of a row key and a salt, so a data set is reproducible
 * from its parameters alone. Run on its own: `node --import tsx bench/generate.ts [events]`.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { EVENT_COLUMNS } from '../src/storage/columns.js';

/** Bump when the generated data changes, so cached data sets are not reused. */
const GENERATOR_VERSION = 1;

export const MAIN_SITE = 'bench.example';
export const SMALL_SITE = 'small.bench.example';
const SMALL_SITE_SHARE = 0.02;
const DAY_MS = 86_400_000;

export interface DatasetOptions {
  events: number;
  days: number;
  /** Parent directory of the cache directory. */
  baseDir: string;
  log: (line: string) => void;
}

export interface Dataset {
  dir: string;
  eventsDir: string;
  /** First and last day (UTC, inclusive). */
  startDate: string;
  endDate: string;
  events: number;
  eventsBySite: Record<string, number>;
  visitorDays: number;
  visits: number;
  files: number;
  bytes: number;
  /** Generation time in ms; null when the cached data set was reused. */
  generatedMs: number | null;
  /** A popular page (rank 2 of the page distribution), for the page filter. */
  popularPage: string;
}

// ---------------------------------------------------------------------------------------
// small dimension tables (weights; the SQL draws from them by cumulative weight)

const q = (v: string | number | null): string =>
  v === null ? 'NULL' : typeof v === 'number' ? String(v) : `'${v.replaceAll("'", "''")}'`;

/** `CREATE TABLE name AS VALUES …` with a `lo` column: the cumulative weight before the row, in [0, 1). */
function weightedTable(name: string, columns: string[], rows: (string | number | null)[][], weights: number[]): string {
  const total = weights.reduce((a, b) => a + b, 0);
  let acc = 0;
  const values = rows.map((r, i) => {
    const lo = acc / total;
    acc += weights[i] ?? 0;
    return `(${[lo, ...r].map(q).join(', ')})`;
  });
  return `CREATE OR REPLACE TABLE ${name} AS SELECT * FROM (VALUES ${values.join(', ')}) t(lo, ${columns.join(', ')}) ORDER BY lo`;
}

/** 30 browser versions × 15 OS versions, only the combinations that exist; mobile = phone/tablet UA. */
function platforms(): string {
  const desktopOs: [string, string, number][] = [
    ['Windows', '10', 30],
    ['Windows', '11', 12],
    ['Mac OS', '10.15.7', 14],
    ['Mac OS', '14.5', 6],
    ['Mac OS', '13.6', 3],
    ['Linux', '', 4],
    ['Ubuntu', '22.04', 2],
    ['Chromium OS', '124.0', 1],
  ];
  const mobileOs: [string, string, number][] = [
    ['iOS', '17.5', 14],
    ['iOS', '17.4', 6],
    ['iOS', '16.7', 3],
    ['Android', '14', 12],
    ['Android', '13', 7],
    ['Android', '12', 4],
    ['Android', '10', 3],
  ];
  const osOf = (names: string[], list: [string, string, number][]) => list.filter(([n]) => names.includes(n));
  const browsers: { name: string; versions: string[]; weight: number; mobile: boolean; os: [string, string, number][] }[] = [
    {
      name: 'Chrome',
      versions: ['126.0.0.0', '125.0.0.0', '124.0.0.0', '123.0.0.0', '122.0.0.0', '121.0.0.0', '120.0.0.0'],
      weight: 45,
      mobile: false,
      os: osOf(['Windows', 'Mac OS', 'Linux', 'Ubuntu', 'Chromium OS'], desktopOs),
    },
    {
      name: 'Firefox',
      versions: ['127.0', '126.0', '125.0', '124.0'],
      weight: 8,
      mobile: false,
      os: osOf(['Windows', 'Mac OS', 'Linux', 'Ubuntu'], desktopOs),
    },
    {
      name: 'Edge',
      versions: ['126.0.0.0', '125.0.0.0', '124.0.0.0'],
      weight: 9,
      mobile: false,
      os: osOf(['Windows', 'Mac OS'], desktopOs),
    },
    { name: 'Safari', versions: ['17.5', '17.4', '17.3', '17.2'], weight: 9, mobile: false, os: osOf(['Mac OS'], desktopOs) },
    { name: 'Opera', versions: ['110.0.0.0', '109.0.0.0'], weight: 2, mobile: false, os: osOf(['Windows', 'Mac OS'], desktopOs) },
    { name: 'Mobile Safari', versions: ['17.5', '17.4', '16.6'], weight: 14, mobile: true, os: osOf(['iOS'], mobileOs) },
    { name: 'Mobile Chrome', versions: ['126.0.6478.71', '125.0.6422.165'], weight: 10, mobile: true, os: mobileOs },
    { name: 'Samsung Internet', versions: ['25.0', '24.0'], weight: 3, mobile: true, os: osOf(['Android'], mobileOs) },
    { name: 'Mobile Firefox', versions: ['127.0'], weight: 0.5, mobile: true, os: osOf(['Android'], mobileOs) },
    { name: 'Chrome WebView', versions: ['125.0.6422.165'], weight: 0.7, mobile: true, os: osOf(['Android'], mobileOs) },
    { name: 'Facebook', versions: ['468.0.0'], weight: 0.8, mobile: true, os: mobileOs },
  ];
  const rows: (string | number)[][] = [];
  const weights: number[] = [];
  for (const b of browsers) {
    b.versions.forEach((v, i) => {
      const vw = 1 / (i + 1); // newer versions are more common
      for (const [os, osv, ow] of b.os) {
        rows.push([b.name, v, os, osv, b.mobile ? 1 : 0]);
        weights.push(b.weight * vw * ow);
      }
    });
  }
  return weightedTable('platforms', ['browser', 'browser_version', 'os', 'os_version', 'mobile'], rows, weights);
}

/**
 * How a visit arrives: referrer host (and how many distinct paths it links from), the
 * source and channel the server derives for it, or UTM tags. 40 referrer hosts, 8 channels.
 */
function acquisition(): string {
  type Row = [string | null, number, string | null, string, string | null, string | null, number];
  // [referrer host, paths, source, channel, utm_source, utm_medium, weight]
  const search = (host: string, source: string, w: number): Row => [host, 0, source, 'Organic Search', null, null, w];
  const social = (host: string, source: string, paths: number, w: number): Row => [
    host,
    paths,
    source,
    'Organic Social',
    null,
    null,
    w,
  ];
  const referral = (host: string, source: string, paths: number, w: number): Row => [
    host,
    paths,
    source,
    'Referral',
    null,
    null,
    w,
  ];
  const rows: Row[] = [
    [null, 0, null, 'Direct', null, null, 36],
    search('google.com', 'Google', 20),
    search('google.de', 'Google', 1.5),
    search('google.co.uk', 'Google', 1.2),
    search('google.fr', 'Google', 0.6),
    search('bing.com', 'Bing', 3),
    search('duckduckgo.com', 'DuckDuckGo', 2),
    search('yahoo.com', 'Yahoo', 0.6),
    search('yandex.ru', 'Yandex', 0.4),
    search('baidu.com', 'Baidu', 0.2),
    search('ecosia.org', 'Ecosia', 0.4),
    search('search.brave.com', 'Brave Search', 0.4),
    search('qwant.com', 'Qwant', 0.1),
    search('startpage.com', 'Startpage', 0.1),
    social('l.facebook.com', 'Facebook', 0, 1.5),
    social('t.co', 'Twitter', 40, 1.5),
    social('reddit.com', 'Reddit', 25, 2),
    social('linkedin.com', 'LinkedIn', 0, 0.8),
    social('news.ycombinator.com', 'Hacker News', 3, 1.6),
    social('instagram.com', 'Instagram', 0, 0.5),
    social('pinterest.com', 'Pinterest', 10, 0.3),
    social('producthunt.com', 'Product Hunt', 5, 0.3),
    social('stackoverflow.com', 'Stack Overflow', 60, 0.8),
    social('medium.com', 'Medium', 30, 0.5),
    social('bsky.app', 'Bluesky', 10, 0.3),
    social('discord.com', 'Discord', 0, 0.2),
    [`youtube.com`, 20, 'YouTube', 'Organic Video', null, null, 0.8],
    ['vimeo.com', 0, 'Vimeo', 'Organic Video', null, null, 0.1],
    ['mail.google.com', 0, 'Gmail', 'Email', null, null, 0.4],
    ['outlook.live.com', 0, 'Outlook', 'Email', null, null, 0.2],
    referral('github.com', 'GitHub', 50, 1.5),
    referral('en.wikipedia.org', 'Wikipedia', 20, 0.5),
    referral('chatgpt.com', 'ChatGPT', 0, 0.8),
    referral('perplexity.ai', 'Perplexity', 0, 0.3),
    referral('dev.to', 'dev.to', 30, 0.4),
    referral('lobste.rs', 'lobste.rs', 10, 0.2),
    referral('indiehackers.com', 'indiehackers.com', 10, 0.2),
    referral('theverge.com', 'theverge.com', 5, 0.15),
    referral('techcrunch.com', 'techcrunch.com', 5, 0.15),
    referral('blog.example.org', 'blog.example.org', 20, 0.3),
    referral('forum.example.net', 'forum.example.net', 40, 0.2),
    // UTM-tagged (referrer as the server stores it: none for mail and most ads)
    ['google.com', 0, 'Google', 'Paid Search', 'google', 'cpc', 4],
    ['l.facebook.com', 0, 'Facebook', 'Paid Social', 'facebook', 'paid_social', 2],
    [null, 0, 'LinkedIn', 'Paid Social', 'linkedin', 'cpc', 0.5],
    [null, 0, 'newsletter', 'Email', 'newsletter', 'email', 2.5],
    [null, 0, 'Twitter', 'Organic Social', 'twitter', 'social', 0.5],
  ];
  return weightedTable(
    'acquisition',
    ['ref_host', 'ref_paths', 'source', 'channel', 'utm_source', 'utm_medium'],
    rows.map((r) => r.slice(0, 6) as (string | number | null)[]),
    rows.map((r) => r[6]),
  );
}

// 150 country codes, most common first.
const COUNTRIES = `US DE GB IN FR CA BR NL ES IT AU PL JP SE CH RU MX TR KR ID BE AT UA CZ DK FI NO IE PT IL AR CN SG ZA
  HK TW RO HU GR NZ VN PH TH MY CO CL PE PK BD NG EG KE MA SA AE IR IQ KZ BY LT LV EE SK SI HR RS BG BA MK AL ME MD GE AM
  AZ UZ TN DZ LK NP MM KH LA MN JO LB KW QA OM BH CY MT LU IS EC VE UY PY BO CR PA GT HN SV NI DO CU JM TT PR GH CI SN CM
  ET TZ UG RW ZM ZW AO MZ NA BW MG MU SD LY SY YE AF KG TJ TM BN MO FJ PG BT MV BS BB BZ GY SR HT LI MC AD SM`
  .split(/\s+/)
  .filter((c) => c.length > 0);

const PAGES_TOP = ['/', '/pricing', '/blog', '/docs', '/features', '/about', '/signup', '/login', '/changelog', '/contact'];
const PAGE_SECTIONS = ['/blog/', '/docs/', '/guides/', '/products/', '/help/', '/integrations/'];
const N_PAGES = 2000;

/** The SQL that builds table `ev` (all events, both sites, `seq` in time order). */
function generationSql(events: number, startDate: string, days: number): string[] {
  if (new Set(COUNTRIES).size !== 150) throw new Error(`expected 150 distinct country codes, got ${new Set(COUNTRIES).size}`);
  const visitorDays = Math.ceil((events / 5.07) * 1.04); // ~5.07 events per visitor-day; cut to `events` below
  const dayRows: number[][] = [];
  const dayWeights: number[] = [];
  const start = Date.parse(`${startDate}T00:00:00Z`);
  for (let d = 0; d < days; d++) {
    const dow = new Date(start + d * DAY_MS).getUTCDay();
    dayRows.push([d, start + d * DAY_MS]);
    dayWeights.push((dow === 0 || dow === 6 ? 0.72 : 1) * (1 + (0.15 * d) / days)); // weekends lower, slight growth
  }
  const list = (xs: readonly string[]) => `[${xs.map(q).join(', ')}]`;
  return [
    // uniform [0, 1) from a key and a salt
    // (hash(k, salt) would not do: DuckDB combines the two hashes with a multiply and XOR, which
    // leaves draws with different salts strongly correlated; one integer through its mixer does)
    'CREATE OR REPLACE MACRO h64(k, salt) AS hash(k * 1000 + salt)',
    'CREATE OR REPLACE MACRO u01(k, salt) AS ((h64(k, salt) >> 11)::DOUBLE / 9007199254740992.0)',
    // Zipf-like rank in [0, n): log-uniform, P(rank < r) = ln(r + 1) / ln(n + 1)
    'CREATE OR REPLACE MACRO zipf(u, n) AS least(n - 1, floor(exp(u * ln(n + 1)))::BIGINT - 1)',
    weightedTable('days', ['day_idx', 'day_ms'], dayRows, dayWeights),
    platforms(),
    acquisition(),
    // visitor-days: site, visitor id, platform, device, location, number of visits
    `CREATE OR REPLACE TABLE vd AS
     WITH base AS (
       SELECT i AS vd_id, u01(i, 1) AS u_site, h64(i, 2) AS visitor_id, u01(i, 3) AS u_nv, u01(i, 4) AS u_day,
              u01(i, 5) AS u_plat, u01(i, 6) AS u_dev, u01(i, 7) AS u_w, u01(i, 8) AS u_geo,
              zipf(u01(i, 9), 150) AS country_idx, u01(i, 10) AS u_reg, u01(i, 11) AS u_city
       FROM range(${visitorDays}) r(i)),
     located AS (
       SELECT *, country_idx + 150 * floor(u_reg * u_reg * CASE WHEN country_idx < 50 THEN 4 ELSE 3 END)::BIGINT AS region_idx
       FROM base)
     SELECT b.vd_id, b.visitor_id, d.day_idx,
            CASE WHEN b.u_site < ${SMALL_SITE_SHARE} THEN '${SMALL_SITE}' ELSE '${MAIN_SITE}' END AS site_id,
            1 + (b.u_nv >= 0.65)::INT + (b.u_nv >= 0.85)::INT AS nvisits,
            d.day_ms, p.browser, p.browser_version, p.os, nullif(p.os_version, '') AS os_version,
            CASE WHEN p.mobile = 1 THEN (CASE WHEN b.u_dev < 0.85 THEN 'Mobile' ELSE 'Tablet' END)
                 ELSE (CASE WHEN b.u_dev < 0.45 THEN 'Laptop' ELSE 'Desktop' END) END AS device_type,
            CASE WHEN p.mobile = 1 THEN (CASE WHEN b.u_dev < 0.85 THEN [360, 375, 390, 393, 412, 414, 430][1 + floor(b.u_w * 7)::INT]
                                              ELSE [768, 810, 820, 834][1 + floor(b.u_w * 4)::INT] END)
                 ELSE (CASE WHEN b.u_dev < 0.45 THEN [1280, 1366, 1280, 1024, 1366][1 + floor(b.u_w * 5)::INT]
                            ELSE [1440, 1536, 1920, 1920, 2560][1 + floor(b.u_w * 5)::INT] END) END AS screen_width,
            CASE WHEN b.u_geo < 0.01 THEN NULL ELSE ${list(COUNTRIES)}[1 + b.country_idx] END AS country_code,
            CASE WHEN b.u_geo < 0.04 THEN NULL ELSE 'Region ' || b.region_idx END AS region,
            CASE WHEN b.u_geo < 0.06 THEN NULL ELSE 'City ' || (b.region_idx + 500 * floor(b.u_city * b.u_city * 6)::BIGINT) END AS city
     FROM located b
     ASOF JOIN days d ON b.u_day >= d.lo
     ASOF JOIN platforms p ON b.u_plat >= p.lo`,
    // visits: start in their own slot of the day (so visits stay >30 min apart and inside the day)
    `CREATE OR REPLACE TABLE visits0 AS
     WITH x AS (SELECT *, unnest(range(nvisits)) AS j FROM vd),
     y AS (SELECT *, vd_id * 4 + j AS vkey, ${DAY_MS} // nvisits AS slot_ms FROM x)
     SELECT *,
            1 + floor(10 * pow(u01(vkey, 20), 2.6))::INT AS n0,
            day_ms + j * slot_ms + floor(u01(vkey, 21) * (slot_ms - 7200000))::BIGINT AS start_ms,
            10000 + floor(u01(vkey, 22) * u01(vkey, 22) * 290000)::BIGINT AS gap_ms,
            u01(vkey, 23) AS u_acq
     FROM y`,
    // keep exactly \`events\` events (visits in key order; the last one may be cut short)
    `CREATE OR REPLACE TABLE cut AS
     SELECT vkey, least(n0, ${events} - (cum - n0))::INT AS n FROM (
       SELECT vkey, n0, sum(n0) OVER (ORDER BY vkey ROWS UNBOUNDED PRECEDING) AS cum FROM visits0)
     WHERE cum - n0 < ${events}`,
    // in time order, so that selecting one day reads only that day's blocks
    `CREATE OR REPLACE TABLE visits AS
     SELECT v.* EXCLUDE (u_acq, n0, slot_ms, nvisits, vd_id), c.n,
            xor(v.visitor_id, v.start_ms::UBIGINT) AS session_id,
            CASE WHEN a.ref_host IS NULL THEN NULL
                 WHEN a.ref_paths = 0 THEN a.ref_host
                 ELSE a.ref_host || '/p/' || (h64(v.vkey, 24) % a.ref_paths) END AS referrer,
            a.source AS referrer_source, a.channel, a.utm_source, a.utm_medium,
            CASE WHEN a.utm_source IS NULL THEN NULL ELSE 'campaign-' || zipf(u01(v.vkey, 25), 50) END AS utm_campaign,
            CASE WHEN a.utm_source IS NULL OR u01(v.vkey, 26) < 0.4 THEN NULL ELSE 'variant-' || zipf(u01(v.vkey, 27), 20) END AS utm_content,
            CASE WHEN a.utm_medium = 'cpc' THEN 'keyword ' || zipf(u01(v.vkey, 28), 200) ELSE NULL END AS utm_term
     FROM visits0 v JOIN cut c USING (vkey) ASOF JOIN acquisition a ON v.u_acq >= a.lo
     ORDER BY v.start_ms`,
    'DROP TABLE visits0; DROP TABLE cut; DROP TABLE vd',
  ];
}

/**
 * The events of one day, both sites, in table `day_ev`. The first event of a visit is a page
 * view carrying the acquisition columns (later ones come from the site itself: no referrer,
 * no UTM, channel Direct, as the server stores them). `seq` (ingest order) follows time,
 * continuing from `base`, the number of events of the days before.
 */
function dayEventsSql(dayIdx: number, base: bigint): string {
  const list = (xs: readonly string[]) => `[${xs.map(q).join(', ')}]`;
  return `CREATE OR REPLACE TABLE day_ev AS
     WITH e AS (SELECT *, unnest(range(n)) AS k FROM visits WHERE day_idx = ${dayIdx}),
     f AS (SELECT *, vkey * 16 + k AS ekey,
                  CASE WHEN k = 0 THEN 0 ELSE k * gap_ms + floor(u01(vkey * 16 + k, 30) * gap_ms / 2)::BIGINT END AS offset_ms,
                  k > 0 AND u01(vkey * 16 + k, 31) < 0.145 AS custom,
                  u01(vkey * 16 + k, 32) AS u_name,
                  zipf(u01(vkey * 16 + k, 33), ${N_PAGES}) AS page_rank
           FROM e),
     g AS (SELECT *, CASE WHEN NOT custom THEN 'pageview'
                          WHEN u_name < 0.25 THEN 'Signup'
                          WHEN u_name < 0.50 THEN 'Outbound Link: Click'
                          WHEN u_name < 0.70 THEN 'File Download'
                          WHEN u_name < 0.80 THEN 'Purchase'
                          WHEN u_name < 0.90 THEN '404'
                          ELSE 'Newsletter' END AS event_name
           FROM f)
     SELECT site_id, visitor_id, session_id, NULL::UBIGINT AS user_key,
            make_timestamp((start_ms + offset_ms) * 1000) AS timestamp,
            event_name,
            CASE WHEN page_rank < ${PAGES_TOP.length} THEN ${list(PAGES_TOP)}[1 + page_rank]
                 ELSE ${list(PAGE_SECTIONS)}[1 + page_rank % ${PAGE_SECTIONS.length}] || 'item-' || page_rank END AS pathname,
            CASE WHEN site_id = '${SMALL_SITE}' THEN '${SMALL_SITE}'
                 WHEN u01(ekey, 34) < 0.03 THEN 'docs.${MAIN_SITE}'
                 WHEN u01(ekey, 34) < 0.035 THEN 'shop.${MAIN_SITE}'
                 ELSE '${MAIN_SITE}' END AS hostname,
            CASE WHEN k = 0 THEN referrer END AS referrer,
            CASE WHEN k = 0 THEN referrer_source END AS referrer_source,
            CASE WHEN k = 0 THEN channel ELSE 'Direct' END AS channel,
            CASE WHEN k = 0 THEN utm_source END AS utm_source,
            CASE WHEN k = 0 THEN utm_medium END AS utm_medium,
            CASE WHEN k = 0 THEN utm_campaign END AS utm_campaign,
            CASE WHEN k = 0 THEN utm_content END AS utm_content,
            CASE WHEN k = 0 THEN utm_term END AS utm_term,
            browser, browser_version, os, os_version, device_type, screen_width, country_code, region, city,
            CASE event_name
              WHEN 'pageview' THEN CASE WHEN u01(ekey, 35) < 0.05 THEN '{"author":"author-' || zipf(u01(ekey, 36), 25) || '"}' END
              WHEN 'Signup' THEN '{"plan":"' || ['free', 'free', 'pro', 'team'][1 + floor(u01(ekey, 36) * 4)::INT] || '"}'
              WHEN 'Purchase' THEN '{"plan":"' || ['pro', 'pro', 'team'][1 + floor(u01(ekey, 36) * 3)::INT] || '"}'
              WHEN 'Outbound Link: Click' THEN '{"url":"https://github.com/example/repo-' || zipf(u01(ekey, 36), 50) || '"}'
              WHEN 'File Download' THEN '{"url":"https://${MAIN_SITE}/files/file-' || zipf(u01(ekey, 36), 30) || '.pdf"}'
              WHEN '404' THEN '{"path":"/missing-' || zipf(u01(ekey, 36), 100) || '"}'
              ELSE '{"method":"' || ['footer', 'popup', 'inline'][1 + floor(u01(ekey, 36) * 3)::INT] || '"}' END AS props,
            CASE WHEN event_name = 'Purchase' THEN [9.99, 19.00, 49.00, 99.00, 249.50][1 + floor(u01(ekey, 37) * 5)::INT] END AS revenue_amount,
            CASE WHEN event_name = 'Purchase' THEN CASE WHEN u01(ekey, 38) < 0.7 THEN 'USD' ELSE 'EUR' END END AS revenue_currency,
            ${base} + row_number() OVER (ORDER BY timestamp, visitor_id, k) AS seq
     FROM g`;
}

// ---------------------------------------------------------------------------------------

function utcDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

function dirBytes(dir: string): { files: number; bytes: number } {
  let files = 0;
  let bytes = 0;
  for (const name of readdirSync(dir, { recursive: true }) as string[]) {
    const s = statSync(join(dir, name));
    if (s.isFile() && name.endsWith('.parquet')) {
      files++;
      bytes += s.size;
    }
  }
  return { files, bytes };
}

async function rows<T>(c: DuckDBConnection, text: string): Promise<T[]> {
  return (await c.runAndReadAll(text)).getRowObjectsJS() as T[];
}

/** Returns the cached data set for these parameters, generating it first if needed. */
export async function ensureDataset(opts: DatasetOptions): Promise<Dataset> {
  const dir = join(opts.baseDir, `mallard-bench-query-${opts.events}-${opts.days}d-g${GENERATOR_VERSION}`);
  const metaPath = join(dir, 'dataset.json');
  if (existsSync(metaPath)) {
    const meta = JSON.parse(readFileSync(metaPath, 'utf8')) as Dataset;
    opts.log(`data set: reusing ${dir} (generated for ${meta.startDate} … ${meta.endDate}; delete it to regenerate)`);
    return { ...meta, dir, eventsDir: join(dir, 'events'), generatedMs: null };
  }
  const staging = `${dir}.staging-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  try {
    const meta = await generate(opts, staging);
    writeFileSync(join(staging, 'dataset.json'), `${JSON.stringify(meta, null, 2)}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(staging, dir);
    return { ...meta, dir, eventsDir: join(dir, 'events') };
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
}

async function generate(opts: DatasetOptions, staging: string): Promise<Dataset> {
  const t0 = performance.now();
  const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
  const startDate = utcDate(today - opts.days * DAY_MS);
  const endDate = utcDate(today - DAY_MS);
  opts.log(`data set: generating ${opts.events.toLocaleString('en-US')} events, ${startDate} … ${endDate}, into ${staging}`);
  const instance = await DuckDBInstance.create(':memory:', { temp_directory: join(staging, 'duckdb-tmp') });
  const c = await instance.connect();
  try {
    let step = performance.now();
    for (const statement of generationSql(opts.events, startDate, opts.days)) {
      await c.run(statement);
      const name = /TABLE (\w+)/.exec(statement)?.[1];
      if (name && statement.startsWith('CREATE OR REPLACE TABLE') && !['days', 'platforms', 'acquisition'].includes(name)) {
        opts.log(`  table ${name}: ${((performance.now() - step) / 1000).toFixed(1)} s`);
        step = performance.now();
      }
    }
    const [counts] = await rows<{ events: bigint; visits: bigint; visitors: bigint }>(
      c,
      'SELECT sum(n) AS events, count(*) AS visits, count(DISTINCT visitor_id) AS visitors FROM visits',
    );
    if (!counts || Number(counts.events) !== opts.events)
      throw new Error(`generated ${counts?.events} events, wanted ${opts.events}: raise the visitor-day factor`);
    const days = await rows<{ day_idx: number; n: bigint }>(c, 'SELECT day_idx, sum(n) AS n FROM visits GROUP BY 1 ORDER BY 1');
    const tVisits = performance.now();
    opts.log(`  visits ready in ${((tVisits - t0) / 1000).toFixed(1)} s; writing ${days.length} days`);

    // Day by day (memory stays small): the day's events, then one file per site, rows in
    // time (= seq) order, named by the file's highest seq.
    let projection = '';
    let base = 0n;
    const bySite: Record<string, number> = {};
    for (const day of days) {
      await c.run(dayEventsSql(day.day_idx, base));
      base += BigInt(day.n);
      if (projection === '') {
        const produced = new Set(
          (await rows<{ column_name: string }>(c, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'day_ev'")).map(
            (r) => r.column_name,
          ),
        );
        const missing = EVENT_COLUMNS.filter((col) => !produced.has(col.name)).map((col) => col.name);
        if (missing.length > 0) opts.log(`  note: the generator has no values for ${missing.join(', ')}: written as NULL`);
        projection = EVENT_COLUMNS.filter((col) => col.name !== 'site_id')
          .map((col) => `CAST(${produced.has(col.name) ? col.name : 'NULL'} AS ${col.sqlType}) AS ${col.name}`)
          .join(', ');
      }
      const parts = await rows<{ site_id: string; date: string; top: bigint; n: bigint }>(
        c,
        `SELECT site_id, strftime(min(timestamp)::DATE, '%Y-%m-%d') AS date, max(seq) AS top, count(*) AS n
         FROM day_ev GROUP BY 1 ORDER BY 1`,
      );
      for (const p of parts) {
        const partDir = join(staging, 'events', `site_id=${p.site_id}`, `date=${p.date}`);
        mkdirSync(partDir, { recursive: true });
        const file = join(partDir, `${p.top.toString().padStart(20, '0')}.parquet`);
        await c.run(
          `COPY (SELECT ${projection} FROM day_ev WHERE site_id = ${q(p.site_id)} ORDER BY seq)
           TO ${q(file)} (FORMAT parquet, COMPRESSION zstd)`,
        );
        bySite[p.site_id] = (bySite[p.site_id] ?? 0) + Number(p.n);
      }
    }
    await c.run('DROP TABLE day_ev');
    rmSync(join(staging, 'duckdb-tmp'), { recursive: true, force: true });
    const { files, bytes } = dirBytes(join(staging, 'events'));
    const generatedMs = performance.now() - t0;
    opts.log(
      `  written in ${((performance.now() - tVisits) / 1000).toFixed(1)} s; total ${(generatedMs / 1000).toFixed(1)} s, ` +
        `${files} files, ${(bytes / 1048576).toFixed(1)} MiB`,
    );
    return {
      dir: '',
      eventsDir: '',
      startDate,
      endDate,
      events: opts.events,
      eventsBySite: bySite,
      visitorDays: Number(counts.visitors),
      visits: Number(counts.visits),
      files,
      bytes,
      generatedMs,
      popularPage: PAGES_TOP[1] ?? '/',
    };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

// Standalone: node --import tsx bench/generate.ts [events]
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const events = Number(process.argv[2] ?? process.env.BENCH_EVENTS ?? 10_000_000);
  const d = await ensureDataset({
    events,
    days: 30,
    baseDir: process.env.BENCH_TMPDIR || tmpdir(),
    log: (l) => console.log(l),
  });
  console.log(JSON.stringify(d, null, 2));
}
