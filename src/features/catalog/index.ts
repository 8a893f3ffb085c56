import type { Feature, ServiceContext } from '../feature.js';
import { createCatalogRepo } from './repo.js';
import { createCatalogService } from './service.js';
import { catalogRoutes } from './routes.js';
import { catalogAdminRoutes } from './admin-routes.js';

const services = ({ database, uow }: ServiceContext) => ({ catalog: createCatalogService(createCatalogRepo(database), uow) });

/** 码上查: the catalogue of service items, its search and guides; 事项管理 in the back office. */
export const catalogFeature: Feature<ReturnType<typeof services>> = {
  name: 'catalog',
  services,
  routes: (s) => catalogRoutes(s),
  office: (s) => ({ routes: catalogAdminRoutes(s) }),
  templateNames: ['themes', 'filtered', 'pageHref', 'item', 'items', 'themeNames', 'themeGroups', 'guide', 'headers', 'multiline', 'canEdit'],
  menu: [{ label: 'catalogAdmin.title', href: '/admin/catalog', roles: ['admin', 'staff'], order: 50 }],
};
