import { Router, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { Scope } from '../../domain/scope.js';
import { t } from '../../i18n/index.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { isOfficePhoneText } from '../../domain/phone.js';
import { parseVillageCoordinates, type CoordinateProblem } from '../../domain/geo.js';
import type { Coordinates } from './service.js';

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

const COORDINATE_TEXT: Record<'latitude' | 'longitude', Record<CoordinateProblem, string>> = {
  latitude: { notNumber: 'placesAdmin.latitudeInvalid', outOfRange: 'placesAdmin.latitudeRange', pair: 'placesAdmin.coordinatePair' },
  longitude: { notNumber: 'placesAdmin.longitudeInvalid', outOfRange: 'placesAdmin.longitudeRange', pair: 'placesAdmin.coordinatePair' },
};

/**
 * A village form's 纬度 and 经度: null when both are empty, undefined when the form sent neither
 * field (the coordinates are then kept), or the field errors (first the latitude's) with `href`s
 * to the inputs `<prefix>la`/`<prefix>lo`.
 */
function coordinatesOf(
  body: Record<string, unknown> | undefined,
  village: string,
  prefix: string,
): { value?: Coordinates; errors: Array<{ field: string; text: string; href: string }> } {
  if (body?.latitude === undefined && body?.longitude === undefined) return { errors: [] };
  // a field sent twice (an array) is no number
  const text = (v: unknown) => (v === undefined ? '' : typeof v === 'string' ? v : '?');
  const { value, problems } = parseVillageCoordinates(text(body?.latitude), text(body?.longitude));
  const errors = (['latitude', 'longitude'] as const).flatMap((k) => {
    const problem = problems[k];
    return problem ? [{ field: k, text: t(COORDINATE_TEXT[k][problem], { village }), href: `#${prefix}${k === 'latitude' ? 'la' : 'lo'}` }] : [];
  });
  return errors.length ? { errors } : { value, errors };
}

/** 镇街与村居 (at /admin, behind its gate): admins add villages and correct names; staff rename villages in their scope. */
export function placesAdminRoutes(services: Services): Router {
  const router = Router();
  /** The townships of the user's districts (every one for the city's administrator). */
  const townsOf = async (user: { scope: Scope }) =>
    services.places.towns(user.scope.all ? 'all' : (await services.places.districtsIn(user.scope)).map((d) => d.id));
  /** A township the administrator manages, else not there for them. */
  const ownTown = async (user: { scope: Scope }, code: string) => {
    if (!(await townsOf(user)).some((tw) => tw.code === code)) throw new NotFoundError('town');
  };
  const render = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const user = currentUser(res)!;
    const towns = await townsOf(user);
    const villages = await services.places.villagesIn(user.scope);
    res.status(status).render('admin/places', { towns, villages, errors: [], values: {}, edit: null, ...extra });
  };

  router.get('/places', requireUser('admin', 'staff'), (_req, res) => render(res));

  router.post('/places/towns/:code', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    const parsed = name.safeParse(req.body?.name);
    await ownTown(user, String(req.params.code));
    if (!parsed.success) return render(res, { errors: [{ field: 'name', text: parsed.error.issues[0]!.message, href: '#towns' }] }, 400);
    await services.places.renameTown(String(req.params.code), parsed.data);
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'town_renamed', target: String(req.params.code), detail: parsed.data });
    res.redirect(303, '/admin/places');
  });

  router.post('/places/towns/:code/centre', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    await ownTown(user, String(req.params.code));
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

  // A village's name and, when the form sends them, its coordinates (纬度, 经度).
  router.post('/places/villages/:code', requireUser('admin', 'staff'), async (req, res) => {
    const user = currentUser(res)!;
    const code = String(req.params.code);
    const body = req.body as Record<string, unknown> | undefined;
    const parsed = name.safeParse(body?.name);
    const at = coordinatesOf(body, parsed.success ? parsed.data : code, `vl-${code}-`);
    const errors = [...(parsed.success ? [] : [{ field: 'name', text: parsed.error.issues[0]!.message, href: `#vl-${code}` }]), ...at.errors];
    if (!parsed.success || errors.length) {
      const edit = { code, name: body?.name, latitude: body?.latitude, longitude: body?.longitude };
      return render(res, { errors, edit }, 400);
    }
    if (at.value === undefined) await services.places.renameVillage(user.scope, code, parsed.data);
    else await services.places.editVillage(user.scope, code, { name: parsed.data, coordinates: at.value });
    const where = at.value ? ` · ${at.value.latitude}, ${at.value.longitude}` : '';
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'village_renamed', target: code, detail: `${parsed.data}${where}` });
    res.redirect(303, '/admin/places#villages');
  });

  router.post('/places/villages', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    const parsed = villageForm.safeParse(req.body ?? {});
    const at = coordinatesOf(req.body as Record<string, unknown> | undefined, t('placesAdmin.add'), 'nv-');
    if (!parsed.success || at.errors.length) {
      const errors = [...(parsed.success ? [] : fieldErrors(parsed.error, { hrefPrefix: 'nv-' })), ...at.errors];
      return render(res, { errors, values: req.body }, 400);
    }
    try {
      // a village only in a township of the administrator's districts (another's is as unknown as none)
      if (!user.scope.all && !(await townsOf(user)).some((tw) => tw.code === parsed.data.code.slice(0, 9))) throw new ConflictError('village code');
      await services.places.addVillage(parsed.data.code.slice(0, 9), parsed.data.code, parsed.data.name, at.value ?? null);
    } catch (err) {
      if (!(err instanceof ConflictError)) throw err;
      return render(res, { errors: [{ field: 'code', text: t('placesAdmin.codeTaken'), href: '#nv-code' }], values: req.body }, 409);
    }
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'village_added', target: parsed.data.code, detail: parsed.data.name });
    res.redirect(303, '/admin/places');
  });
  return router;
}
