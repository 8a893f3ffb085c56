import type { Express } from 'express';
import pino, { type Logger } from 'pino';
import { createApp } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import { sqliteDatabase, type Database } from '../../src/db/database.js';
import type { Db } from '../../src/db/index.js';
import { createServices, type Services } from '../../src/services.js';
import { seededDb } from './db.js';
import { freshPostgresDatabase, onPostgres } from './engine.js';
import { testSql, type TestSql } from './sql.js';
import type { RateLimitSettings } from '../../src/http/rate-limits.js';

export const TEST_SCRYPT_COST = 1024;

export interface TestApp {
  app: Express;
  services: Services;
  /** the app's data layer, on the engine of this run */
  database: Database;
  /** plain SQL beneath the services, on either engine */
  sql: TestSql;
  /**
   * SQLite's own handle, for the tests of what only SQLite has; on the PostgreSQL run it throws,
   * naming the test that still reads SQLite directly.
   */
  db: Db;
}

const sqliteOnly = new Proxy({} as Db, {
  get(_target, name) {
    throw new Error(`this test uses SQLite's handle (db.${String(name)}): on the PostgreSQL run use \`sql\` or \`database\` from buildApp`);
  },
});

/** The real app on a database of its own (seeded with the demo unless one is given), on the run's engine. */
export function buildApp(
  opts: {
    db?: Db | Database;
    config?: Partial<Config>;
    logger?: Logger;
    override?: (s: Services) => Services;
    rateLimits?: Partial<RateLimitSettings>;
    now?: () => Date;
  } = {},
): TestApp {
  const given = opts.db;
  const database =
    given === undefined ? (onPostgres ? freshPostgresDatabase() : sqliteDatabase(seededDb())) : 'engine' in given ? given : sqliteDatabase(given);
  const logger = opts.logger ?? pino({ level: 'silent' });
  // A cheap scrypt cost: the suite signs in hundreds of times (production cost is tested in unit/passwords).
  const base = createServices(database, testConfig(opts.config), { now: opts.now, scryptCost: TEST_SCRYPT_COST, logger });
  const services = opts.override ? opts.override(base) : base;
  const app = createApp(services, { logger, rateLimits: opts.rateLimits });
  return { app, services, database, sql: testSql(database), db: database.sqlite ?? sqliteOnly };
}
