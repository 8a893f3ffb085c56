import type { Feature, ServiceContext } from '../feature.js';
import type { CalendarService } from '../calendar/service.js';
import type { CatalogService } from '../catalog/service.js';
import type { StaffService } from '../staff/service.js';
import type { ThrottleService } from '../throttle/service.js';
import { createCasesRepo } from './repo.js';
import { createCasesService } from './service.js';
import { createCaseOffice } from './office.js';
import { createCaseEventBus } from './events.js';
import { createPhotoStore } from './photos.js';
import { casesRoutes } from './routes.js';
import { readConnectionOf } from '../../workers/connection.js';
import { caseOfficeRoutes } from './office-routes.js';

interface Needs {
  calendar: CalendarService;
  catalog: CatalogService;
  throttle: ThrottleService;
  staff: StaffService;
}
const services = ({ database, uow, config, now, logger }: ServiceContext, { calendar, catalog, throttle, staff }: Needs) => {
  const repo = createCasesRepo(database);
  /** What happened to cases, published after each change commits (notifications and Open311 subscribe). */
  const events = createCaseEventBus(uow, logger ? (err, type) => logger.error({ err, event: type }, 'event subscriber failed') : undefined);
  return {
    events,
    cases: createCasesService({ uow, repo, calendar, catalog, throttle, photos: createPhotoStore(config.dataDir), events, now }),
    caseOffice: createCaseOffice({ uow, repo, calendar, staff, events, now }),
    /** where an export's worker reads (undefined: a database in memory, read in this thread) */
    caseExports: { connection: readConnectionOf(database) },
  };
};

/** Cases: 码上办, 码上说 and help requests filed from a plate, tracked by villagers, answered in the back office. */
export const casesFeature: Feature<ReturnType<typeof services>, Needs> = {
  name: 'cases',
  services,
  routes: (s, http) => casesRoutes(s, http.limits, http.protect),
  office: (s) => ({ routes: caseOfficeRoutes(s) }),
  templateNames: [
    'idempotencyKey',
    'callbackTimes',
    'categories',
    'item',
    'picker',
    'photosScript',
    'c',
    'events',
    'photos',
    'canRate',
    'canReopen',
    'reopenUntil',
    'mergedInto',
    'receipt',
    'answer',
    'params',
    'maskPhone',
    'states',
    'actions',
    'assignable',
    'flag',
    'openAction',
    'kinds',
    'templates',
    'templateText',
    'householdToken',
    'mergeTarget',
    'village',
    'villages',
  ],
  menu: [{ label: 'admin.nav.cases', href: '/admin/cases', order: 20 }],
};
