import { Router } from 'express';
import type { Services } from '../../services.js';
import { catalogQuery, itemCode } from './schema.js';
import { NotFoundError } from '../../errors.js';

/** 码上查: the catalogue, its search and each item's guide. */
export function catalogRoutes(services: Services): Router {
  const router = Router();

  router.get('/services', (req, res) => {
    const query = catalogQuery.parse(req.query);
    const result = services.catalog.search(query);
    res.render('catalog/list', {
      query,
      result,
      themes: services.catalog.themes(),
      themeGroups: services.catalog.themeGroups(),
      total: services.catalog.total(),
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

  router.get('/services/:code', (req, res) => {
    const code = itemCode.safeParse(req.params.code);
    if (!code.success) throw new NotFoundError('service item');
    res.render('catalog/item', { item: services.catalog.item(code.data) });
  });

  return router;
}
