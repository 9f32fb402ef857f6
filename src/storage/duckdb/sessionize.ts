/**
 * Session assignment in SQL, used whenever rows are written to Parquet. A visit is a run
 * of one identity's events (user_key, else visitor_id) with no gap longer than the
 * timeout (a gap of exactly the timeout continues it; docs/BEHAVIORAL.md §2). Its id is
 * `identity XOR epoch_ms(first event)`: deterministic, so the ingest-time assignment of
 * in-order traffic and this recomputation agree, and only out-of-order arrivals change ids.
 */

import { DAY_MS } from '../../utc-days.js';

/**
 * SELECT over `source` returning its columns with session_id recomputed. `timeoutMs` is
 * an integer the server chose (config), not client input. `within` names columns of
 * `source` that separate visits further (a flush of many partitions: site and day).
 */
export function sessionizedSql(source: string, timeoutMs: number, within: readonly string[] = []): string {
  if (!Number.isSafeInteger(timeoutMs)) throw new RangeError('session timeout: not an integer');
  const by = [...within, '_ident'].join(', ');
  return `WITH s AS (SELECT *, coalesce(user_key, visitor_id) AS _ident FROM ${source}),
g AS (SELECT *, CASE WHEN epoch_ms(timestamp) - epoch_ms(lag(timestamp) OVER (PARTITION BY ${by} ORDER BY timestamp)) <= ${timeoutMs}
                     THEN 0 ELSE 1 END AS _brk FROM s),
n AS (SELECT *, sum(_brk) OVER (PARTITION BY ${by} ORDER BY timestamp ROWS UNBOUNDED PRECEDING) AS _sn FROM g)
SELECT * EXCLUDE (_ident, _brk, _sn, session_id),
       session_id AS _old_session_id,
       xor(_ident, epoch_ms(min(timestamp) OVER (PARTITION BY ${by}, _sn))::UBIGINT) AS session_id
FROM n`;
}

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
