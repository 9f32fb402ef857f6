/**
 * Reading the rest of a refused request body. A body over the limit is refused before it is
 * read, and the connection then closes (Fastify marks it `Connection: close`). Closing a
 * socket with bytes still arriving makes the kernel reset it, and a client that writes its
 * whole body before reading the answer — most simple clients — then gets EPIPE or
 * ECONNRESET instead of the 413. So the rest is read and dropped first, within bounds: a
 * client cannot hold the server with an endless body.
 */
import type { IncomingMessage } from 'node:http';

/** The most of a refused body read and dropped, and for how long, before the answer goes anyway. */
export const DRAIN_MAX_BYTES = 64 * 1_048_576;
export const DRAIN_MAX_MS = 10_000;

/** Resolves once the request's body has all arrived, or a bound is reached, or the client left. */
export function drained(req: IncomingMessage): Promise<void> {
  if (req.complete || req.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    let bytes = 0;
    const done = () => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', done);
      req.off('error', done);
      req.off('close', done);
      resolve();
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > DRAIN_MAX_BYTES) done();
    };
    const timer = setTimeout(done, DRAIN_MAX_MS);
    req.on('data', onData);
    req.once('end', done);
    req.once('error', done);
    req.once('close', done);
    req.resume();
  });
}
