import { yellowBefore as yellowEdge } from '../calendar/workdays.js';
import { chinaDate, endOfChinaDay } from '../../domain/time.js';
import type { UnitOfWork } from '../../db/unit-of-work.js';
import { AlreadyExtendedError, NotFoundError, StaleVersionError, ValidationError, type FieldError } from '../../errors.js';
import { t } from '../../i18n/index.js';
import { CASE_STATES, OPEN_STATES } from '../../domain/cases.js';
import type { CalendarService } from '../calendar/service.js';
import type { SignedInUser, StaffService } from '../staff/service.js';
import { inScope as covers, villageIdsOf, type Scope } from '../../domain/scope.js';
import { allowedActions, isOpen, transition, type CaseAction, type CaseState } from './machine.js';
import type { CaseKind, CaseRow, CasesRepo, InboxFilter, InboxRow, NewCaseEvent, SpeakCategory } from './repo.js';
import { createCaseEventBus, createCaseUnitOfWork, type CaseEventBus, type CaseEventKind } from './events.js';
import { REOPEN_DAYS } from './service.js';
import { exportSlices, type ExportJob } from './export.js';

export const INBOX_PAGE_SIZE = 25;
export const MAX_EXTENSION_DAYS = 10;
export { EXPORT_SLICE } from './export.js';
/** cases marked overdue per transaction */
const OVERDUE_SLICE = 5000;

export interface InboxQuery {
  /** a state, or 'open' for every state still to be worked on (待办) */
  state?: CaseState | 'open';
  kind?: CaseKind;
  villageId?: number;
  category?: SpeakCategory;
  mine?: boolean;
  flag?: 'yellow' | 'red';
  q?: string;
  /** the page's number, as the pager counted it (shown only) */
  page?: number;
  /** where the page starts: after this case (the last one of the page before) */
  after?: InboxCursor;
  /** only these villages (a search in the village picker), within the caller's scope */
  villageIds?: number[];
}

/** The last case of an inbox page: an open one by its deadline, or a done one by its id. */
export type InboxCursor = { open: true; due: string; id: number } | { open: false; id: number };

/** Beyond this many cases a filtered inbox says "more than" instead of counting them all. */
export const INBOX_COUNT_CAP = 2000;

export type Flag = 'red' | 'yellow' | null;

/** Who acts on which case, and the version of it their page showed (a later change wins over nothing). */
export interface CaseActionInput {
  user: SignedInUser;
  caseId: number;
  version: number;
  /** the caller's address, kept with the event */
  ip: string;
}
/** 不予受理, 公开回复, 内部备注, 办结, and the one-step 受理并回复 and 受理并办结: with their text. */
export interface TextActionInput extends CaseActionInput {
  text: string;
}
/** 指派: to someone serving the case's village. */
export interface AssignInput extends CaseActionInput {
  userId: number;
}
/** 延期: once, by up to MAX_EXTENSION_DAYS working days, with a public reason. */
export interface ExtendInput extends CaseActionInput {
  days: number;
  text: string;
}
/** 合并重复事项: into another open case of the same village, named by its tracking number. */
export interface MergeInput extends CaseActionInput {
  trackingNo: string;
}

/** One change of the state machine, with what it carries. */
type Step =
  | { action: 'accept' | 'start' }
  | { action: 'reject' | 'reply' | 'note' | 'resolve'; text: string }
  | { action: 'assign'; userId: number }
  | { action: 'extend'; days: number; text: string }
  | { action: 'merge'; trackingNo: string };

/** An action a cadre takes from the case page: one step, or two as one (受理并回复, 受理并办结). */
export type StaffAction = Step | { action: 'accept_reply' | 'accept_resolve'; text: string };

const PUBLIC: Record<CaseAction, boolean> = {
  accept: true,
  reject: true,
  start: true,
  resolve: true,
  rate: true,
  rate_low: true,
  auto_close: true,
  reopen: true,
  merge: true,
  reply: true,
  note: false,
  assign: false,
  extend: true,
};
const EVENT_KIND: Record<Step['action'], CaseEventKind> = {
  accept: 'accepted',
  start: 'started',
  reject: 'rejected',
  reply: 'reply',
  note: 'note',
  resolve: 'resolved',
  assign: 'assigned',
  extend: 'extended',
  merge: 'merged',
};

/** The back office's side of cases: every read and change is limited to the caller's villages. */
/** What the inbox and its export select: the user's villages (narrowed by a village search), the filters, the deadlines' edges. */
function inboxFilter(user: SignedInUser, q: InboxQuery, at: Date): InboxFilter {
  const narrowed = q.villageIds ? q.villageIds.filter((id) => covers(user.scope, id)) : undefined;
  return {
    villageIds: narrowed ?? villageIdsOf(user.scope),
    allVillages: user.scope.all && !narrowed,
    state: q.state,
    kind: q.kind,
    villageId: q.villageId,
    category: q.category,
    assignedTo: q.mine ? user.id : undefined,
    flag: q.flag,
    q: q.q,
    now: at.toISOString(),
    yellowBefore: yellowEdge(at).toISOString(),
  };
}

/** Flagged cases read per page by `flagged`. */
const FLAGGED_PAGE = 1000;

export function createCaseOffice(deps: {
  uow: UnitOfWork;
  repo: CasesRepo;
  calendar: CalendarService;
  staff: StaffService;
  events?: CaseEventBus;
  now?: () => Date;
}) {
  const { uow, repo, calendar, staff } = deps;
  const now = deps.now ?? (() => new Date());
  const commit = createCaseUnitOfWork(uow, repo, deps.events ?? createCaseEventBus(uow));

  const inScope = async (scope: Scope, id: number): Promise<CaseRow> => {
    const c = await repo.findById(id);
    if (!c || !covers(scope, c.villageId)) throw new NotFoundError('case');
    return c;
  };

  const flagOf = (due: string | null, at: Date, yellowBefore: string): Flag => {
    if (!due) return null;
    if (due < at.toISOString()) return 'red';
    return due <= yellowBefore ? 'yellow' : null;
  };

  /**
   * One step inside the caller's transaction: refused when the case changed since `version` was read
   * (StaleVersionError) or when its state does not allow it (ActionNotAllowedError); then the
   * change and its event.
   */
  const applyStep = async (
    user: SignedInUser,
    id: number,
    version: number,
    a: Step,
    ip: string,
    record: (e: NewCaseEvent) => Promise<number>,
  ): Promise<void> => {
    const c = await inScope(user.scope, id);
    if (c.version !== version) throw new StaleVersionError();
    const to = transition(c.state, a.action);
    const at = now().toISOString();
    const fields: Parameters<CasesRepo['updateStaff']>[0] = { id: c.id, version, state: to, now: at };
    let body = '';
    let data: unknown = null;
    const errors: FieldError[] = [];
    switch (a.action) {
      case 'accept':
        fields.firstRespondedAt = at;
        break;
      case 'start':
        break;
      case 'reject':
      case 'reply':
        fields.firstRespondedAt = at;
        body = a.text;
        break;
      case 'note':
      case 'resolve':
        body = a.text;
        if (a.action === 'resolve') fields.firstRespondedAt = at;
        break;
      case 'assign': {
        const target = (await staff.assignable([c.villageId])).find((u) => u.id === a.userId);
        if (!target) errors.push({ field: 'userId', text: t('admin.case.assignOutsideVillage'), href: '#userId' });
        else {
          fields.assignedUserId = target.id;
          body = target.displayName;
          data = { userId: target.id };
        }
        break;
      }
      case 'extend': {
        if (c.extended > 0) throw new AlreadyExtendedError();
        fields.resolutionDue = (await calendar.dueAfter(new Date(c.resolutionDue), a.days)).toISOString();
        fields.extended = 1;
        fields.extensionReason = a.text;
        body = a.text;
        data = { days: a.days, resolutionDue: fields.resolutionDue };
        break;
      }
      case 'merge': {
        const target = await repo.findByTrackingNo(a.trackingNo);
        if (!target || target.id === c.id || target.villageId !== c.villageId || !isOpen(target.state)) {
          errors.push({ field: 'trackingNo', text: t('admin.case.mergeTargetInvalid'), href: '#trackingNo' });
        } else {
          fields.mergedIntoId = target.id;
          data = { into: target.trackingNo };
        }
        break;
      }
    }
    if (errors.length) throw new ValidationError(errors);
    if (!(await repo.updateStaff(fields))) throw new StaleVersionError();
    await record({
      caseId: c.id,
      at,
      actor: 'user',
      userId: user.id,
      type: EVENT_KIND[a.action],
      fromState: c.state,
      toState: to,
      public: PUBLIC[a.action],
      body,
      data: data === null ? null : JSON.stringify(data),
      ip,
    });
  };

  /** Steps as one change, each on the version the previous one left: all of them, or none; events after commit. */
  const run = (input: CaseActionInput, steps: Step[]): Promise<void> =>
    commit(async (record) => {
      for (const [i, step] of steps.entries()) await applyStep(input.user, input.caseId, input.version + i, step, input.ip, record);
    });

  /** 受理 (case.accepted): counts as the first response. */
  const accept = (input: CaseActionInput) => run(input, [{ action: 'accept' }]);
  /** 开始办理 (case.started). */
  const start = (input: CaseActionInput) => run(input, [{ action: 'start' }]);
  /** 不予受理 with a public reason (case.rejected). */
  const reject = (input: TextActionInput) => run(input, [{ action: 'reject', text: input.text }]);
  /** 公开回复 (case.replied): the villager sees it; counts as the first response. */
  const reply = (input: TextActionInput) => run(input, [{ action: 'reply', text: input.text }]);
  /** 内部备注 (case.noted): staff only, in any state. */
  const note = (input: TextActionInput) => run(input, [{ action: 'note', text: input.text }]);
  /** 办结 with the result, public (case.resolved). 回复并办结 is this: the reply is the resolution. */
  const resolve = (input: TextActionInput) => run(input, [{ action: 'resolve', text: input.text }]);
  /** 指派 (case.assigned, internal); ValidationError for someone not serving the village. */
  const assign = (input: AssignInput) => run(input, [{ action: 'assign', userId: input.userId }]);
  /** 延期 (case.extended); AlreadyExtendedError the second time. */
  const extend = (input: ExtendInput) => run(input, [{ action: 'extend', days: input.days, text: input.text }]);
  /** 合并 (case.merged); ValidationError when the other case is not an open one of the same village. */
  const merge = (input: MergeInput) => run(input, [{ action: 'merge', trackingNo: input.trackingNo }]);
  /** 受理并回复 on a new case: case.accepted then case.replied, or neither. */
  const acceptAndReply = (input: TextActionInput) => run(input, [{ action: 'accept' }, { action: 'reply', text: input.text }]);
  /** 受理并办结 on a new case a template answers at once: case.accepted then case.resolved, or neither. */
  const acceptAndResolve = (input: TextActionInput) => run(input, [{ action: 'accept' }, { action: 'resolve', text: input.text }]);

  return {
    flagOf,
    /** Due within one working day → yellow. */
    yellowBefore: (at: Date = now()) => yellowEdge(at).toISOString(),

    async inbox(user: SignedInUser, q: InboxQuery) {
      const at = now();
      const filter = inboxFilter(user, q, at);
      const { yellowBefore } = filter;
      // the villages a village search left, if there was one
      const narrowed = q.villageIds ? filter.villageIds : undefined;
      // Open cases first by their deadline, then the others newest first; each read from an index
      // from where the page before ended, one more than a page to know whether another follows.
      const wantsOpen = q.state === undefined || q.state === 'open' || isOpen(q.state);
      const wantsDone = (q.state === undefined || (q.state !== 'open' && !isOpen(q.state))) && !q.flag;
      const after = q.after;
      const rows: InboxRow[] = [];
      if (wantsOpen && (!after || after.open)) rows.push(...(await repo.inboxOpen(filter, after?.open ? after : undefined, INBOX_PAGE_SIZE + 1)));
      if (wantsDone && rows.length <= INBOX_PAGE_SIZE) {
        rows.push(...(await repo.inboxDone(filter, after && !after.open ? after.id : undefined, INBOX_PAGE_SIZE + 1 - rows.length)));
      }
      const more = rows.length > INBOX_PAGE_SIZE;
      const shown = rows.slice(0, INBOX_PAGE_SIZE);
      const last = shown[shown.length - 1];
      const next: InboxCursor | null =
        !more || !last ? null : last.effectiveDue ? { open: true, due: last.effectiveDue, id: last.id } : { open: false, id: last.id };

      const count = (c: Record<CaseState, number>) =>
        q.state === undefined ? CASE_STATES.reduce((n, st) => n + c[st], 0) : q.state === 'open' ? OPEN_STATES.reduce((n, st) => n + c[st], 0) : c[q.state];
      const counts = await repo.stateCounts(user.scope.all ? 'all' : filter.villageIds);
      // Counted from the summaries when only the state and the villages select; otherwise counted up to a cap.
      let total: number;
      if (!q.kind && !q.category && !q.mine && !q.flag && !q.q) {
        const villages = q.villageId ? (covers(user.scope, q.villageId) && (!narrowed || narrowed.includes(q.villageId)) ? [q.villageId] : []) : narrowed;
        total = count(villages ? await repo.stateCounts(villages) : counts);
      } else {
        total = await repo.inboxCount(filter, INBOX_COUNT_CAP);
      }
      const exact = total <= INBOX_COUNT_CAP || (!q.kind && !q.category && !q.mine && !q.flag && !q.q);
      const page = after ? Math.max(2, q.page ?? 2) : 1;
      return {
        rows: shown.map((r) => ({ ...r, flag: flagOf(r.effectiveDue, at, yellowBefore) })),
        total: exact ? total : INBOX_COUNT_CAP,
        exact,
        page,
        pages: exact ? Math.max(page, Math.ceil(total / INBOX_PAGE_SIZE)) : null,
        next,
        counts: counts as Partial<Record<CaseState, number>>,
      };
    },

    /**
     * Open cases of these villages now yellow (due within a working day) or red (overdue), each with
     * its first event's id: what the cadres' channels are told of. Read a page at a time on the
     * open-deadline index.
     */
    async flagged(villageIds: number[], at: Date = now()) {
      const yellowBefore = yellowEdge(at).toISOString();
      const base = { villageIds, state: 'open' as const, now: at.toISOString(), yellowBefore };
      const rows: InboxRow[] = [];
      for (const flag of ['red', 'yellow'] as const) {
        for (let after: { due: string; id: number } | undefined; ;) {
          const page = await repo.inboxOpen({ ...base, flag }, after, FLAGGED_PAGE);
          rows.push(...page);
          const last = page[page.length - 1];
          if (page.length < FLAGGED_PAGE || !last?.effectiveDue) break;
          after = { due: last.effectiveDue, id: last.id };
        }
      }
      const first = await repo.firstEventIds(rows.map((r) => r.id));
      return rows.flatMap((r) => {
        const flag = flagOf(r.effectiveDue, at, yellowBefore);
        const firstEventId = first.get(r.id);
        if (!flag || !r.effectiveDue || firstEventId === undefined) return [];
        return [
          {
            caseId: r.id,
            trackingNo: r.trackingNo,
            kind: r.kind,
            villageId: r.villageId,
            villageName: r.villageName,
            state: r.state,
            due: r.effectiveDue,
            flag,
            firstEventId,
          },
        ];
      });
    },

    /**
     * What an export of the inbox's cases needs (same scope and filters as the inbox, all pages),
     * to be read in this thread (exportRows) or by a worker of its own (export-worker.ts).
     */
    exportJob(user: SignedInUser, q: InboxQuery): ExportJob {
      const at = now();
      return { filter: inboxFilter(user, q, at), at: at.toISOString(), role: user.role };
    },

    /** Every case of the export `job`, read here in slices (see exportSlices). */
    exportRows(job: ExportJob): AsyncGenerator<Array<InboxRow & { flag: Flag }>> {
      return exportSlices(repo, job);
    },

    /** One case with its whole timeline (public and internal) and what may be done now. */
    async get(user: SignedInUser, id: number) {
      const c = await inScope(user.scope, id);
      const at = now();
      const merged = c.mergedIntoId ? await repo.findById(c.mergedIntoId) : undefined;
      return {
        case: c,
        events: await repo.events(c.id),
        photos: await repo.photos(c.id),
        actions: allowedActions(c.state).filter((a) => !['rate', 'rate_low', 'auto_close', 'reopen'].includes(a) && !(a === 'extend' && c.extended > 0)),
        assignable: await staff.assignable([c.villageId]),
        flag: flagOf(
          c.state === 'submitted' && !c.firstRespondedAt ? c.firstResponseDue : isOpen(c.state) ? c.resolutionDue : null,
          at,
          yellowEdge(at).toISOString(),
        ),
        mergedInto: merged ? { id: merged.id, trackingNo: merged.trackingNo } : null,
      };
    },

    /** The cases filed from a household, newest first (the caller must already be allowed to see it). */
    async ofHousehold(user: SignedInUser, householdId: number): Promise<CaseRow[]> {
      return (await repo.byHousehold(householdId)).filter((c) => covers(user.scope, c.villageId));
    },

    async photo(user: SignedInUser, caseId: number, photoId: number) {
      const c = await inScope(user.scope, caseId);
      const p = await repo.photoById(photoId);
      if (!p || p.caseId !== c.id) throw new NotFoundError('photo');
      return p;
    },

    /** The case a merge would keep, checked as the merge checks it, to show before confirming. */
    async mergeTarget(user: SignedInUser, id: number, trackingNo: string): Promise<CaseRow> {
      const c = await inScope(user.scope, id);
      const target = await repo.findByTrackingNo(trackingNo);
      if (!target || target.id === c.id || target.villageId !== c.villageId || !isOpen(target.state)) {
        throw new ValidationError([{ field: 'trackingNo', text: t('admin.case.mergeTargetInvalid'), href: '#trackingNo' }]);
      }
      return target;
    },

    accept,
    start,
    reject,
    reply,
    note,
    resolve,
    assign,
    extend,
    merge,
    acceptAndReply,
    acceptAndResolve,

    /** The case page's form, dispatched to its use case. */
    act(input: CaseActionInput, a: StaffAction): Promise<void> {
      switch (a.action) {
        case 'accept':
          return accept(input);
        case 'start':
          return start(input);
        case 'reject':
          return reject({ ...input, text: a.text });
        case 'reply':
          return reply({ ...input, text: a.text });
        case 'note':
          return note({ ...input, text: a.text });
        case 'resolve':
          return resolve({ ...input, text: a.text });
        case 'assign':
          return assign({ ...input, userId: a.userId });
        case 'extend':
          return extend({ ...input, days: a.days, text: a.text });
        case 'merge':
          return merge({ ...input, trackingNo: a.trackingNo });
        case 'accept_reply':
          return acceptAndReply({ ...input, text: a.text });
        case 'accept_resolve':
          return acceptAndResolve({ ...input, text: a.text });
      }
    },

    /**
     * The working-day digest's figures for every village with open cases: open, due by the end of
     * today (China time) and not yet overdue, and overdue, at `at`. Once a day, for all channels.
     */
    openByVillage: (at: Date = now()) => repo.openByVillage({ now: at.toISOString(), dueBy: endOfChinaDay(chinaDate(at)).toISOString() }),

    /** Cases in each state across the installation, from the summaries (for /metrics). */
    stateCounts: () => repo.stateCounts('all'),

    /**
     * Resolved cases with no rating close themselves REOPEN_DAYS after resolution (case.auto_closed).
     * Returns how many. One instance at a time runs it: another one running it gets 0.
     */
    async autoClose(at: Date = now()): Promise<number> {
      const job = await uow.exclusively('auto-close', () => closeResolved(at));
      return job.ran ? job.value : 0;
    },
    /**
     * Marks the open cases whose deadline has passed (cases.overdue, migration 017), so that the
     * dashboard counts them from the summaries; those past their deadline since are counted from
     * their index. Slices of 5,000, each its own transaction. Returns how many; another instance
     * running it at the same time makes this one return 0.
     */
    async markOverdue(at: Date = now()): Promise<number> {
      const job = await uow.exclusively('mark-overdue', async () => {
        let marked = 0;
        // until a slice marks none (on PostgreSQL a slice can come short while more remain: rows
        // changed since the slice was listed are checked anew and left out)
        for (let n = -1; n !== 0; marked += n) n = await uow.run(() => repo.markOverdue(at.toISOString(), OVERDUE_SLICE));
        return marked;
      });
      return job.ran ? job.value : 0;
    },
  };

  async function closeResolved(at: Date): Promise<number> {
    const cutoff = new Date(at.getTime() - REOPEN_DAYS * 24 * 3600 * 1000).toISOString();
    let closed = 0;
    for (const { id, version } of await repo.resolvedBefore(cutoff)) {
      const iso = at.toISOString();
      const done = await commit(async (record) => {
        if (!(await repo.update({ id, version, state: 'closed', now: iso, closedAt: iso }))) return false;
        await record({
          caseId: id,
          at: iso,
          actor: 'system',
          userId: null,
          type: 'auto_closed',
          fromState: 'resolved',
          toState: 'closed',
          public: true,
          body: '',
          data: null,
        });
        return true;
      });
      if (done) closed++;
    }
    return closed;
  }
}

export type CaseOffice = ReturnType<typeof createCaseOffice>;
