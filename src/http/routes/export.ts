/**
 * GET /api/stats/export: daily aggregates (default) or raw events (`kind=events`) of one
 * site and period, with the filters and `segment` of every stats route, as CSV, JSON (raw
 * events: NDJSON) or Parquet, as a download.
 *
 * Raw events are never held whole in memory: CSV/NDJSON are written chunk by chunk from
 * DuckDB's streaming result under the store's read lock, waiting for the client to take
 * each piece (backpressure), and Parquet is written by DuckDB to a private temp file that
 * is streamed and then deleted (also when the client goes away). Because a streaming export
 * holds the read lock — and with it any flush — a client that stops reading for
 * STALL_MS is cut off, and only MAX_STREAMING exports run at once (429 beyond).
 * Everything that can fail on the caller's input is checked before the first byte, so bad
 * input is a 400 naming the parameter; a fault after the headers ends the response early.
 */
import { createReadStream } from 'node:fs';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Metrics } from '../../metrics.js';
import {
  AGGREGATE_COLUMNS,
  aggregateCsvRow,
  aggregatesCsvHeader,
  aggregatesSelect,
  checkFilterPatterns,
  contentType,
  csvRow,
  dailyAggregates,
  EVENT_COLUMN_NAMES,
  EXPORT_FORMATS,
  EXPORT_KINDS,
  type ExportFormat,
  type ExportKind,
  eventsCsv,
  eventsNdjson,
  eventsSelect,
  exportFileName,
  requireEventLevelFilters,
} from '../../query/export.js';
import type { Goal } from '../../query/goals.js';
import { type Period, resolveSitePeriod } from '../../query/period.js';
import type { SegmentLookup } from '../../query/request-filters.js';
import { render, type Sql } from '../../query/sql.js';
import { type Scope, withAllResolved } from '../../query/stats.js';
import type { EventStore } from '../../storage/storage.js';
import { DAY_MS } from '../../utc-days.js';
import type { AuthGuard } from '../auth-guard.js';
import { badRequest, HttpError } from '../errors.js';
import { siteParam, statsFilters } from './stats.js';

type Query = Record<string, string | undefined>;

export interface ExportRouteDeps {
  store: EventStore;
  guard: AuthGuard;
  metrics: Metrics;
  /** Where Parquet files are written before they are sent (default: the OS temp dir). */
  tmpDir?: string;
  /** The site's IANA time zone (null = UTC): periods and time buckets follow its clock. */
  timezoneOf?: (siteId: string) => string | null;
  /** The site's configured goals, for `event:goal` filters. */
  goalsOf?: (siteId: string) => readonly Goal[];
  /** The sites' saved segments, for `segment=<id>`. */
  segments: SegmentLookup;
}

/** Daily aggregates cover at most this many days (as the timeseries caps its buckets). */
const MAX_DAYS = 5000;
/** Raw-event exports running at once; each holds a pooled DuckDB connection and the read lock. */
const MAX_STREAMING = 2;
/** A client that takes nothing for this long is disconnected, releasing the lock. */
const STALL_MS = 30_000;
const HIGH_WATER = 256 * 1024;

/** The client went away (or stalled) mid-export: stop quietly. */
class ClientGone extends Error {}

function oneOf<T extends string>(value: string | undefined, allowed: readonly T[], def: T, param: string): T {
  if (value === undefined) return def;
  if (!(allowed as readonly string[]).includes(value)) throw badRequest(`${param}: must be one of ${allowed.join(', ')}`);
  return value as T;
}

/**
 * The response body for a streamed export: the producer awaits `write`, which resolves once
 * the piece is buffered below the high-water mark, and throws ClientGone once the response
 * is gone or the client has not read for STALL_MS.
 */
class Sink {
  readonly out = new PassThrough({ highWaterMark: HIGH_WATER });
  private signal: () => void = () => undefined;
  /** Resolves at the first write: the query has produced its first chunk. */
  readonly started = new Promise<void>((resolve) => {
    this.signal = resolve;
  });

  async write(text: string): Promise<void> {
    this.signal();
    if (this.out.destroyed) throw new ClientGone();
    if (this.out.write(text)) return;
    await new Promise<void>((resolve, reject) => {
      const finish = (err?: Error) => {
        clearTimeout(timer);
        this.out.off('drain', onDrain);
        this.out.off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => finish();
      const onClose = () => finish(new ClientGone());
      const timer = setTimeout(() => {
        finish(new ClientGone());
        this.out.destroy();
      }, STALL_MS);
      this.out.on('drain', onDrain);
      this.out.on('close', onClose);
    });
  }
}

export async function exportRoutes(app: FastifyInstance, deps: ExportRouteDeps): Promise<void> {
  const tmpRoot = deps.tmpDir ?? tmpdir();
  let streaming = 0;

  /** Takes one of the MAX_STREAMING slots; the returned function gives it back (once). */
  const takeSlot = (): (() => void) => {
    if (streaming >= MAX_STREAMING) {
      throw new HttpError(429, `too many raw-event exports running (at most ${MAX_STREAMING}); try again shortly`, {
        'retry-after': '5',
      });
    }
    streaming++;
    let held = true;
    return () => {
      if (held) streaming--;
      held = false;
    };
  };

  /** The download headers; the file name is made from the validated site id and resolved period only. */
  const download = (reply: FastifyReply, format: ExportFormat, kind: ExportKind, scope: Scope) =>
    reply
      .header('content-type', contentType(format, kind))
      .header('content-disposition', `attachment; filename="${exportFileName(scope.siteId, scope.period, kind, format)}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff');

  /**
   * Writes `select` (built over the events relation) to a Parquet file in a fresh 0700 temp
   * dir under the read lock, and returns a stream of it that deletes the dir when it closes
   * (end, error, or client abort).
   */
  const parquetFile = async (req: FastifyRequest, scope: Scope, select: (events: string) => Sql) => {
    const dir = await mkdtemp(join(tmpRoot, 'mallard-export-'));
    const cleanup = () =>
      rm(dir, { recursive: true, force: true }).catch((err) => req.log.error({ err }, 'export: temp dir not removed'));
    try {
      await chmod(dir, 0o700);
      const file = join(dir, 'export.parquet');
      await deps.store.read(async (r) => {
        const { text, params } = render(select(r.eventsFor(scope.siteId, scope.period.from, scope.period.to)), r.dialect);
        await r.writeParquet(text, params, file);
      });
      const { size } = await stat(file);
      const stream = createReadStream(file);
      stream.once('close', () => void cleanup());
      return { stream, size };
    } catch (err) {
      await cleanup();
      throw err;
    }
  };

  /** Streams raw events as CSV or NDJSON; resolves once the first piece (or the whole, empty answer) is ready. */
  const streamEvents = async (req: FastifyRequest, format: 'csv' | 'json', scope: Scope, release: () => void) => {
    const sink = new Sink();
    const encode = format === 'csv' ? eventsCsv : eventsNdjson;
    const end = deps.metrics.querySeconds.startTimer({ endpoint: 'export' });
    const produce = async () => {
      let pending = format === 'csv' ? csvRow(EVENT_COLUMN_NAMES) : '';
      await deps.store.stream(
        (r) => render(eventsSelect(r.eventsFor(scope.siteId, scope.period.from, scope.period.to), scope, 'text'), r.dialect),
        async (rows) => {
          const text = pending + encode(rows);
          pending = '';
          await sink.write(text);
        },
      );
      if (pending !== '') await sink.write(pending);
    };
    const done = produce().finally(() => {
      end();
      release();
    });
    await Promise.race([sink.started, done]);
    done.then(
      () => sink.out.end(),
      (err) => {
        if (!(err instanceof ClientGone)) req.log.error({ err }, 'export failed mid-stream');
        sink.out.destroy();
      },
    );
    return sink.out;
  };

  app.get('/api/stats/export', async (req, reply) => {
    const q = req.query as Query;
    const siteId = siteParam(q);
    await deps.guard.require(req, 'read', siteId);
    for (const [k, v] of Object.entries(q)) if (typeof v !== 'string') throw badRequest(`${k}: given more than once`);
    const format = oneOf(q.format, EXPORT_FORMATS, 'csv', 'format');
    const kind = oneOf(q.kind, EXPORT_KINDS, 'aggregates', 'kind');
    const check = kind === 'events' ? requireEventLevelFilters : undefined;
    const { filters } = await statsFilters(deps, siteId, q, check);
    let period: Period = resolveSitePeriod(q, deps.timezoneOf?.(siteId));
    if (period.name === 'all') period = await deps.store.read((r) => withAllResolved(r, siteId, period));

    if (kind === 'aggregates') {
      const rows = await deps.store.read(async (r) => {
        if ((period.to.getTime() - period.from.getTime()) / DAY_MS > MAX_DAYS) {
          throw badRequest(
            `${period.name === 'custom' ? 'start_date' : 'period'}: daily aggregates cover at most ${MAX_DAYS} days`,
          );
        }
        const end = deps.metrics.querySeconds.startTimer({ endpoint: 'export' });
        try {
          return await dailyAggregates(r, { siteId, period, filters });
        } finally {
          end();
        }
      });
      const scope: Scope = { siteId, period, filters };
      if (format === 'parquet') {
        const { stream, size } = await parquetFile(req, scope, () => aggregatesSelect(rows));
        return download(reply, format, kind, scope).header('content-length', String(size)).send(stream);
      }
      const body =
        format === 'csv'
          ? aggregatesCsvHeader() + rows.map(aggregateCsvRow).join('')
          : JSON.stringify(rows, [...AGGREGATE_COLUMNS]);
      return download(reply, format, kind, scope).send(body);
    }

    // Raw events.
    await deps.store.read(async (r) => {
      await checkFilterPatterns(r, filters);
    });
    const scope: Scope = { siteId, period, filters };
    exportFileName(siteId, period, kind, format); // a server fault here must come before the export starts
    const release = takeSlot();
    if (format === 'parquet') {
      let body: { stream: Readable; size: number };
      const end = deps.metrics.querySeconds.startTimer({ endpoint: 'export' });
      try {
        body = await parquetFile(req, scope, (events) => eventsSelect(events, scope, 'native'));
      } finally {
        end();
        release(); // the file is written: no connection or lock is held while it is sent
      }
      return download(reply, format, kind, scope).header('content-length', String(body.size)).send(body.stream);
    }
    const out = await streamEvents(req, format, scope, release);
    return download(reply, format, kind, scope).send(out);
  });
}
