import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for a state to appear (a browser rendering, a flush landing); its
    // default second is shorter than a busy 2-core machine running the suite in parallel
    // needs. It bounds a wait, it is not a speed assertion.
    expect: { poll: { timeout: 10_000 } },
    pool: 'forks',
  },
});
