import express, { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { t } from '../../i18n/index.js';
import { CASE_KINDS, SPEAK_CATEGORIES } from '../../domain/cases.js';
import { fieldErrors } from '../../domain/field-errors.js';
import type { TemplateOwner } from './service.js';

const templateForm = z.object({
  kind: z.enum(['', ...CASE_KINDS]).transform((v) => (v === '' ? null : v)),
  category: z.enum(['', ...SPEAK_CATEGORIES]).transform((v) => (v === '' ? null : v)),
  title: z
    .string()
    .trim()
    .min(1, { error: t('templates.titleRequired') })
    .max(30, { error: t('templates.titleTooLong') }),
  body: z
    .string()
    .trim()
    .min(5, { error: t('templates.bodyRequired') })
    .max(2000, { error: t('admin.case.textTooLong') }),
  town: z
    .string()
    .optional()
    .transform((v) => (v ? v : null)),
});

/** Staff and admins manage the reply templates; cadres use them (at /admin, behind its gate). */
export function templatesRoutes(services: Services): Router {
  const router = Router();
  /** Township staff keep their townships' templates; admins and district staff keep all of them. */
  const ownerOf = async (
    res: express.Response,
  ): Promise<{ owner: TemplateOwner; towns: Array<{ code: string; name: string; districtId: number }>; district: number | null }> => {
    const user = currentUser(res)!;
    // A township's templates are kept by those who serve the whole township, not one of its villages.
    const mine = new Map<string, number>();
    for (const v of await services.places.villagesIn(user.scope)) mine.set(v.code.slice(0, 9), (mine.get(v.code.slice(0, 9)) ?? 0) + 1);
    const towns = (await services.places.towns())
      .filter((tw) => tw.villages > 0 && mine.get(tw.code) === tw.villages)
      .map((tw) => ({ code: tw.code, name: tw.name, districtId: tw.districtId }));
    if (user.scope.all) return { owner: 'all', towns, district: null };
    const districts = [...user.scope.districtIds];
    const seen = (await services.places.districtsIn(user.scope)).map((d) => d.id);
    return { owner: { districts, towns: towns.map((tw) => tw.code), seen }, towns, district: districts.length === 1 ? districts[0]! : null };
  };
  /** The district keepers (the city's administrator, a district's administrator or staff) may file district-wide templates. */
  const keepsDistrict = (owner: TemplateOwner) => owner === 'all' || owner.districts.length > 0;
  const render = async (res: express.Response, extra: Record<string, unknown> = {}, status = 200) => {
    const { owner, towns } = await ownerOf(res);
    res.status(status).render('admin/templates', {
      rows: await services.templates.visible(owner),
      towns,
      canEdit: keepsDistrict(owner),
      kinds: CASE_KINDS,
      categories: SPEAK_CATEGORIES,
      errors: [],
      values: {},
      ...extra,
    });
  };

  router.get('/templates', requireUser('admin', 'staff'), (_req, res) => render(res));

  router.post('/templates', requireUser('admin', 'staff'), async (req, res) => {
    const user = currentUser(res)!;
    const { owner, towns, district } = await ownerOf(res);
    const parsed = templateForm.safeParse(req.body ?? {});
    const errors = parsed.success ? [] : fieldErrors(parsed.error, { hrefPrefix: 'tpl-' });
    // Township staff file templates under one of their townships; only the district's keepers may leave it empty.
    const townCode = parsed.success ? (parsed.data.town ?? (keepsDistrict(owner) ? null : (towns[0]?.code ?? null))) : null;
    const town = towns.find((tw) => tw.code === townCode);
    if (parsed.success && (townCode === null ? !keepsDistrict(owner) : !town)) {
      errors.push({ field: 'town', text: t('templates.townInvalid'), href: '#tpl-town' });
    }
    if (!parsed.success || errors.length) {
      await render(res, { errors, values: req.body }, 400);
      return;
    }
    const { town: _town, ...template } = parsed.data;
    // a township's template belongs to its district; a district-wide one to the keeper's district (the city's administrator's: the city's)
    const id = await services.templates.add({ ...template, townCode, districtId: town ? town.districtId : district }, user.id, owner);
    await services.staff.audit({
      userId: user.id,
      ip: req.ip ?? '',
      action: 'template_added',
      target: `template:${id}`,
      detail: `${townCode ?? 'district'} ${template.title}`,
    });
    res.redirect(303, '/admin/templates');
  });

  router.post('/templates/:id/delete', requireUser('admin', 'staff'), async (req, res) => {
    const user = currentUser(res)!;
    const id = Number(req.params.id);
    await services.templates.remove(Number.isSafeInteger(id) ? id : 0, (await ownerOf(res)).owner);
    await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'template_deleted', target: `template:${id}` });
    res.redirect(303, '/admin/templates');
  });
  return router;
}
