import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { ConflictError } from '../../errors.js';
import { t } from '../../i18n/index.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { isOfficePhoneText } from '../../domain/phone.js';

const name = z
  .string()
  .trim()
  .min(1, { error: t('placesAdmin.nameRequired') })
  .max(30, { error: t('placesAdmin.nameRequired') })
  // a control character (a NUL, which PostgreSQL's text cannot hold) is no name
  .regex(/^\P{Cc}*$/u, { error: t('placesAdmin.nameRequired') });
const centreForm = z.object({
  address: z
    .string()
    .trim()
    .max(100, { error: t('placesAdmin.centreTooLong') }),
  hours: z
    .string()
    .trim()
    .min(1, { error: t('placesAdmin.centreHoursRequired') })
    .max(100, { error: t('placesAdmin.centreTooLong') }),
  phone: z
    .string()
    .trim()
    .refine(isOfficePhoneText, { error: t('placesAdmin.centrePhoneInvalid') }),
});
const villageForm = z.object({
  code: z
    .string()
    .trim()
    .regex(/^\d{12}$/, { error: t('placesAdmin.codeInvalid') }),
  name,
});

/** 镇街与村居 (at /admin, behind its gate): admins add villages and correct names; staff rename villages in their scope. */
export function placesAdminRoutes(services: Services): Router {
  const router = Router();
  const render = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const user = currentUser(res)!;
    const towns = await services.places.towns();
    const villages = await services.places.villagesIn(user.scope);
    res.status(status).render('admin/places', { towns, villages, errors: [], values: {}, ...extra });
  };

  router.get('/places', requireUser('admin', 'staff'), (_req, res) => render(res));

  router.post('/places/towns/:code', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    const parsed = name.safeParse(req.body?.name);
    if (!parsed.success) return render(res, { errors: [{ field: 'name', text: parsed.error.issues[0]!.message, href: '#towns' }] }, 400);
    await services.places.renameTown(String(req.params.code), parsed.data);
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'town_renamed', target: String(req.params.code), detail: parsed.data });
    res.redirect(303, '/admin/places');
  });

  router.post('/places/towns/:code/centre', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    const parsed = centreForm.safeParse(req.body ?? {});
    if (!parsed.success) return render(res, { errors: [{ field: 'centre', text: parsed.error.issues[0]!.message, href: '#centres' }] }, 400);
    await services.places.setTownCentre(String(req.params.code), parsed.data);
    await services.staff.audit({
      userId: user.id,
      ip: req.ip ?? '',
      action: 'town_centre_set',
      target: String(req.params.code),
      detail: [parsed.data.address, parsed.data.hours, parsed.data.phone].join(' · '),
    });
    res.redirect(303, '/admin/places#centres');
  });

  router.post('/places/villages/:code', requireUser('admin', 'staff'), async (req, res) => {
    const user = currentUser(res)!;
    const parsed = name.safeParse(req.body?.name);
    if (!parsed.success) return render(res, { errors: [{ field: 'name', text: parsed.error.issues[0]!.message, href: '#villages' }] }, 400);
    await services.places.renameVillage(user.scope, String(req.params.code), parsed.data);
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'village_renamed', target: String(req.params.code), detail: parsed.data });
    res.redirect(303, '/admin/places');
  });

  router.post('/places/villages', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    const parsed = villageForm.safeParse(req.body ?? {});
    if (!parsed.success) return render(res, { errors: fieldErrors(parsed.error, { hrefPrefix: 'nv-' }), values: req.body }, 400);
    try {
      await services.places.addVillage(parsed.data.code.slice(0, 9), parsed.data.code, parsed.data.name);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      return render(res, { errors: [{ field: 'code', text: t('placesAdmin.codeTaken'), href: '#nv-code' }], values: req.body }, 409);
    }
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'village_added', target: parsed.data.code, detail: parsed.data.name });
    res.redirect(303, '/admin/places');
  });
  return router;
}
