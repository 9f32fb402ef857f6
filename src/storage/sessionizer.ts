/**
 * Visits of live traffic, in memory: identity → the visit it is in, by the rule of
 * docs/BEHAVIORAL.md §2 (a run of one identity's events with no gap longer than the timeout,
 * within one UTC day; id `identity XOR epoch ms of its first event`). Engine-neutral: each
 * store gives ingest one, and redraws visits on its own terms (DuckDB at the flush,
 * duckdb/sessionize.ts; ClickHouse at read time, clickhouse/visits.ts).
 */
import { DAY_MS } from '../utc-days.js';

const sameUtcDay = (a: number, b: number) => Math.floor(a / DAY_MS) === Math.floor(b / DAY_MS);

/** The same rule for live traffic, in memory: identity → the visit it is in. */
export class Sessionizer {
  private visits = new Map<bigint, { start: number; last: number; id: bigint; touched: number }>();

  constructor(private readonly timeoutMs: number) {}

  assign(identity: bigint, at: number, now = Date.now()): bigint {
    const v = this.visits.get(identity);
    // Visits are computed per UTC day on disk (a day is one partition), so they end at midnight here too.
    if (v && at <= v.last + this.timeoutMs && at >= v.start - this.timeoutMs && sameUtcDay(at, v.start)) {
      // An earlier event within the window joins the visit under its current id; the flush renumbers if needed.
      if (at > v.last) v.last = at;
      if (at < v.start) v.start = at;
      v.touched = now;
      return v.id;
    }
    const id = identity ^ BigInt(at);
    if (!v || at > v.last) this.visits.set(identity, { start: at, last: at, id, touched: now });
    return id;
  }

  /**
   * The visit an event at `at` would join, without joining it: an engagement row belongs to
   * the visit it reports on but never starts or extends one. Outside any visit, the id a visit
   * starting there would have.
   */
  peek(identity: bigint, at: number): bigint {
    const v = this.visits.get(identity);
    if (v && at <= v.last + this.timeoutMs && at >= v.start - this.timeoutMs && sameUtcDay(at, v.start)) return v.id;
    return identity ^ BigInt(at);
  }

  /**
   * An empty sessionizer with the same timeout, for the rows of one batch: their visits are
   * recomputed at the flush anyway (with the identities' rows on disk), so they need ids that
   * agree within the batch, not a place in this one's memory (a batch import over 30 days
   * left one entry per identity and day here for half an hour: ~100 MB at 400k events).
   */
  forBatch(): Sessionizer {
    return new Sessionizer(this.timeoutMs);
  }

  /** Restores a visit seen before a restart. */
  remember(identity: bigint, start: number, last: number, id: bigint, now = Date.now()): void {
    this.visits.set(identity, { start, last, id, touched: now });
  }

  /** Forgets visits untouched for longer than the timeout (plus slack), bounding memory. */
  sweep(now = Date.now()): void {
    for (const [k, v] of this.visits) if (now - v.touched > this.timeoutMs + 60_000) this.visits.delete(k);
  }

  get size(): number {
    return this.visits.size;
  }
}
