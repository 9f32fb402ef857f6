/**
 * POST /api/event (browsers, Plausible-compatible, CORS *) and POST /api/events
 * (server-side batches with an `ingest` key). Both answer only after the events are
 * durable in the write-ahead log.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Drop } from '../../ingest/event.js';
import { type Origin, type PipelineDeps, processEvent } from '../../ingest/pipeline.js';
import { parseBody, type ValidatedEvent, ValidationError, validateEvent } from '../../ingest/validate.js';
import type { StoredRow } from '../../storage/columns.js';
import type { EventStore } from '../../storage/storage.js';
import { type AuthGuard, siteAllowed } from '../auth-guard.js';
import { badRequest, forbidden, HttpError } from '../errors.js';

export const MAX_BATCH_EVENTS = 10_000;

export interface IngestRouteDeps {
  pipeline: PipelineDeps;
  store: EventStore;
  guard: AuthGuard;
  clientIp: (req: FastifyRequest) => string;
  maxBodyBytes: number;
  maxBatchBytes: number;
}

const STATUS_FOR_DROP: Partial<Record<Drop['reason'], number>> = { unknown_site: 403, invalid: 400, forbidden_origin: 403 };

export async function ingestRoutes(app: FastifyInstance, deps: IngestRouteDeps): Promise<void> {
  // Both JSON and text/plain (sendBeacon) bodies arrive as text; parsing is ours, so a
  // malformed body is a 400 from the validator, never a framework error page.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => done(null, body));

  const cors = (reply: FastifyReply) =>
    reply
      .header('access-control-allow-origin', '*')
      .header('access-control-allow-methods', 'POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type');

  app.options('/api/event', async (_req, reply) => cors(reply).code(204).send());

  app.post('/api/event', { bodyLimit: deps.maxBodyBytes }, async (req, reply) => {
    cors(reply);
    let event: ValidatedEvent;
    try {
      const [input] = parseBody(bodyText(req), false);
      event = validateEvent(input, { batch: false });
    } catch (err) {
      if (err instanceof ValidationError) deps.pipeline.metrics.drop(err.reason);
      throw err;
    }
    const origin: Origin = { ip: deps.clientIp(req), userAgent: req.headers['user-agent'] ?? '' };
    const result = processEvent(event, origin, deps.pipeline);
    if (result instanceof Drop) {
      const status = STATUS_FOR_DROP[result.reason];
      if (status) throw new HttpError(status, result.message);
      return reply.code(202).send(); // bots: accepted and discarded, as Plausible does
    }
    await deps.store.append(result, { live: true });
    deps.pipeline.metrics.ingested.inc(result.length);
    return reply.code(202).send();
  });

  app.post('/api/events', { bodyLimit: deps.maxBatchBytes }, async (req, reply) => {
    const caller = await deps.guard.require(req, 'ingest');
    const inputs = parseBody(bodyText(req), true);
    if (!Array.isArray(inputs)) throw badRequest('body: expected a JSON array or NDJSON');
    if (inputs.length > MAX_BATCH_EVENTS) throw new HttpError(413, `body: more than ${MAX_BATCH_EVENTS} events`);
    const origin: Origin = { ip: deps.clientIp(req), userAgent: '', batch: true };
    const rows: StoredRow[] = [];
    const errors: { index: number; error: string }[] = [];
    inputs.forEach((input, index) => {
      try {
        const event = validateEvent(input, { batch: true });
        const denied = event.siteIds.find((s) => !siteAllowed(caller, s));
        if (denied) throw forbidden(`d: this API key may not write to ${denied}`);
        const result = processEvent(event, origin, deps.pipeline);
        if (result instanceof Drop) errors.push({ index, error: result.message });
        else rows.push(...result);
      } catch (err) {
        if (!(err instanceof ValidationError || err instanceof HttpError)) throw err;
        if (err instanceof ValidationError) deps.pipeline.metrics.drop(err.reason);
        errors.push({ index, error: err.message });
      }
    });
    if (rows.length > 0) await deps.store.append(rows);
    deps.pipeline.metrics.ingested.inc(rows.length);
    return reply.code(200).send({ accepted: inputs.length - errors.length, rejected: errors.length, errors });
  });
}

function bodyText(req: FastifyRequest): string {
  if (typeof req.body !== 'string') throw badRequest('body: required');
  return req.body;
}
