import express, { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { t } from '../../i18n/index.js';
import { isRealDate } from '../../domain/dates.js';
import { chinaToday } from '../../domain/time.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { ForbiddenError } from '../../errors.js';

const realDate = z.string({ error: t('calendar.dateInvalid') }).refine(isRealDate, { error: t('calendar.dateInvalid') });

const dayForm = z.object({
  date: realDate,
  kind: z.enum(['holiday', 'workday'], { error: t('calendar.kindInvalid') }),
  note: z
    .string()
    .trim()
    .max(30, { error: t('calendar.noteTooLong') })
    .default(''),
});

/** Admins keep the working-day calendar: each year's holidays and make-up workdays (at /admin, behind its gate). */
export function calendarRoutes(services: Services): Router {
  const router = Router();
  const yearOf = (raw: unknown) => {
    const y = Number(raw);
    return Number.isInteger(y) && y >= 2000 && y <= 2100 ? y : Number(chinaToday().slice(0, 4));
  };
  const render = async (res: express.Response, year: number, extra: Record<string, unknown> = {}, status = 200) =>
    res.status(status).render('admin/calendar', {
      year,
      rows: await services.calendar.year(year),
      errors: [],
      values: {},
      // every district shares the calendar: a city administrator keeps it, a district's reads it
      canEdit: currentUser(res)!.scope.all,
      ...extra,
    });

  /** Only a city administrator changes the calendar every district's deadlines are counted on. */
  const cityOnly: express.RequestHandler = (_req, res, next) => (currentUser(res)!.scope.all ? next() : next(new ForbiddenError()));

  router.get('/calendar', requireUser('admin'), (req, res) => render(res, yearOf(req.query.year)));

  router.post('/calendar', requireUser('admin'), cityOnly, async (req, res) => {
    const user = currentUser(res)!;
    const parsed = dayForm.safeParse(req.body ?? {});
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error, { hrefPrefix: 'cal-' });
      await render(res, yearOf(String(req.body?.date ?? '').slice(0, 4)), { errors, values: req.body }, 400);
      return;
    }
    await services.calendar.setDay(parsed.data);
    await services.staff.audit({
      userId: user.id,
      ip: req.ip ?? '',
      action: 'calendar_set',
      target: parsed.data.date,
      detail: `${parsed.data.kind} ${parsed.data.note}`,
    });
    res.redirect(303, `/admin/calendar?year=${parsed.data.date.slice(0, 4)}`);
  });

  router.post('/calendar/:date/delete', requireUser('admin'), cityOnly, async (req, res) => {
    const user = currentUser(res)!;
    const parsed = realDate.safeParse(req.params.date);
    if (parsed.success && (await services.calendar.removeDay(parsed.data))) {
      await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'calendar_removed', target: parsed.data });
    }
    res.redirect(303, `/admin/calendar?year=${String(req.params.date).slice(0, 4)}`);
  });
  return router;
}
