/** Plausible's `query_timezone_test.exs`, ported (cases/timezone.ts), replayed through our public API. */
import { CASES } from './cases/timezone.js';
import { describePorted } from './runner.js';

describePorted('query_timezone_test.exs', 'tz', CASES);
