/** Plausible's `query_goal_dimension_test.exs`, ported (cases/goal-dimension.ts), replayed through our public API. */
import { CASES } from './cases/goal-dimension.js';
import { describePorted } from './runner.js';

describePorted('query_goal_dimension_test.exs', 'goal-dim', CASES);
