import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { projectRoot } from './db/index.js';
import type { Services } from './services.js';
import { securityHeaderSetter, setUpWebSecurity } from './http/security.js';
import { installFastLane } from './http/fast-lane.js';
import { pageLocals, ELDER_COOKIE, cookieOptions, safeBackPath } from './http/locals.js';
import { errorHandler, notFound } from './http/errors.js';
import { redactTokens } from './http/redact.js';
import { cachingHeaders, cachingHeadersFor } from './http/caching.js';
import { readCookies } from './http/cookies.js';
import { formatDate, formatDateTime, icon, phoneLinks } from './http/view-helpers.js';
import { FEATURES } from './features/index.js';
import type { HttpContext, MenuEntry, OfficeRoutes } from './features/feature.js';
import type { Role } from './features/staff/service.js';
import { officeRouter } from './http/office.js';
import { loadUser, sessionCookieName, setUpSessions } from './http/auth.js';
import { keptPlatePages } from './features/places/routes.js';
import { keptCatalogPages } from './features/catalog/routes.js';
import { setUpCsrf } from './http/csrf.js';
import { createRateLimits, databaseLimitStore, DEFAULT_RATE_LIMITS, limitStores, type RateLimitSettings } from './http/rate-limits.js';
import { localState, type SharedState } from './http/shared-state.js';
import { createMetrics, serviceCollectors, type MetricsOptions } from './http/metrics.js';
import { BACK_OFFICE_YIELD_MS, countVillagers, yieldWhenBusy } from './http/yield.js';
import { refuseNul } from './http/input.js';

export interface AppOptions {
  logger?: Logger;
  rateLimits?: Partial<RateLimitSettings>;
  /**
   * What the instances share (openSharedState): where the rate limits count, and its health for
   * /healthz. Required when MASHANG_REDIS_URL is set (the caller closes it on shutdown); else
   * each process counts in its own memory.
   */
  shared?: SharedState;
  /** figures /metrics publishes besides the requests and the process' own */
  metrics?: MetricsOptions;
  /**
   * How long a back-office request waits, at most, while the event loop is busy (yieldWhenBusy):
   * BACK_OFFICE_YIELD_MS in production, none elsewhere unless given.
   */
  backOfficeYieldMs?: number;
}

/** Builds the whole web app from its services: security, parsing, views, routes, 404 and errors. */
export function createApp(services: Services, opts: AppOptions = {}): Express {
  const { config } = services;
  const logger = opts.logger ?? pino({ level: config.logLevel });
  if (config.redisUrl && !opts.shared)
    throw new Error('MASHANG_REDIS_URL is set: pass createApp the shared state from openSharedState (and close it on shutdown)');
  const shared = opts.shared ?? localState();
  const app = express();
  app.set('trust proxy', config.trustProxy);

  // First, to time whole requests; /metrics before the session and CSRF set-up, so that scrapes
  // make no session and refused ones go on to the site's usual 404.
  const metrics = createMetrics(config.metrics, {
    poolStats: opts.metrics?.poolStats ?? services.poolStats,
    collectors: [...serviceCollectors(services), ...(opts.metrics?.collectors ?? [])],
  });
  if (metrics) app.use(metrics.observe);
  setUpWebSecurity(app, { https: config.publicBaseUrl.startsWith('https:') });
  if (metrics) app.get('/metrics', metrics.serve);
  setUpStatic(app);
  setUpViews(app);
  // What every page needs, in one step: caching headers, cookies, the views' values, the request log.
  const logRequest = requestLog(logger);
  app.use((req, res, next) => {
    cachingHeaders(req, res);
    readCookies(req);
    pageLocals(req, res);
    logRequest?.(req, res);
    next();
  });
  // Before anything that reads the database on its way (the signing secret): a monitor asks it.
  setUpHealth(app, services, shared);
  const secure = config.publicBaseUrl.startsWith('https:');
  // Villagers first: on a busy thread the back office waits a moment before it is served.
  app.use('/admin', yieldWhenBusy(opts.backOfficeYieldMs ?? (config.env === 'production' ? BACK_OFFICE_YIELD_MS : 0)));
  const limitSettings: RateLimitSettings = { ...DEFAULT_RATE_LIMITS, ...opts.rateLimits };
  // Limits count where every instance sees them: in Redis when configured, else on PostgreSQL in the
  // database; a lone SQLite server counts in its memory.
  const limitStore = config.redisUrl
    ? shared.createLimitStore
    : services.engine === 'postgres'
      ? databaseLimitStore(services.throttle.limits)
      : shared.createLimitStore;
  const stores = limitStores(limitStore, logger);
  // APIs answer in their own shape and authenticate by key: mounted before the CSRF and session set-up.
  for (const feature of FEATURES) if (feature.api) app.use(feature.api(services, { limitSettings, limitStores: stores, logger }));
  // U+0000 in any other request's path or query is refused here, before a session or a page reads it
  // (the APIs refuse it themselves, in their own shape; bodies are guarded as they are read).
  app.use(refuseNul);
  // The signing secret may live in the database: read on the first request that needs it.
  const { protect } = setUpCsrf(app, { secret: services.secret, secure });
  setUpSessions(app, { sessions: services.sessions, secret: services.secret, secure, idleMinutes: config.idleMinutes });
  app.use(loadUser(services.staff, { maxHours: config.sessionHours }));
  const limits = createRateLimits(limitSettings, stores);
  const http: HttpContext = { protect, limits };
  setUpRoutes(app, services);
  // The back office first: every request under /admin passes its gate, whoever declares the route.
  const office: OfficeRoutes[] = [];
  for (const feature of FEATURES) if (feature.office) office.push(feature.office(services, http));
  app.use('/admin', officeRouter(office, { protect }));
  for (const feature of FEATURES) if (feature.routes) app.use(feature.routes(services, http));

  app.use(notFound);
  // A request that met a damaged, read-only or full database turns /healthz red for a while.
  app.use(((err, _req, _res, next) => {
    if (services.health.noteError(err)) logger.error({ err }, 'database storage error');
    next(err);
  }) as ErrorRequestHandler);
  app.use(errorHandler({ logger, showStack: config.env === 'development' }));
  // A plate page kept from an earlier scan, and a 码上查 list kept from an earlier request, need
  // none of the set-up above but the headers, the log line and their count in /metrics: answered
  // ahead of Express.
  const sessionCookie = sessionCookieName(secure);
  installFastLane(app, {
    pages: [keptPlatePages(services, { sessionCookie }), keptCatalogPages(services, { sessionCookie })],
    headers: securityHeaderSetter({ https: secure }),
    caching: cachingHeadersFor,
    log: logRequest,
    count: metrics?.record,
  });
  // Last, to see every request: whether villagers are waiting, for the back office to give way.
  countVillagers(app);
  return app;
}

function setUpStatic(app: Express): void {
  app.use('/static', express.static(path.join(projectRoot, 'static'), { maxAge: '7d', index: false }));
}

/**
 * The names every page may use (the layout, the shared partials, the error page). Each feature adds
 * the names of its own views (`templateNames`); one missing shows up as a ReferenceError in the tests.
 */
const CORE_TEMPLATE_NAMES = [
  't',
  'elder',
  'cspNonce',
  'css',
  'homePath',
  'currentPath',
  'title',
  'styles',
  'csrfToken',
  'user',
  'menu',
  'phoneLinks',
  'formatDate',
  'formatDateTime',
  'icon',
  'errors',
  'values',
  'status',
  'body',
  'stack',
  'name',
  'label',
  'hint',
  'type',
  'autocomplete',
  'max',
  'action',
  'notice',
  'failed',
  'done',
  'q',
  'rows',
  'page',
  'pages',
  'total',
  'query',
  'result',
  'publicBaseUrl',
  // the district a page is about (the resident header and footer) and the districts to choose from
  'district',
  'districts',
  'dq',
  // the confirmation page (admin/confirm) any feature may ask before a change that cannot be undone
  'details',
  'hiddenFields',
  'confirmLabel',
  'backHref',
];

/** The core names and every feature's, each once. */
export function templateNames(): string[] {
  return [...new Set([...CORE_TEMPLATE_NAMES, ...FEATURES.flatMap((f) => f.templateNames ?? [])])];
}

/** The back office's menu for each role: every feature's entries, in their order. */
function menuByRole(): (role: Role) => readonly MenuEntry[] {
  const entries = FEATURES.flatMap((f) => f.menu ?? []).sort((a, b) => a.order - b.order);
  const roles: Role[] = ['admin', 'staff', 'cadre'];
  const byRole = new Map(roles.map((role) => [role, entries.filter((e) => !e.roles || e.roles.includes(role))]));
  return (role) => byRole.get(role) ?? [];
}

function setUpViews(app: Express): void {
  const views = path.join(projectRoot, 'views');
  app.set('views', views);
  app.set('view engine', 'ejs');
  // Includes are written from the views root ('/partials/head'), which EJS resolves without a
  // file-system check on every include.
  // No `with` block: templates see the names below as plain variables, which V8 runs much faster.
  app.set('view options', { root: views, _with: false, destructuredLocals: templateNames() });
  // Pages carry a fresh CSP nonce, so an ETag would never match: skip hashing every response.
  app.set('etag', false);
  // Templates are compiled once; resident pages inline their small stylesheet so that one
  // round trip brings everything a cheap phone needs to draw the page.
  app.enable('view cache');
  app.locals.phoneLinks = phoneLinks;
  app.locals.icon = icon;
  app.locals.menu = menuByRole();
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

/** One line per request answered (tokens taken out of its URL), when the log level includes info. */
function requestLog(logger: Logger): ((req: Request, res: Response) => void) | undefined {
  if (!logger.isLevelEnabled('info')) return undefined;
  return (req, res) => {
    const start = performance.now();
    res.once('finish', () => {
      logger.info({ method: req.method, url: redactTokens(req.originalUrl), status: res.statusCode, ms: performance.now() - start }, 'request');
    });
  };
}

/** The database, and Redis when the rate limits count there (a short PING; never its address). */
function setUpHealth(app: Express, services: Services, shared: SharedState): void {
  app.get('/healthz', async (_req, res) => {
    const report = await services.health.check();
    const sharedProblem = await shared.problem();
    const ok = report.ok && !sharedProblem;
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable', schema: report.schema, problem: report.problem ?? sharedProblem });
  });
}

function setUpRoutes(app: Express, services: Services): void {
  app.get('/', (_req, res) => {
    res.redirect(303, res.locals.homePath ?? '/services');
  });
  // Browsers ask for it on every first visit: an empty answer, not a 5 KB error page.
  app.get('/favicon.ico', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=604800').status(204).end();
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
}
