import type { Feature, ServiceContext } from '../feature.js';
import type { CalendarService } from '../calendar/service.js';
import { createStatsRepo } from './repo.js';
import { createStatsService, keptStats } from './service.js';
import { statsReader } from './reader.js';
import { readConnectionOf } from '../../workers/connection.js';
import { CASE_EVENT_TYPES, type CaseEventBus } from '../cases/events.js';

interface Needs {
  calendar: CalendarService;
  events: CaseEventBus;
}
const services = ({ database, now }: ServiceContext, { calendar, events }: Needs) => {
  // On a SQLite file the reads run in a worker thread of low priority (PostgreSQL's are asynchronous).
  const connection = readConnectionOf(database);
  const reader = connection?.engine === 'sqlite' ? statsReader(connection) : undefined;
  const stats = keptStats(createStatsService(reader ?? createStatsRepo(database), calendar, now), now);
  // Any change to a case may change the figures: the kept ones go.
  for (const type of Object.values(CASE_EVENT_TYPES)) events.subscribe(type, () => stats.changed());
  return { stats: { ...stats, reader } };
};

/** The dashboard's figures. */
export const statsFeature: Feature<ReturnType<typeof services>, Needs> = { name: 'stats', services };
