import type { Express } from 'express';
import pino, { type Logger } from 'pino';
import { createApp } from '../../src/app.js';
import { testConfig, type Config } from '../../src/config.js';
import type { Db } from '../../src/db/index.js';
import { createServices, type Services } from '../../src/services.js';
import { seededDb } from './db.js';
import type { RateLimitSettings } from '../../src/http/rate-limits.js';

export interface TestApp {
  app: Express;
  services: Services;
  db: Db;
}

/** The real app on an in-memory database (seeded with the demo unless one is given). */
export function buildApp(
  opts: { db?: Db; config?: Partial<Config>; logger?: Logger; override?: (s: Services) => Services; rateLimits?: Partial<RateLimitSettings>; now?: () => Date } = {},
): TestApp {
  const db = opts.db ?? seededDb();
  const base = createServices(db, testConfig(opts.config), { now: opts.now });
  const services = opts.override ? opts.override(base) : base;
  const app = createApp(services, { logger: opts.logger ?? pino({ level: "silent" }), rateLimits: opts.rateLimits });
  return { app, services, db };
}
