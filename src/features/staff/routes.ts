import express, { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { t } from '../../i18n/index.js';
import type { FieldError } from '../../errors.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { normalisePhone } from '../../domain/phone.js';
import type { ScopeLevel } from './repo.js';
import { passwordProblem } from './password-policy.js';
import { servesDistrict } from '../../domain/scope.js';
import { NotFoundError } from '../../errors.js';

// Chosen from lists (several checkboxes or options arrive as an array); typed codes still work.
const codes = (len: number) =>
  z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((v) => (Array.isArray(v) ? v : (v ?? '').split(/[\s,，]+/)).filter(Boolean))
    .pipe(z.array(z.string().regex(new RegExp(`^\\d{${len}}$`), { error: t('users.codeInvalid') })).max(50));

const userForm = z.object({
  username: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{3,32}$/, { error: t('users.usernameInvalid') }),
  displayName: z
    .string()
    .trim()
    .min(1, { error: t('users.nameRequired') })
    .max(20, { error: t('users.nameRequired') }),
  role: z.enum(['admin', 'staff', 'cadre'], { error: t('users.roleInvalid') }),
  password: z
    .string()
    .min(10, { error: t('admin.password.tooShort') })
    .max(200),
  district: z.literal(['', '1']).optional(),
  /** the district the user works in ('' for a city administrator); a district administrator's own when absent */
  districtCode: z
    .string()
    .trim()
    .regex(/^(\d{6})?$/, { error: t('users.districtInvalid') })
    .optional(),
  towns: codes(9),
  villages: codes(12),
  cadrePhone: z.string().trim().optional(),
});

/** Admins manage back-office users and their scopes (at /admin, behind its gate). */
export function staffRoutes(services: Services): Router {
  const router = Router();
  const render = async (res: express.Response, extra: Record<string, unknown> = {}, status = 200) => {
    const user = currentUser(res)!;
    const villages = await services.places.villagesIn(user.scope);
    const towns = await services.places.townsIn(user.scope);
    const districts = (await services.places.districts()).filter((d) => servesDistrict(user.scope, d.id));
    // Scopes are shown by name, and chosen from lists of the district's places.
    const placeNames = new Map<string, string>([
      ...towns.map((t) => [`town:${t.code}`, t.name] as [string, string]),
      ...villages.map((v) => [`village:${v.code}`, `${v.townName} ${v.name}`] as [string, string]),
      ...districts.map((d) => [`district:${d.code}`, t('users.wholeDistrict', { name: d.name })] as [string, string]),
    ]);
    res.status(status).render('admin/users', {
      rows: await services.staff.list(user.scope),
      errors: [],
      values: {},
      towns,
      villages,
      districts,
      districtNames: new Map(districts.map((d) => [d.id, d.name])),
      city: user.scope.all,
      placeNames,
      ...extra,
    });
  };

  router.get('/users', requireUser('admin'), (_req, res) => render(res));

  router.post('/users', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    const parsed = userForm.safeParse(req.body ?? {});
    const errors: FieldError[] = parsed.success ? [] : fieldErrors(parsed.error, { hrefPrefix: 'u-' });
    let cadreId: number | null = null;
    let district: { id: number; code: string } | undefined;
    const scopes: Array<{ level: ScopeLevel; code: string }> = [];
    if (parsed.success) {
      const v = parsed.data;
      if (await services.staff.findUser(v.username)) errors.push({ field: 'username', text: t('users.taken'), href: '#u-username' });
      const rule = passwordProblem(v.password, v.username);
      if (rule) errors.push({ field: 'password', text: t(`admin.password.rules.${rule}`), href: '#u-password' });
      if (v.cadrePhone) {
        cadreId = (await services.staff.cadreIdByPhone(normalisePhone(v.cadrePhone))) ?? null;
        if (cadreId === null) errors.push({ field: 'cadrePhone', text: t('users.noCadre'), href: '#u-cadrePhone' });
      }
      // A district administrator adds users to their own district; a city administrator picks one,
      // or none for another city administrator.
      const districts = await services.places.districts();
      // (a form that names none, with one district in the installation, means that one)
      const code = user.scope.all
        ? (v.districtCode ?? (districts.length === 1 ? districts[0]!.code : ''))
        : (districts.find((d) => d.id === user.districtId)?.code ?? '');
      district = districts.find((d) => d.code === code && servesDistrict(user.scope, d.id));
      if (code === '' ? !user.scope.all || v.role !== 'admin' : !district)
        errors.push({ field: 'districtCode', text: t(code === '' ? 'users.districtRequired' : 'users.districtInvalid'), href: '#u-districtCode' });
      if (v.district === '1' && district) scopes.push({ level: 'district', code: district.code });
      for (const code of v.towns) scopes.push({ level: 'town', code });
      for (const code of v.villages) scopes.push({ level: 'village', code });
      for (const s of scopes)
        if (!(await services.staff.placeExists(s.level, s.code)) || (district && !s.code.startsWith(district.code)))
          errors.push({ field: s.level === 'town' ? 'towns' : 'villages', text: t('users.unknownPlace', { code: s.code }), href: `#u-${s.level}s` });
      if (cadreId !== null && district && (await services.staff.districtOfPlaces([], cadreId)) !== district.id)
        errors.push({ field: 'cadrePhone', text: t('users.noCadre'), href: '#u-cadrePhone' });
      if (v.role !== 'admin' && scopes.length === 0 && cadreId === null) errors.push({ field: 'towns', text: t('users.scopeRequired'), href: '#u-towns' });
    }
    if (!parsed.success || errors.length) {
      await render(res, { errors, values: { ...req.body, password: '' } }, 400);
      return;
    }
    const v = parsed.data;
    const id = await services.staff.createUser({
      username: v.username,
      displayName: v.displayName,
      password: v.password,
      role: v.role,
      cadreId,
      districtId: district?.id ?? null,
      scopes,
    });
    await services.staff.audit({
      userId: user.id,
      ip: req.ip ?? '',
      districtId: district?.id ?? null,
      action: 'user_added',
      target: `user:${id}`,
      detail: `${v.username} ${v.role} ${scopes.map((s) => `${s.level}:${s.code}`).join(' ')}`,
    });
    res.redirect(303, '/admin/users');
  });

  router.post('/users/:id/active', requireUser('admin'), async (req, res) => {
    const user = currentUser(res)!;
    const id = Number(req.params.id);
    const active = req.body?.active === '1';
    if (id !== user.id) {
      // another district's user (or a city administrator, for a district's) is not there for them
      if (!Number.isSafeInteger(id) || !(await services.staff.setActive(id, active, user.scope))) throw new NotFoundError('user');
      await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: active ? 'user_activated' : 'user_deactivated', target: `user:${id}` });
    }
    res.redirect(303, '/admin/users');
  });
  return router;
}
