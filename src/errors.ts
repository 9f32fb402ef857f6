/**
 * Domain errors: what query, ingest and sites code throws when a request cannot be served
 * as asked. They say what went wrong, not how to answer it; `http/` maps each kind to a
 * status code (http/errors.ts), so a second front end could map them its own way.
 */
export type ErrorKind = 'invalid' | 'not_found' | 'conflict' | 'gone' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** For `unavailable`: when trying again makes sense, in seconds. */
    readonly retryAfterSecs?: number,
    /** What the engine said, for the log: the message is for the client. */
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** Start-up cannot go on; the message says what happened and what to do, in one line. */
export class StartupError extends Error {}

/** The input (a parameter, a body field, a filter) is malformed or out of range. */
export const invalidInput = (m: string) => new DomainError('invalid', m);
export const notFound = (m = 'not found') => new DomainError('not_found', m);
/** The request contradicts what is stored (e.g. a name already taken). */
export const conflict = (m: string) => new DomainError('conflict', m);
/** The thing existed but can no longer be used (an invitation used or expired). */
export const gone = (m: string) => new DomainError('gone', m);
/** The engine cannot serve the request now (e.g. a query over its memory limit); trying later or narrower may work. */
export const unavailable = (m: string, retryAfterSecs?: number, cause?: unknown) =>
  new DomainError('unavailable', m, retryAfterSecs, cause);
