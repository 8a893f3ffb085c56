import { Router, type Request, type Response } from 'express';
import type { Services } from '../../services.js';
import { HOME_COOKIE, cookieOptions } from '../../http/locals.js';
import { NotFoundError } from '../../errors.js';
import type { PlateView } from './repo.js';

export type PlateKind = PlateView['kind'];
export const prefixOf = (kind: PlateKind) => (kind === 'household' ? 'p' : 'v');
export const MINE_COOKIE = 'mashang_cases';

/**
 * The active plate of this kind behind req.params.token, or undefined after rendering a page that
 * says why not (unknown: 404; replaced: 410 with the village's cadres).
 */
export function activePlate(services: Services, req: Request, res: Response, kind: PlateKind): PlateView | undefined {
  let plate: PlateView;
  try {
    plate = services.places.plateByToken(String(req.params.token));
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
    res.status(404).render('places/not-found');
    return undefined;
  }
  if (plate.kind !== kind) {
    res.status(404).render('places/not-found');
    return undefined;
  }
  if (plate.status === 'replaced') {
    res.status(410).render('places/replaced', { plate, cadres: services.cadres.forVillage(plate.villageId) });
    return undefined;
  }
  return plate;
}

/** Case tokens this phone filed, from its cookie. */
export function mineTokens(req: Request): string[] {
  const raw = req.cookies?.[MINE_COOKIE];
  return typeof raw === 'string' ? raw.split('.').filter((t) => /^[A-Za-z0-9_-]{22}$/.test(t)).slice(0, 10) : [];
}

/** The scan pages: /p/:token (household plate) and /v/:token (village plate), each with its 码上帮 page. */
export function placesRoutes(services: Services): Router {
  const router = Router();

  for (const kind of ['household', 'village'] as const) {
    const prefix = prefixOf(kind);
    router.get(`/${prefix}/:token`, (req, res) => {
      const plate = activePlate(services, req, res, kind);
      if (!plate) return;
      const base = `/${prefix}/${plate.token}`;
      if (req.cookies?.[HOME_COOKIE] !== base) res.cookie(HOME_COOKIE, base, cookieOptions(req));
      res.locals.homePath = base;
      res.render('places/landing', { plate, base, mine: services.cases.listByTokens(mineTokens(req)) });
    });
    router.get(`/${prefix}/:token/help`, (req, res) => {
      const plate = activePlate(services, req, res, kind);
      if (!plate) return;
      res.render('places/help', { plate, base: `/${prefix}/${plate.token}`, cadres: services.cadres.forVillage(plate.villageId) });
    });
  }
  return router;
}
