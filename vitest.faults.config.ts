import { defineConfig } from 'vitest/config';

/** `npm run test:faults`: gateways as separate processes under faults; one file at a time. */
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
