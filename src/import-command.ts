/**
 * The `import` command (main.ts dispatches; ingest/import/ does the work): `import <file>
 * --site <id> [--format ndjson|csv|parquet|umami|plausible]`. A Plausible export (a `.zip`)
 * is not events but daily aggregates: it is stored whole or not at all in the metadata
 * database (ingest/import/plausible.ts), with one line saying what it held. The server must be stopped: the command opens
 * the data directory itself, which is what lets a resumed import know exactly which of its
 * events are stored (importer.ts). On ClickHouse too: the events go through the data
 * directory's write-ahead log and are shipped from it as the server ships ingested ones.
 * Progress with rate and ETA on stderr (a bar on a terminal, a line every 10 s elsewhere);
 * one line with the outcome on stdout at the end.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { SingleBar } from 'cli-progress';
import { serverSecret } from './auth/secret.js';
import { Settings } from './auth/settings.js';
import { CliError, parseArgs, usageError } from './cli/args.js';
import { openEventStore } from './cli/data-dir.js';
import { serverAt, serverUrl } from './cli/server.js';
import type { Config } from './config.js';
import { GeoLookup } from './ingest/enrich/geo.js';
import { type ImportResult, importFile } from './ingest/import/importer.js';
import { importPlausibleExport } from './ingest/import/plausible.js';
import { formatOf, type ImportFormat } from './ingest/import/records.js';
import { Metrics } from './metrics.js';
import { isSiteId } from './site-id.js';
import { SiteRegistry } from './sites/registry.js';
import { ClickHouseEventStore } from './storage/clickhouse/event-store.js';

type CommandFormat = ImportFormat | 'plausible';
const FORMATS: readonly CommandFormat[] = ['ndjson', 'csv', 'parquet', 'umami', 'plausible'];

/**
 * Rows an import lets the log collect before a flush writes them, at least (flush_count if
 * higher): 1M events over 30 days, 5,000 rows per flush 13.9k events/s, 100,000 20.2k, at a
 * peak RSS of 470 / 467 MB.
 */
const IMPORT_FLUSH_ROWS = 100_000;

function parseImportArgs(argv: readonly string[]): { file: string; site: string; format: CommandFormat } {
  const { positional, values } = parseArgs(argv, false, ['--site', '--format']);
  const site = values.get('--site');
  const format = values.get('--format');
  if (positional.length !== 1) throw usageError('import needs one file');
  const file = resolve(positional[0] ?? '');
  if (!site) throw usageError('import needs --site <id>: the site the events are stored for');
  if (!isSiteId(site)) throw usageError(`--site: "${site}" is not a site id (a domain such as example.com)`);
  const chosen = format ?? (/\.zip$/i.test(file) ? 'plausible' : formatOf(file));
  if (!chosen || !FORMATS.includes(chosen as CommandFormat)) {
    throw usageError(
      format
        ? `--format: "${format}" is not one of ${FORMATS.join(', ')}`
        : `cannot tell the format of ${file} from its name (.ndjson, .jsonl, .csv, .parquet, or .gz of the first three; .zip): give --format`,
    );
  }
  return { file, site, format: chosen as CommandFormat };
}

export async function importCommand(argv: readonly string[], config: Config): Promise<void> {
  const { file, site, format } = parseImportArgs(argv);
  if (!existsSync(file)) throw new CliError(`${file}: no such file`);
  const url = serverUrl(config);
  if (url !== null && (await serverAt(url).catch(() => 'none')) === 'mallard') {
    throw new CliError(
      `a server is running at ${url}; stop it before importing (or send the events to it with POST /api/events)`,
    );
  }
  mkdirSync(config.data_dir, { recursive: true }); // a first import may come before the first start
  if (format === 'plausible') return plausibleImport(file, site, config, url);
  const store = await openEventStore(config, url, 'import', Math.max(config.flush_count, IMPORT_FLUSH_ROWS));
  let result: ImportResult;
  const started = performance.now();
  // On a terminal a bar redrawn in place; otherwise (a log, a container) a line every 10 s.
  const tty = process.stderr.isTTY === true;
  const bar = new SingleBar({
    stream: process.stderr,
    format: `${tty ? ' {bar} ' : 'import: '}{percentage}% | {records} records | {rate} events/s | ETA {eta_formatted}`,
    etaBuffer: 50,
    hideCursor: tty,
    noTTYOutput: true,
    notTTYSchedule: 10_000,
  });
  try {
    const settings = new Settings(store.db);
    const sites = await SiteRegistry.open(store.db);
    if (config.site_ids.length > 0 && !config.site_ids.includes(site) && !sites.has(site)) {
      throw new CliError(`${site} is neither registered nor in site_ids: register it first (or add it to site_ids)`);
    }
    const metrics = new Metrics(() => store.hotPending);
    bar.start(1000, 0, { records: 0, rate: 0 });
    result = await importFile(
      {
        path: file,
        format,
        site,
        dataDir: config.data_dir,
        onProgress: (cp, fraction, start) => {
          const secs = (performance.now() - started) / 1000;
          bar.update(Math.round(fraction * 1000), {
            records: cp.records.toLocaleString('en-US'),
            rate: Math.round((cp.imported - start.imported) / secs).toLocaleString('en-US'),
          });
        },
      },
      store,
      {
        secret: await serverSecret(config.secret, settings),
        geo: await GeoLookup.open(config.geoip_db),
        sessions: store.sessions,
        siteAllowlist: null, // checked above, once
        metrics,
      },
    );
    if (store instanceof ClickHouseEventStore) await shipped(store, config.data_dir);
    bar.update(1000);
  } finally {
    bar.stop();
    // DuckDB: writes what is still in the log to Parquet; visits and rollups follow at the server's next start.
    await store.close();
  }
  process.stdout.write(`${summary(file, site, result, (performance.now() - started) / 1000)}\n`);
  // The first rejected records one by one, so a bad file can be fixed where it is wrong.
  for (const e of result.errors) process.stdout.write(`  record ${e.record.toLocaleString('en-US')}: ${e.error}\n`);
  const more = Object.values(result.rejected).reduce((a, b) => a + b, 0) - result.errors.length;
  if (result.errors.length > 0 && more > 0 && !result.alreadyDone)
    process.stdout.write(`  … and ${more.toLocaleString('en-US')} more\n`);
}

/** A Plausible export into the site's imported data: nothing stored unless all of it is. */
async function plausibleImport(file: string, site: string, config: Config, url: string | null): Promise<void> {
  const store = await openEventStore(config, url, 'import', 0);
  try {
    const sites = await SiteRegistry.open(store.db);
    if (!sites.has(site)) throw new CliError(`${site} is not registered: register it first (imported data belongs to a site)`);
    const r = await importPlausibleExport(file, site, store.db);
    const tables = Object.entries(r.rows).map(([t, n]) => `${t} ${n.toLocaleString('en-US')}`);
    process.stdout.write(
      `imported ${file} into ${site} as import ${r.import_id}: ${r.start_date} – ${r.end_date}, rows: ${tables.join(', ')}\n`,
    );
  } finally {
    await store.close();
  }
}

/**
 * Ships what the import left in the log. Closing would too, but would say nothing when
 * ClickHouse refuses: the events are safe in the log, and the operator must know that they
 * reach ClickHouse only once a server runs on this data directory.
 */
async function shipped(store: ClickHouseEventStore, dataDir: string): Promise<void> {
  try {
    await store.flush();
  } catch (err) {
    throw new CliError(
      `the events are stored in the write-ahead log of ${resolve(dataDir)}, but shipping them to ClickHouse failed (${(err as Error).message.slice(0, 200)}); the server ships them when it starts on this data directory`,
    );
  }
}

function summary(file: string, site: string, r: ImportResult, secs: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const rejected = Object.entries(r.rejected).sort((a, b) => b[1] - a[1]);
  const total = rejected.reduce((sum, [, k]) => sum + k, 0);
  const why = total === 0 ? '' : ` (${rejected.map(([reason, k]) => `${reason}: ${n(k)}`).join(', ')})`;
  if (r.alreadyDone) {
    return `${file} was imported into ${site} before (${n(r.imported)} events, ${n(total)} rejected); nothing to do`;
  }
  const resumed = r.resumedAt > 0 ? `, resumed at record ${n(r.resumedAt)}` : '';
  const rate = Math.round((r.records - r.resumedAt) / Math.max(secs, 0.001));
  return `imported ${n(r.imported)} event${r.imported === 1 ? '' : 's'} of ${file} into ${site} in ${secs.toFixed(1)} s (${n(rate)} records/s${resumed}); ${n(total)} rejected${why}`;
}
