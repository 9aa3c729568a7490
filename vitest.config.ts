import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start their own redis-server (and later Dovecot) per file; two
    // cores do not gain from more parallel files than that.
    maxWorkers: 2,
  },
});
