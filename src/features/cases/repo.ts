import type { Db } from '../../db/index.js';
import type { CaseState } from './machine.js';

export type CaseKind = 'help' | 'apply' | 'speak';
export type SpeakCategory = 'suggestion' | 'complaint' | 'enquiry' | 'request' | 'praise';

export interface CaseRow {
  id: number;
  token: string;
  trackingNo: string;
  kind: CaseKind;
  category: SpeakCategory | null;
  itemId: number | null;
  itemName: string | null;
  itemCode: string | null;
  itemPromisedLimit: number | null;
  itemPromisedLimitUnit: string | null;
  villageId: number;
  villageName: string;
  townName: string;
  householdId: number | null;
  address: string | null;
  name: string | null;
  phone: string | null;
  anonymous: number;
  content: string;
  callbackTime: string | null;
  state: CaseState;
  mergedIntoId: number | null;
  version: number;
  firstResponseDue: string;
  resolutionDue: string;
  firstRespondedAt: string | null;
  extended: number;
  resolvedAt: string | null;
  closedAt: string | null;
  rating: number | null;
  ratingComment: string | null;
  reopenCount: number;
  createdAt: string;
  updatedAt: string;
}

export interface CaseEvent {
  id: number;
  at: string;
  actor: 'villager' | 'user' | 'system';
  userId: number | null;
  type: string;
  fromState: CaseState | null;
  toState: CaseState | null;
  public: number;
  body: string;
  data: string | null;
}

export interface PhotoRow {
  id: number;
  caseId: number;
  fileName: string;
  mime: string;
  bytes: number;
  width: number;
  height: number;
}

export interface NewCase {
  token: string;
  trackingNo: string;
  kind: CaseKind;
  category: SpeakCategory | null;
  itemId: number | null;
  villageId: number;
  householdId: number | null;
  plateId: number | null;
  name: string | null;
  phone: string | null;
  anonymous: boolean;
  content: string;
  callbackTime: string | null;
  firstResponseDue: string;
  resolutionDue: string;
  idempotencyKey: string | null;
  now: string;
}

const CASE_COLUMNS = `
  c.id, c.token, c.tracking_no AS trackingNo, c.kind, c.category, c.item_id AS itemId, i.name AS itemName, i.code AS itemCode,
  i.promised_limit AS itemPromisedLimit, i.promised_limit_unit AS itemPromisedLimitUnit,
  c.village_id AS villageId, v.name AS villageName, t.name AS townName, c.household_id AS householdId, h.address,
  c.name, c.phone, c.anonymous, c.content, c.callback_time AS callbackTime, c.state, c.merged_into_id AS mergedIntoId,
  c.version, c.first_response_due AS firstResponseDue, c.resolution_due AS resolutionDue,
  c.first_responded_at AS firstRespondedAt, c.extended, c.resolved_at AS resolvedAt, c.closed_at AS closedAt,
  c.rating, c.rating_comment AS ratingComment, c.reopen_count AS reopenCount, c.created_at AS createdAt, c.updated_at AS updatedAt`;
const CASE_FROM = `
  FROM cases c JOIN villages v ON v.id = c.village_id JOIN towns t ON t.id = v.town_id
  LEFT JOIN households h ON h.id = c.household_id LEFT JOIN catalog_items i ON i.id = c.item_id`;

export function createCasesRepo(db: Db) {
  const s = {
    byToken: db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.token = ?`),
    byId: db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.id = ?`),
    byTrackingNo: db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.tracking_no = ?`),
    byIdempotencyKey: db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.idempotency_key = ?`),
    byTokens: (n: number) => db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.token IN (${Array(n).fill('?').join(',')}) ORDER BY c.id DESC`),
    nextSeq: db.prepare(
      'INSERT INTO tracking_sequences (day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last',
    ),
    insert: db.prepare(`INSERT INTO cases (token, tracking_no, kind, category, item_id, village_id, household_id, plate_id, name, phone,
        anonymous, content, callback_time, first_response_due, resolution_due, idempotency_key, created_at, updated_at)
      VALUES (@token, @trackingNo, @kind, @category, @itemId, @villageId, @householdId, @plateId, @name, @phone,
        @anonymous, @content, @callbackTime, @firstResponseDue, @resolutionDue, @idempotencyKey, @now, @now)`),
    event: db.prepare(`INSERT INTO case_events (case_id, at, actor, user_id, type, from_state, to_state, public, body, data)
      VALUES (@caseId, @at, @actor, @userId, @type, @fromState, @toState, @public, @body, @data)`),
    events: db.prepare(`SELECT id, at, actor, user_id AS userId, type, from_state AS fromState, to_state AS toState, public, body, data
      FROM case_events WHERE case_id = ? ORDER BY id`),
    publicEvents: db.prepare(`SELECT id, at, actor, user_id AS userId, type, from_state AS fromState, to_state AS toState, public, body, data
      FROM case_events WHERE case_id = ? AND public = 1 ORDER BY id`),
    photo: db.prepare(`INSERT INTO case_photos (case_id, file_name, mime, bytes, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    photos: db.prepare('SELECT id, case_id AS caseId, file_name AS fileName, mime, bytes, width, height FROM case_photos WHERE case_id = ? ORDER BY id'),
    photoById: db.prepare('SELECT id, case_id AS caseId, file_name AS fileName, mime, bytes, width, height FROM case_photos WHERE id = ?'),
    update: db.prepare(`UPDATE cases SET state = @state, version = version + 1, updated_at = @now,
        resolved_at = coalesce(@resolvedAt, resolved_at), closed_at = coalesce(@closedAt, closed_at),
        rating = coalesce(@rating, rating), rating_comment = coalesce(@ratingComment, rating_comment),
        reopen_count = reopen_count + @reopened, first_responded_at = coalesce(first_responded_at, @firstRespondedAt)
      WHERE id = @id AND version = @version`),
  };

  return {
    findByToken: (token: string) => s.byToken.get(token) as CaseRow | undefined,
    findById: (id: number) => s.byId.get(id) as CaseRow | undefined,
    findByTrackingNo: (no: string) => s.byTrackingNo.get(no) as CaseRow | undefined,
    findByIdempotencyKey: (key: string) => s.byIdempotencyKey.get(key) as CaseRow | undefined,
    findByTokens: (tokens: string[]) => (tokens.length ? (s.byTokens(tokens.length).all(...tokens) as CaseRow[]) : []),
    /** the next number in the day's sequence (call inside the submission's transaction) */
    nextTrackingSeq: (day: string) => s.nextSeq.pluck().get(day) as number,
    insert: (c: NewCase) => Number(s.insert.run({ ...c, anonymous: c.anonymous ? 1 : 0 }).lastInsertRowid),
    addEvent: (e: Omit<CaseEvent, 'id' | 'public'> & { caseId: number; public: boolean }) =>
      Number(s.event.run({ ...e, public: e.public ? 1 : 0 }).lastInsertRowid),
    events: (caseId: number) => s.events.all(caseId) as CaseEvent[],
    publicEvents: (caseId: number) => s.publicEvents.all(caseId) as CaseEvent[],
    addPhoto: (caseId: number, p: Omit<PhotoRow, 'id' | 'caseId'>, now: string) =>
      Number(s.photo.run(caseId, p.fileName, p.mime, p.bytes, p.width, p.height, now).lastInsertRowid),
    photos: (caseId: number) => s.photos.all(caseId) as PhotoRow[],
    photoById: (id: number) => s.photoById.get(id) as PhotoRow | undefined,
    /** Applies a change only if nobody changed the case since `version` was read; false otherwise. */
    update(u: {
      id: number;
      version: number;
      state: CaseState;
      now: string;
      resolvedAt?: string | null;
      closedAt?: string | null;
      rating?: number | null;
      ratingComment?: string | null;
      reopened?: boolean;
      firstRespondedAt?: string | null;
    }): boolean {
      return (
        s.update.run({
          resolvedAt: null,
          closedAt: null,
          rating: null,
          ratingComment: null,
          firstRespondedAt: null,
          ...u,
          reopened: u.reopened ? 1 : 0,
        }).changes === 1
      );
    },
  };
}

export type CasesRepo = ReturnType<typeof createCasesRepo>;
