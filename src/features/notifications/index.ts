import type { Feature, ServiceContext } from '../feature.js';
import type { CasesService } from '../cases/service.js';
import type { CaseOffice } from '../cases/office.js';
import type { PlacesService } from '../places/service.js';
import type { CalendarService } from '../calendar/service.js';
import { createNotificationsRepo } from './repo.js';
import { createNotificationsService } from './service.js';
import { notificationsRoutes } from './routes.js';
import type { SmsProvider } from './providers.js';

/** On PostgreSQL the outbox's cursor trails the newest events by this much (see settleMs). */
const SETTLE_MS_POSTGRES = 30_000;

interface Needs {
  cases: Pick<CasesService, 'eventsAfter'>;
  caseOffice?: Pick<CaseOffice, 'flagged' | 'openByVillage'>;
  places: Pick<PlacesService, 'allVillages'>;
  calendar: Pick<CalendarService, 'isWorkingDay'>;
}

/** Builds the service; `sms` replaces the configured provider (tests). */
export function notificationsServices({ database, uow, config, now, logger }: ServiceContext, deps: Needs, sms?: SmsProvider) {
  return createNotificationsService({
    uow,
    repo: createNotificationsRepo(database),
    cases: deps.cases,
    flagged: deps.caseOffice ? (villageIds, at) => deps.caseOffice!.flagged(villageIds, at) : undefined,
    openByVillage: deps.caseOffice ? (at) => deps.caseOffice!.openByVillage(at) : undefined,
    isWorkingDay: (date) => deps.calendar.isWorkingDay(date),
    villageCodes: () => deps.places.allVillages(),
    config,
    now,
    logger,
    sms,
    settleMs: database.engine === 'postgres' ? SETTLE_MS_POSTGRES : 0,
  });
}

const services = (ctx: ServiceContext, deps: Needs) => ({ notifications: notificationsServices(ctx, deps) });

/** The notifications feature: SMS to villagers and messages to the cadres' channels, from the case events. */
export const notificationsFeature: Feature<ReturnType<typeof services>, Needs> = {
  name: 'notifications',
  services,
  office: (s) => ({ routes: notificationsRoutes(s) }),
  templateNames: ['attempts', 'channels', 'notifications', 'towns'],
  menu: [{ label: 'notifications.title', href: '/admin/notifications', order: 75 }],
};
