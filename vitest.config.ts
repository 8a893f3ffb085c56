import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // the demo, seeded once through the import for the whole run
    globalSetup: ['test/helpers/seed-image.ts'],
    testTimeout: 20_000,
  },
});
