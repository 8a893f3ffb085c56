import type { Feature, ServiceContext } from '../feature.js';
import { createCadresRepo } from './repo.js';
import { createCadresService } from './service.js';
import { cadreAdminRoutes, cadrePhotoRoutes } from './admin-routes.js';

const services = ({ database, uow }: ServiceContext) => ({ cadres: createCadresService(createCadresRepo(database), uow) });

/** The cadres who serve each village (码上帮), with their photos; kept by staff under 住户管理's villages. */
export const cadresFeature: Feature<ReturnType<typeof services>> = {
  name: 'cadres',
  services,
  routes: (s) => cadrePhotoRoutes(s),
  office: (s, http) => cadreAdminRoutes(s, http.protect),
  templateNames: ['roles', 'editing'],
};
