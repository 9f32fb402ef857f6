/**
 * Typed HTTP errors, thrown by the web layer and turned into `{"error": ...}` by one
 * handler, which also maps the domain's errors (src/errors.ts) to their status codes.
 * Unknown errors become a 500 with no internals in the body; they are logged instead.
 */
import type { DomainError, ErrorKind } from '../errors.js';

const STATUS: Record<ErrorKind, number> = { invalid: 400, not_found: 404, conflict: 409, gone: 410, unavailable: 503 };

/** The status code answering a domain error. */
export const httpStatus = (err: DomainError): number => STATUS[err.kind];
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (m: string) => new HttpError(400, m);
export const unauthorized = (m = 'not signed in') => new HttpError(401, m);
export const forbidden = (m = 'forbidden') => new HttpError(403, m);
export const notFound = (m = 'not found') => new HttpError(404, m);
export const conflict = (m: string) => new HttpError(409, m);
