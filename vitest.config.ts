import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // the fault-injection suite runs on its own: `make chaos` (vitest.chaos.config.ts)
    exclude: ['test/chaos/**', '**/node_modules/**'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one API server and one Redis; files run in parallel forks but
    // each uses its own namespaces, queue prefixes and repositories.
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2 } },
    reporters: ['default'],
  },
});
