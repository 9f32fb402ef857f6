/** Plausible's `query_time_on_page_test.exs`, ported (cases/time-on-page.ts), replayed through our public API. */
import { CASES } from './cases/time-on-page.js';
import { describePorted } from './runner.js';

describePorted('query_time_on_page_test.exs', 'top', CASES);
