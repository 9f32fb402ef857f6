/**
 * Typed HTTP errors, thrown anywhere and turned into `{"error": ...}` by one handler.
 * Unknown errors become a 500 with no internals in the body; they are logged instead.
 */
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
