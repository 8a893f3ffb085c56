import type { Feature, ServiceContext } from '../feature.js';
import type { CasesService } from '../cases/service.js';
import type { CatalogService } from '../catalog/service.js';
import type { PlacesService } from '../places/service.js';
import { apiKeysAdminRoutes } from './admin-routes.js';
import { createOpen311Repo } from './repo.js';
import { open311Routes } from './routes.js';
import { createOpen311Service } from './service.js';

export { createOpen311Service, type Open311Service } from './service.js';

interface Needs {
  cases: CasesService;
  catalog: CatalogService;
  places: PlacesService;
}
const services = ({ database, config, now }: ServiceContext, { cases, catalog, places }: Needs) => ({
  open311: createOpen311Service({ repo: createOpen311Repo(database), cases, catalog, places, publicBaseUrl: config.publicBaseUrl, now }),
});

/**
 * Open311 GeoReport v2: the API under /open311/v2 (authenticated by API key, so no browser CSRF
 * token: see routes.ts) and the admins' API-key page at /admin/apikeys.
 */
export const open311Feature: Feature<ReturnType<typeof services>, Needs> = {
  name: 'open311',
  services,
  api: (s, { limitSettings, limitStores, logger }) => open311Routes(s.open311, { perKeyPerMinute: limitSettings.open311PerKeyPerMinute, limitStores, logger }),
  office: (s) => ({ routes: apiKeysAdminRoutes(s) }),
  templateNames: ['created'],
  menu: [{ label: 'admin.nav.apiKeys', href: '/admin/apikeys', roles: ['admin'], order: 95 }],
};
