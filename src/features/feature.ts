import type { RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { UnitOfWork } from '../db/unit-of-work.js';
import type { LimitStores, RateLimits, RateLimitSettings } from '../http/rate-limits.js';
import type { Role } from './staff/service.js';
import type { Services } from '../services.js';

/** What every feature's service factory is given: the database (for its own repos) and the installation. */
export interface ServiceContext {
  /** the data layer over SQLite or PostgreSQL (see src/db/database.ts) */
  database: Database;
  config: Config;
  /** every change of several rows passes through it */
  uow: UnitOfWork;
  now?: () => Date;
  scryptCost?: number;
  logger?: Logger;
}

/** What route factories are given besides the services. */
export interface HttpContext {
  /** The CSRF check for a form post outside the back office (the back office's gate checks its own). */
  protect: RequestHandler;
  limits: RateLimits;
}

/** What an API's routes are given: they count their own calls (per key) and log their own failures. */
export interface ApiContext {
  limitSettings: RateLimitSettings;
  /** where its limiters count (every instance's, or this process's memory) */
  limitStores: LimitStores;
  logger: Logger;
}

/**
 * A feature's back-office routes, mounted on the one `/admin` router (paths relative to `/admin`).
 * `routes` sit behind the gate: a signed-in user for every request, and a valid CSRF token on every
 * POST/PUT/PATCH/DELETE, read from the urlencoded body. `uploads` are the multipart forms: they see
 * only multipart bodies, must read them with `receiveUpload` and check the token with
 * `protectUpload`; a multipart body sent to any other route is refused. `open` answers without a
 * session: the sign-in form only, with its own rate limit and CSRF check.
 */
export interface OfficeRoutes {
  routes?: Router;
  uploads?: Router;
  open?: Router;
}

/** One link of the back office's menu. */
export interface MenuEntry {
  /** dictionary key of the label */
  label: string;
  /** where it goes, from the site root */
  href: string;
  /** who sees it; every role when absent */
  roles?: readonly Role[];
  /** place in the menu, smallest first */
  order: number;
}

/**
 * One feature, as `createServices` and `createApp` see it. `S` is what it adds to the services;
 * `D` the services of features listed before it that it needs (`FEATURES` is in dependency order).
 */
export interface Feature<S extends object = object, D = unknown> {
  name: string;
  services?: (ctx: ServiceContext, built: D) => S;
  /** resident and public routes, mounted at the site root */
  routes?: (services: Services, http: HttpContext) => Router;
  /**
   * machine-to-machine routes authenticated by a key rather than a browser session: mounted before
   * the session and CSRF set-up, answering errors in their own format
   */
  api?: (services: Services, ctx: ApiContext) => Router;
  /** back-office routes, mounted at `/admin` behind the gate */
  office?: (services: Services, http: HttpContext) => OfficeRoutes;
  /** every local the feature's views use (views are compiled without `with`) */
  templateNames?: readonly string[];
  menu?: readonly MenuEntry[];
}

/** What a feature adds to the services. */
export type ServicesOf<F> = F extends Feature<infer S, never> ? S : never;
