import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/index.js';
import { sqliteDatabase, type Database, type Engine } from './db/database.js';
import { createHealth } from './db/health.js';
import type { PoolStats } from './http/metrics.js';
import { createSessionsRepo } from './db/sessions.js';
import { createUnitOfWork } from './db/unit-of-work.js';
import { FEATURES, type FeatureServices } from './features/index.js';
import type { ServiceContext } from './features/feature.js';

/** What every installation has besides its features. */
interface CoreServices {
  config: Config;
  /** the session store's table (infrastructure: express-session reads and writes it) */
  sessions: ReturnType<typeof createSessionsRepo>;
  /** what /healthz reports: the database takes a write and has the expected schema */
  health: ReturnType<typeof createHealth>;
  /** the database's engine: what is shared between instances depends on it */
  engine: Engine;
  /** PostgreSQL's pool figures for /metrics (absent on SQLite) */
  poolStats?: () => PoolStats;
}

export type Services = CoreServices & FeatureServices;

/**
 * Builds each feature's services in the order of `FEATURES` (each feature creates its own repos and
 * gets the services built before it). createApp takes the result, so tests build the same app on :memory:.
 */
export function createServices(store: Database | Db, config: Config, opts: { now?: () => Date; scryptCost?: number; logger?: Logger } = {}): Services {
  const database = 'engine' in store ? store : sqliteDatabase(store);
  // Every change of several rows passes through this one unit of work; services never see the db.
  const ctx: ServiceContext = {
    database,
    config,
    uow: createUnitOfWork(database),
    now: opts.now,
    scryptCost: opts.scryptCost,
    logger: opts.logger,
  };
  const pool = database.pool;
  const built: Record<string, unknown> = {
    poolStats: pool ? () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }) : undefined,
    config,
    engine: database.engine,
    sessions: createSessionsRepo(database),
    health: createHealth(database),
  };
  for (const feature of FEATURES) {
    const make = feature.services as ((ctx: ServiceContext, built: unknown) => object) | undefined;
    if (make) Object.assign(built, make(ctx, built));
  }
  return built as Services;
}
