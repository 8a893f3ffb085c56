import type { Express } from 'express';
import pino, { type Logger } from 'pino';
import { createApp } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/index.js';
import { createServices, type Services } from '../../src/services.js';
import { seededDb } from './db.js';
import type { RateLimitSettings } from '../../src/http/rate-limits.js';
import { openSharedState, type SharedState } from '../../src/http/shared-state.js';
import type { MetricsOptions } from '../../src/http/metrics.js';

export const TEST_SCRYPT_COST = 1024;

export interface TestApp {
  app: Express;
  services: Services;
  db: Db;
  /** what the instance shares (a Redis client when config.redisUrl is set): close it at the end */
  shared: SharedState;
}

/** The real app on an in-memory database (seeded with the demo unless one is given). */
export function buildApp(
  opts: {
    db?: Db;
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
  const db = opts.db ?? seededDb();
  const logger = opts.logger ?? pino({ level: 'silent' });
  // A cheap scrypt cost: the suite signs in hundreds of times (production cost is tested in unit/passwords).
  const base = createServices(db, testConfig(opts.config), { now: opts.now, scryptCost: TEST_SCRYPT_COST, logger });
  const services = opts.override ? opts.override(base) : base;
  const shared = openSharedState(services.config, logger, { prefix: opts.limitPrefix, clientName: opts.redisClientName });
  const app = createApp(services, { logger, rateLimits: opts.rateLimits, shared, metrics: opts.metrics });
  return { app, services, db, shared };
}
