import { Router } from 'express';
import type { Feature, ServiceContext } from '../feature.js';
import { createPlacesRepo } from './repo.js';
import { createPlacesService } from './service.js';
import { householdVisitRoutes, placesRoutes } from './routes.js';
import { householdAdminRoutes } from './admin-routes.js';
import { placesAdminRoutes } from './places-admin-routes.js';

const services = ({ database, uow }: ServiceContext) => ({ places: createPlacesService(createPlacesRepo(database), uow) });

/** Townships, villages, households and their plates: the scan pages, the household file, 住户管理, 镇街与村居. */
export const placesFeature: Feature<ReturnType<typeof services>> = {
  name: 'places',
  services,
  routes: (s) => placesRoutes(s),
  office: (s) => ({ routes: Router().use(householdVisitRoutes(s), householdAdminRoutes(s), placesAdminRoutes(s)) }),
  templateNames: [
    'plate',
    'base',
    'mine',
    'asHeading',
    'cadres',
    'household',
    'visits',
    'today',
    'cases',
    'village',
    'villages',
    'towns',
    'editing',
    'code',
    'edit',
  ],
  menu: [{ label: 'placesAdmin.title', href: '/admin/places', roles: ['admin', 'staff'], order: 30 }],
};
