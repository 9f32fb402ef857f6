/**
 * Imports uploaded from the dashboard (docs/IMPORT.md, "From the dashboard"), run inside
 * the server on its own store. A job reads the whole file first, through the same
 * validation and enrichment as the `import` command (importer.ts `outcomeOf`), storing
 * nothing: a file that cannot be read (not CSV, a wrong header, a truncated gzip) fails the
 * job with nothing stored. Then it reads the file again and appends its events in batches
 * through the store's write-ahead log, as `POST /api/events` does.
 *
 * Jobs live in memory (a restart forgets them); one import per site at a time. What a
 * site's uploaded files were is kept on disk (uploaded.ts), so the same file is not stored
 * twice.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { conflict, DomainError, notFound } from '../../errors.js';
import type { SiteImports } from '../../sites/imports.js';
import type { StoredRow } from '../../storage/columns.js';
import { crashPoint } from '../../storage/crash-points.js';
import type { AppendOptions } from '../../storage/storage.js';
import type { PipelineDeps } from '../pipeline.js';
import { IMPORT_BATCH, MAX_REPORTED, outcomeOf } from './importer.js';
import { importPlausibleExport } from './plausible.js';
import { type ImportFormat, openRecords, type RecordSource } from './records.js';
import { type UploadedFile, UploadedFiles } from './uploaded.js';

export type JobState = 'reading' | 'validating' | 'importing' | 'done' | 'failed';

/** What an upload can be: a file of events, or Plausible's export (imported aggregates, plausible.ts). */
export type UploadFormat = ImportFormat | 'plausible';

export interface ImportJob {
  readonly id: string;
  readonly site: string;
  readonly format: UploadFormat;
  state: JobState;
  /** Records read by the checking pass. */
  recordsRead: number;
  /** Records that become events (the ones the import pass stores). */
  accepted: number;
  /** Records that do not, by reason (ingest/event.ts's drop reasons, `invalid` for a malformed record). */
  rejected: Record<string, number>;
  /** The first rejected records (MAX_REPORTED), by their line in the file. */
  errors: { line: number; error: string }[];
  bytesTotal: number;
  /** How far the current pass (validating, then importing) has read the file, in bytes. */
  bytesDone: number;
  /** Events stored so far. */
  imported: number;
  /** Why the job failed; null otherwise. */
  error: string | null;
}

/** A file received for a site: where it is, its size, its SHA-256 and whether it is gzip-compressed. */
export interface ReceivedFile {
  path: string;
  bytes: number;
  sha256: string;
  gzip: boolean;
}

/** The site's turn to import: held from the upload's first byte to the job's end. */
export interface Slot {
  readonly site: string;
  release(): void;
}

export interface ImportJobsDeps {
  store: { append(rows: StoredRow[], opts: AppendOptions): Promise<void> };
  /** The server's pipeline; shields and the allowlist are not applied, as by the `import` command. */
  pipeline: PipelineDeps;
  dataDir: string;
  /** Where a Plausible export's aggregates go. */
  imports: SiteImports;
  log: { error(obj: object, msg: string): void };
}

/** Records checked or stored between two turns of the event loop: the server keeps answering meanwhile. */
const SLICE_RECORDS = 500;
/** Finished jobs kept for their summary, the oldest forgotten first. */
const KEEP_FINISHED = 100;
/** The checking pass counts no drops: the import pass counts them, once. */
const UNCOUNTED: PipelineDeps['metrics'] = { drop: () => {} };

class Stopping extends Error {}

export class ImportJobs {
  private readonly busy = new Set<string>();
  private readonly jobs = new Map<string, ImportJob>();
  private readonly running = new Set<Promise<void>>();
  private readonly uploaded: UploadedFiles;
  private readonly uploadDir: string;
  private stopping = false;

  constructor(private readonly deps: ImportJobsDeps) {
    this.uploadDir = join(deps.dataDir, 'imports', 'uploads');
    // Uploads a stopped server was holding are of no use: their jobs are gone.
    rmSync(this.uploadDir, { recursive: true, force: true });
    this.uploaded = new UploadedFiles(join(deps.dataDir, 'imports', 'uploaded'));
  }

  /** Reserves the site for one upload and its import; a conflict while another one runs. */
  claim(site: string): Slot {
    if (this.stopping) throw conflict('the server is shutting down');
    if (this.busy.has(site)) throw conflict(`an import into ${site} is already running; wait for it to finish`);
    this.busy.add(site);
    let held = true;
    return {
      site,
      release: () => {
        if (held) this.busy.delete(site);
        held = false;
      },
    };
  }

  /** A fresh path in the data directory for an upload's bytes. */
  tempPath(): string {
    mkdirSync(this.uploadDir, { recursive: true }); // made by the first upload: a data directory without one has none
    return join(this.uploadDir, `${randomUUID()}.upload`);
  }

  /**
   * Starts importing a received file for the slot's site (the job owns the slot and the
   * file from here). A conflict, and the file removed, when the site has had it before.
   */
  start(slot: Slot, format: UploadFormat, file: ReceivedFile): ImportJob {
    const before = this.uploaded.get(slot.site, file.sha256);
    if (before) {
      rmSync(file.path, { force: true });
      slot.release();
      const when = before.started_at.slice(0, 10);
      throw conflict(
        before.state === 'done'
          ? `this file was imported into ${slot.site} on ${when} (${before.imported} events); importing it again would count them twice`
          : `an import of this file into ${slot.site} (${when}) stopped after ${stored(before)} of its events were stored; importing it again would count those twice (docs/IMPORT.md, "From the dashboard")`,
      );
    }
    const job: ImportJob = {
      id: randomUUID(),
      site: slot.site,
      format,
      state: 'reading',
      recordsRead: 0,
      accepted: 0,
      rejected: {},
      errors: [],
      bytesTotal: file.bytes,
      bytesDone: 0,
      imported: 0,
      error: null,
    };
    this.keep(job);
    const run = this.run(job, file, slot).finally(() => this.running.delete(run));
    this.running.add(run);
    return job;
  }

  /** The job, if it is the site's: another site's job is as unknown as a missing one. */
  get(site: string, id: string): ImportJob {
    const job = this.jobs.get(id);
    if (!job || job.site !== site) throw notFound(`no import job ${id} for ${site}`);
    return job;
  }

  /** Stops running jobs after their current batch (they fail, saying how much was stored) and waits for them. */
  async close(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running]);
  }

  private keep(job: ImportJob): void {
    this.jobs.set(job.id, job);
    for (const [id, j] of this.jobs) {
      if (this.jobs.size <= KEEP_FINISHED) break;
      if (j.state === 'done' || j.state === 'failed') this.jobs.delete(id);
    }
  }

  private async run(job: ImportJob, file: ReceivedFile, slot: Slot): Promise<void> {
    // The engine and the NDJSON reader tell compression by the name.
    const extension = { parquet: 'parquet', ndjson: 'ndjson', plausible: 'zip', umami: 'csv', csv: 'csv' }[job.format];
    const path = `${file.path.replace(/\.upload$/, '')}.${extension}${file.gzip ? '.gz' : ''}`;
    const readable = (err: unknown) => {
      const message = (err as Error).message.split('\n')[0] ?? '';
      return message.replaceAll(path, 'the file');
    };
    try {
      renameSync(file.path, path);
      if (job.format === 'plausible') {
        await this.aggregates(job, path);
        return;
      }
      const format = job.format;
      let source: RecordSource;
      try {
        source = await openRecords(path, format, job.site);
      } catch (err) {
        throw new Unreadable(readable(err));
      }
      job.state = 'validating';
      try {
        await this.check(job, source);
      } catch (err) {
        if (err instanceof Stopping) throw err;
        throw new Unreadable(`the file cannot be read after record ${job.recordsRead}: ${readable(err)}`);
      } finally {
        source.close();
      }
      job.state = 'importing';
      job.bytesDone = 0;
      await this.store(job, file.sha256, await openRecords(path, format, job.site));
      job.state = 'done';
    } catch (err) {
      job.state = 'failed';
      if (err instanceof Unreadable) job.error = err.message;
      else if (err instanceof Stopping)
        job.error = `the server stopped after ${job.imported} of ${job.accepted} events were stored`;
      else if (err instanceof DomainError) job.error = readable(err);
      else {
        this.deps.log.error({ err, site: job.site, job: job.id }, 'import failed');
        job.error = `storing the events failed after ${job.imported} of ${job.accepted} were stored (the server's log says why)`;
      }
    } finally {
      rmSync(path, { force: true });
      rmSync(file.path, { force: true });
      slot.release();
    }
  }

  /**
   * Plausible's export: its rows are checked whole, then stored in one transaction (plausible.ts),
   * so a bad line fails the job with nothing stored, and there is no checking pass to show.
   */
  private async aggregates(job: ImportJob, path: string): Promise<void> {
    job.state = 'importing';
    // As bytes, so that errors name "the upload", not the temporary file.
    const result = await importPlausibleExport(readFileSync(path), job.site, this.deps.imports);
    const rows = Object.values(result.rows).reduce((a, b) => a + b, 0);
    Object.assign(job, { recordsRead: rows, accepted: rows, imported: rows, bytesDone: job.bytesTotal, state: 'done' });
  }

  /** The checking pass: every record through validation and the pipeline, nothing stored. */
  private async check(job: ImportJob, source: RecordSource): Promise<void> {
    const lineOf = (record: number) => source.line?.() ?? (job.format === 'parquet' ? record : record + 1);
    let outcome = this.outcome(job.site, UNCOUNTED);
    for await (const record of source.records(0)) {
      job.recordsRead++;
      if (job.recordsRead % SLICE_RECORDS === 0) {
        if (this.stopping) throw new Stopping();
        job.bytesDone = Math.round(source.fraction() * job.bytesTotal);
        await nextTurn();
      }
      // A fresh visit memory per batch, as the import pass (and importer.ts) draws visits.
      if (job.recordsRead > 1 && (job.recordsRead - 1) % IMPORT_BATCH === 0) outcome = this.outcome(job.site, UNCOUNTED);
      const o = outcome(record);
      if ('reason' in o) {
        job.rejected[o.reason] = (job.rejected[o.reason] ?? 0) + 1;
        if (job.errors.length < MAX_REPORTED) job.errors.push({ line: lineOf(job.recordsRead), error: o.error });
      } else job.accepted++;
    }
    job.bytesDone = job.bytesTotal;
  }

  /** The import pass: the same records again, their events appended a batch at a time. */
  private async store(job: ImportJob, sha256: string, source: RecordSource): Promise<void> {
    const record = { site: job.site, sha256, state: 'importing' as const, started_at: new Date().toISOString() };
    try {
      const records = source.records(0)[Symbol.asyncIterator]();
      for (let done = false; !done; ) {
        if (this.stopping) {
          if (job.imported > 0) this.uploaded.put({ ...record, imported: job.imported, appending: 0 });
          throw new Stopping();
        }
        const outcome = this.outcome(job.site, this.deps.pipeline.metrics);
        const rows: StoredRow[] = [];
        for (let n = 0; n < IMPORT_BATCH; n++) {
          if (n > 0 && n % SLICE_RECORDS === 0) await nextTurn();
          const next = await records.next();
          if (next.done) {
            done = true;
            break;
          }
          const o = outcome(next.value);
          if (!('reason' in o)) rows.push(...o);
        }
        if (rows.length === 0) continue;
        // Written before each append: after a kill, the record says how many events may be stored.
        this.uploaded.put({ ...record, imported: job.imported, appending: rows.length });
        await this.deps.store.append(rows, { live: false });
        crashPoint('import.upload-appended');
        job.imported += rows.length;
        job.bytesDone = Math.round(source.fraction() * job.bytesTotal);
      }
      job.bytesDone = job.bytesTotal;
      if (job.imported > 0) this.uploaded.put({ ...record, state: 'done', imported: job.imported, appending: 0 });
    } finally {
      source.close();
    }
  }

  private outcome(site: string, metrics: PipelineDeps['metrics']) {
    const { pipeline } = this.deps;
    return outcomeOf(site, { ...pipeline, metrics, sessions: pipeline.sessions.forBatch() });
  }
}

/** How many of an interrupted upload's events are stored: the batch being appended at a kill may be, or not. */
const stored = (f: UploadedFile) => (f.appending > 0 ? `${f.imported} or ${f.imported + f.appending}` : String(f.imported));

/** The file cannot be read as its format: the job fails with this message, nothing stored. */
class Unreadable extends Error {}
