import crypto from 'node:crypto';
import type { UnitOfWork } from '../../db/unit-of-work.js';
import { isUniqueViolation } from '../../db/database.js';
import type { ThrottleService } from '../throttle/service.js';
import type { z } from 'zod';
import { AlreadyRatedError, NotFoundError, ReopenClosedError, SpamError, StaleVersionError, ValidationError, type FieldError } from '../../errors.js';
import { t } from '../../i18n/index.js';
import type { CalendarService } from '../calendar/service.js';
import type { CatalogService } from '../catalog/service.js';
import { chinaDate, endOfChinaDay } from '../../domain/time.js';
import { addDays } from '../../domain/dates.js';
import { transition, type CaseState } from './machine.js';
import type { CaseKind, CaseRow, CasesRepo, ExchangeFilter, ExchangeRow, SpeakCategory } from './repo.js';
export type { ExchangeFilter, ExchangeRow, OutboxEvent } from './repo.js';
import { PhotoError, processPhotos, type PhotoStore, type ProcessedPhoto, type UploadedFile } from './photos.js';
import { applyForm, helpForm, rateForm, reopenForm, speakForm } from './schema.js';
import { fieldErrors } from '../../domain/field-errors.js';
import { createCaseEventBus, createCaseUnitOfWork, type CaseEventBus } from './events.js';
import { CASE_TOKEN_PATTERN, newCaseToken } from './tokens.js';

/** Days after resolution in which a villager may say 未解决 and reopen; unrated cases close after it. */
export const REOPEN_DAYS = 7;
/** Working days to resolve help requests and feedback (DESIGN.md). */
export const DEFAULT_RESOLUTION_DAYS = 5;
/** Wrong phone numbers allowed on one tracking number before it is locked for a while. */
export const LOOKUP_FREE_MISSES = 5;

export interface SubmitCase {
  kind: CaseKind;
  category: SpeakCategory | null;
  item: { id: number; promisedLimit: number; promisedLimitUnit: string } | null;
  villageId: number;
  householdId: number | null;
  plateId: number | null;
  name: string | null;
  phone: string | null;
  anonymous: boolean;
  content: string;
  callbackTime: string | null;
  idempotencyKey: string | null;
  photos: ProcessedPhoto[];
  /** the Open311 key's name when another system filed it (来源); null from a plate */
  source?: string | null;
  mediaUrl?: string | null;
  /** an e-mail address another system gave (Open311); dropped for anonymous cases */
  email?: string | null;
  /** 用短信通知我办理进展: only with a phone, never anonymous */
  notifySms?: boolean;
}

/** A case as a villager sends it from a plate's form: checked, photos re-encoded, then filed. */
export interface FileCaseInput {
  kind: CaseKind;
  /** the plate the form was opened from; another system may name only the village */
  plate: { villageId: number; districtId: number; householdId: number | null; plateId: number | null };
  /** the form's fields as sent; checked here with the kind's schema */
  form: Record<string, unknown>;
  /** the photos as received (on disk or in memory) */
  files: UploadedFile[];
  /** why the body could not be read whole, when it could not */
  uploadProblem?: 'tooBig' | 'tooMany' | 'tooLong' | 'broken';
  /** who filed it when not a villager at a plate: the Open311 key's name (来源) */
  source?: string;
  /** a link to media the filing system holds (Open311), kept as given */
  mediaUrl?: string | null;
  /** the person's e-mail address as the filing system gave it (Open311, checked there); kept for the office unless anonymous */
  email?: string | null;
}

export interface FiledCase {
  token: string;
  trackingNo: string;
  /** false when the same idempotency key had already filed it */
  created: boolean;
}

/** 满意度评价 on the villager's page: the form's fields as sent. */
export interface RateCaseInput {
  token: string;
  form: Record<string, unknown>;
}

/** 重新办理 (未解决) on the villager's page: the form's fields as sent. */
export interface ReopenCaseInput {
  token: string;
  form: Record<string, unknown>;
}

const FORMS: Record<CaseKind, z.ZodType> = { apply: applyForm, speak: speakForm, help: helpForm };

export interface VillagerView {
  case: CaseRow;
  events: Awaited<ReturnType<CasesRepo['publicEvents']>>;
  photos: Awaited<ReturnType<CasesRepo['photos']>>;
  canRate: boolean;
  canReopen: boolean;
  reopenUntil: string | null;
  /** the kept case's number and state only: its token, content and contacts are another villager's */
  mergedInto: { trackingNo: string; state: CaseState } | null;
}

export function createCasesService(deps: {
  uow: UnitOfWork;
  repo: CasesRepo;
  calendar: CalendarService;
  /** the items 码上办 may apply for; without a catalogue, none */
  catalog?: Pick<CatalogService, 'applicableItem'>;
  throttle: ThrottleService;
  photos: PhotoStore;
  /** where filings, ratings and reopenings are published; without one, a bus nobody listens to */
  events?: CaseEventBus;
  now?: () => Date;
}) {
  const { uow, repo, calendar, photos } = deps;
  const now = deps.now ?? (() => new Date());
  const catalog = deps.catalog ?? { applicableItem: () => undefined };
  const commit = createCaseUnitOfWork(uow, repo, deps.events ?? createCaseEventBus(uow));

  /**
   * When a case must be resolved: the item's promised time for applications (an item done on the
   * spot, 当场办结, still gets one working day to arrange), else 5 working days.
   */
  const resolutionDue = async (at: Date, item: { promisedLimit: number; promisedLimitUnit: string } | null): Promise<Date> => {
    if (!item) return await calendar.dueAfter(at, DEFAULT_RESOLUTION_DAYS);
    if (item.promisedLimit <= 0) return await calendar.dueAfter(at, 1);
    if (item.promisedLimitUnit === '自然日') return endOfChinaDay(addDays(chinaDate(at), item.promisedLimit));
    return await calendar.dueAfter(at, item.promisedLimit);
  };

  const reopenDeadline = (c: CaseRow): Date | null => (c.resolvedAt ? new Date(Date.parse(c.resolvedAt) + REOPEN_DAYS * 24 * 3600 * 1000) : null);

  const byToken = async (token: string): Promise<CaseRow> => {
    const c = CASE_TOKEN_PATTERN.test(token) ? await repo.findByToken(token) : undefined;
    if (!c) throw new NotFoundError('case');
    return c;
  };

  /** Applies a villager's or the system's state change with its public event, refusing stale versions. */
  const change = async (
    c: CaseRow,
    action: 'rate' | 'rate_low' | 'reopen' | 'auto_close',
    fields: { rating?: number; ratingComment?: string | null; body: string; data?: unknown },
  ): Promise<void> => {
    const to: CaseState = transition(c.state, action);
    const now_ = now();
    const at = now_.toISOString();
    // Reopened: no longer resolved, and a fresh deadline from today.
    const reopenDue =
      action === 'reopen'
        ? (
            await resolutionDue(
              now_,
              c.itemPromisedLimit === null ? null : { promisedLimit: c.itemPromisedLimit, promisedLimitUnit: c.itemPromisedLimitUnit ?? '工作日' },
            )
          ).toISOString()
        : null;
    await commit(async (record) => {
      const ok = await repo.update({
        id: c.id,
        version: c.version,
        state: to,
        now: at,
        closedAt: to === 'closed' ? at : null,
        rating: fields.rating ?? null,
        ratingComment: fields.ratingComment ?? null,
        reopened: action === 'reopen',
        resolutionDue: reopenDue,
      });
      if (!ok) throw new StaleVersionError();
      await record({
        caseId: c.id,
        at,
        actor: action === 'auto_close' ? 'system' : 'villager',
        userId: null,
        type: action === 'rate' || action === 'rate_low' ? 'rated' : action === 'reopen' ? 'reopened' : 'auto_closed',
        fromState: c.state,
        toState: to,
        public: true,
        body: fields.body,
        data: fields.data === undefined ? null : JSON.stringify(fields.data),
      });
    });
  };

  /**
   * Files a checked case in one transaction (case, first event, photo records) and publishes
   * case.filed. The same idempotency key again returns the case it made the first time, and
   * publishes nothing. Photo files are removed if nothing is saved.
   */
  const submit = async (input: SubmitCase): Promise<FiledCase> => {
    if (input.idempotencyKey) {
      const existing = await repo.findByIdempotencyKey(input.idempotencyKey);
      if (existing) return { token: existing.token, trackingNo: existing.trackingNo, created: false };
    }
    const at = now();
    const iso = at.toISOString();
    // the deadlines are read from the calendar before the transaction opens
    const firstResponseDue = (await calendar.dueAfter(at, 1)).toISOString();
    const resolutionDueAt = (await resolutionDue(at, input.item)).toISOString();
    const files = photos.write(input.photos);
    try {
      return await commit(async (record) => {
        const day = chinaDate(at).replaceAll('-', '');
        const trackingNo = `${day}-${String(await repo.nextTrackingSeq(day)).padStart(4, '0')}`;
        const token = newCaseToken();
        const caseId = await repo.insert({
          token,
          trackingNo,
          kind: input.kind,
          category: input.category,
          itemId: input.item?.id ?? null,
          villageId: input.villageId,
          householdId: input.householdId,
          plateId: input.plateId,
          name: input.anonymous ? null : input.name,
          phone: input.anonymous ? null : input.phone,
          anonymous: input.anonymous,
          content: input.content,
          callbackTime: input.callbackTime,
          firstResponseDue,
          resolutionDue: resolutionDueAt,
          idempotencyKey: input.idempotencyKey,
          source: input.source ?? null,
          mediaUrl: input.anonymous ? null : (input.mediaUrl ?? null),
          email: input.anonymous ? null : (input.email ?? null),
          notifySms: !input.anonymous && !!input.phone && (input.notifySms ?? false),
          now: iso,
        });
        await record({
          caseId,
          at: iso,
          actor: 'villager',
          userId: null,
          type: 'submitted',
          fromState: null,
          toState: 'submitted',
          public: true,
          body: '',
          data: null,
        });
        for (const [i, p] of input.photos.entries()) {
          await repo.addPhoto(caseId, { fileName: files[i]!, mime: p.mime, bytes: p.data.length, width: p.width, height: p.height }, iso);
        }
        return { token, trackingNo, created: true };
      });
    } catch (err) {
      photos.remove(files);
      // Two taps racing with the same key: the second finds the first's case.
      if (input.idempotencyKey && isUniqueViolation(err)) {
        const existing = await repo.findByIdempotencyKey(input.idempotencyKey);
        if (existing) return { token: existing.token, trackingNo: existing.trackingNo, created: false };
      }
      throw err;
    }
  };

  return {
    submit,

    /**
     * 码上办, 码上说 and help requests: checks the form with its kind's schema (every mistake at
     * once, as field errors), the item, the upload and the photos, then files the case. Anonymous
     * feedback keeps only the village: in a village the door is the person. ValidationError with
     * the field errors when something is to be fixed; SpamError when the hidden field is filled in.
     */
    async fileCase(input: FileCaseInput): Promise<FiledCase> {
      const form = input.form;
      // Honeypot: a field people never see. Bots fill it in; nothing is saved.
      if (form.website) throw new SpamError();
      const parsed = FORMS[input.kind].safeParse(form);
      const errors: FieldError[] = parsed.success ? [] : fieldErrors(parsed.error);
      const item = input.kind === 'apply' && typeof form.item === 'string' ? await catalog.applicableItem(input.plate.districtId, form.item) : undefined;
      if (input.kind === 'apply' && !item && !errors.some((e) => e.field === 'item')) {
        errors.push({ field: 'item', text: t('cases.errors.itemNotApplicable'), href: '#item' });
      }
      let processed: ProcessedPhoto[] = [];
      if (input.uploadProblem) {
        const field = input.uploadProblem === 'tooLong' ? 'content' : 'photos';
        errors.push({ field, text: t(`cases.errors.${input.uploadProblem}`), href: `#${field}` });
      } else if (errors.length === 0) {
        try {
          processed = await processPhotos(input.files);
        } catch (err) {
          if (!(err instanceof PhotoError)) throw err;
          errors.push({ field: 'photos', text: t(`cases.errors.${err.reason}`), href: '#photos' });
        }
      }
      // A file box cannot be filled in again by the server: say so rather than drop photos silently.
      if (errors.length > 0 && input.files.length > 0 && !errors.some((e) => e.field === 'photos')) {
        errors.push({ field: 'photos', text: t('cases.errors.photosAgain', { n: input.files.length }), href: '#photos' });
      }
      if (errors.length > 0 || !parsed.success) throw new ValidationError(errors);
      const v = parsed.data as {
        name: string | null;
        phone: string | null;
        content: string;
        callbackTime?: string;
        category?: SpeakCategory;
        anonymous?: boolean;
        notifySms?: boolean;
        idempotencyKey?: string;
      };
      return submit({
        kind: input.kind,
        category: v.category ?? null,
        item: item ? { id: item.id, promisedLimit: item.promisedLimit, promisedLimitUnit: item.promisedLimitUnit } : null,
        villageId: input.plate.villageId,
        householdId: v.anonymous ? null : input.plate.householdId,
        plateId: v.anonymous ? null : input.plate.plateId,
        name: v.name,
        phone: v.phone,
        anonymous: v.anonymous ?? false,
        content: v.content,
        callbackTime: v.callbackTime ?? null,
        idempotencyKey: v.idempotencyKey ?? null,
        notifySms: v.notifySms ?? false,
        photos: processed,
        source: input.source ?? null,
        mediaUrl: input.mediaUrl ?? null,
        email: input.email ?? null,
      });
    },

    /** What the villager's private page shows: public events only. */
    async forVillager(token: string): Promise<VillagerView> {
      const c = await byToken(token);
      const until = reopenDeadline(c);
      const merged = c.mergedIntoId ? await repo.findById(c.mergedIntoId) : undefined;
      return {
        case: c,
        events: await repo.publicEvents(c.id),
        photos: await repo.photos(c.id),
        canRate: c.state === 'resolved' && c.rating === null,
        canReopen: c.state === 'resolved' && until !== null && now() < until,
        reopenUntil: until ? until.toISOString() : null,
        mergedInto: merged ? { trackingNo: merged.trackingNo, state: merged.state } : null,
      };
    },

    /** Cases for another system (Open311 GET requests), newest first, with the latest public reply. */
    exchange: (filter: ExchangeFilter): Promise<ExchangeRow[]> => repo.exchange(filter),
    /**
     * Committed case events after `afterId` (oldest first, at most `limit`), with the case's
     * village, phone and SMS choice: what the notifications' cursor reads.
     */
    eventsAfter: (afterId: number, limit: number) => repo.eventsAfter(afterId, limit),

    /** The cases this phone filed (tokens from its cookie), newest first. */
    listByTokens(tokens: string[]): Promise<CaseRow[]> {
      return repo.findByTokens(tokens.filter((t) => CASE_TOKEN_PATTERN.test(t)).slice(0, 20));
    },

    /**
     * A tracking number plus the whole phone number given on the case open it. Tracking numbers are
     * sequential, so misses are also counted per number: after LOOKUP_FREE_MISSES the number is
     * locked for an hour, then two, … whatever address the guesses come from. A miss, a lock and
     * an unknown number do the same work and give the same answer.
     */
    async lookup(trackingNo: string, phone: string): Promise<string | undefined> {
      const key = `track:${trackingNo}`;
      const throttled = await deps.throttle.current(key, { afreshAfterLock: false });
      const c = await repo.findByTrackingNo(trackingNo);
      const digest = (v: string) => crypto.createHash('sha256').update(v).digest();
      const matches = crypto.timingSafeEqual(digest(c?.phone ?? '\0'), digest(phone)) && !!c?.phone;
      if (deps.throttle.waitMinutes(throttled) > 0) return undefined;
      if (!matches || !c) {
        await deps.throttle.fail(key, throttled, (n) => (n >= LOOKUP_FREE_MISSES ? Math.min(24 * 60, 60 * 2 ** (n - LOOKUP_FREE_MISSES)) : 0));
        return undefined;
      }
      await deps.throttle.clear(key);
      return c.token;
    },

    /**
     * 满意度评价: 1–5 stars and an optional comment, once, on a resolved case (case.rated).
     * ValidationError for the form; AlreadyRatedError, ActionNotAllowedError, StaleVersionError.
     */
    async rate(input: RateCaseInput): Promise<void> {
      const parsed = rateForm.safeParse(input.form);
      if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
      const { rating, comment } = parsed.data;
      const c = await byToken(input.token);
      if (c.rating !== null) throw new AlreadyRatedError();
      // 1–2 stars: 不满意 keeps the case resolved, so 重新办理 stays open for the rest of the 7 days.
      await change(c, rating <= 2 ? 'rate_low' : 'rate', { rating, ratingComment: comment, body: comment ?? '', data: { rating } });
    },

    /**
     * 未解决, 重新办理: within REOPEN_DAYS of resolution, with what is still wrong (case.reopened).
     * ValidationError for the form; ReopenClosedError after the window; StaleVersionError.
     */
    async reopen(input: ReopenCaseInput): Promise<void> {
      const parsed = reopenForm.safeParse(input.form);
      if (!parsed.success) throw new ValidationError(fieldErrors(parsed.error));
      const c = await byToken(input.token);
      const until = reopenDeadline(c);
      if (c.state !== 'resolved' || !until || now() >= until) throw new ReopenClosedError();
      await change(c, 'reopen', { body: parsed.data.reason });
    },

    photoPath: (fileName: string) => photos.path(fileName),

    /** A photo of the case behind this token, for its private page. */
    async photo(token: string, photoId: number): Promise<{ path: string; mime: string }> {
      const c = await byToken(token);
      const p = await repo.photoById(photoId);
      if (!p || p.caseId !== c.id) throw new NotFoundError('photo');
      return { path: photos.path(p.fileName), mime: p.mime };
    },
  };
}

export type CasesService = ReturnType<typeof createCasesService>;
