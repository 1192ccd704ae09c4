import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['ts/**/*.test.{ts,tsx}', 'tests/**/*.test.{ts,tsx}'],
    exclude: ['node_modules/**', 'tests/harness/scenarios/**'],
    reporters: ['default', './tests/lib/summary-reporter.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Sweeps PostgreSQL test clusters a dead test file left running.
    globalSetup: ['./tests/support/postgres-global.ts'],
  },
});
