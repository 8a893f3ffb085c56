import type { Feature, ServiceContext } from '../feature.js';
import type { CalendarService } from '../calendar/service.js';
import { createStatsRepo } from './repo.js';
import { createStatsService } from './service.js';

interface Needs {
  calendar: CalendarService;
}
const services = ({ db, now }: ServiceContext, { calendar }: Needs) => ({ stats: createStatsService(createStatsRepo(db), calendar, now) });

/** The dashboard's figures. */
export const statsFeature: Feature<ReturnType<typeof services>, Needs> = { name: 'stats', services };
