/**
 * Imports a file of events into one site through the ingestion pipeline (validation,
 * enrichment, the same stored rows as `POST /api/events`), a batch at a time, each made
 * durable by the store before the checkpoint says it is done.
 *
 * Resuming: a batch can be durable while its checkpoint is not (killed in between). The
 * store's sequence numbers tell: the rows after the checkpoint's `seq` are that batch's
 * first rows, given in order to the records after the checkpoint's `records`. The import
 * checks that they are (same site, time, page and name, row for row) and skips those
 * records; rows it cannot account for (the data directory written by something else since)
 * stop it instead of guessing, so no event is stored twice or left out.
 */
import { invalidInput } from '../../errors.js';
import type { StoredRow } from '../../storage/columns.js';
import { crashPoint } from '../../storage/crash-points.js';
import type { AppendOptions } from '../../storage/storage.js';
import { Drop } from '../event.js';
import { type PipelineDeps, processEvent } from '../pipeline.js';
import { type ValidatedEvent, ValidationError, validateEvent } from '../validate.js';
import { type Checkpoint, checkpointPath, fileIdentity, readCheckpoint, writeCheckpoint } from './checkpoint.js';
import { type ImportFormat, openRecords } from './records.js';
import { KnownRecord } from './umami.js';

/** Records per batch: what the batch endpoint takes in one request. */
export const IMPORT_BATCH = 10_000;

export interface ImportOptions {
  /** Absolute path of the file. */
  path: string;
  format: ImportFormat;
  site: string;
  dataDir: string;
  batchSize?: number;
  /** After each batch: the checkpoint, how much of the file has been read (0 to 1), and the checkpoint this run started from. */
  onProgress?: (cp: Checkpoint, fraction: number, start: Checkpoint) => void;
}

export interface ImportResult extends Checkpoint {
  /** The record the import started at: 0, or where an interrupted one stopped. */
  resumedAt: number;
  /** The import had finished before: nothing was done. */
  alreadyDone: boolean;
  /** The first rejected records of this run (at most MAX_REPORTED), each with why. */
  errors: RejectedRecord[];
}

/** A rejected record: its number in the file (from 1; CSV's header row is not one) and why. */
export interface RejectedRecord {
  record: number;
  error: string;
}

/** The rejected records an import reports one by one; the rest only count by reason. */
export const MAX_REPORTED = 20;

/** What an import needs of the store (the DuckDB one has it). */
export interface Store {
  append(rows: StoredRow[], opts: AppendOptions): Promise<void>;
  /** The highest sequence number given out: after a restart, the highest stored. */
  readonly lastSeq: bigint;
  /** Every stored row after `seq`, in order. */
  rowsAfter(seq: bigint): Promise<{ site_id: string; timestamp: Date; event_name: string; pathname: string }[]>;
}

/** An event, or why it is not stored (a drop reason, and the message naming the problem). */
export type Outcome = StoredRow[] | { reason: string; error: string };

export async function importFile(opts: ImportOptions, store: Store, pipeline: PipelineDeps): Promise<ImportResult> {
  const cpPath = checkpointPath(opts.dataDir, opts.path, opts.site);
  const file = fileIdentity(opts.path);
  let cp = readCheckpoint(cpPath);
  if (cp?.done) return { ...cp, resumedAt: cp.records, alreadyDone: true, errors: [] };
  if (cp && (cp.file.size !== file.size || cp.file.mtimeMs !== file.mtimeMs)) {
    throw invalidInput(
      `${opts.path} changed since its import into ${opts.site} was interrupted at record ${cp.records}; resuming would store other events than the ones left out. Put the original file back to resume`,
    );
  }
  if (!cp) {
    cp = { file, site: opts.site, records: 0, seq: store.lastSeq.toString(), imported: 0, rejected: {}, done: false };
    writeCheckpoint(cpPath, cp);
  }
  const start = cp;
  const errors: RejectedRecord[] = [];
  const source = await openRecords(opts.path, opts.format, opts.site);
  try {
    const records = source.records(cp.records)[Symbol.asyncIterator]();
    // Rows already stored are made again only to be compared.
    const again = outcomeOf(opts.site, { ...pipeline, sessions: pipeline.sessions.forBatch() });
    cp = await skipDurable(cp, store, records, again, opts.batchSize ?? IMPORT_BATCH);
    writeCheckpoint(cpPath, cp);
    for (;;) {
      // Visits as the batch endpoint draws them, one batch at a time (a flush draws them
      // again with the stored events): one sessionizer for the whole file kept an entry per
      // identity and day, 934 MB at 1M events over 30 days.
      const outcome = outcomeOf(opts.site, { ...pipeline, sessions: pipeline.sessions.forBatch() });
      const rows: StoredRow[] = [];
      let n = 0;
      const rejected: Record<string, number> = { ...cp.rejected };
      for (; n < (opts.batchSize ?? IMPORT_BATCH); n++) {
        const next = await records.next();
        if (next.done) break;
        const o = outcome(next.value);
        if ('reason' in o) {
          rejected[o.reason] = (rejected[o.reason] ?? 0) + 1;
          if (errors.length < MAX_REPORTED) errors.push({ record: cp.records + n + 1, error: o.error });
        } else rows.push(...o);
      }
      if (n === 0) break;
      if (rows.length > 0) await store.append(rows, { live: false });
      crashPoint('import.appended');
      cp = { ...cp, records: cp.records + n, seq: store.lastSeq.toString(), imported: cp.imported + rows.length, rejected };
      writeCheckpoint(cpPath, cp);
      opts.onProgress?.(cp, source.fraction(), start);
    }
    cp = { ...cp, done: true };
    writeCheckpoint(cpPath, cp);
    return { ...cp, resumedAt: start.records, alreadyDone: false, errors };
  } finally {
    source.close();
  }
}

/**
 * What becomes of a record: validated as a batch event of `site`, then through the pipeline
 * (also what an upload from the dashboard checks its file with: upload-job.ts).
 */
export function outcomeOf(site: string, pipeline: PipelineDeps): (input: unknown) => Outcome {
  return (input) => {
    if (input instanceof Error) return { reason: 'invalid', error: input.message };
    if (typeof input !== 'object' || input === null) return { reason: 'invalid', error: 'not an event object' };
    let event: ValidatedEvent;
    try {
      if (input instanceof KnownRecord)
        event = { ...validateEvent({ ...input.event, d: site }, { batch: true }), known: input.known };
      else event = validateEvent({ ...input, d: site }, { batch: true });
    } catch (err) {
      if (err instanceof ValidationError) return { reason: err.reason, error: err.message };
      throw err;
    }
    if (event.timestamp === null) return { reason: 'invalid', error: 'timestamp: required in an import' }; // history needs its times
    const result = processEvent(event, { ip: '', userAgent: '', batch: true }, pipeline);
    return result instanceof Drop ? { reason: result.reason, error: result.message } : result;
  };
}

/**
 * The records after the checkpoint whose rows the store already holds (a batch made durable
 * before its checkpoint was written), checked row for row and counted as done.
 */
async function skipDurable(
  cp: Checkpoint,
  store: Store,
  input: AsyncIterator<unknown>,
  outcome: (input: unknown) => Outcome,
  batchSize: number,
): Promise<Checkpoint> {
  const after = BigInt(cp.seq);
  if (store.lastSeq === after) return cp;
  const stranger = () =>
    invalidInput(
      `the data directory was written since this import of ${cp.site} was interrupted (events after the last batch it recorded are not the file's next ones); the import cannot tell which of its events are stored. Restore the data directory from a backup taken before the import and import again`,
    );
  // One batch at most (one row per record: every event is for one site) can be stored without its checkpoint.
  if (store.lastSeq < after || store.lastSeq - after > BigInt(batchSize)) throw stranger();
  const stored = await store.rowsAfter(after);
  if (BigInt(stored.length) !== store.lastSeq - after) throw stranger();
  let records = cp.records;
  let imported = cp.imported;
  const rejected = { ...cp.rejected };
  let i = 0;
  while (i < stored.length) {
    const next = await input.next();
    if (next.done) throw stranger();
    records++;
    const o = outcome(next.value);
    if ('reason' in o) {
      rejected[o.reason] = (rejected[o.reason] ?? 0) + 1;
      continue;
    }
    for (const row of o) {
      const s = stored[i++];
      const same =
        s &&
        s.site_id === row.site_id &&
        s.timestamp.getTime() === row.timestamp.getTime() &&
        s.pathname === row.pathname &&
        s.event_name === row.event_name;
      if (!same) throw stranger();
      imported++;
    }
  }
  return { ...cp, records, imported, rejected, seq: store.lastSeq.toString() };
}
