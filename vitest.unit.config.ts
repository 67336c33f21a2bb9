import { defineConfig } from 'vitest/config';

// Unit tests only: pure code, no Redis, API server or git server, so no global setup.
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
    reporters: ['default'],
  },
});
