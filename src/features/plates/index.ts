import type { Feature, ServiceContext } from '../feature.js';
import type { CadresService } from '../cadres/service.js';
import type { PlacesService } from '../places/service.js';
import { createPlatesRepo } from './repo.js';
import { createPlatesService } from './service.js';
import { platesRoutes, qrRoutes } from './routes.js';

interface Needs {
  cadres: CadresService;
  places: PlacesService;
}
const services = ({ database, config, now }: ServiceContext, { cadres, places }: Needs) => ({
  plates: createPlatesService({ repo: createPlatesRepo(database), cadres, places, publicBaseUrl: config.publicBaseUrl, now }),
});

/** Door plates: QR codes, print sheets and PDFs, reissuing a plate. */
export const platesFeature: Feature<ReturnType<typeof services>, Needs> = {
  name: 'plates',
  services,
  routes: (s) => qrRoutes(s),
  office: (s) => ({ routes: platesRoutes(s) }),
  templateNames: ['sizes', 'plateCode', 'size', 'limit'],
  menu: [{ label: 'plates.title', href: '/admin/plates', roles: ['admin', 'staff'], order: 40 }],
};
