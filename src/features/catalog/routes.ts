import { Router, type Request, type Response } from 'express';
import type { Services } from '../../services.js';
import { catalogQuery, itemCode } from './schema.js';
import { NotFoundError } from '../../errors.js';
import type { TownCentre } from './guide.js';

/** The plate this phone last scanned (its /p/ or /v/ path, kept in a cookie), if still active. */
type PlateView = Awaited<ReturnType<Services['places']['plateByToken']>>;

async function homePlate(services: Services, homePath: unknown): Promise<PlateView | null> {
  if (typeof homePath !== 'string') return null;
  try {
    const plate = await services.places.plateByToken(homePath.slice(3));
    return plate.status === 'active' ? plate : null;
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}

/**
 * Whose catalogue a resident browses: the district named by ?d= (a code), else that of the plate the
 * phone came from, else the only district. Undefined when the installation has several and nothing
 * says which: the page asks. `dq` is what links add to stay in a district named by ?d=.
 */
async function residentDistrict(services: Services, req: Request, res: Response) {
  const districts = await services.places.districts();
  const home = await homePlate(services, res.locals.homePath);
  const named = typeof req.query.d === 'string' ? districts.find((d) => d.code === req.query.d) : undefined;
  const district = named ?? (home ? districts.find((d) => d.id === home.districtId) : undefined) ?? (districts.length === 1 ? districts[0] : undefined);
  // the plate's own 便民服务中心 only for the plate's district
  const centre: TownCentre | null =
    home && district && home.districtId === district.id
      ? { townName: home.townName, address: home.centreAddress, hours: home.centreHours, phone: home.centrePhone }
      : null;
  // links keep a district named in the address; one that came from the plate stays with the phone's cookie
  return { district, districts, centre, dq: named ? `d=${named.code}` : '' };
}

/** 码上查: the catalogue, its search and each item's guide. */
export function catalogRoutes(services: Services): Router {
  const router = Router();

  router.get('/services', async (req, res) => {
    const { district, districts, dq } = await residentDistrict(services, req, res);
    if (!district) {
      res.render('catalog/districts', { districts });
      return;
    }
    res.locals.district = district;
    const query = catalogQuery.parse(req.query);
    const result = await services.catalog.search(district.id, query);
    res.render('catalog/list', {
      query,
      result,
      dq,
      district,
      themes: await services.catalog.themes(district.id),
      themeGroups: await services.catalog.themeGroups(district.id),
      total: await services.catalog.total(district.id),
      filtered: Boolean(query.q || query.theme || query.online || query.hf),
      pageHref: (page: number) => {
        const params = new URLSearchParams();
        if (dq) params.set('d', district.code);
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
    const { district, dq, centre } = await residentDistrict(services, req, res);
    if (!district) throw new NotFoundError('service item');
    res.locals.district = district;
    const guide = await services.catalog.guide(district.id, code.data, centre);
    res.render('catalog/item', { item: guide.item, guide, dq });
  });

  return router;
}
