import { defineConfig } from 'vitest/config';

/**
 * The integration suites that run a second time with every server on ClickHouse
 * (test/helpers/backends.ts): the same files and expected numbers as on DuckDB.
 * docs/CLICKHOUSE.md lists what is not ported yet.
 */
const ON_CLICKHOUSE = [
  'test/integration/stats.test.ts',
  'test/integration/compare.test.ts',
  'test/integration/filters.test.ts',
  'test/integration/behavioral-filters.test.ts',
  'test/integration/query-v2.test.ts',
  'test/integration/property-keys.test.ts',
  'test/integration/durability.test.ts',
  'test/integration/crash-points.test.ts',
  'test/integration/bad-input.test.ts',
  'test/integration/hardening.test.ts',
  'test/integration/ingest-guards.test.ts',
  'test/integration/export.test.ts',
  'test/integration/behavioral.test.ts',
  'test/integration/timezone.test.ts',
  'test/integration/security.test.ts',
  'test/integration/sites.test.ts',
  'test/integration/import-upload.test.ts',
  'test/integration/goals.test.ts',
  'test/integration/segments.test.ts',
  'test/integration/fuzz.test.ts',
  'test/integration/privacy.test.ts',
  'test/integration/import.test.ts',
  'test/integration/import-umami.test.ts',
  'test/integration/import-plausible.test.ts',
  'test/integration/rollups.test.ts',
  'test/integration/rollup-equivalence.test.ts',
  'test/integration/demo.test.ts',
  'test/integration/disk-full.test.ts',
  'test/integration/realtime.test.ts',
  'test/integration/engagement.test.ts',
  'test/integration/page-rows.test.ts',
  'test/integration/unregistered-sites.test.ts',
  'test/browser/dashboard.test.ts',
  'test/browser/dashboard-compare.test.ts',
  'test/browser/tracker.test.ts',
  'test/browser/dashboard-settings.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a state to appear (a browser rendering, a flush landing); its
    // default second is shorter than a busy 2-core machine running the suite in parallel
    // needs. It bounds a wait, it is not a speed assertion.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
    projects: [
      { extends: true, test: { name: 'duckdb', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'clickhouse', include: ON_CLICKHOUSE, env: { MALLARD_TEST_STORAGE: 'clickhouse' } },
      },
    ],
  },
});
