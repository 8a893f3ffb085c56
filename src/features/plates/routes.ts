import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { isRealDate } from '../../domain/dates.js';
import { inScope, villageIdsOf } from '../../domain/scope.js';
import { startOfChinaDay } from '../../domain/time.js';
import { t } from '../../i18n/index.js';
import { isPlateTokenShape } from '../places/tokens.js';
import { writeHouseholdPlatesPdf, writeVillagePlatePdf } from './pdf.js';
import { qrPng, qrSvg } from './qr.js';
import type { PlateSelection } from './repo.js';
import { addressFit, plateCode, sizeOf, SIZES } from './sizes.js';

/** The most plates an HTML print view shows; more go to the PDF. */
const HTML_PRINT_LIMIT = 400;

const selection = z.object({
  village: z
    .string()
    .regex(/^\d{12}$/)
    .optional()
    .catch(undefined),
  town: z
    .string()
    .regex(/^\d{9}$/)
    .optional()
    .catch(undefined),
  households: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) =>
      v === undefined
        ? undefined
        : (Array.isArray(v) ? v : v.split(','))
            .map(Number)
            .filter((n) => Number.isInteger(n) && n > 0)
            .slice(0, 2000),
    )
    .catch(undefined),
  // An empty date box means no date; a date that is not on the calendar is refused, never ignored
  // (ignoring it would print every plate of the township instead of the few replaced ones).
  since: z.preprocess((v) => (v === '' ? undefined : v), z.string().refine(isRealDate).optional()),
  size: z.enum(['plate', 'sticker']).optional().catch(undefined),
});

/** QR images of a plate (/qr/…): staff and admins, within their scope. */
export function qrRoutes(services: Services): Router {
  const router = Router();
  const staffOnly = requireUser('admin', 'staff');
  router.get('/qr/:file', staffOnly, async (req, res, next) => {
    try {
      const m = String(req.params.file).match(/^([A-Za-z0-9_-]{12})\.(svg|png)$/);
      if (!m || !isPlateTokenShape(m[1]!)) throw new NotFoundError('plate');
      const plate = await services.places.plateByToken(m[1]!);
      if (!inScope(currentUser(res)!.scope, plate.villageId)) throw new NotFoundError('plate');
      const url = services.plates.url(plate.kind, plate.token);
      if (m[2] === 'svg') res.type('image/svg+xml').send(await qrSvg(url));
      else res.type('image/png').send(await qrPng(url, Math.min(20, Math.max(2, Number(req.query.scale) || 10))));
    } catch (err) {
      next(err);
    }
  });
  return router;
}

/** Print sheets, PDFs and reissuing plates (at /admin, behind its gate): staff and admins, within their scope. */
export function platesRoutes(services: Services): Router {
  const router = Router();
  const staffOnly = requireUser('admin', 'staff');

  const parseSelection = (query: unknown): z.output<typeof selection> => {
    const parsed = selection.safeParse(query);
    if (!parsed.success) throw new ValidationError([{ field: 'since', text: t('plates.sinceInvalid'), href: '#since' }]);
    return parsed.data;
  };

  const toSelection = async (res: Response, q: z.output<typeof selection>): Promise<PlateSelection> => {
    const user = currentUser(res)!;
    if (!q.village && !q.town && !q.households?.length) throw new NotFoundError('selection');
    // A village or township outside the caller's scope is not there for them.
    const visible = await services.places.villagesIn(user.scope);
    if (q.village && !visible.some((v) => v.code === q.village)) throw new NotFoundError('village');
    if (q.town && !visible.some((v) => v.code.startsWith(q.town!))) throw new NotFoundError('town');
    return {
      villageIds: villageIdsOf(user.scope),
      villageCode: q.village,
      townCode: q.town,
      householdIds: q.households?.length ? q.households : undefined,
      since: q.since ? startOfChinaDay(q.since).toISOString() : undefined,
    };
  };

  router.get('/plates', staffOnly, async (req, res) => {
    const user = currentUser(res)!;
    const q = typeof req.query.q === 'string' ? req.query.q.trim().slice(0, 20) : '';
    const villages = (await services.places.villagesIn(user.scope)).filter((v) => !q || v.name.includes(q) || v.townName.includes(q) || v.code.startsWith(q));
    res.render('admin/plates', { villages, q, publicBaseUrl: services.config.publicBaseUrl });
  });

  router.get('/plates/village/:code', staffOnly, async (req, res) => {
    const user = currentUser(res)!;
    const village = (await services.places.villagesIn(user.scope)).find((v) => v.code === req.params.code);
    if (!village) throw new NotFoundError('village');
    res.render('admin/plates-village', {
      village,
      rows: await services.plates.households(user.scope, village.id),
      sizes: Object.values(SIZES),
      plateCode,
      notice: req.query.reissued === '1' ? 'reissued' : null,
      publicBaseUrl: services.config.publicBaseUrl,
    });
  });

  router.get('/plates/print', staffOnly, async (req, res, next) => {
    try {
      const q = parseSelection(req.query);
      const sel = await toSelection(res, q);
      const size = sizeOf(q.size);
      const plates = [];
      for await (const p of services.plates.iterate(sel)) {
        if (plates.length >= HTML_PRINT_LIMIT) break;
        plates.push({ ...p, code: plateCode(p.plateId), fit: addressFit(p.address), svg: await qrSvg(services.plates.url('household', p.token)) });
      }
      const pages = [];
      const perPage = size.columns * size.rows;
      for (let i = 0; i < plates.length; i += perPage) pages.push(plates.slice(i, i + perPage));
      res.render('admin/plates-print', {
        pages,
        size,
        total: await services.plates.count(sel),
        limit: HTML_PRINT_LIMIT,
        query: new URLSearchParams(req.query as Record<string, string>).toString(),
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/plates.pdf', staffOnly, async (req, res, next) => {
    try {
      const q = parseSelection(req.query);
      const sel = await toSelection(res, q);
      const user = currentUser(res)!;
      await services.staff.audit({
        userId: user.id,
        ip: req.ip ?? '',
        action: 'plates_printed',
        target: q.village ?? q.town ?? 'households',
        detail: `${await services.plates.count(sel)} ${sizeOf(q.size).key}`,
      });
      res.type('application/pdf');
      res.set('Content-Disposition', `attachment; filename="plates-${q.village ?? q.town ?? 'selected'}.pdf"`);
      await writeHouseholdPlatesPdf(res, services.plates.iterate(sel), {
        size: sizeOf(q.size),
        url: (token) => services.plates.url('household', token),
        title: t('plates.pdfTitle'),
      });
    } catch (err) {
      next(err);
    }
  });

  router.get('/plates/village/:code/village.pdf', staffOnly, async (req, res, next) => {
    try {
      const v = await services.plates.villagePlate(currentUser(res)!.scope, String(req.params.code));
      if (!v) throw new NotFoundError('village');
      res.type('application/pdf');
      res.set('Content-Disposition', `attachment; filename="village-${v.villageCode}.pdf"`);
      await writeVillagePlatePdf(res, v, services.plates.url('village', v.token));
    } catch (err) {
      next(err);
    }
  });

  // Reissuing makes the old plate on the door stop working: it is confirmed on a page of its own.
  router.get('/plates/households/:id/reissue', staffOnly, async (req, res) => {
    const user = currentUser(res)!;
    const id = Number(req.params.id);
    const h = await services.plates.household(user.scope, Number.isSafeInteger(id) ? id : 0);
    const village = (await services.places.villagesIn(user.scope)).find((v) => v.id === h.villageId)!;
    res.render('admin/confirm', {
      title: t('plates.reissueConfirmTitle'),
      details: [
        [t('plates.address'), `${village.townName} ${village.name} ${h.address}`],
        [t('plates.code'), h.plateId ? plateCode(h.plateId) : '—'],
      ],
      body: t('plates.reissueConfirmBody'),
      action: `/admin/plates/households/${h.id}/reissue`,
      hiddenFields: [['village', village.code]],
      confirmLabel: t('plates.reissue'),
      backHref: `/admin/plates/village/${village.code}#h${h.id}`,
    });
  });

  router.post('/plates/households/:id/reissue', staffOnly, async (req, res) => {
    const user = currentUser(res)!;
    const id = Number(req.params.id);
    const { plateId } = await services.plates.reissue(user.scope, Number.isSafeInteger(id) ? id : 0);
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'plate_reissued', target: `household:${id}`, detail: plateCode(plateId) });
    const village = String(req.body?.village ?? '');
    res.redirect(303, /^\d{12}$/.test(village) ? `/admin/plates/village/${village}?reissued=1#h${id}` : '/admin/plates');
  });

  return router;
}
