import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { projectRoot } from './db/index.js';
import type { Services } from './services.js';
import { setUpWebSecurity } from './http/security.js';
import { setUpLocals, ELDER_COOKIE, cookieOptions, safeBackPath } from './http/locals.js';
import { errorHandler, notFound } from './http/errors.js';
import { redactTokens } from './http/redact.js';
import { setUpCaching } from './http/caching.js';
import { setUpCookies } from './http/cookies.js';
import { formatDate, formatDateTime, icon, phoneLinks } from './http/view-helpers.js';
import { placesRoutes } from './features/places/routes.js';
import { catalogRoutes } from './features/catalog/routes.js';
import { casesRoutes } from './features/cases/routes.js';
import { caseOfficeRoutes } from './features/cases/office-routes.js';
import { adminRoutes } from './features/admin/routes.js';
import { templatesRoutes } from './features/templates/routes.js';
import { calendarRoutes } from './features/calendar/routes.js';
import { staffRoutes } from './features/staff/routes.js';
import { platesRoutes } from './features/plates/routes.js';
import { transferRoutes } from './features/transfer/routes.js';
import { householdAdminRoutes } from './features/places/admin-routes.js';
import { cadreAdminRoutes } from './features/cadres/admin-routes.js';
import { catalogAdminRoutes } from './features/catalog/admin-routes.js';
import { placesAdminRoutes } from './features/places/places-admin-routes.js';
import { notificationsFeature } from './features/notifications/index.js';
import { loadUser, setUpSessions } from './http/auth.js';
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
  setUpCaching(app);
  setUpViews(app);
  setUpCookies(app);
  setUpLocals(app);
  setUpRequestLog(app, logger);
  const secure = config.publicBaseUrl.startsWith('https:');
  const { protect } = setUpCsrf(app, { secret: services.secret(), secure });
  setUpSessions(app, { sessions: services.sessions, secret: services.secret(), secure, idleMinutes: config.idleMinutes });
  app.use(loadUser(services.staff, { maxHours: config.sessionHours }));
  const limits = createRateLimits({ ...DEFAULT_RATE_LIMITS, ...opts.rateLimits });
  setUpRoutes(app, services, protect);
  app.use(casesRoutes(services, limits, protect));
  app.use(adminRoutes(services, { protect, loginLimit: limits.login }));
  app.use(caseOfficeRoutes(services, protect));
  app.use(templatesRoutes(services, protect));
  app.use(calendarRoutes(services, protect));
  app.use(staffRoutes(services, protect));
  app.use(platesRoutes(services, protect));
  app.use(transferRoutes(services, protect));
  app.use(householdAdminRoutes(services, protect));
  app.use(cadreAdminRoutes(services, protect));
  app.use(catalogAdminRoutes(services, protect));
  app.use(placesAdminRoutes(services, protect));
  app.use(notificationsFeature.routes(services, protect));

  app.use(notFound);
  // A request that met a damaged, read-only or full database turns /healthz red for a while.
  app.use(((err, _req, _res, next) => {
    if (services.health.noteError(err)) logger.error({ err }, 'database storage error');
    next(err);
  }) as ErrorRequestHandler);
  app.use(errorHandler({ logger, showStack: config.env === 'development' }));
  return app;
}

function setUpStatic(app: Express): void {
  app.use('/static', express.static(path.join(projectRoot, 'static'), { maxAge: '7d', index: false }));
}

/** Every name a template may use; one missing shows up as a ReferenceError in the tests. */
const TEMPLATE_NAMES = [
  't', 'elder', 'cspNonce', 'css', 'homePath', 'currentPath', 'title', 'styles', 'plate', 'base', 'mine', 'asHeading',
  'cadres', 'query', 'result', 'themes', 'total', 'filtered', 'pageHref', 'item', 'phoneLinks', 'formatDate',
  'formatDateTime', 'icon', 'errors', 'values', 'action', 'idempotencyKey', 'callbackTimes', 'categories', 'items',
  'failed', 'c', 'events', 'photos', 'canRate', 'canReopen', 'reopenUntil', 'mergedInto', 'receipt', 'notice',
  'publicBaseUrl', 'status', 'body', 'stack', 'name', 'label', 'hint', 'type', 'autocomplete', 'max',
  'csrfToken', 'user', 'd', 'chart', 'rows', 'page', 'q', 'params', 'villages', 'maskPhone', 'states', 'kinds', 'actions',
  'assignable', 'flag', 'openAction', 'expired', 'done', 'household', 'visits', 'today', 'cases', 'templates', 'templateText', 'year', 'householdToken', 'village', 'sizes', 'plateCode', 'pages', 'size', 'limit', 'names', 'headers', 'plan', 'uploadId', 'encoding', 'problem', 'editing', 'roles', 'canEdit', 'multiline', 'code', 'towns', 'themeNames', 'answer', 'details', 'hiddenFields', 'confirmLabel', 'backHref', 'mergeTarget', 'themeGroups', 'picker', 'guide', 'photosScript', 'placeNames', 'attempts', 'channels', 'notifications',
];

function setUpViews(app: Express): void {
  const views = path.join(projectRoot, 'views');
  app.set('views', views);
  app.set('view engine', 'ejs');
  // Includes are written from the views root ('/partials/head'), which EJS resolves without a
  // file-system check on every include.
  // No `with` block: templates see the names below as plain variables, which V8 runs much faster.
  app.set('view options', { root: views, _with: false, destructuredLocals: TEMPLATE_NAMES });
  // Pages carry a fresh CSP nonce, so an ETag would never match: skip hashing every response.
  app.set('etag', false);
  // Templates are compiled once; resident pages inline their small stylesheet so that one
  // round trip brings everything a cheap phone needs to draw the page.
  app.enable('view cache');
  app.locals.phoneLinks = phoneLinks;
  app.locals.icon = icon;
  app.locals.formatDate = formatDate;
  app.locals.formatDateTime = formatDateTime;
  app.locals.css = residentCss();
  // Inlined (with the page's nonce) on the photo forms only: no extra round trip, and optional.
  app.locals.photosScript = fs.readFileSync(path.join(projectRoot, 'static', 'js', 'photos.js'), 'utf8');
}

/**
 * Resident pages inline their stylesheet: the base every page needs, plus the part a page asks
 * for (head.ejs `styles`), so a plate page does not carry the catalogue's or the forms' rules.
 */
function residentCss(): Record<'base' | 'catalog' | 'forms', string> {
  const read = (name: string) => fs.readFileSync(path.join(projectRoot, 'static', 'css', 'resident', `${name}.css`), 'utf8').replace(/\n/g, '');
  const controls = read('controls');
  return { base: read('base'), catalog: controls + read('catalog'), forms: controls + read('forms') };
}

export { redactTokens };

function setUpRequestLog(app: Express, logger: Logger): void {
  if (!logger.isLevelEnabled('info')) return;
  app.use((req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      logger.info(
        { method: req.method, url: redactTokens(req.originalUrl), status: res.statusCode, ms: Number(process.hrtime.bigint() - start) / 1e6 },
        'request',
      );
    });
    next();
  });
}

function setUpRoutes(app: Express, services: Services, protect: RequestHandler): void {
  app.get('/', (_req, res) => {
    res.redirect(303, res.locals.homePath ?? '/services');
  });
  // Browsers ask for it on every first visit: an empty answer, not a 5 KB error page.
  app.get('/favicon.ico', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=604800').status(204).end();
  });
  app.get('/healthz', (_req, res) => {
    const report = services.health.check();
    res.status(report.ok ? 200 : 503).json({ status: report.ok ? 'ok' : 'unavailable', schema: report.schema, problem: report.problem });
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
  app.use(placesRoutes(services, protect));
  app.use(catalogRoutes(services));
}
