import os from 'node:os';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    // one worker per core (the default leaves one idle: on two cores the suite then runs one file at a time)
    maxWorkers: os.availableParallelism(),
    // Test files share a worker's module cache: each builds its own app and database, so nothing
    // leaks between them, and the app's modules load once per worker instead of once per file.
    isolate: false,
    // the demo, seeded once through the import for the whole run
    globalSetup: ['test/helpers/seed-image.ts'],
    testTimeout: 20_000,
  },
});
