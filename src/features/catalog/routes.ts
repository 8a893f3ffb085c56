import querystring from 'node:querystring';
import { Router } from 'express';
import type { Services } from '../../services.js';
import { catalogQuery, itemCode } from './schema.js';
import { NotFoundError } from '../../errors.js';
import type { TownCentre } from './guide.js';
import { pageCache } from '../../http/page-cache.js';
import type { LanePage } from '../../http/fast-lane.js';

type DistrictRow = Awaited<ReturnType<Services['places']['districts']>>[number];

/** The district a resident page is about, and what links add to stay in it. */
interface Resident {
  district: DistrictRow | undefined;
  districts: DistrictRow[];
  centre: TownCentre | null;
  dq: string;
}

/** Each request's answer, worked out once (the kept pages' handler and the route may both ask). */
const residents = new WeakMap<object, Promise<Resident>>();

/**
 * Whose catalogue a resident browses: the district named by ?d= (a code), else that of the plate the
 * phone came from (its home cookie, if the plate is still active), else the only district. Undefined
 * when the installation has several and nothing says which: the page asks. `dq` is what links add
 * to stay in a district named by ?d=. The districts and the plate are read at one places revision.
 */
function residentDistrict(services: Services, req: object, homePath: unknown, d: unknown): Promise<Resident> {
  let known = residents.get(req);
  if (!known) {
    known = decide(services, homePath, d);
    residents.set(req, known);
  }
  return known;
}

async function decide(services: Services, homePath: unknown, d: unknown): Promise<Resident> {
  const { districts, home } = await services.places.residentPlaces(typeof homePath === 'string' ? homePath.slice(3) : null);
  const named = typeof d === 'string' ? districts.find((x) => x.code === d) : undefined;
  const district = named ?? (home ? districts.find((d) => d.id === home.districtId) : undefined) ?? (districts.length === 1 ? districts[0] : undefined);
  // the plate's own 便民服务中心 only for the plate's district
  const centre: TownCentre | null =
    home && district && home.districtId === district.id
      ? { townName: home.townName, address: home.centreAddress, hours: home.centreHours, phone: home.centrePhone }
      : null;
  // links keep a district named in the address; one that came from the plate stays with the phone's cookie
  return { district, districts, centre, dq: named ? `d=${named.code}` : '' };
}

/** How many rendered list pages are kept (page-cache.ts): ~16 KB each. */
export const LISTS_KEPT = 500;

/** Rendered 码上查 list pages, one set per installation's services (shared by the two ways in below). */
const listsOf = new WeakMap<Services, ReturnType<typeof pageCache>>();
function listsFor(services: Services): ReturnType<typeof pageCache> {
  let lists = listsOf.get(services);
  if (!lists) listsOf.set(services, (lists = pageCache({ limit: LISTS_KEPT })));
  return lists;
}

/**
 * A list page's key among the kept ones: elder mode, the phone's home plate (the page links back to
 * it) and the URL (the query, the filters, the page, a district named by ?d=). What else it shows
 * is the district's, and the district's catalogue: the page's source.
 */
const listKey = (req: { originalUrl: string }, res: { locals: Record<string, unknown> }) =>
  `${res.locals.elder ? 'e' : '-'}${(res.locals.homePath as string | null) ?? ''} ${req.originalUrl}`;

/**
 * A 码上查 list answered from the kept pages, ahead of Express (the app's fast lane,
 * http/fast-lane.ts) and so before the set-up such a page does not use (CSRF tokens, sessions, the
 * signed-in user). It answers only a request without a session cookie for which the route below
 * kept a page under the same key (so the same URL, which the guards before the route let through),
 * rendered from the same district and the same edition of its catalogue: after any change to the
 * places or to that catalogue, the route renders it again. Anything else goes on to the route.
 */
export function keptCatalogPages(services: Services, opts: { sessionCookie: string }): LanePage {
  const lists = listsFor(services);
  return {
    path: '/services',
    route: () => '/services',
    answer: async (req, res) => {
      if (req.cookies[opts.sessionCookie] !== undefined) return undefined;
      const key = listKey(req, res);
      // nothing kept under this key at all: no need to read the places and the catalogue first
      if (!lists.has(key)) return undefined;
      // ?d= as Express reads it (its "simple" query parser: node:querystring)
      const q = req.originalUrl.indexOf('?');
      const d = q === -1 ? undefined : querystring.parse(req.originalUrl.slice(q + 1)).d;
      const { district } = await residentDistrict(services, req, res.locals.homePath, d);
      if (!district) return undefined;
      const page = lists.take(key, [district, await services.catalog.edition(district.id)]);
      if (!page) return undefined;
      return () => {
        lists.sendKept(req, res, page);
      };
    },
  };
}

/** 码上查: the catalogue, its search and each item's guide. */
export function catalogRoutes(services: Services): Router {
  const router = Router();
  const lists = listsFor(services);

  router.get('/services', async (req, res) => {
    const { district, districts, dq } = await residentDistrict(services, req, res.locals.homePath, req.query.d);
    if (!district) {
      res.render('catalog/districts', { districts });
      return;
    }
    res.locals.district = district;
    const query = catalogQuery.parse(req.query);
    const { edition, result, themes, themeGroups, total } = await services.catalog.listing(district.id, query);
    const locals = {
      query,
      result,
      dq,
      district,
      themes,
      themeGroups,
      total,
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
    };
    // The same for every phone with this key while the district and its catalogue are unchanged
    // (a signed-in user's is rendered afresh, and not kept).
    const key = listKey(req, res);
    const source = [district, edition];
    if (res.locals.user) res.render('catalog/list', locals);
    else if (!lists.send(req, res, key, source)) lists.render(res, 'catalog/list', locals, key, source);
  });

  router.get('/services/:code', async (req, res) => {
    const code = itemCode.safeParse(req.params.code);
    if (!code.success) throw new NotFoundError('service item');
    const { district, dq, centre } = await residentDistrict(services, req, res.locals.homePath, req.query.d);
    if (!district) throw new NotFoundError('service item');
    res.locals.district = district;
    const guide = await services.catalog.guide(district.id, code.data, centre);
    res.render('catalog/item', { item: guide.item, guide, dq });
  });

  return router;
}
