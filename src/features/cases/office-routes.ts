import express, { Router, type RequestHandler } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { conflictText } from '../../http/errors.js';
import { t } from '../../i18n/index.js';
import { CASE_KINDS, CASE_STATES as STATES, SPEAK_CATEGORIES as CATEGORIES, TRACKING_NO_PATTERN } from '../../domain/cases.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { maskPhone } from '../../domain/phone.js';
import { scopeOf } from '../../domain/scope.js';
import { chinaToday } from '../../domain/time.js';
import type { InboxQuery, StaffAction } from './office.js';
import { MAX_EXTENSION_DAYS } from './office.js';
import { toCsv } from '../../http/csv.js';

const inboxQuery = z.object({
  // 'open' (待办: submitted, accepted, in progress) is where the inbox opens; 'all' is every state.
  state: z.enum([...STATES, 'open', 'all']).optional().catch(undefined),
  kind: z.enum(CASE_KINDS).optional().catch(undefined),
  village: z.coerce.number().int().positive().optional().catch(undefined),
  category: z.enum(CATEGORIES).optional().catch(undefined),
  mine: z.literal('1').optional().catch(undefined),
  flag: z.enum(['yellow', 'red']).optional().catch(undefined),
  q: z.string().trim().max(50).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(10000).optional().catch(undefined),
});

const text = z.string({ error: t('admin.case.textRequired') }).trim().min(1, { error: t('admin.case.textRequired') }).max(2000, { error: t('admin.case.textTooLong') });
const actionForm = z.object({ version: z.coerce.number().int().min(1) }).and(
  z.discriminatedUnion('action', [
    z.object({ action: z.enum(['accept', 'start']) }),
    z.object({ action: z.enum(['reject', 'note', 'resolve']), text }),
    // A reply may carry the step around it, so a cadre answers in one page load: 受理并回复
    // (accept first), 回复并办结 (the reply is the resolution), or both.
    z.object({ action: z.literal('reply'), text, step: z.enum(['reply', 'accept_reply', 'reply_resolve', 'accept_resolve']).optional() }),
    z.object({ action: z.literal('assign'), userId: z.coerce.number().int().positive() }),
    z.object({
      action: z.literal('extend'),
      days: z.coerce.number({ error: t('admin.case.daysInvalid') }).int({ error: t('admin.case.daysInvalid') }).min(1, { error: t('admin.case.daysInvalid') }).max(MAX_EXTENSION_DAYS, { error: t('admin.case.daysInvalid') }),
      text,
    }),
    z.object({ action: z.literal('merge'), trackingNo: z.string().trim().regex(TRACKING_NO_PATTERN, { error: t('admin.case.trackingNoFormat') }) }),
  ]),
);

function toQuery(q: z.output<typeof inboxQuery>): InboxQuery {
  return { state: q.state === 'all' ? undefined : q.state, kind: q.kind, villageId: q.village, category: q.category, mine: q.mine === '1', flag: q.flag, q: q.q || undefined, page: q.page };
}

/** The back office's case pages: inbox, case page with its actions, CSV export, photos. */
export function caseOfficeRoutes(services: Services, protect: RequestHandler): Router {
  const router = Router();
  const urlencoded = express.urlencoded({ extended: false, limit: '32kb', parameterLimit: 20 });
  const office = services.caseOffice;

  router.get('/admin/cases', requireUser(), (req, res) => {
    const user = currentUser(res)!;
    const parsed = inboxQuery.parse(req.query);
    parsed.state ??= 'open';
    const result = office.inbox(user, toQuery(parsed));
    const params = (over: Record<string, string | undefined>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...parsed, page: undefined, ...over })) if (v !== undefined && v !== '') p.set(k, String(v));
      const s = p.toString();
      return s ? `?${s}` : '';
    };
    res.render('admin/inbox', { q: parsed, result, params, villages: services.places.villagesIn(user.scope), maskPhone, states: STATES, kinds: CASE_KINDS, categories: CATEGORIES });
  });

  router.get('/admin/cases.csv', requireUser(), (req, res) => {
    const user = currentUser(res)!;
    const rows = office.exportRows(user, toQuery(inboxQuery.parse(req.query)));
    const header = ['受理编号', '类型', '类别', '事项', '镇街', '村（社区）', '门牌', '联系人', '电话', '内容', '状态', '提交时间', '答复期限', '办结期限', '时限', '指派给', '评分'];
    const body = rows.map((r) => [
      r.trackingNo, t(`cases.kinds.${r.kind}`), r.category ? t(`cases.categories.${r.category}`) : '', r.itemName ?? '', r.townName, r.villageName,
      r.address ?? '', r.anonymous ? t('admin.inbox.anonymous') : (r.name ?? ''), user.role === 'admin' ? (r.phone ?? '') : maskPhone(r.phone), r.content,
      t(`cases.states.${r.state}`), r.createdAt, r.firstResponseDue, r.resolutionDue, r.flag ? t(`admin.inbox.flags.${r.flag}`) : '', r.assignedName ?? '', r.rating === null ? '' : String(r.rating),
    ]);
    services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'cases_exported', detail: `${rows.length}` });
    res.set('Content-Disposition', `attachment; filename="cases-${chinaToday()}.csv"`);
    res.type('text/csv; charset=utf-8').send(toCsv([header, ...body]));
  });

  const caseId = (raw: unknown): number => {
    const id = Number(raw);
    if (!Number.isInteger(id) || id < 1) throw new NotFoundError('case');
    return id;
  };

  /** The district's templates and those of the case's township. */
  const templatesFor = (c: { kind: string; category: string | null; villageId: number }) => {
    const village = services.places.villagesIn(scopeOf([c.villageId]))[0];
    return services.templates.forCase(c.kind, c.category, village ? village.code.slice(0, 9) : '');
  };

  const renderCase = (res: express.Response, id: number, extra: Record<string, unknown> = {}, status = 200) => {
    const user = currentUser(res)!;
    const view = office.get(user, id);
    res.status(status).render('admin/case', {
      ...view, c: view.case, maskPhone, errors: [], values: {}, notice: null, openAction: null, mergeTarget: null,
      templates: templatesFor(view.case), templateText: null, notifications: services.notifications.forCase(user.scope, view.case.id),
      householdToken: view.case.householdId ? services.places.activePlateToken(view.case.householdId) : undefined, ...extra,
    });
  };

  router.get('/admin/cases/:id', requireUser(), (req, res) => {
    // ?tpl=ID puts a reply template into the reply box: works without JavaScript.
    const id = caseId(req.params.id);
    const tplId = typeof req.query.tpl === 'string' ? Number(req.query.tpl) : NaN;
    // Only a template this case is offered: another township's is not there for it.
    const tpl = Number.isInteger(tplId) ? templatesFor(office.get(currentUser(res)!, id).case).find((x) => x.id === tplId) : undefined;
    renderCase(res, id, tpl ? { openAction: 'reply', values: { text: tpl.body } } : {});
  });

  router.get('/admin/cases/:id/photos/:photoId', requireUser(), (req, res) => {
    const user = currentUser(res)!;
    const p = office.photo(user, caseId(req.params.id), caseId(req.params.photoId));
    res.type(p.mime).sendFile(services.cases.photoPath(p.fileName));
  });

  router.post('/admin/cases/:id/action', requireUser(), urlencoded, protect, (req, res) => {
    const user = currentUser(res)!;
    const id = caseId(req.params.id);
    // A case outside the caller's villages is a 404 on both paths below (render and act check scope).
    const parsed = actionForm.safeParse(req.body ?? {});
    const action = String(req.body?.action ?? '');
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error, { hrefPrefix: `${action}-`, fallbackField: 'text' });
      renderCase(res, id, { errors, values: req.body, openAction: action }, 400);
      return;
    }
    const { version, ...rest } = parsed.data;
    // A merge hides this case behind another: show the other one first, then merge on confirmation.
    if (rest.action === 'merge' && req.body?.confirm !== '1') {
      try {
        const target = office.mergeTarget(user, id, rest.trackingNo);
        renderCase(res, id, { openAction: 'merge', values: req.body, mergeTarget: target });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        renderCase(res, id, { errors: err.errors.map((e) => ({ ...e, href: `#merge-${e.field}` })), values: req.body, openAction: 'merge' }, 400);
      }
      return;
    }
    // 回复并办结 is a resolution whose text is the reply; 受理并… are two steps as one.
    const command: StaffAction =
      rest.action !== 'reply' || !rest.step || rest.step === 'reply'
        ? rest
        : rest.step === 'reply_resolve'
          ? { action: 'resolve', text: rest.text }
          : { action: rest.step, text: rest.text };
    try {
      office.act({ user, caseId: id, version, ip: req.ip ?? '' }, command);
    } catch (err) {
      if (err instanceof ConflictError) {
        renderCase(res, id, { notice: conflictText(err, res.locals.t, 'office') }, err.status);
        return;
      }
      if (err instanceof ValidationError) {
        renderCase(res, id, { errors: err.errors.map((e) => ({ ...e, href: `#${action}-${e.field}` })), values: req.body, openAction: action }, 400);
        return;
      }
      throw err;
    }
    res.redirect(303, `/admin/cases/${id}#timeline`);
  });

  return router;
}
