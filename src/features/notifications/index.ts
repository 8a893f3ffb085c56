import type { Logger } from 'pino';
import type { Config } from '../../config.js';
import type { Db } from '../../db/index.js';
import type { UnitOfWork } from '../../db/unit-of-work.js';
import type { CasesService } from '../cases/service.js';
import type { CaseOffice } from '../cases/office.js';
import type { PlacesService } from '../places/service.js';
import { createNotificationsRepo } from './repo.js';
import { createNotificationsService } from './service.js';
import { notificationsRoutes } from './routes.js';
import type { SmsProvider } from './providers.js';

/** The notifications feature: SMS to villagers and messages to the cadres' channels, from the case events. */
export const notificationsFeature = {
  name: 'notifications',
  routes: notificationsRoutes,
  services: (deps: {
    db: Db;
    uow: UnitOfWork;
    cases: Pick<CasesService, 'eventsAfter'>;
    caseOffice?: Pick<CaseOffice, 'flagged'>;
    places: Pick<PlacesService, 'allVillages'>;
    config: Config;
    now?: () => Date;
    logger?: Logger;
    sms?: SmsProvider;
  }) =>
    createNotificationsService({
      uow: deps.uow,
      repo: createNotificationsRepo(deps.db),
      cases: deps.cases,
      flagged: deps.caseOffice ? (villageIds, at) => deps.caseOffice!.flagged(villageIds, at) : undefined,
      villageCodes: () => deps.places.allVillages(),
      config: deps.config,
      now: deps.now,
      logger: deps.logger,
      sms: deps.sms,
    }),
};
