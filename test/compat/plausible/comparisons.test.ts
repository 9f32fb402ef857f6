/** Plausible's `query_comparisons_test.exs`, ported (cases/comparisons.ts), replayed through our public API. */
import { CASES } from './cases/comparisons.js';
import { describePorted } from './runner.js';

describePorted('query_comparisons_test.exs', 'compare', CASES);
