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
import { openSharedState, type SharedState } from '../../src/http/shared-state.js';
import type { MetricsOptions } from '../../src/http/metrics.js';

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
  /** what the instance shares (a Redis client when config.redisUrl is set): close it at the end */
  shared: SharedState;
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
    /** keys of the shared rate limits start with this (one per test run, so runs do not mix) */
    limitPrefix?: string;
    /** the Redis connection's name in CLIENT LIST */
    redisClientName?: string;
    metrics?: MetricsOptions;
  } = {},
): TestApp {
  const given = opts.db;
  const database =
    given === undefined ? (onPostgres ? freshPostgresDatabase() : sqliteDatabase(seededDb())) : 'engine' in given ? given : sqliteDatabase(given);
  const logger = opts.logger ?? pino({ level: 'silent' });
  // A cheap scrypt cost: the suite signs in hundreds of times (production cost is tested in unit/passwords).
  const base = createServices(database, testConfig(opts.config), { now: opts.now, scryptCost: TEST_SCRYPT_COST, logger });
  const services = opts.override ? opts.override(base) : base;
  const shared = openSharedState(services.config, logger, { prefix: opts.limitPrefix, clientName: opts.redisClientName });
  const app = createApp(services, { logger, rateLimits: opts.rateLimits, shared, metrics: opts.metrics });
  return { app, services, database, sql: testSql(database), db: database.sqlite ?? sqliteOnly, shared };
}
