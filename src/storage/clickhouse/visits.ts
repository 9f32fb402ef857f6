/**
 * Visits in ClickHouse, drawn when events are read: the rule of sessionize.ts
 * (docs/BEHAVIORAL.md §2) as window functions over the events a query reads. A visit is one
 * identity's (user_key, else visitor_id) events of one UTC day with no pause longer than the
 * timeout; its id is `identity XOR epoch ms of its first event`. Events then never need
 * rewriting when a late one arrives (ClickHouse rewrites only by mutations), and every
 * ingest node may ship in any order.
 *
 * Reading a range draws the visits of the events in it: a visit crossing the range's start
 * gets the id of its first event inside, and has exactly the same events there, so every
 * count over the range is the one the stored visit would give.
 */

/** `events` (a SELECT of stored rows) with `session_id` computed; `timeoutMs` is the server's integer. */
export function withVisits(events: string, timeoutMs: number): string {
  if (!Number.isSafeInteger(timeoutMs)) throw new RangeError('session timeout: not an integer');
  const byIdentityDay = 'PARTITION BY _ident, toDate(timestamp)';
  const ordered = `${byIdentityDay} ORDER BY timestamp, seq ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW`;
  return `(SELECT * EXCEPT (_ident, _ms, _brk, _run),
      bitXor(_ident, toUInt64(min(_ms) OVER (${byIdentityDay}, _run))) AS session_id
    FROM (SELECT *, sum(_brk) OVER (${ordered}) AS _run
      FROM (SELECT *, if(_ms - lagInFrame(_ms, 1, toInt64(0)) OVER (${ordered}) <= ${timeoutMs}, 0, 1) AS _brk
        FROM (SELECT * EXCEPT (session_id), coalesce(user_key, visitor_id) AS _ident,
            toUnixTimestamp64Milli(timestamp) AS _ms FROM (${events})))))`;
}
