/**
 * For tests: the HttpError a call throws (anything else thrown, or nothing, fails the test).
 */
import { HttpError } from '../../src/http/errors.js';

export function thrownHttpError(f: () => unknown): HttpError {
  try {
    f();
  } catch (e) {
    if (e instanceof HttpError) return e;
    throw e;
  }
  throw new Error('did not throw');
}
