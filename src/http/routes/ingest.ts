/**
 * POST /api/event (browsers, Plausible-compatible, CORS *) and POST /api/events
 * (server-side batches with an `ingest` key). Both answer only after the events are
 * durable in the write-ahead log. Before the pipeline, the guards run: per-IP and
 * per-site rate limits (429 + Retry-After), the site's allowed origins (403) and, for
 * batches, the site's signature (401) and replay check (409).
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Drop } from '../../ingest/event.js';
import { IngestGuards, RateLimited, type SiteLookup } from '../../ingest/guards/guards.js';
import { SIGNATURE_HEADER } from '../../ingest/guards/signature.js';
import { type Origin, type PipelineDeps, processEvent } from '../../ingest/pipeline.js';
import { parseBody, type ValidatedEvent, ValidationError, validateEvent } from '../../ingest/validate.js';
import type { Metrics } from '../../metrics.js';
import type { StoredRow } from '../../storage/columns.js';
import type { EventStore } from '../../storage/storage.js';
import type { AuthGuard } from '../auth-guard.js';
import { badRequest, conflict, HttpError, unauthorized } from '../errors.js';

export const MAX_BATCH_EVENTS = 10_000;

/**
 * A batch is validated and enriched this many events at a time, with a turn of the event
 * loop in between: a batch of 10,000 at once held the loop for ~0.4 s, and every statement
 * of a flush (and every single event) waited for it.
 */
const SLICE_EVENTS = 500;

export interface IngestRouteDeps {
  pipeline: PipelineDeps & { metrics: Metrics };
  store: EventStore;
  guard: AuthGuard;
  clientIp: (req: FastifyRequest) => string;
  maxBodyBytes: number;
  maxBatchBytes: number;
  /** Per-site rules (origins, rate limit, signing secret); an unknown site has none. */
  sites: SiteLookup;
  /** Events per second per client IP on POST /api/event (burst twice that); 0 = off. */
  ipRateLimit: number;
}

const STATUS_FOR_DROP: Partial<Record<Drop['reason'], number>> = {
  unknown_site: 403,
  invalid: 400,
  forbidden_origin: 403,
  rate_limited: 429,
};

/** The HTTP error for a drop that is refused rather than silently accepted. */
function refusal(drop: Drop): HttpError {
  const headers: Record<string, string> = drop instanceof RateLimited ? { 'retry-after': String(drop.retryAfter) } : {};
  return new HttpError(STATUS_FOR_DROP[drop.reason] ?? 400, drop.message, headers);
}

export async function ingestRoutes(app: FastifyInstance, deps: IngestRouteDeps): Promise<void> {
  // Both JSON and text/plain (sendBeacon) bodies arrive as text; parsing is ours, so a
  // malformed body is a 400 from the validator, never a framework error page.
  // Bodies are kept as the bytes received: a batch signature is over exactly those.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  const guards = new IngestGuards({ sites: deps.sites, ipRateLimit: deps.ipRateLimit });
  const refuse = (drop: Drop | undefined) => {
    if (!drop) return;
    deps.pipeline.metrics.drop(drop.reason);
    throw refusal(drop);
  };

  const cors = (reply: FastifyReply) =>
    reply
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type');

  app.options('/api/event', async (_req, reply) => cors(reply).code(204).send());

  app.post('/api/event', { bodyLimit: deps.maxBodyBytes }, async (req, reply) => {
    cors(reply);
    const ip = deps.clientIp(req);
    refuse(guards.clientIp(ip));
    let event: ValidatedEvent;
    try {
      const [input] = parseBody(rawBody(req).toString('utf8'), false);
      event = validateEvent(input, { batch: false });
    } catch (err) {
      if (err instanceof ValidationError) deps.pipeline.metrics.drop(err.reason);
      throw err;
    }
    refuse(guards.origin(event.siteIds, req.headers.origin));
    refuse(guards.siteRate(event.siteIds));
    const origin: Origin = { ip, userAgent: req.headers['user-agent'] ?? '' };
    const result = processEvent(event, origin, deps.pipeline);
    if (result instanceof Drop) {
      if (STATUS_FOR_DROP[result.reason]) throw refusal(result);
      return reply.code(202).send(); // bots: accepted and discarded, as Plausible does
    }
    await deps.store.append(result, { live: true });
    deps.pipeline.metrics.ingested.inc(result.length);
    return reply.code(202).send();
  });

  app.post('/api/events', { bodyLimit: deps.maxBatchBytes }, async (req, reply) => {
    const caller = await deps.guard.require(req, 'ingest');
    const body = rawBody(req);
    const inputs = parseBody(body.toString('utf8'), true);
    if (!Array.isArray(inputs)) throw badRequest('body: expected a JSON array or NDJSON');
    if (inputs.length > MAX_BATCH_EVENTS) throw new HttpError(413, `body: more than ${MAX_BATCH_EVENTS} events`);
    const events: (ValidatedEvent | ValidationError)[] = [];
    for (const [index, input] of inputs.entries()) {
      if (index > 0 && index % SLICE_EVENTS === 0) await nextTurn();
      try {
        events.push(validateEvent(input, { batch: true }));
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        events.push(err);
      }
    }

    // Every site with a secret that the batch writes to must have signed it; nothing of
    // the batch is looked at further before that.
    const sites = new Set(events.flatMap((e) => (e instanceof ValidationError ? [] : e.siteIds)));
    const verdict = guards.signature(sites, req.headers[SIGNATURE_HEADER], body);
    if (verdict && !verdict.ok) throw unauthorized(verdict.error);
    if (verdict && !guards.seen.claim(verdict.key)) throw conflict('this signed batch was already accepted');
    try {
      const origin: Origin = { ip: deps.clientIp(req), userAgent: '', batch: true };
      const rows: StoredRow[] = [];
      const errors: { index: number; error: string }[] = [];
      const limited: RateLimited[] = [];
      const now = Date.now();
      const pipeline = { ...deps.pipeline, sessions: deps.pipeline.sessions.forBatch() };
      for (const [index, event] of events.entries()) {
        if (index > 0 && index % SLICE_EVENTS === 0) await nextTurn();
        if (event instanceof ValidationError) {
          deps.pipeline.metrics.drop(event.reason);
          errors.push({ index, error: event.message });
          continue;
        }
        const denied = event.siteIds.find((s) => !deps.guard.allows(caller, 'ingest', s));
        if (denied) {
          errors.push({ index, error: `d: this API key may not write to ${denied}` });
          continue;
        }
        const over = guards.siteRate(event.siteIds, now);
        if (over) {
          deps.pipeline.metrics.drop(over.reason);
          limited.push(over);
          errors.push({ index, error: over.message });
          continue;
        }
        const result = processEvent(event, origin, pipeline, now);
        if (result instanceof Drop) errors.push({ index, error: result.message });
        else rows.push(...result);
      }
      const first = limited[0];
      if (first && limited.length === inputs.length) {
        const retryAfter = Math.max(...limited.map((l) => l.retryAfter));
        throw refusal(new RateLimited(first.message, retryAfter));
      }
      if (rows.length > 0) await deps.store.append(rows);
      deps.pipeline.metrics.ingested.inc(rows.length);
      return reply.code(200).send({ accepted: inputs.length - errors.length, rejected: errors.length, errors });
    } catch (err) {
      if (verdict) guards.seen.release(verdict.key);
      throw err;
    }
  });
}

/** The request body as received (decoded as UTF-8 by the caller, as before). */
function rawBody(req: FastifyRequest): Buffer {
  if (!Buffer.isBuffer(req.body)) throw badRequest('body: required');
  return req.body;
}
