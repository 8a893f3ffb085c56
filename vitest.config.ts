import os from 'node:os';
import { defineConfig } from 'vitest/config';

const onPostgres = process.env.MASHANG_TEST_ENGINE === 'postgres';

/** What only the SQLite engine has: its file, its pragmas, its backup and restore. */
const SQLITE_ONLY = ['test/integration/durability.test.ts', 'test/integration/backup.test.ts'];

/** Tests that set up PostgreSQL themselves, whichever engine the run is on. */
const ABOUT_POSTGRES = [
  'test/integration/postgres-*.test.ts',
  'test/integration/multi-instance.test.ts',
  'test/integration/migrate-to-postgres.test.ts',
  'test/integration/database-rate-limits.test.ts',
];

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // The PostgreSQL run repeats the integration suite; unit tests do not touch a database, and the
    // tests that are about PostgreSQL itself (its schema, several instances on it, moving to it) ran already.
    exclude: onPostgres ? ['test/unit/**', ...SQLITE_ONLY, ...ABOUT_POSTGRES] : [],
    environment: 'node',
    pool: 'forks',
    // one worker per core (the default leaves one idle: on two cores the suite then runs one file at a time)
    maxWorkers: os.availableParallelism(),
    // Test files share a worker's module cache: each builds its own app and database, so nothing
    // leaks between them, and the app's modules load once per worker instead of once per file.
    isolate: false,
    // the demo, seeded once through the import for the whole run (and on PostgreSQL into a template database)
    globalSetup: ['test/helpers/built.ts', 'test/helpers/seed-image.ts', ...(onPostgres ? ['test/helpers/pg-setup.ts'] : [])],
    testTimeout: 20_000,
  },
});
