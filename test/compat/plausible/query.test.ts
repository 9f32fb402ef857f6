/**
 * Plausible's `query_test.exs` (Stats API v2), replayed through our API: the cases are in
 * cases/query.ts, the runner in runner.ts.
 */
import { QUERY_CASES } from './cases/query.js';
import { describePorted } from './runner.js';

describePorted('plausible query_test.exs', 'query', QUERY_CASES);
