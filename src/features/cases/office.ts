import { yellowBefore as yellowEdge } from '../calendar/workdays.js';
import type { Db } from '../../db/index.js';
import { transaction } from '../../db/index.js';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../errors.js';
import type { CalendarService } from '../calendar/service.js';
import type { Scope, SignedInUser, StaffService } from '../staff/service.js';
import { allowedActions, isOpen, transition, type CaseAction, type CaseState } from './machine.js';
import type { CaseKind, CaseRow, CasesRepo, InboxRow, SpeakCategory } from './repo.js';
import { REOPEN_DAYS } from './service.js';

export const INBOX_PAGE_SIZE = 25;
export const MAX_EXTENSION_DAYS = 10;
/** Case ids read at a time by an export: a few milliseconds of work between two waits. */
export const EXPORT_SLICE = 500;

export interface InboxQuery {
  /** a state, or 'open' for every state still to be worked on (待办) */
  state?: CaseState | 'open';
  kind?: CaseKind;
  villageId?: number;
  category?: SpeakCategory;
  mine?: boolean;
  flag?: 'yellow' | 'red';
  q?: string;
  page?: number;
}

export type Flag = 'red' | 'yellow' | null;

/** An action a cadre takes on a case, with what it carries. */
export type StaffAction =
  | { action: 'accept' | 'start' }
  | { action: 'reject' | 'reply' | 'note' | 'resolve'; text: string }
  | { action: 'assign'; userId: number }
  | { action: 'extend'; days: number; text: string }
  | { action: 'merge'; trackingNo: string };

const PUBLIC: Record<CaseAction, boolean> = {
  accept: true, reject: true, start: true, resolve: true, rate: true, rate_low: true, auto_close: true, reopen: true,
  merge: true, reply: true, note: false, assign: false, extend: true,
};
const EVENT_TYPE: Partial<Record<CaseAction, string>> = { start: 'started', resolve: 'resolved', accept: 'accepted', reject: 'rejected', merge: 'merged', extend: 'extended', assign: 'assigned' };

/** The back office's side of cases: every read and change is limited to the caller's villages. */
export function createCaseOffice(deps: { db: Db; repo: CasesRepo; calendar: CalendarService; staff: StaffService; now?: () => Date }) {
  const { db, repo, calendar, staff } = deps;
  const now = deps.now ?? (() => new Date());
  const ids = (scope: Scope) => [...scope.villageIds];

  const inScope = (scope: Scope, id: number): CaseRow => {
    const c = repo.findById(id);
    if (!c || !scope.villageIds.has(c.villageId)) throw new NotFoundError('case');
    return c;
  };

  const flagOf = (due: string | null, at: Date, yellowBefore: string): Flag => {
    if (!due) return null;
    if (due < at.toISOString()) return 'red';
    return due <= yellowBefore ? 'yellow' : null;
  };

  return {
    flagOf,
    /** Due within one working day → yellow. */
    yellowBefore: (at: Date = now()) => yellowEdge(at).toISOString(),

    inbox(user: SignedInUser, q: InboxQuery) {
      const at = now();
      const yellowBefore = yellowEdge(at).toISOString();
      const filter = {
        villageIds: ids(user.scope),
        state: q.state,
        kind: q.kind,
        villageId: q.villageId,
        category: q.category,
        assignedTo: q.mine ? user.id : undefined,
        flag: q.flag,
        q: q.q,
        now: at.toISOString(),
        yellowBefore,
      };
      const total = repo.inboxCount(filter);
      const pages = Math.max(1, Math.ceil(total / INBOX_PAGE_SIZE));
      const page = Math.min(Math.max(1, q.page ?? 1), pages);
      const rows = repo.inbox(filter, INBOX_PAGE_SIZE, (page - 1) * INBOX_PAGE_SIZE);
      const counts = Object.fromEntries(repo.stateCounts(filter.villageIds).map((r) => [r.state, r.n])) as Partial<Record<CaseState, number>>;
      return {
        rows: rows.map((r) => ({ ...r, flag: flagOf(r.effectiveDue, at, yellowBefore) })),
        total,
        page,
        pages,
        counts,
      };
    },

    /**
     * Every case of the filter, for the CSV export (same scope and filters as the inbox, all pages),
     * oldest first, in slices of at most EXPORT_SLICE ids: each slice is read whole before it is
     * handed on, so the caller may wait between slices (and other requests use the database) while
     * the export is written out. A slice may be empty. Cases filed after the export began are not in it.
     */
    *exportRows(user: SignedInUser, q: InboxQuery): Generator<Array<InboxRow & { flag: Flag }>> {
      const at = now();
      const yellowBefore = yellowEdge(at).toISOString();
      const read = repo.exportReader({
        villageIds: ids(user.scope), state: q.state, kind: q.kind, villageId: q.villageId, category: q.category,
        assignedTo: q.mine ? user.id : undefined, flag: q.flag, q: q.q, now: at.toISOString(), yellowBefore,
      });
      const { after: first, upTo: last } = repo.idRange();
      for (let after = first; after < last; after += EXPORT_SLICE) {
        const slice: Array<InboxRow & { flag: Flag }> = [];
        for (const r of read(after, Math.min(after + EXPORT_SLICE, last))) slice.push(Object.assign(r, { flag: flagOf(r.effectiveDue, at, yellowBefore) }));
        yield slice;
      }
    },

    /** One case with its whole timeline (public and internal) and what may be done now. */
    get(user: SignedInUser, id: number) {
      const c = inScope(user.scope, id);
      const at = now();
      const merged = c.mergedIntoId ? repo.findById(c.mergedIntoId) : undefined;
      return {
        case: c,
        events: repo.events(c.id),
        photos: repo.photos(c.id),
        actions: allowedActions(c.state).filter((a) => !['rate', 'rate_low', 'auto_close', 'reopen'].includes(a) && !(a === 'extend' && c.extended > 0)),
        assignable: staff.assignable([c.villageId]),
        flag: flagOf(c.state === 'submitted' && !c.firstRespondedAt ? c.firstResponseDue : isOpen(c.state) ? c.resolutionDue : null, at, yellowEdge(at).toISOString()),
        mergedInto: merged ? { id: merged.id, trackingNo: merged.trackingNo } : null,
      };
    },

    /** The cases filed from a household, newest first (the caller must already be allowed to see it). */
    ofHousehold(user: SignedInUser, householdId: number): CaseRow[] {
      return repo.byHousehold(householdId).filter((c) => user.scope.villageIds.has(c.villageId));
    },

    photo(user: SignedInUser, caseId: number, photoId: number) {
      const c = inScope(user.scope, caseId);
      const p = repo.photoById(photoId);
      if (!p || p.caseId !== c.id) throw new NotFoundError('photo');
      return p;
    },

    /** The case a merge would keep, checked as the merge checks it, to show before confirming. */
    mergeTarget(user: SignedInUser, id: number, trackingNo: string): CaseRow {
      const c = inScope(user.scope, id);
      const target = repo.findByTrackingNo(trackingNo);
      if (!target || target.id === c.id || target.villageId !== c.villageId || !isOpen(target.state)) {
        throw new ValidationError([{ field: 'trackingNo', text: '请填写同一个村、仍在办理中的另一件事项的受理编号', href: '#trackingNo' }]);
      }
      return target;
    },

    /** Several actions as one change (受理并回复, 回复并办结): all of them, or none. */
    actInTurn(user: SignedInUser, id: number, version: number, steps: StaffAction[], ip: string): void {
      transaction(db, () => steps.forEach((step, i) => this.act(user, id, version + i, step, ip)));
    },

    /**
     * Applies an action if the state allows it (else ConflictError) and nobody changed the case
     * since `version` was read (else ConflictError 'stale'), with its event, in one transaction.
     */
    act(user: SignedInUser, id: number, version: number, a: StaffAction, ip: string): void {
      const c = inScope(user.scope, id);
      if (c.version !== version) throw new ConflictError('stale');
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
          const target = staff.assignable([c.villageId]).find((u) => u.id === a.userId);
          if (!target) errors.push({ field: 'userId', text: '只能指派给负责这个村的人员', href: '#userId' });
          else {
            fields.assignedUserId = target.id;
            body = target.displayName;
            data = { userId: target.id };
          }
          break;
        }
        case 'extend': {
          if (c.extended > 0) throw new ConflictError('already extended');
          fields.resolutionDue = calendar.dueAfter(new Date(c.resolutionDue), a.days).toISOString();
          fields.extended = 1;
          fields.extensionReason = a.text;
          body = a.text;
          data = { days: a.days, resolutionDue: fields.resolutionDue };
          break;
        }
        case 'merge': {
          const target = repo.findByTrackingNo(a.trackingNo);
          if (!target || target.id === c.id || target.villageId !== c.villageId || !isOpen(target.state)) {
            errors.push({ field: 'trackingNo', text: '请填写同一个村、仍在办理中的另一件事项的受理编号', href: '#trackingNo' });
          } else {
            fields.mergedIntoId = target.id;
            data = { into: target.trackingNo };
          }
          break;
        }
      }
      if (errors.length) throw new ValidationError(errors);
      transaction(db, () => {
        if (!repo.updateStaff(fields)) throw new ConflictError('stale');
        repo.addEvent({
          caseId: c.id, at, actor: 'user', userId: user.id, type: EVENT_TYPE[a.action] ?? a.action, fromState: c.state, toState: to,
          public: PUBLIC[a.action], body, data: data === null ? null : JSON.stringify(data), ip,
        });
      });
    },

    /** Resolved cases with no rating close themselves REOPEN_DAYS after resolution. Returns how many. */
    autoClose(at: Date = now()): number {
      const cutoff = new Date(at.getTime() - REOPEN_DAYS * 24 * 3600 * 1000).toISOString();
      let closed = 0;
      for (const { id, version } of repo.resolvedBefore(cutoff)) {
        const iso = at.toISOString();
        transaction(db, () => {
          if (!repo.update({ id, version, state: 'closed', now: iso, closedAt: iso })) return;
          repo.addEvent({ caseId: id, at: iso, actor: 'system', userId: null, type: 'auto_closed', fromState: 'resolved', toState: 'closed', public: true, body: '', data: null });
          closed++;
        });
      }
      return closed;
    },
  };
}

export type CaseOffice = ReturnType<typeof createCaseOffice>;
