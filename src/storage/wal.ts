/**
 * Write-ahead log: the durability of the hot tier. An event is acknowledged only after
 * its line is written to the current segment (and fdatasync'ed when `wal_fsync` is on),
 * so it survives `kill -9` (page cache) and, with fsync, power loss. Writes are group
 * committed: while one write is in flight, later events queue and go out together.
 * Segments are rotated at each flush and deleted once their rows are in Parquet.
 */
import { mkdirSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeRow, encodeRow, type StoredRow } from './columns.js';

interface Pending {
  rows: StoredRow[];
  resolve: () => void;
  reject: (err: Error) => void;
}

interface Segment {
  path: string;
  handle: FileHandle | null;
  maxSeq: bigint;
  rows: number;
}

export interface ClosedSegments {
  paths: string[];
  maxSeq: bigint;
  rows: number;
}

export class WriteAheadLog {
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;
  private current!: Segment;
  private closed: Segment[] = [];
  private nextNumber = 1;

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
      const segment: Segment = { path, handle: null, maxSeq: 0n, rows: 0 };
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        if (line.length === 0) continue;
        try {
          const row = decodeRow(line);
          replayed.push(row);
          segment.rows++;
          if (row.seq > segment.maxSeq) segment.maxSeq = row.seq;
        } catch {
          tornLines++;
        }
      }
      wal.closed.push(segment);
      wal.nextNumber = Math.max(wal.nextNumber, Number.parseInt(name, 10) + 1);
    }
    wal.current = await wal.openSegment();
    return { wal, replayed, tornLines };
  }

  /** Resolves once the rows are durable; rejects if the disk refuses them. */
  append(rows: StoredRow[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ rows, resolve, reject });
      if (!this.writing) this.writing = this.pump();
    });
  }

  /** Starts a new segment; the returned ones hold every row acknowledged before the call. */
  async rotate(): Promise<ClosedSegments> {
    const old = this.current;
    this.current = await this.openSegment();
    // A write may still be in flight on the old segment; its rows belong to this flush.
    while (this.inFlight && this.inFlightSegment === old) await this.inFlight;
    await old.handle?.close();
    old.handle = null;
    this.closed.push(old);
    const segments = this.closed;
    return {
      paths: segments.map((s) => s.path),
      maxSeq: segments.reduce((m, s) => (s.maxSeq > m ? s.maxSeq : m), 0n),
      rows: segments.reduce((n, s) => n + s.rows, 0),
    };
  }

  /** Deletes segments whose rows are now in Parquet. */
  release(paths: readonly string[]): void {
    for (const path of paths) unlinkSync(path);
    this.closed = this.closed.filter((s) => !paths.includes(s.path));
  }

  get pendingSegments(): number {
    return this.closed.length;
  }

  async close(): Promise<void> {
    while (this.writing) await this.writing;
    await this.current.handle?.close();
    this.current.handle = null;
  }

  private inFlightSegment: Segment | null = null;
  private inFlight: Promise<void> | null = null;

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      this.inFlightSegment = this.current;
      this.inFlight = this.writeBatch(this.current, batch);
      await this.inFlight;
    }
    this.inFlightSegment = null;
    this.inFlight = null;
    this.writing = null;
  }

  private async writeBatch(segment: Segment, batch: Pending[]): Promise<void> {
    const rows = batch.flatMap((p) => p.rows);
    try {
      if (!segment.handle) throw new Error('log segment closed');
      await segment.handle.write(`${rows.map(encodeRow).join('\n')}\n`);
      if (this.fsync) await segment.handle.datasync();
      for (const row of rows) if (row.seq > segment.maxSeq) segment.maxSeq = row.seq;
      segment.rows += rows.length;
      this.onDurable(rows);
      for (const p of batch) p.resolve();
    } catch (err) {
      for (const p of batch) p.reject(err as Error);
    }
  }

  private async openSegment(): Promise<Segment> {
    const path = join(this.dir, `${String(this.nextNumber++).padStart(10, '0')}.log`);
    const handle = await open(path, 'a');
    return { path, handle, maxSeq: 0n, rows: 0 };
  }
}
