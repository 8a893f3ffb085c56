import path from 'node:path';
import type { Feature, ServiceContext } from '../feature.js';
import type { CadresService } from '../cadres/service.js';
import type { CalendarService } from '../calendar/service.js';
import type { CatalogService } from '../catalog/service.js';
import type { PlacesService } from '../places/service.js';
import { createTransferService } from './service.js';
import { createPendingImports } from './pending.js';
import { transferRoutes } from './routes.js';

interface Needs {
  places: PlacesService;
  cadres: CadresService;
  calendar: CalendarService;
  catalog: CatalogService;
}
const services = ({ uow, config, now }: ServiceContext, { places, cadres, calendar, catalog }: Needs) => ({
  transfer: createTransferService({ uow, places, cadres, calendar, catalog }),
  /** files checked in a dry run, waiting for confirmation (data/imports) */
  pendingImports: createPendingImports(path.resolve(config.dataDir, 'imports'), now),
});

/** 数据导入导出: templates, exports, and imports with a dry run first, through the owners' services. */
export const transferFeature: Feature<ReturnType<typeof services>, Needs> = {
  name: 'transfer',
  services,
  office: (s, http) => transferRoutes(s, http.protect),
  templateNames: ['names', 'headers', 'plan', 'uploadId', 'encoding', 'problem'],
  menu: [{ label: 'data.title', href: '/admin/data', roles: ['admin', 'staff'], order: 60 }],
};
