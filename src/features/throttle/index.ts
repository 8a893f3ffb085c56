import type { Feature, ServiceContext } from '../feature.js';
import { createThrottleRepo } from './repo.js';
import { createThrottleService } from './service.js';

const services = ({ database, uow, now }: ServiceContext) => ({ throttle: createThrottleService(createThrottleRepo(database), uow, now) });

/** Failed sign-ins and filings counted per account and source. */
export const throttleFeature: Feature<ReturnType<typeof services>> = { name: 'throttle', services };
