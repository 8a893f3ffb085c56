import type { Feature, ServiceContext } from '../feature.js';
import type { CalendarService } from '../calendar/service.js';
import { createStatsRepo } from './repo.js';
import { createStatsService } from './service.js';

interface Needs {
  calendar: CalendarService;
}
const services = ({ database, now }: ServiceContext, { calendar }: Needs) => ({ stats: createStatsService(createStatsRepo(database), calendar, now) });

/** The dashboard's figures. */
export const statsFeature: Feature<ReturnType<typeof services>, Needs> = { name: 'stats', services };
