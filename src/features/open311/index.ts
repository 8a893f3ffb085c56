import type { RequestHandler, Router } from 'express';
import type { Logger } from 'pino';
import type { Db } from '../../db/index.js';
import type { Services } from '../../services.js';
import type { CasesService } from '../cases/service.js';
import type { CatalogService } from '../catalog/service.js';
import type { PlacesService } from '../places/service.js';
import { apiKeysAdminRoutes } from './admin-routes.js';
import { createOpen311Repo } from './repo.js';
import { open311Routes } from './routes.js';
import { createOpen311Service } from './service.js';

export { open311Routes } from './routes.js';
export { apiKeysAdminRoutes } from './admin-routes.js';
export { createOpen311Service, type Open311Service } from './service.js';

/** Builds the feature's service from the database and the services it reads and files cases through. */
export function open311Services(
  db: Db,
  deps: { cases: CasesService; catalog: CatalogService; places: PlacesService; publicBaseUrl: string; now?: () => Date },
) {
  return createOpen311Service({ repo: createOpen311Repo(db), ...deps });
}

/**
 * Open311 GeoReport v2 as a feature: its service (API keys, the spec mapping) and its routers, the
 * API under /open311/v2 (authenticated by API key, no CSRF) and the admins' /admin/apikeys page.
 */
export const open311Feature = {
  name: 'open311',
  services: open311Services,
  routes: (services: Services, ctx: { protect: RequestHandler; perKeyPerMinute?: number; logger?: Logger }): Router[] => [
    open311Routes(services.open311, { perKeyPerMinute: ctx.perKeyPerMinute, logger: ctx.logger }),
    apiKeysAdminRoutes(services, ctx.protect),
  ],
};
