import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    // the demo, seeded once through the import (test/helpers/db.ts copies it for each app)
    globalSetup: ['test/helpers/seed-image.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
