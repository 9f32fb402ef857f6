/**
 * The HTTP server: one Fastify instance, routes registered from routes/, one error
 * handler, the security hooks (security.ts) and a nesting-limited JSON parser. Request
 * logging is off: a request log would carry client IPs.
 */
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { DomainError } from '../errors.js';
import type { Metrics } from '../metrics.js';
import { TrustedProxies } from './client-ip.js';
import { drained } from './drain.js';
import { badRequest, HttpError, httpStatus } from './errors.js';
import { jsonTooDeep, TOO_DEEP_MESSAGE } from './json.js';
import { registerSecurity } from './security.js';

/** Body limit of every route that sets none (ingestion routes have their own, configurable). */
export const MAX_BODY_BYTES = 64 * 1024;

export interface ServerOptions {
  /** Proxies trusted for X-Forwarded-* (client address, scheme, host). */
  trustedProxies?: TrustedProxies;
}

export function createServer(log: Logger, metrics: Metrics, opts: ServerOptions = {}): FastifyInstance {
  const app = Fastify({
    loggerInstance: log as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: MAX_BODY_BYTES,
    trustProxy: false,
    keepAliveTimeout: 65_000,
    routerOptions: { maxParamLength: 200 },
    // Errors Fastify raises before routing (a malformed URL) keep the {"error"} contract
    // and do not echo the URL back.
    frameworkErrors: (_err, _req, reply) => {
      (reply as unknown as FastifyReply).code(400).send({ error: 'malformed URL' });
    },
    clientErrorHandler: (err, socket) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      const tooLarge = code === 'HPE_HEADER_OVERFLOW';
      const body = JSON.stringify({ error: tooLarge ? 'request URL or headers too large' : 'bad request' });
      socket.end(
        `HTTP/1.1 ${tooLarge ? '431 Request Header Fields Too Large' : '400 Bad Request'}\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    },
  });

  registerSecurity(app, { proxies: opts.trustedProxies ?? new TrustedProxies() });

  // Fastify's JSON parser (with its __proto__/constructor poisoning checks) behind a nesting limit.
  const defaultJson = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonTooDeep(body as string)) return done(badRequest(TOO_DEEP_MESSAGE), undefined);
    return defaultJson(req, body as string, done);
  });

  app.addHook('onResponse', async (req, reply) => {
    metrics.http.labels(req.routeOptions.url ?? 'unmatched', String(reply.statusCode)).inc();
  });

  app.setErrorHandler((err: FastifyError | HttpError | Error, req, reply) => {
    if (err instanceof HttpError) {
      return reply.code(err.status).headers(err.headers).send({ error: err.message });
    }
    if (err instanceof DomainError) {
      if (err.kind === 'unavailable') req.log.warn({ err: err.message, route: req.routeOptions.url }, 'request refused');
      if (err.retryAfterSecs !== undefined) reply.header('retry-after', String(err.retryAfterSecs));
      return reply.code(httpStatus(err)).send({ error: err.message });
    }
    const status = (err as FastifyError).statusCode;
    if (status === 413) {
      return drained(req.raw).then(() => reply.code(413).send({ error: 'request body too large' }));
    }
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ error: err.message || 'bad request' });
    }
    req.log.error({ err, route: req.routeOptions.url }, 'request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: 'not found' }));
  return app;
}
