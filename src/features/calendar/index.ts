import type { Feature, ServiceContext } from '../feature.js';
import { createCalendarRepo } from './repo.js';
import { createCalendarService } from './service.js';
import { calendarRoutes } from './routes.js';

const services = ({ database, uow }: ServiceContext) => ({ calendar: createCalendarService(createCalendarRepo(database), uow) });

/** The working-day calendar: holidays and make-up workdays, which every deadline counts with. */
export const calendarFeature: Feature<ReturnType<typeof services>> = {
  name: 'calendar',
  services,
  office: (s) => ({ routes: calendarRoutes(s) }),
  templateNames: ['year', 'canEdit'],
  menu: [{ label: 'calendar.title', href: '/admin/calendar', roles: ['admin'], order: 90 }],
};
