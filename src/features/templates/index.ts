import type { Feature, ServiceContext } from '../feature.js';
import { createTemplatesRepo } from './repo.js';
import { createTemplatesService } from './service.js';
import { templatesRoutes } from './routes.js';

const services = ({ database, now }: ServiceContext) => ({ templates: createTemplatesService(createTemplatesRepo(database), now) });

/** Reply templates: kept by staff, offered to cadres on each case. */
export const templatesFeature: Feature<ReturnType<typeof services>> = {
  name: 'templates',
  services,
  office: (s) => ({ routes: templatesRoutes(s) }),
  templateNames: ['templates', 'templateText', 'categories', 'kinds', 'canEdit', 'towns'],
  menu: [{ label: 'templates.title', href: '/admin/templates', roles: ['admin', 'staff'], order: 70 }],
};
