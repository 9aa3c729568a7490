import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite runs apart: `npm run test:faults` (vitest.faults.config.ts).
    exclude: ['test/faults/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start their own redis-server (and later Dovecot) per file; two
    // cores do not gain from more parallel files than that.
    maxWorkers: 2,
  },
});
