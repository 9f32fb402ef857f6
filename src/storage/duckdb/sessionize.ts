/**
 * Session assignment in SQL, used whenever rows are written to Parquet (the same rule as
 * storage/sessionizer.ts applies to live traffic in memory). A visit is a run
 * of one identity's events (user_key, else visitor_id) with no gap longer than the
 * timeout (a gap of exactly the timeout continues it; docs/BEHAVIORAL.md §2). Its id is
 * `identity XOR epoch_ms(first event)`: deterministic, so the ingest-time assignment of
 * in-order traffic and this recomputation agree, and only out-of-order arrivals change ids.
 */

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
