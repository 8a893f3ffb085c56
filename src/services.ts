import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Db } from './db/index.js';
import { createHealth } from './db/health.js';
import { createSessionsRepo } from './db/sessions.js';
import { createUnitOfWork } from './db/unit-of-work.js';
import { createCadresRepo } from './features/cadres/repo.js';
import { createCadresService } from './features/cadres/service.js';
import { createCatalogRepo } from './features/catalog/repo.js';
import { createCatalogService } from './features/catalog/service.js';
import { createPlacesRepo } from './features/places/repo.js';
import { createPlacesService } from './features/places/service.js';
import { createCalendarRepo } from './features/calendar/repo.js';
import { createCalendarService } from './features/calendar/service.js';
import { createCasesRepo } from './features/cases/repo.js';
import { createCasesService } from './features/cases/service.js';
import { createPhotoStore } from './features/cases/photos.js';
import { createCaseOffice } from './features/cases/office.js';
import { createCaseEventBus } from './features/cases/events.js';
import { createPlatesRepo } from './features/plates/repo.js';
import { createPlatesService } from './features/plates/service.js';
import { createTransferService } from './features/transfer/service.js';
import { createPendingImports } from './features/transfer/pending.js';
import { createTemplatesRepo } from './features/templates/repo.js';
import { createTemplatesService } from './features/templates/service.js';
import { createSettingsRepo } from './features/settings/repo.js';
import { createSettingsService } from './features/settings/service.js';
import { createStatsRepo } from './features/stats/repo.js';
import { createStatsService } from './features/stats/service.js';
import { createStaffRepo } from './features/staff/repo.js';
import { createStaffService } from './features/staff/service.js';
import { createThrottleRepo } from './features/throttle/repo.js';
import { createThrottleService } from './features/throttle/service.js';
import { notificationsFeature } from './features/notifications/index.js';

/** Wires repos into services. createApp takes the result, so tests build the same app on :memory:. */
export function createServices(db: Db, config: Config, opts: { now?: () => Date; scryptCost?: number; logger?: Logger } = {}) {
  // Every change of several rows passes through this one unit of work; services never see the db.
  const uow = createUnitOfWork(db);
  const logger = opts.logger;
  /** What happened to cases, published after each change commits (notifications and Open311 subscribe). */
  const events = createCaseEventBus(uow, logger ? (err, type) => logger.error({ err, event: type }, 'event subscriber failed') : undefined);
  const calendar = createCalendarService(createCalendarRepo(db), uow);
  const throttle = createThrottleService(createThrottleRepo(db), opts.now);
  const staff = createStaffService(createStaffRepo(db), throttle, opts.now, opts.scryptCost);
  const casesRepo = createCasesRepo(db);
  const places = createPlacesService(createPlacesRepo(db), uow);
  const cadres = createCadresService(createCadresRepo(db), uow);
  const catalog = createCatalogService(createCatalogRepo(db), uow);
  const settings = createSettingsService(createSettingsRepo(db), config.secret);
  const caseOffice = createCaseOffice({ uow, repo: casesRepo, calendar, staff, events, now: opts.now });
  const cases = createCasesService({ uow, repo: casesRepo, calendar, catalog, throttle, photos: createPhotoStore(config.dataDir), events, now: opts.now });
  return {
    config,
    events,
    places,
    cadres,
    plates: createPlatesService({ uow, repo: createPlatesRepo(db), cadres, publicBaseUrl: config.publicBaseUrl, now: opts.now }),
    catalog,
    staff,
    throttle,
    calendar,
    cases,
    notifications: notificationsFeature.services({ db, uow, cases, caseOffice, places, config, now: opts.now, logger }),
    caseOffice,
    templates: createTemplatesService(createTemplatesRepo(db), opts.now),
    transfer: createTransferService({ uow, places, cadres, calendar, catalog }),
    /** files checked in a dry run, waiting for confirmation (data/imports) */
    pendingImports: createPendingImports(path.resolve(config.dataDir, 'imports'), opts.now),
    stats: createStatsService(createStatsRepo(db), calendar, opts.now),
    /** The installation's signing secret: MASHANG_SECRET, else a random one kept in settings. */
    secret: settings.secret,
    /** the session store's table (infrastructure: express-session reads and writes it) */
    sessions: createSessionsRepo(db),
    /** what /healthz reports: the database takes a write and has the expected schema */
    health: createHealth(db),
  };
}

export type Services = ReturnType<typeof createServices>;
