import express, { type Express } from 'express';
import cookieParser from 'cookie-parser';
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { projectRoot } from './db/index.js';
import type { Services } from './services.js';
import { setUpWebSecurity } from './http/security.js';
import { setUpLocals, ELDER_COOKIE, cookieOptions, safeBackPath } from './http/locals.js';
import { errorHandler, notFound } from './http/errors.js';
import { formatDate, formatDateTime, phoneLinks } from './http/view-helpers.js';
import { placesRoutes } from './features/places/routes.js';
import { catalogRoutes } from './features/catalog/routes.js';
import { casesRoutes } from './features/cases/routes.js';
import { setUpCsrf } from './http/csrf.js';
import { createRateLimits, DEFAULT_RATE_LIMITS, type RateLimitSettings } from './http/rate-limits.js';

export interface AppOptions {
  logger?: Logger;
  rateLimits?: Partial<RateLimitSettings>;
}

/** Builds the whole web app from its services: security, parsing, views, routes, 404 and errors. */
export function createApp(services: Services, opts: AppOptions = {}): Express {
  const { config } = services;
  const logger = opts.logger ?? pino({ level: config.logLevel });
  const app = express();
  app.set('trust proxy', config.trustProxy);

  setUpWebSecurity(app, { https: config.publicBaseUrl.startsWith('https:') });
  setUpStatic(app);
  setUpViews(app);
  app.use(cookieParser());
  setUpLocals(app);
  setUpRequestLog(app, logger);
  const { protect } = setUpCsrf(app, { secret: services.secret(), secure: config.publicBaseUrl.startsWith('https:') });
  const limits = createRateLimits({ ...DEFAULT_RATE_LIMITS, ...opts.rateLimits });
  setUpRoutes(app, services);
  app.use(casesRoutes(services, limits, protect));

  app.use(notFound);
  app.use(errorHandler({ logger, showStack: config.env === 'development' }));
  return app;
}

function setUpStatic(app: Express): void {
  app.use('/static', express.static(path.join(projectRoot, 'static'), { maxAge: '7d', index: false }));
}

function setUpViews(app: Express): void {
  app.set('views', path.join(projectRoot, 'views'));
  app.set('view engine', 'ejs');
  // Templates are compiled once; resident pages inline their small stylesheet so that one
  // round trip brings everything a cheap phone needs to draw the page.
  app.enable('view cache');
  app.locals.phoneLinks = phoneLinks;
  app.locals.formatDate = formatDate;
  app.locals.formatDateTime = formatDateTime;
  app.locals.residentCss = fs.readFileSync(path.join(projectRoot, 'static', 'css', 'resident.css'), 'utf8');
}

function setUpRequestLog(app: Express, logger: Logger): void {
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        { method: req.method, url: req.originalUrl.replace(/\/(p|v|track)\/[^/?]+/, '/$1/…'), status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6 },
        'request',
      );
    });
    next();
  });
}

function setUpRoutes(app: Express, services: Services): void {
  app.get('/', (_req, res) => {
    res.redirect(303, res.locals.homePath ?? '/services');
  });
  app.get('/healthz', (_req, res) => {
    let ok = false;
    try {
      ok = services.health();
    } catch {
      ok = false;
    }
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' });
  });
  if (services.config.benchHello) {
    // The benchmark's baseline: the same middleware stack, no work.
    app.get('/hello', (_req, res) => {
      res.type('text').send('hello');
    });
  }
  // 长辈版 switch: a plain link, so it works without JavaScript.
  app.get('/mode', (req, res) => {
    const elder = req.query.elder === '1';
    if (elder) res.cookie(ELDER_COOKIE, '1', cookieOptions(req));
    else res.clearCookie(ELDER_COOKIE, { path: '/' });
    res.redirect(303, safeBackPath(req.query.back));
  });
  app.use(placesRoutes(services));
  app.use(catalogRoutes(services));
}
