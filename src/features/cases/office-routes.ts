import express, { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { currentUser } from '../../http/auth.js';
import { ConflictError, NotFoundError, ValidationError } from '../../errors.js';
import { conflictText } from '../../http/errors.js';
import { t } from '../../i18n/index.js';
import { CASE_KINDS, CASE_STATES as STATES, SPEAK_CATEGORIES as CATEGORIES, TRACKING_NO_PATTERN } from '../../domain/cases.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { maskPhone } from '../../domain/phone.js';
import { scopeOf } from '../../domain/scope.js';
import { chinaToday } from '../../domain/time.js';
import type { InboxCursor, InboxQuery, StaffAction } from './office.js';
import { MAX_EXTENSION_DAYS } from './office.js';
import { writeChunks } from '../../http/download.js';
import { streamFromWorker } from '../../workers/stream.js';
import { EXPORT_YIELD_MS } from '../../http/yield.js';
import { exportCsv } from './export.js';

/** The worker that reads and formats an export (export-worker.ts). */
const EXPORT_WORKER = new URL('./export-worker.js', import.meta.url);

/** An inbox cursor in a link: `o<due>_<id>` after an open case, `d<id>` after a done one. */
const AFTER = /^(?:o\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,3})?Z_\d{1,12}|d\d{1,12})$/;
const cursorOf = (after: string | undefined): InboxCursor | undefined => {
  if (!after) return undefined;
  if (after.startsWith('d')) return { open: false, id: Number(after.slice(1)) };
  const at = after.lastIndexOf('_');
  return { open: true, due: after.slice(1, at), id: Number(after.slice(at + 1)) };
};
const afterOf = (c: InboxCursor): string => (c.open ? `o${c.due}_${c.id}` : `d${c.id}`);

const inboxQuery = z.object({
  // 'open' (待办: submitted, accepted, in progress) is where the inbox opens; 'all' is every state.
  state: z
    .enum([...STATES, 'open', 'all'])
    .optional()
    .catch(undefined),
  kind: z.enum(CASE_KINDS).optional().catch(undefined),
  village: z.coerce.number().int().positive().optional().catch(undefined),
  category: z.enum(CATEGORIES).optional().catch(undefined),
  mine: z.literal('1').optional().catch(undefined),
  flag: z.enum(['yellow', 'red']).optional().catch(undefined),
  q: z.string().trim().max(50).optional().catch(undefined),
  page: z.coerce.number().int().min(1).max(100000).optional().catch(undefined),
  // Where the page starts (see cursorOf); anything else starts at the first page.
  after: z.string().max(60).regex(AFTER).optional().catch(undefined),
  // The village picker's search, for scopes too large for a list: a village's code (or its start) or part of its name.
  vq: z.string().trim().max(30).optional().catch(undefined),
});

/** The villages a picker lists as options; more than this and it becomes a search field. */
const VILLAGE_SELECT_MAX = 400;

const text = z
  .string({ error: t('admin.case.textRequired') })
  .trim()
  .min(1, { error: t('admin.case.textRequired') })
  .max(2000, { error: t('admin.case.textTooLong') });
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
      days: z.coerce
        .number({ error: t('admin.case.daysInvalid') })
        .int({ error: t('admin.case.daysInvalid') })
        .min(1, { error: t('admin.case.daysInvalid') })
        .max(MAX_EXTENSION_DAYS, { error: t('admin.case.daysInvalid') }),
      text,
    }),
    z.object({
      action: z.literal('merge'),
      trackingNo: z
        .string()
        .trim()
        .regex(TRACKING_NO_PATTERN, { error: t('admin.case.trackingNoFormat') }),
    }),
  ]),
);

/** The villages a picker's search finds: by the start of their code, or part of their name (with or without the township's). */
const searchVillages = (villages: Array<{ id: number; code: string; name: string; townName: string }>, needle: string): number[] =>
  villages.filter((v) => v.code.startsWith(needle) || `${v.townName}${v.name}`.includes(needle)).map((v) => v.id);

function toQuery(q: z.output<typeof inboxQuery>, villageIds?: number[]): InboxQuery {
  return {
    state: q.state === 'all' ? undefined : q.state,
    kind: q.kind,
    villageId: q.village,
    category: q.category,
    mine: q.mine === '1',
    flag: q.flag,
    q: q.q || undefined,
    page: q.page,
    after: cursorOf(q.after),
    villageIds,
  };
}

/** The back office's case pages (at /admin, behind its gate): inbox, case page with its actions, CSV export, photos. */
export function caseOfficeRoutes(services: Services): Router {
  const router = Router();
  const office = services.caseOffice;

  router.get('/cases', async (req, res) => {
    const user = currentUser(res)!;
    const parsed = inboxQuery.parse(req.query);
    parsed.state ??= 'open';
    // A township's villages are listed; a larger scope searches them (villages is then null), and
    // the whole list is read only for a search or a village chosen elsewhere (the dashboard's links).
    const listed = user.scope.villageIds.size <= VILLAGE_SELECT_MAX;
    const needle = parsed.vq;
    const all = listed || needle || parsed.village ? await services.places.villagesIn(user.scope) : [];
    const found = needle && !listed ? searchVillages(all, needle) : undefined;
    if (!listed && !needle && parsed.village) parsed.vq = all.find((v) => v.id === parsed.village)?.name;
    const result = await office.inbox(user, toQuery({ ...parsed, vq: needle }, found));
    const params = (over: Record<string, string | undefined>) => {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...parsed, vq: needle, page: undefined, after: undefined, ...over }))
        if (v !== undefined && v !== '') p.set(k, String(v));
      const s = p.toString();
      return s ? `?${s}` : '';
    };
    res.render('admin/inbox', {
      q: parsed,
      result: { ...result, nextAfter: result.next ? afterOf(result.next) : null },
      params,
      villages: listed ? all : null,
      maskPhone,
      states: STATES,
      kinds: CASE_KINDS,
      categories: CATEGORIES,
    });
  });

  // Every case the filters select, in flat memory whatever their number. With a database a
  // second connection can read (a SQLite file, PostgreSQL) a worker thread of low priority reads
  // and formats them at the response's pace, and this thread only writes its bytes: a city's export
  // (a million rows, tens of seconds) leaves the event loop to villagers' and staff's requests. A
  // database in memory (tests) is read here, slice by slice (writeChunks). A worker that fails
  // before the first byte gives an error page; later, the response is cut off, never ended as if
  // complete.
  router.get('/cases.csv', async (req, res, next) => {
    const user = currentUser(res)!;
    let rows = 0;
    let audited = false;
    const audit = async () => {
      if (audited) return;
      audited = true;
      // The rows read, also when the client left part-way (they may have received some of them).
      await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'cases_exported', detail: `${rows}` });
    };
    try {
      const parsed = inboxQuery.parse(req.query);
      const found =
        parsed.vq && user.scope.villageIds.size > VILLAGE_SELECT_MAX ? searchVillages(await services.places.villagesIn(user.scope), parsed.vq) : undefined;
      const job = office.exportJob(user, toQuery(parsed, found));
      const begin = () => {
        res.set('Content-Disposition', `attachment; filename="cases-${chinaToday()}.csv"`);
        res.type('text/csv; charset=utf-8');
      };
      let complete: boolean;
      const connection = services.caseExports.connection;
      if (connection) {
        try {
          // villagers first: while a crowd of them is served, the export slows down (production)
          const yieldMs = services.config.env === 'production' ? EXPORT_YIELD_MS : 0;
          ({ complete, rows } = await streamFromWorker(EXPORT_WORKER, { connection, job }, res, begin, { yieldMs }));
        } catch (err) {
          if (res.headersSent) await audit();
          throw err;
        }
      } else {
        begin();
        const parts = exportCsv(office.exportRows(job), job.role);
        const chunks = async function* () {
          for await (const part of parts) {
            rows += part.rows;
            yield part.text;
          }
        };
        complete = await writeChunks(res, chunks());
      }
      await audit();
      if (complete) res.end();
    } catch (err) {
      next(err);
    }
  });

  const caseId = (raw: unknown): number => {
    const id = Number(raw);
    if (!Number.isSafeInteger(id) || id < 1) throw new NotFoundError('case');
    return id;
  };

  /** The district's templates and those of the case's township. */
  const templatesFor = async (c: { kind: string; category: string | null; villageId: number }) => {
    const village = (await services.places.villagesIn(scopeOf([c.villageId])))[0];
    return await services.templates.forCase(c.kind, c.category, village ? village.code.slice(0, 9) : '', village?.districtId ?? null);
  };

  const renderCase = async (res: express.Response, id: number, extra: Record<string, unknown> = {}, status = 200) => {
    const user = currentUser(res)!;
    const view = await office.get(user, id);
    res.status(status).render('admin/case', {
      ...view,
      c: view.case,
      maskPhone,
      errors: [],
      values: {},
      notice: null,
      openAction: null,
      mergeTarget: null,
      templates: await templatesFor(view.case),
      templateText: null,
      notifications: await services.notifications.forCase(user.scope, view.case.id),
      householdToken: view.case.householdId ? await services.places.activePlateToken(view.case.householdId) : undefined,
      ...extra,
    });
  };

  router.get('/cases/:id', async (req, res) => {
    // ?tpl=ID puts a reply template into the reply box: works without JavaScript.
    const id = caseId(req.params.id);
    const tplId = typeof req.query.tpl === 'string' ? Number(req.query.tpl) : NaN;
    // Only a template this case is offered: another township's is not there for it.
    const tpl = Number.isInteger(tplId) ? (await templatesFor((await office.get(currentUser(res)!, id)).case)).find((x) => x.id === tplId) : undefined;
    await renderCase(res, id, tpl ? { openAction: 'reply', values: { text: tpl.body } } : {});
  });

  router.get('/cases/:id/photos/:photoId', async (req, res) => {
    const user = currentUser(res)!;
    const p = await office.photo(user, caseId(req.params.id), caseId(req.params.photoId));
    res.type(p.mime).sendFile(services.cases.photoPath(p.fileName));
  });

  router.post('/cases/:id/action', async (req, res) => {
    const user = currentUser(res)!;
    const id = caseId(req.params.id);
    // A case outside the caller's villages is a 404 on both paths below (render and act check scope).
    const parsed = actionForm.safeParse(req.body ?? {});
    const action = String(req.body?.action ?? '');
    if (!parsed.success) {
      const errors = fieldErrors(parsed.error, { hrefPrefix: `${action}-`, fallbackField: 'text' });
      await renderCase(res, id, { errors, values: req.body, openAction: action }, 400);
      return;
    }
    const { version, ...rest } = parsed.data;
    // A merge hides this case behind another: show the other one first, then merge on confirmation.
    if (rest.action === 'merge' && req.body?.confirm !== '1') {
      try {
        const target = await office.mergeTarget(user, id, rest.trackingNo);
        await renderCase(res, id, { openAction: 'merge', values: req.body, mergeTarget: target });
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        await renderCase(res, id, { errors: err.errors.map((e) => ({ ...e, href: `#merge-${e.field}` })), values: req.body, openAction: 'merge' }, 400);
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
      await office.act({ user, caseId: id, version, ip: req.ip ?? '' }, command);
    } catch (err) {
      if (err instanceof ConflictError) {
        await renderCase(res, id, { notice: conflictText(err, res.locals.t, 'office') }, err.status);
        return;
      }
      if (err instanceof ValidationError) {
        await renderCase(res, id, { errors: err.errors.map((e) => ({ ...e, href: `#${action}-${e.field}` })), values: req.body, openAction: action }, 400);
        return;
      }
      throw err;
    }
    res.redirect(303, `/admin/cases/${id}#timeline`);
  });

  return router;
}
