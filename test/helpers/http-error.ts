/**
 * For tests: the DomainError a call throws (anything else thrown, or nothing, fails the test).
 */
import { DomainError } from '../../src/errors.js';

export function thrownDomainError(f: () => unknown): DomainError {
  try {
    f();
  } catch (e) {
    if (e instanceof DomainError) return e;
    throw e;
  }
  throw new Error('did not throw');
}
