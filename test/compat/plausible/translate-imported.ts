/**
 * Imported rows of a ported case (`build(:imported_<table>, …)`, case.ts `Fixture.imported`)
 * → a Plausible CE export zip, the file our import reads (docs/IMPORT.md, "From Plausible"),
 * uploaded with `POST /api/sites/:id/imports/upload?format=plausible`.
 *
 * The source's rows name only the fields a test cares about; the rest take the factory's
 * defaults (plausible/analytics `test/support/factory.ex`, `imported_*_factory`), and a column
 * the factory does not set reads as ClickHouse's default, 0 or the empty string. Each table
 * becomes `imported_<table>_<start>_<end>.csv` with the site import's dates (the factory's
 * `site_import`: 2005-01-01 to today), in the columns of the export.
 */
import { strToU8, zipSync } from 'fflate';
import type { PlausibleImportedRow, PlausibleImportedTable, PlausibleSiteImport } from './case.js';

type Value = string | number;

/** The export's columns per table, in the order Plausible CE writes them (docs/IMPORT.md). */
const COLUMNS: Record<PlausibleImportedTable, readonly string[]> = {
  visitors: ['date', 'visitors', 'pageviews', 'bounces', 'visits', 'visit_duration'],
  sources: [
    'date',
    'source',
    'referrer',
    'utm_source',
    'utm_medium',
    'utm_campaign',
    'utm_content',
    'utm_term',
    'pageviews',
    'visitors',
    'visits',
    'visit_duration',
    'bounces',
  ],
  pages: ['date', 'hostname', 'page', 'visits', 'visitors', 'pageviews'],
  entry_pages: ['date', 'entry_page', 'visitors', 'entrances', 'visit_duration', 'bounces', 'pageviews'],
  exit_pages: ['date', 'exit_page', 'visitors', 'visit_duration', 'exits', 'bounces', 'pageviews'],
  locations: ['date', 'country', 'region', 'city', 'visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
  devices: ['date', 'device', 'visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
  browsers: ['date', 'browser', 'browser_version', 'visitors', 'visits', 'visit_duration', 'bounces', 'pageviews'],
  operating_systems: [
    'date',
    'operating_system',
    'operating_system_version',
    'visitors',
    'visits',
    'visit_duration',
    'bounces',
    'pageviews',
  ],
  custom_events: ['date', 'name', 'link_url', 'path', 'visitors', 'events'],
};

/** The factory's defaults (`date` aside, which is today), per table. */
const FACTORY: Record<PlausibleImportedTable, Record<string, Value>> = {
  visitors: { visitors: 1, pageviews: 1, bounces: 0, visits: 1, visit_duration: 10 },
  sources: { source: '', visitors: 1, visits: 1, bounces: 0, visit_duration: 10 },
  pages: { page: '', visitors: 1, pageviews: 1, exits: 0, total_time_on_page: 10, total_time_on_page_visits: 1 },
  entry_pages: { entry_page: '', visitors: 1, entrances: 1, bounces: 0, visit_duration: 10 },
  exit_pages: { exit_page: '', visitors: 1, exits: 1 },
  custom_events: { name: '', link_url: '', visitors: 1, events: 1 },
  locations: { country: '', region: '', city: 0, visitors: 1, visits: 1, bounces: 0, visit_duration: 10 },
  devices: { device: '', visitors: 1, visits: 1, bounces: 0, visit_duration: 10 },
  browsers: { browser: '', visitors: 1, visits: 1, bounces: 0, visit_duration: 10 },
  operating_systems: { operating_system: '', visitors: 1, visits: 1, bounces: 0, visit_duration: 10 },
};

/** Fields Plausible's tables have and the export we read does not carry (engagement of pages). */
const NOT_EXPORTED: Partial<Record<PlausibleImportedTable, readonly string[]>> = {
  pages: ['exits', 'total_time_on_page', 'total_time_on_page_visits'],
};

const COUNTS = new Set(['visitors', 'visits', 'pageviews', 'bounces', 'visit_duration', 'entrances', 'exits', 'events']);

const iso = (d: Date) => d.toISOString().slice(0, 10);

/** `YYYY-MM-DD`, `today` or `today-<n>` → a date, against `today`. */
export function resolveDate(value: string, today: string): string {
  if (value === 'today') return today;
  const back = /^today-(\d+)$/.exec(value);
  if (back) return iso(new Date(Date.parse(`${today}T00:00:00Z`) - Number(back[1]) * 86_400_000));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new Error(`imported: not a date: ${value}`);
  return value;
}

/** One row in the export's columns, with the factory's defaults. */
export function exportRow(row: PlausibleImportedRow, today: string): Record<string, Value> {
  const { table, date, ...given } = row;
  const columns = COLUMNS[table];
  const dropped = NOT_EXPORTED[table] ?? [];
  const fields: Record<string, Value | undefined> = { ...FACTORY[table], ...given };
  for (const k of Object.keys(fields)) {
    if (!columns.includes(k) && !dropped.includes(k)) throw new Error(`imported_${table}: no export column ${k}`);
  }
  const out: Record<string, Value> = { date: resolveDate(date ?? 'today', today) };
  for (const c of columns.slice(1)) out[c] = fields[c] ?? (COUNTS.has(c) ? 0 : '');
  return out;
}

const csvField = (v: Value) => {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
};

/**
 * The export's files: one CSV per table that has rows, named with the import's dates. Rows dated
 * outside the import are left out: no export holds them, and Plausible reads none of an import
 * whose dates miss the query's. An import left without rows is an empty visitors table (its
 * header): the import still exists with its dates, as the source's `site_import` does.
 */
export function exportFiles(imp: PlausibleSiteImport, today: string): Record<string, string> {
  const start = resolveDate(imp.start_date ?? '2005-01-01', today);
  const end = resolveDate(imp.end_date ?? 'today', today);
  const byTable = new Map<PlausibleImportedTable, Record<string, Value>[]>();
  for (const row of imp.rows) {
    const out = exportRow(row, today);
    const date = String(out.date);
    if (date < start || date > end) continue;
    byTable.set(row.table, [...(byTable.get(row.table) ?? []), out]);
  }
  const compact = (d: string) => d.replaceAll('-', '');
  if (byTable.size === 0) byTable.set('visitors', []);
  const files: Record<string, string> = {};
  for (const [table, rows] of byTable) {
    const columns = COLUMNS[table];
    const lines = [columns.join(','), ...rows.map((r) => columns.map((c) => csvField(r[c] ?? '')).join(','))];
    files[`imported_${table}_${compact(start)}_${compact(end)}.csv`] = `${lines.join('\n')}\n`;
  }
  return files;
}

/** The export zip. */
export function exportZip(imp: PlausibleSiteImport, today: string): Uint8Array {
  const files = exportFiles(imp, today);
  return zipSync(Object.fromEntries(Object.entries(files).map(([name, text]) => [name, strToU8(text)])));
}

interface Job {
  state: string;
  error: string | null;
}

/**
 * Uploads the fixture's imported rows as an export into `site` (an admin key) and waits for the
 * import job; throws with the job's error when it fails.
 */
export async function uploadImported(
  baseUrl: string,
  adminKey: string,
  site: string,
  imp: PlausibleSiteImport,
  today: string,
): Promise<void> {
  const zip = exportZip(imp, today);
  const auth = { authorization: `Bearer ${adminKey}` };
  const sites = `${baseUrl}/api/sites/${encodeURIComponent(site)}`;
  const sent = await fetch(`${sites}/imports/upload?format=plausible`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/octet-stream' },
    body: Buffer.from(zip),
  });
  const { job_id: id, error } = (await sent.json()) as { job_id?: string; error?: string };
  if (sent.status !== 202 || id === undefined) throw new Error(`import upload: ${sent.status} ${error}`);
  for (;;) {
    const job = (await (await fetch(`${sites}/imports/jobs/${id}`, { headers: auth })).json()) as Job;
    if (job.state === 'done') return;
    if (job.state === 'failed') throw new Error(`import job: ${job.error}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
