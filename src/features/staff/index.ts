import type { Feature, ServiceContext } from '../feature.js';
import type { ThrottleService } from '../throttle/service.js';
import { createStaffRepo } from './repo.js';
import { createStaffService } from './service.js';
import { staffRoutes } from './routes.js';

interface Needs {
  throttle: ThrottleService;
}
const services = ({ database, uow, now, scryptCost }: ServiceContext, { throttle }: Needs) => ({
  staff: createStaffService(createStaffRepo(database), throttle, uow, now, scryptCost),
});

/** Back-office users, their scopes, sign-in and the audit log; admins manage users at /admin/users. */
export const staffFeature: Feature<ReturnType<typeof services>, Needs> = {
  name: 'staff',
  services,
  office: (s) => ({ routes: staffRoutes(s) }),
  templateNames: ['roles', 'placeNames', 'districtNames', 'city'],
  menu: [{ label: 'users.title', href: '/admin/users', roles: ['admin'], order: 80 }],
};
