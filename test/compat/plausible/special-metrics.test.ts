/** Plausible's `query_special_metrics_test.exs`, ported (cases/special-metrics.ts), replayed through our public API. */
import { CASES } from './cases/special-metrics.js';
import { describePorted } from './runner.js';

describePorted('query_special_metrics_test.exs', 'special', CASES);
