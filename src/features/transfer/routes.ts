import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import multer from 'multer';
import type { Services } from '../../services.js';
import { currentUser, requireUser } from '../../http/auth.js';
import { protectUpload, receiveUpload, type UploadProblem } from '../../http/uploads.js';
import { NotFoundError, ValidationError } from '../../errors.js';
import { t } from '../../i18n/index.js';
import { DATASETS, type DatasetName } from './datasets.js';
import { csvChunks, streamXlsx, TableError, type Encoding } from './table.js';
import { writeChunks } from '../../http/download.js';

const MAX_UPLOAD = 20 * 1024 * 1024;
const upload = multer({
  storage: multer.memoryStorage(),
  limits: { fileSize: MAX_UPLOAD, files: 1, fields: 5, fieldSize: 1024, parts: 8, fieldNestingDepth: 0 },
});

const datasetOf = (raw: unknown): DatasetName => {
  if (raw === 'places' || raw === 'households' || raw === 'cadres' || raw === 'calendar' || raw === 'catalog') return raw;
  throw new NotFoundError('dataset');
};
const encodingOf = (raw: unknown): Encoding => (raw === 'gbk' || raw === 'utf8' ? raw : 'auto');

/**
 * 数据导入导出 (at /admin, behind its gate): templates, exports, and imports with a dry run first.
 * Staff and admins, within scope. The file form is multipart: it is in `uploads`.
 */
export function transferRoutes(services: Services, protect: RequestHandler): { routes: Router; uploads: Router } {
  const router = Router();
  const uploads = Router();
  const staffOnly = requireUser('admin', 'staff');

  /**
   * The signed-in user as the caller of an import or export: the catalogue is a district's, so a
   * city administrator names one (?d= or the form's d, a district code); everyone else works in theirs.
   */
  const callerOf = async (req: Request, res: Response) => {
    const user = currentUser(res)!;
    const named = typeof req.query.d === 'string' ? req.query.d : typeof req.body?.d === 'string' ? (req.body.d as string) : undefined;
    if (!user.scope.all || !named) return user;
    const district = await services.places.districtByCode(named);
    if (!district) throw new NotFoundError('district');
    return { ...user, districtId: district.id };
  };

  const page = async (res: Response, extra: Record<string, unknown> = {}, status = 200) => {
    const user = currentUser(res)!;
    // a city administrator of several districts picks the catalogue's district
    const districts = user.scope.all ? await services.places.districts() : [];
    const names = (Object.keys(DATASETS) as DatasetName[]).filter(
      (n) =>
        (n !== 'places' || user.role === 'admin') &&
        (n !== 'calendar' || (user.role === 'admin' && user.scope.all)) &&
        (n !== 'catalog' || user.role === 'admin' || user.scope.districtIds.size > 0),
    );
    res.status(status).render('admin/data', {
      names,
      headers: Object.fromEntries(names.map((n) => [n, DATASETS[n].headers])),
      districts: districts.length > 1 ? districts : [],
      district: null,
      plan: null,
      uploadId: null,
      encoding: 'auto',
      done: null,
      problem: null,
      ...extra,
    });
  };

  // The banner after an import is built here from three counts: the query never puts text on the page.
  router.get('/data', staffOnly, async (req, res) => {
    const count = (v: unknown) => (typeof v === 'string' && /^\d{1,7}$/.test(v) ? Number(v) : undefined);
    const [add, change, same] = [count(req.query.add), count(req.query.change), count(req.query.same)];
    await page(res, { done: add !== undefined && change !== undefined && same !== undefined ? t('data.done', { add, change, same }) : null });
  });

  router.get('/data/:name/:kind', staffOnly, async (req, res, next) => {
    try {
      const name = datasetOf(req.params.name);
      const m = String(req.params.kind).match(/^(template|export)\.(csv|xlsx)$/);
      if (!m) throw new NotFoundError('file');
      const user = { ...(await callerOf(req, res)) };
      const format = m[2] as 'csv' | 'xlsx';
      const type = format === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';
      if (m[1] === 'template') {
        const bytes = await services.transfer.template(name, format);
        res.set('Content-Disposition', `attachment; filename="${name}-${m[1]}.${format}"`);
        res.type(type).send(bytes);
        return;
      }
      if (name === 'catalog') {
        try {
          user.districtId = await services.transfer.catalogDistrict(user);
        } catch (err) {
          if (!(err instanceof ValidationError)) throw err;
          await page(res, { problem: { text: err.errors[0]?.text ?? '', dataset: name } }, 400);
          return;
        }
      }
      // An export is written as it is read, in flat memory, whatever the size of the district.
      const { headers, slices } = services.transfer.exportParts(name, user);
      await services.staff.audit({ userId: user.id, ip: req.ip ?? '', action: 'exported', target: name, detail: format });
      res.set('Content-Disposition', `attachment; filename="${name}-${m[1]}.${format}"`);
      res.type(type);
      if (format === 'xlsx') await streamXlsx(res, name, headers, slices);
      else if (await writeChunks(res, csvChunks(headers, slices))) res.end();
    } catch (err) {
      next(err);
    }
  });

  const receive = receiveUpload(upload.single('file'));
  const problemText: Record<UploadProblem, string> = { tooBig: 'data.tooBig', tooMany: 'data.tooMany', tooLong: 'data.tooLong', broken: 'data.broken' };

  uploads.post('/data/:name/preview', staffOnly, receive, protectUpload(protect), async (req: Request, res: Response, next: NextFunction) => {
    try {
      const name = datasetOf(req.params.name);
      const user = await callerOf(req, res);
      const file = req.file;
      const district = typeof req.body?.d === 'string' && user.scope.all ? req.body.d : null;
      const encoding = encodingOf(req.body?.encoding);
      const problem = res.locals.uploadProblem as UploadProblem | undefined;
      if (problem || !file || file.size === 0) {
        await page(res, { problem: { text: t(problem ? problemText[problem] : 'data.noFile'), dataset: name }, encoding }, 400);
        return;
      }
      let plan;
      try {
        plan = await services.transfer.dryRun(name, file.buffer, user, encoding);
      } catch (err) {
        if (err instanceof ValidationError) {
          await page(res, { problem: { text: err.errors[0]?.text ?? '', dataset: name }, encoding }, 400);
          return;
        }
        if (!(err instanceof TableError)) throw err;
        await page(res, { problem: { text: err.message, dataset: name }, encoding }, 400);
        return;
      }
      // Keep the file for the confirmation step only when there is something to confirm.
      const confirmable = plan.errors.length === 0 && plan.counts.add + plan.counts.change > 0;
      const id = confirmable ? services.pendingImports.keep(user.id, name, encoding, file.buffer) : null;
      await page(res, { plan, uploadId: id, encoding, district }, plan.errors.length ? 400 : 200);
    } catch (err) {
      next(err);
    }
  });

  router.post('/data/:name/commit', staffOnly, async (req, res, next) => {
    try {
      const name = datasetOf(req.params.name);
      const user = await callerOf(req, res);
      const pending = services.pendingImports.take(String(req.body?.uploadId ?? ''), user.id, name);
      if (!pending) throw new NotFoundError('upload');
      try {
        const plan = await services.transfer.commit(name, pending.bytes, user, pending.encoding);
        await services.staff.audit({
          userId: user.id,
          ip: req.ip ?? '',
          action: 'imported',
          target: name,
          detail: t('data.done', { add: plan.counts.add, change: plan.counts.change, same: plan.counts.same }),
        });
        res.redirect(303, `/admin/data?add=${plan.counts.add}&change=${plan.counts.change}&same=${plan.counts.same}`);
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
        await page(res, { problem: { text: t('data.changed'), dataset: name } }, 409);
      }
    } catch (err) {
      next(err);
    }
  });
  return { routes: router, uploads };
}
