import { defineConfig } from 'vitest/config';

// The fault-injection suite (`make chaos`): each case starts its own Driftless process (and, where
// the fault needs it, its own Redis or a TCP proxy in front of a part). Files run one at a time,
// so a fault in one case never slows another.
export default defineConfig({
  test: {
    include: ['test/chaos/**/*.test.ts'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    reporters: ['default'],
  },
});
