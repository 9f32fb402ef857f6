/**
 * Write-ahead log: the durability of the hot tier. Events arriving in the same event-loop
 * turn are written together with one write(2) to the current segment; once that returns,
 * the bytes are in the kernel and survive `kill -9` of the process. With `fsync` on, the
 * acknowledgement also waits for an fdatasync (group commit: one sync covers every write
 * before it, and writes continue while a sync is in flight), which adds power-loss safety;
 * with it off, a background fdatasync runs every second. Segments rotate at each flush
 * and are deleted once their rows are in Parquet.
 */
import {
  closeSync,
  fdatasync,
  fdatasyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { unavailable } from '../errors.js';
import { decodeRow, encodeRow, type StoredRow } from './columns.js';
import { crashPoint } from './crash-points.js';

interface Pending {
  rows: StoredRow[];
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Segment {
  path: string;
  fd: number | null;
  maxSeq: bigint;
  rows: number;
  /** Bytes written by this process: where a failed write is cut back to. */
  bytes: number;
  /** A failed write may have left a partial line that could not be cut off: the next write starts a new line. */
  tornTail: boolean;
  /** Syncs in flight on this segment's descriptor. */
  syncs: Set<Promise<void>>;
}

export interface ClosedSegments {
  paths: string[];
  maxSeq: bigint;
  rows: number;
}

/** A segment file's rows; a torn line (a write cut off, never acknowledged) is counted and skipped. */
export function readSegment(path: string): { rows: StoredRow[]; torn: number } {
  const rows: StoredRow[] = [];
  let torn = 0;
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (line.length === 0) continue;
    try {
      rows.push(decodeRow(line));
    } catch {
      torn++;
    }
  }
  return { rows, torn };
}

/** See `filesAfter`. */
const SEAL_ROWS = 10_000;

const syncFd = (fd: number) => new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

export class WriteAheadLog {
  private queue: Pending[] = [];
  private scheduled = false;
  private awaitingSync: { segment: Segment; batch: Pending[] }[] = [];
  private syncing: Promise<void> | null = null;
  private current!: Segment;
  private closed: Segment[] = [];
  private nextNumber = 1;
  private timer: NodeJS.Timeout | null = null;
  /** Why the last write failed, while writes keep failing (health). */
  private failing: { message: string; since: Date } | null = null;
  /** Rows written since the last `rotate` (a `seal` does not count). */
  private sinceRotation = 0;

  private constructor(
    private readonly dir: string,
    private readonly fsync: boolean,
    private readonly onDurable: (rows: StoredRow[]) => void,
  ) {}

  /**
   * Opens the log, returning the rows of earlier segments (to be replayed into the hot
   * tier). A torn line (a write cut off by a crash, never acknowledged) is skipped.
   */
  static async open(
    dir: string,
    fsync: boolean,
    onDurable: (rows: StoredRow[]) => void,
  ): Promise<{ wal: WriteAheadLog; replayed: StoredRow[]; tornLines: number }> {
    mkdirSync(dir, { recursive: true });
    const wal = new WriteAheadLog(dir, fsync, onDurable);
    const replayed: StoredRow[] = [];
    let tornLines = 0;
    const names = readdirSync(dir)
      .filter((n) => /^\d+\.log$/.test(n))
      .sort();
    for (const name of names) {
      const path = join(dir, name);
      const segment: Segment = { path, fd: null, maxSeq: 0n, rows: 0, bytes: 0, tornTail: false, syncs: new Set() };
      const { rows, torn } = readSegment(path);
      for (const row of rows) {
        replayed.push(row);
        segment.rows++;
        if (row.seq > segment.maxSeq) segment.maxSeq = row.seq;
      }
      tornLines += torn;
      wal.closed.push(segment);
      wal.nextNumber = Math.max(wal.nextNumber, Number.parseInt(name, 10) + 1);
    }
    wal.current = wal.openSegment();
    if (!fsync) {
      wal.timer = setInterval(() => {
        const fd = wal.current.fd;
        if (fd !== null)
          wal.track(
            wal.current,
            syncFd(fd).catch(() => undefined),
          );
      }, 1000);
      wal.timer.unref();
    }
    return { wal, replayed, tornLines };
  }

  /** Resolves once the rows are durable; rejects if the disk refuses them. */
  append(rows: StoredRow[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.commit());
      }
    });
  }

  /** Starts a new segment; the returned ones hold every row acknowledged before the call. */
  async rotate(): Promise<ClosedSegments> {
    this.commit();
    this.seal();
    this.sinceRotation = 0;
    crashPoint('wal.rotated');
    const segments = this.closed;
    return {
      paths: segments.map((s) => s.path),
      maxSeq: segments.reduce((m, s) => (s.maxSeq > m ? s.maxSeq : m), 0n),
      rows: segments.reduce((n, s) => n + s.rows, 0),
    };
  }

  /**
   * The files of the segments holding rows numbered above `seq`, for the engine to read
   * (the hot table). A current segment of many rows is closed first, so that the next read
   * does not parse its rows again; it is flushed with the others.
   */
  filesAfter(seq: bigint): string[] {
    if (this.current.rows >= SEAL_ROWS) this.seal();
    return [...this.closed, this.current].filter((s) => s.maxSeq > seq).map((s) => s.path);
  }

  /** Continues in a new segment; the old one waits for the next flush with the other closed ones. */
  private seal(): void {
    const old = this.current;
    this.current = this.openSegment();
    this.closed.push(old);
  }

  /** Deletes segments whose rows are now in Parquet, once no sync still needs them. */
  async release(paths: readonly string[]): Promise<void> {
    const done = this.closed.filter((s) => paths.includes(s.path));
    for (const s of done) {
      while (s.syncs.size > 0 || this.awaitingSync.some((e) => e.segment === s)) {
        await (this.syncing ?? Promise.all(s.syncs));
      }
      if (s.fd !== null) closeSync(s.fd);
      s.fd = null;
      unlinkSync(s.path);
      if (done.length > 1) crashPoint('wal.released-one');
    }
    this.closed = this.closed.filter((s) => !done.includes(s));
  }

  /** Why rows cannot be logged right now, or null. */
  get writeProblem(): { message: string; since: Date } | null {
    return this.failing;
  }

  /** Rows written since the last rotation: what the next flush will move. */
  get unrotatedRows(): number {
    return this.sinceRotation;
  }

  get pendingSegments(): number {
    return this.closed.length;
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.commit();
    while (this.syncing) await this.syncing;
    for (const s of [...this.closed, this.current]) {
      if (s.fd === null) continue;
      fdatasyncSync(s.fd);
      closeSync(s.fd);
      s.fd = null;
    }
  }

  /** Writes everything queued in one write(2); acknowledges now, or after the next sync. */
  private commit(): void {
    this.scheduled = false;
    const batch = this.queue;
    if (batch.length === 0) return;
    this.queue = [];
    const segment = this.current;
    const rows = batch.flatMap((p) => p.rows);
    try {
      if (segment.fd === null) throw new Error('log segment closed');
      const bytes = Buffer.from(`${segment.tornTail ? '\n' : ''}${rows.map(encodeRow).join('\n')}\n`, 'utf8');
      let off = 0;
      try {
        while (off < bytes.length) off += writeSync(segment.fd, bytes, off);
      } catch (err) {
        if (off > 0) this.cutBack(segment);
        throw err;
      }
      segment.bytes += bytes.length;
      segment.tornTail = false;
      this.failing = null;
    } catch (err) {
      const refused = writeRefused(err as NodeJS.ErrnoException);
      this.failing ??= { message: refused.message, since: new Date() };
      for (const p of batch) p.reject(refused);
      return;
    }
    crashPoint('wal.written');
    for (const row of rows) if (row.seq > segment.maxSeq) segment.maxSeq = row.seq;
    segment.rows += rows.length;
    this.sinceRotation += rows.length;
    this.onDurable(rows);
    if (!this.fsync) {
      for (const p of batch) p.resolve();
      return;
    }
    this.awaitingSync.push({ segment, batch });
    this.syncNext();
  }

  private syncNext(): void {
    if (this.syncing || this.awaitingSync.length === 0) return;
    const entries = this.awaitingSync;
    this.awaitingSync = [];
    const segments = [...new Set(entries.map((e) => e.segment))];
    const all = Promise.all(
      segments.map((s) => (s.fd === null ? Promise.reject(new Error('log segment closed')) : this.track(s, syncFd(s.fd)))),
    );
    this.syncing = all.then(
      () => {
        for (const e of entries) for (const p of e.batch) p.resolve();
      },
      (err: Error) => {
        const refused = writeRefused(err as NodeJS.ErrnoException);
        this.failing ??= { message: refused.message, since: new Date() };
        for (const e of entries) for (const p of e.batch) p.reject(refused);
      },
    );
    this.syncing.finally(() => {
      this.syncing = null;
      this.syncNext();
    });
  }

  /**
   * Cuts a partly written batch off the segment: left there, its partial last line would
   * swallow the first line of the next write, an acknowledged row, at replay.
   */
  private cutBack(segment: Segment): void {
    try {
      if (segment.fd !== null) ftruncateSync(segment.fd, segment.bytes);
    } catch {
      segment.tornTail = true; // replay skips the partial line; the next write starts a fresh one
    }
  }

  private track(segment: Segment, sync: Promise<void>): Promise<void> {
    segment.syncs.add(sync);
    const done = () => segment.syncs.delete(sync);
    sync.then(done, done);
    return sync;
  }

  private openSegment(): Segment {
    const path = join(this.dir, `${String(this.nextNumber++).padStart(10, '0')}.log`);
    return { path, fd: openSync(path, 'a'), maxSeq: 0n, rows: 0, bytes: 0, tornTail: false, syncs: new Set() };
  }
}

/** Seconds a client is told to wait when the log cannot be written. */
export const WAL_RETRY_AFTER_SECS = 30;

/**
 * A failed log write as the client should hear it: nothing was acknowledged, the server
 * is fine, the disk is not (full, read-only, failing). 503 with Retry-After, not a 500.
 */
function writeRefused(err: NodeJS.ErrnoException): Error {
  const why =
    err.code === 'ENOSPC' || err.code === 'EDQUOT'
      ? 'the disk is full'
      : err.code === 'EROFS'
        ? 'the disk is read-only'
        : `the disk refused the write (${err.code ?? err.message})`;
  return unavailable(`event not stored: ${why}; the write-ahead log cannot be written. Retry later`, WAL_RETRY_AFTER_SECS);
}
