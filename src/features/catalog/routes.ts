import { Router } from 'express';
import type { Services } from '../../services.js';
import { catalogQuery, itemCode } from './schema.js';
import { NotFoundError } from '../../errors.js';
import type { TownCentre } from './guide.js';

/** The 便民服务中心 of the plate this phone last scanned (its /p/ or /v/ path, kept in a cookie), if still active. */
async function homeCentre(services: Services, homePath: unknown): Promise<TownCentre | null> {
  if (typeof homePath !== 'string') return null;
  const token = homePath.slice(3);
  try {
    const plate = await services.places.plateByToken(token);
    if (plate.status !== 'active') return null;
    return { townName: plate.townName, address: plate.centreAddress, hours: plate.centreHours, phone: plate.centrePhone };
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/** 码上查: the catalogue, its search and each item's guide. */
export function catalogRoutes(services: Services): Router {
  const router = Router();

  router.get('/services', async (req, res) => {
    const query = catalogQuery.parse(req.query);
    const result = await services.catalog.search(query);
    res.render('catalog/list', {
      query,
      result,
      themes: await services.catalog.themes(),
      themeGroups: await services.catalog.themeGroups(),
      total: await services.catalog.total(),
      filtered: Boolean(query.q || query.theme || query.online || query.hf),
      pageHref: (page: number) => {
        const params = new URLSearchParams();
        if (query.q) params.set('q', query.q);
        if (query.theme) params.set('theme', query.theme);
        if (query.online) params.set('online', '1');
        if (query.hf) params.set('hf', '1');
        params.set('page', String(page));
        return `/services?${params.toString()}`;
      },
    });
  });

  router.get('/services/:code', async (req, res) => {
    const code = itemCode.safeParse(req.params.code);
    if (!code.success) throw new NotFoundError('service item');
    const guide = await services.catalog.guide(code.data, await homeCentre(services, res.locals.homePath));
    res.render('catalog/item', { item: guide.item, guide });
  });

  return router;
}
