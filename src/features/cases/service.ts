import crypto from 'node:crypto';
import type { Db } from '../../db/index.js';
import type { ThrottleService } from '../throttle/service.js';
import { transaction } from '../../db/index.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import type { CalendarService } from '../calendar/service.js';
import { chinaDate, endOfChinaDay } from '../../domain/time.js';
import { addDays } from '../../domain/dates.js';
import { transition, type CaseState } from './machine.js';
import type { CaseKind, CaseRow, CasesRepo, SpeakCategory } from './repo.js';
import type { PhotoStore, ProcessedPhoto } from './photos.js';
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
}

export interface VillagerView {
  case: CaseRow;
  events: ReturnType<CasesRepo['publicEvents']>;
  photos: ReturnType<CasesRepo['photos']>;
  canRate: boolean;
  canReopen: boolean;
  reopenUntil: string | null;
  /** the kept case's number and state only: its token, content and contacts are another villager's */
  mergedInto: { trackingNo: string; state: CaseState } | null;
}

export function createCasesService(deps: {
  db: Db;
  repo: CasesRepo;
  calendar: CalendarService;
  throttle: ThrottleService;
  photos: PhotoStore;
  now?: () => Date;
}) {
  const { db, repo, calendar, photos } = deps;
  const now = deps.now ?? (() => new Date());

  /**
   * When a case must be resolved: the item's promised time for applications (an item done on the
   * spot, 当场办结, still gets one working day to arrange), else 5 working days.
   */
  const resolutionDue = (at: Date, item: { promisedLimit: number; promisedLimitUnit: string } | null): Date => {
    if (!item) return calendar.dueAfter(at, DEFAULT_RESOLUTION_DAYS);
    if (item.promisedLimit <= 0) return calendar.dueAfter(at, 1);
    if (item.promisedLimitUnit === '自然日') return endOfChinaDay(addDays(chinaDate(at), item.promisedLimit));
    return calendar.dueAfter(at, item.promisedLimit);
  };

  const reopenDeadline = (c: CaseRow): Date | null =>
    c.resolvedAt ? new Date(Date.parse(c.resolvedAt) + REOPEN_DAYS * 24 * 3600 * 1000) : null;

  const byToken = (token: string): CaseRow => {
    const c = CASE_TOKEN_PATTERN.test(token) ? repo.findByToken(token) : undefined;
    if (!c) throw new NotFoundError('case');
    return c;
  };

  /** Applies a villager's or the system's state change with its public event, refusing stale versions. */
  const change = (
    c: CaseRow,
    action: 'rate' | 'rate_low' | 'reopen' | 'auto_close',
    fields: { rating?: number; ratingComment?: string | null; body: string; data?: unknown },
  ): void => {
    const to: CaseState = transition(c.state, action);
    const now_ = now();
    const at = now_.toISOString();
    // Reopened: no longer resolved, and a fresh deadline from today.
    const reopenDue =
      action === 'reopen'
        ? resolutionDue(now_, c.itemPromisedLimit === null ? null : { promisedLimit: c.itemPromisedLimit, promisedLimitUnit: c.itemPromisedLimitUnit ?? '工作日' }).toISOString()
        : null;
    transaction(db, () => {
      const ok = repo.update({
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
      if (!ok) throw new ConflictError('case changed');
      repo.addEvent({
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

  return {
    /**
     * Files a case in one transaction (case, first event, photo records). The same idempotency key
     * again returns the case it made the first time. Photo files are removed if nothing is saved.
     */
    submit(input: SubmitCase): { token: string; trackingNo: string; created: boolean } {
      if (input.idempotencyKey) {
        const existing = repo.findByIdempotencyKey(input.idempotencyKey);
        if (existing) return { token: existing.token, trackingNo: existing.trackingNo, created: false };
      }
      const at = now();
      const iso = at.toISOString();
      const files = photos.write(input.photos);
      try {
        return transaction(db, () => {
          const day = chinaDate(at).replaceAll('-', '');
          const trackingNo = `${day}-${String(repo.nextTrackingSeq(day)).padStart(4, '0')}`;
          const token = newCaseToken();
          const caseId = repo.insert({
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
            firstResponseDue: calendar.dueAfter(at, 1).toISOString(),
            resolutionDue: resolutionDue(at, input.item).toISOString(),
            idempotencyKey: input.idempotencyKey,
            now: iso,
          });
          repo.addEvent({ caseId, at: iso, actor: 'villager', userId: null, type: 'submitted', fromState: null, toState: 'submitted', public: true, body: '', data: null });
          input.photos.forEach((p, i) => repo.addPhoto(caseId, { fileName: files[i]!, mime: p.mime, bytes: p.data.length, width: p.width, height: p.height }, iso));
          return { token, trackingNo, created: true };
        });
      } catch (err) {
        photos.remove(files);
        // Two taps racing with the same key: the second finds the first's case.
        if (input.idempotencyKey && String((err as { code?: string }).code).startsWith('SQLITE_CONSTRAINT')) {
          const existing = repo.findByIdempotencyKey(input.idempotencyKey);
          if (existing) return { token: existing.token, trackingNo: existing.trackingNo, created: false };
        }
        throw err;
      }
    },

    /** What the villager's private page shows: public events only. */
    forVillager(token: string): VillagerView {
      const c = byToken(token);
      const until = reopenDeadline(c);
      const merged = c.mergedIntoId ? repo.findById(c.mergedIntoId) : undefined;
      return {
        case: c,
        events: repo.publicEvents(c.id),
        photos: repo.photos(c.id),
        canRate: c.state === 'resolved' && c.rating === null,
        canReopen: c.state === 'resolved' && until !== null && now() < until,
        reopenUntil: until ? until.toISOString() : null,
        mergedInto: merged ? { trackingNo: merged.trackingNo, state: merged.state } : null,
      };
    },

    /** The cases this phone filed (tokens from its cookie), newest first. */
    listByTokens(tokens: string[]): CaseRow[] {
      return repo.findByTokens(tokens.filter((t) => CASE_TOKEN_PATTERN.test(t)).slice(0, 20));
    },

    /**
     * A tracking number plus the whole phone number given on the case open it. Tracking numbers are
     * sequential, so misses are also counted per number: after LOOKUP_FREE_MISSES the number is
     * locked for an hour, then two, … whatever address the guesses come from. A miss, a lock and
     * an unknown number do the same work and give the same answer.
     */
    lookup(trackingNo: string, phone: string): string | undefined {
      const key = `track:${trackingNo}`;
      const throttled = deps.throttle.current(key, { afreshAfterLock: false });
      const c = repo.findByTrackingNo(trackingNo);
      const digest = (v: string) => crypto.createHash('sha256').update(v).digest();
      const matches = crypto.timingSafeEqual(digest(c?.phone ?? '\0'), digest(phone)) && !!c?.phone;
      if (deps.throttle.waitMinutes(throttled) > 0) return undefined;
      if (!matches || !c) {
        deps.throttle.fail(key, throttled, (n) => (n >= LOOKUP_FREE_MISSES ? Math.min(24 * 60, 60 * 2 ** (n - LOOKUP_FREE_MISSES)) : 0));
        return undefined;
      }
      deps.throttle.clear(key);
      return c.token;
    },

    rate(token: string, rating: number, comment: string | null): void {
      const c = byToken(token);
      if (c.rating !== null) throw new ConflictError('already rated');
      // 1–2 stars: 不满意 keeps the case resolved, so 重新办理 stays open for the rest of the 7 days.
      change(c, rating <= 2 ? 'rate_low' : 'rate', { rating, ratingComment: comment, body: comment ?? '', data: { rating } });
    },

    reopen(token: string, reason: string): void {
      const c = byToken(token);
      const until = reopenDeadline(c);
      if (c.state !== 'resolved' || !until || now() >= until) throw new ConflictError('reopen window closed');
      change(c, 'reopen', { body: reason });
    },

    photoPath: (fileName: string) => photos.path(fileName),

    /** A photo of the case behind this token, for its private page. */
    photo(token: string, photoId: number): { path: string; mime: string } {
      const c = byToken(token);
      const p = repo.photoById(photoId);
      if (!p || p.caseId !== c.id) throw new NotFoundError('photo');
      return { path: photos.path(p.fileName), mime: p.mime };
    },
  };
}

export type CasesService = ReturnType<typeof createCasesService>;
