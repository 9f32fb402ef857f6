/** Plausible's `query_imported_test.exs`, ported (cases/imported.ts), replayed through our public API with its imported rows uploaded as an export. */
import { CASES } from './cases/imported.js';
import { describePorted } from './runner.js';

describePorted('query_imported_test.exs', 'imported', CASES);
