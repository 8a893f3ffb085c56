import type { Db } from '../../db/index.js';
import { CASE_STATES, OPEN_STATES_SQL, type CaseKind, type CaseState, type SpeakCategory } from '../../domain/cases.js';
import type { CaseEventKind } from './events.js';

export type { CaseKind, SpeakCategory };

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
  assignedUserId: number | null;
  extensionReason: string | null;
  plateId: number | null;
  /** null when filed from a plate; the Open311 key's name otherwise (来源) */
  source: string | null;
  mediaUrl: string | null;
  /** 1 when the villager asked for SMS about this case (用短信通知我办理进展) */
  notifySms: number;
}

export interface InboxFilter {
  villageIds: number[];
  /** the caller sees every village: the scope is not checked case by case */
  allVillages?: boolean;
  state?: CaseState | 'open';
  kind?: CaseKind;
  villageId?: number;
  category?: SpeakCategory;
  assignedTo?: number;
  flag?: 'yellow' | 'red';
  q?: string;
  now: string;
  yellowBefore: string;
}

export interface InboxRow extends CaseRow {
  effectiveDue: string | null;
  assignedName: string | null;
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

/** A row to append to case_events. */
export type NewCaseEvent = Omit<CaseEvent, 'id' | 'public' | 'type'> & { caseId: number; type: CaseEventKind; public: boolean; ip?: string };

/** A committed event with the case it belongs to, as the event bus publishes it. */
export interface CaseEventWithCase extends CaseEvent {
  type: CaseEventKind;
  caseId: number;
  trackingNo: string;
  kind: CaseKind;
  villageId: number;
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
  source?: string | null;
  mediaUrl?: string | null;
  notifySms?: boolean;
  now: string;
}

/** What Open311's GET requests asks for: by numbers, or by kind and time; newest first. */
export interface ExchangeFilter {
  trackingNos?: string[];
  kind?: CaseKind;
  category?: SpeakCategory;
  itemCode?: string;
  from?: string;
  to?: string;
  open?: boolean;
  limit: number;
}

/** A case as exchanged with other systems: its row and the office's latest public words. */
export interface ExchangeRow extends CaseRow {
  latestReply: string | null;
}

/** A committed event with what notifications need of its case, for the outbox's cursor. */
export interface OutboxEvent extends CaseEventWithCase {
  token: string;
  villageCode: string;
  villageName: string;
  phone: string | null;
  notifySms: number;
  state: CaseState;
  resolutionDue: string;
  firstResponseDue: string;
}

const CASE_COLUMNS = `
  c.id, c.token, c.tracking_no AS trackingNo, c.kind, c.category, c.item_id AS itemId, i.name AS itemName, i.code AS itemCode,
  i.promised_limit AS itemPromisedLimit, i.promised_limit_unit AS itemPromisedLimitUnit,
  c.village_id AS villageId, v.name AS villageName, t.name AS townName, c.household_id AS householdId, h.address,
  c.name, c.phone, c.anonymous, c.content, c.callback_time AS callbackTime, c.state, c.merged_into_id AS mergedIntoId,
  c.version, c.first_response_due AS firstResponseDue, c.resolution_due AS resolutionDue,
  c.first_responded_at AS firstRespondedAt, c.extended, c.resolved_at AS resolvedAt, c.closed_at AS closedAt,
  c.rating, c.rating_comment AS ratingComment, c.reopen_count AS reopenCount, c.created_at AS createdAt, c.updated_at AS updatedAt,
  c.assigned_user_id AS assignedUserId, c.extension_reason AS extensionReason, c.plate_id AS plateId, c.source,
  c.media_url AS mediaUrl, c.notify_sms AS notifySms`;
/** The deadline that matters now: the first response while none was given, then the resolution. */
const EFFECTIVE_DUE = `CASE WHEN c.state NOT IN (${OPEN_STATES_SQL}) THEN NULL
  WHEN c.first_responded_at IS NULL THEN c.first_response_due ELSE c.resolution_due END`;
const CASE_FROM = `
  FROM cases c JOIN villages v ON v.id = c.village_id JOIN towns t ON t.id = v.town_id
  LEFT JOIN households h ON h.id = c.household_id LEFT JOIN catalog_items i ON i.id = c.item_id`;
/** CASE_FROM for an inbox page: the cases lead (CROSS JOIN keeps them the outer loop), read in the page's order from an index. */
const INBOX_FROM = CASE_FROM.replace('FROM cases c JOIN villages v', 'FROM cases c CROSS JOIN villages v');
/** CASE_FROM for exports: cases are read by their ids (see exportReader), never through an index. */
const EXPORT_FROM = `
  FROM cases c NOT INDEXED JOIN villages v ON v.id = c.village_id JOIN towns t ON t.id = v.town_id
  LEFT JOIN households h ON h.id = c.household_id LEFT JOIN catalog_items i ON i.id = c.item_id`;

export function createCasesRepo(db: Db) {
  const s = {
    byToken: db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.token = ?`),
    byId: db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.id = ?`),
    byHousehold: db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.household_id = ? ORDER BY c.id DESC LIMIT 200`),
    byTrackingNo: db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.tracking_no = ?`),
    byIdempotencyKey: db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.idempotency_key = ?`),
    byTokens: (n: number) => db.prepare(`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.token IN (${Array(n).fill('?').join(',')}) ORDER BY c.id DESC`),
    nextSeq: db.prepare('INSERT INTO tracking_sequences (day, last) VALUES (?, 1) ON CONFLICT(day) DO UPDATE SET last = last + 1 RETURNING last'),
    insert: db.prepare(`INSERT INTO cases (token, tracking_no, kind, category, item_id, village_id, household_id, plate_id, name, phone,
        anonymous, content, callback_time, first_response_due, resolution_due, idempotency_key, source, media_url, notify_sms, created_at, updated_at)
      VALUES (@token, @trackingNo, @kind, @category, @itemId, @villageId, @householdId, @plateId, @name, @phone,
        @anonymous, @content, @callbackTime, @firstResponseDue, @resolutionDue, @idempotencyKey, @source, @mediaUrl, @notifySms, @now, @now)`),
    event: db.prepare(`INSERT INTO case_events (case_id, at, actor, user_id, type, from_state, to_state, public, body, data, ip)
      VALUES (@caseId, @at, @actor, @userId, @type, @fromState, @toState, @public, @body, @data, @ip)`),
    // The back office's timeline says who acted (the villager's page never names staff).
    events: db.prepare(`SELECT e.id, e.at, e.actor, e.user_id AS userId, u.display_name AS actorName, e.type, e.from_state AS fromState,
        e.to_state AS toState, e.public, e.body, e.data
      FROM case_events e LEFT JOIN users u ON u.id = e.user_id WHERE e.case_id = ? ORDER BY e.id`),
    publicEvents: db.prepare(`SELECT id, at, actor, user_id AS userId, type, from_state AS fromState, to_state AS toState, public, body, data
      FROM case_events WHERE case_id = ? AND public = 1 ORDER BY id`),
    eventsWithCase: db.prepare(`SELECT e.id, e.at, e.actor, e.user_id AS userId, e.type, e.from_state AS fromState, e.to_state AS toState,
        e.public, e.body, e.data, c.id AS caseId, c.tracking_no AS trackingNo, c.kind, c.village_id AS villageId
      FROM case_events e JOIN cases c ON c.id = e.case_id WHERE e.id IN (SELECT value FROM json_each(?)) ORDER BY e.id`),
    firstEvents: db.prepare('SELECT case_id AS caseId, min(id) AS id FROM case_events WHERE case_id IN (SELECT value FROM json_each(?)) GROUP BY case_id'),
    eventsAfter: db.prepare(`SELECT e.id, e.at, e.actor, e.user_id AS userId, e.type, e.from_state AS fromState, e.to_state AS toState,
        e.public, e.body, e.data, c.id AS caseId, c.tracking_no AS trackingNo, c.kind, c.village_id AS villageId, c.token,
        v.code AS villageCode, v.name AS villageName, c.phone, c.notify_sms AS notifySms, c.state,
        c.resolution_due AS resolutionDue, c.first_response_due AS firstResponseDue
      FROM case_events e JOIN cases c ON c.id = e.case_id JOIN villages v ON v.id = c.village_id
      WHERE e.id > ? ORDER BY e.id LIMIT ?`),
    photo: db.prepare(`INSERT INTO case_photos (case_id, file_name, mime, bytes, width, height, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`),
    photos: db.prepare('SELECT id, case_id AS caseId, file_name AS fileName, mime, bytes, width, height FROM case_photos WHERE case_id = ? ORDER BY id'),
    photoById: db.prepare('SELECT id, case_id AS caseId, file_name AS fileName, mime, bytes, width, height FROM case_photos WHERE id = ?'),
    update: db.prepare(`UPDATE cases SET state = @state, version = version + 1, updated_at = @now,
        resolved_at = CASE WHEN @reopened = 1 THEN NULL ELSE coalesce(@resolvedAt, resolved_at) END,
        resolution_due = coalesce(@resolutionDue, resolution_due),
        closed_at = coalesce(@closedAt, closed_at),
        rating = CASE WHEN @reopened = 1 THEN NULL ELSE coalesce(@rating, rating) END,
        rating_comment = CASE WHEN @reopened = 1 THEN NULL ELSE coalesce(@ratingComment, rating_comment) END,
        reopen_count = reopen_count + @reopened, first_responded_at = coalesce(first_responded_at, @firstRespondedAt)
      WHERE id = @id AND version = @version`),
  };

  const inboxWhere = (f: InboxFilter): { sql: string; params: unknown[] } => {
    const where = f.allVillages ? ['1'] : ['c.village_id IN (SELECT value FROM json_each(?))'];
    const params: unknown[] = f.allVillages ? [] : [JSON.stringify(f.villageIds)];
    if (f.state === 'open') where.push(`c.state IN (${OPEN_STATES_SQL})`);
    // A state from the list, written out: the partial indexes of the rare states (migration 012) apply.
    else if (f.state && CASE_STATES.includes(f.state)) where.push(`c.state = '${f.state}'`);
    if (f.kind) (where.push('c.kind = ?'), params.push(f.kind));
    if (f.villageId) (where.push('c.village_id = ?'), params.push(f.villageId));
    if (f.category) (where.push('c.category = ?'), params.push(f.category));
    if (f.assignedTo) (where.push('c.assigned_user_id = ?'), params.push(f.assignedTo));
    if (f.flag === 'red') (where.push(`(${EFFECTIVE_DUE}) < ?`), params.push(f.now));
    if (f.flag === 'yellow') (where.push(`(${EFFECTIVE_DUE}) >= ? AND (${EFFECTIVE_DUE}) <= ?`), params.push(f.now, f.yellowBefore));
    if (f.q) {
      where.push("(c.tracking_no = ? OR instr(c.content, ?) > 0 OR instr(coalesce(c.name, ''), ?) > 0 OR instr(coalesce(i.name, ''), ?) > 0)");
      params.push(f.q, f.q, f.q, f.q);
    }
    return { sql: where.join(' AND '), params };
  };
  // The tabs' counts, from the per-village summaries (migration 011).
  const SUMMED_STATES = CASE_STATES.map((st) => `total(n_${st}) AS ${st}`).join(', ');
  const stateCounts = db.prepare(`SELECT ${SUMMED_STATES} FROM case_summaries WHERE village_id IN (SELECT value FROM json_each(?))`);
  const allStateCounts = db.prepare(`SELECT ${SUMMED_STATES} FROM case_summaries`);
  const updateStaff = db.prepare(`UPDATE cases SET state = @state, version = version + 1, updated_at = @now,
      first_responded_at = coalesce(first_responded_at, @firstRespondedAt),
      resolved_at = CASE WHEN @state = 'resolved' THEN @now ELSE resolved_at END,
      assigned_user_id = coalesce(@assignedUserId, assigned_user_id),
      merged_into_id = coalesce(@mergedIntoId, merged_into_id),
      resolution_due = coalesce(@resolutionDue, resolution_due),
      extended = extended + @extended,
      extension_reason = coalesce(@extensionReason, extension_reason)
    WHERE id = @id AND version = @version`);
  const dueForClosing = db.prepare("SELECT id, version FROM cases WHERE state = 'resolved' AND resolved_at <= ?");

  return {
    /** How many cases the filter selects, counting no further than `cap` (then cap + 1). */
    inboxCount(f: InboxFilter, cap: number): number {
      const w = inboxWhere(f);
      return db
        .prepare(`SELECT count(*) FROM (SELECT 1 ${CASE_FROM} WHERE ${w.sql} LIMIT ?)`)
        .pluck()
        .get(...w.params, cap + 1) as number;
    },
    /**
     * The inbox's open cases in its order (the deadline that matters now, soonest first, newest first
     * among equals), read from the cases_open_due index: the page after `after` (a due and an id),
     * never an OFFSET.
     */
    inboxOpen(f: InboxFilter, after: { due: string; id: number } | undefined, limit: number): InboxRow[] {
      const w = inboxWhere(f);
      const keyset = after ? `AND (${EFFECTIVE_DUE}) >= ? AND ((${EFFECTIVE_DUE}) > ? OR c.id < ?)` : '';
      return db
        .prepare(
          `SELECT ${CASE_COLUMNS}, (${EFFECTIVE_DUE}) AS effectiveDue, u.display_name AS assignedName ${INBOX_FROM}
           LEFT JOIN users u ON u.id = c.assigned_user_id
           WHERE ${w.sql} AND c.state IN (${OPEN_STATES_SQL}) ${keyset}
           ORDER BY (${EFFECTIVE_DUE}) IS NULL, (${EFFECTIVE_DUE}), c.id DESC LIMIT ?`,
        )
        .all(...w.params, ...(after ? [after.due, after.due, after.id] : []), limit) as InboxRow[];
    },
    /** The inbox's other cases (no deadline any more), newest first: the page after case `afterId`. */
    inboxDone(f: InboxFilter, afterId: number | undefined, limit: number): InboxRow[] {
      const w = inboxWhere(f);
      return db
        .prepare(
          `SELECT ${CASE_COLUMNS}, NULL AS effectiveDue, u.display_name AS assignedName ${INBOX_FROM}
           LEFT JOIN users u ON u.id = c.assigned_user_id
           WHERE ${w.sql} AND c.state NOT IN (${OPEN_STATES_SQL}) ${afterId ? 'AND c.id < ?' : ''}
           ORDER BY c.id DESC LIMIT ?`,
        )
        .all(...w.params, ...(afterId ? [afterId] : []), limit) as InboxRow[];
    },
    /** The ids an export reads between: from just before the first case to the last one filed so far. */
    idRange: () => db.prepare('SELECT coalesce(min(id) - 1, 0) AS after, coalesce(max(id), 0) AS upTo FROM cases').get() as { after: number; upTo: number },
    /**
     * Reads the inbox's cases by slices of ids for an export: `slice(after, upTo)` gives the matching
     * cases with ids in (after, upTo], oldest first, as they are read. The cases table is walked by
     * its ids whatever the scope (NOT INDEXED still seeks the id range), so a slice costs at most its
     * width in rows, for one village or the whole district. Read each slice to its end before
     * anything else uses the connection: while a read is open, nothing can be written.
     */
    exportReader(f: InboxFilter): (after: number, upTo: number) => IterableIterator<InboxRow> {
      const w = inboxWhere(f);
      const stmt = db.prepare(
        `SELECT ${CASE_COLUMNS}, (${EFFECTIVE_DUE}) AS effectiveDue, u.display_name AS assignedName
         ${EXPORT_FROM}
         LEFT JOIN users u ON u.id = c.assigned_user_id WHERE c.id > ? AND c.id <= ? AND ${w.sql} ORDER BY c.id`,
      );
      return (after, upTo) => stmt.iterate(after, upTo, ...w.params) as IterableIterator<InboxRow>;
    },
    /** Cases in each state in these villages (all villages when none are given). */
    stateCounts: (villageIds: number[] | 'all') =>
      (villageIds === 'all' ? allStateCounts.get() : stateCounts.get(JSON.stringify(villageIds))) as Record<CaseState, number>,
    updateStaff: (u: {
      id: number;
      version: number;
      state: CaseState;
      now: string;
      firstRespondedAt?: string | null;
      assignedUserId?: number | null;
      mergedIntoId?: number | null;
      resolutionDue?: string | null;
      extended?: number;
      extensionReason?: string | null;
    }) =>
      updateStaff.run({
        firstRespondedAt: null,
        assignedUserId: null,
        mergedIntoId: null,
        resolutionDue: null,
        extensionReason: null,
        ...u,
        extended: u.extended ?? 0,
      }).changes === 1,
    resolvedBefore: (iso: string) => dueForClosing.all(iso) as Array<{ id: number; version: number }>,
    findByToken: (token: string) => s.byToken.get(token) as CaseRow | undefined,
    findById: (id: number) => s.byId.get(id) as CaseRow | undefined,
    byHousehold: (householdId: number) => s.byHousehold.all(householdId) as CaseRow[],
    findByTrackingNo: (no: string) => s.byTrackingNo.get(no) as CaseRow | undefined,
    findByIdempotencyKey: (key: string) => s.byIdempotencyKey.get(key) as CaseRow | undefined,
    findByTokens: (tokens: string[]) => (tokens.length ? (s.byTokens(tokens.length).all(...tokens) as CaseRow[]) : []),
    /** the next number in the day's sequence (call inside the submission's transaction) */
    nextTrackingSeq: (day: string) => s.nextSeq.pluck().get(day) as number,
    insert: (c: NewCase) =>
      Number(
        s.insert.run({ source: null, mediaUrl: null, ...c, anonymous: c.anonymous ? 1 : 0, notifySms: c.notifySms && !c.anonymous && c.phone ? 1 : 0 })
          .lastInsertRowid,
      ),
    /** Cases for another system (Open311), newest first, each with the office's latest public reply. */
    exchange(f: ExchangeFilter): ExchangeRow[] {
      const where: string[] = [];
      const params: unknown[] = [];
      if (f.trackingNos) (where.push('c.tracking_no IN (SELECT value FROM json_each(?))'), params.push(JSON.stringify(f.trackingNos)));
      if (f.kind) (where.push('c.kind = ?'), params.push(f.kind));
      if (f.category) (where.push('c.category = ?'), params.push(f.category));
      if (f.itemCode) (where.push('i.code = ?'), params.push(f.itemCode));
      if (f.from) (where.push('c.created_at >= ?'), params.push(f.from));
      if (f.to) (where.push('c.created_at <= ?'), params.push(f.to));
      if (f.open !== undefined) where.push(`c.state ${f.open ? '' : 'NOT '}IN (${OPEN_STATES_SQL})`);
      const latestReply = `(SELECT e.body FROM case_events e WHERE e.case_id = c.id AND e.public = 1 AND e.actor = 'user' AND e.body <> ''
        ORDER BY e.id DESC LIMIT 1)`;
      return db
        .prepare(
          `SELECT ${CASE_COLUMNS}, ${latestReply} AS latestReply ${CASE_FROM} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
          ORDER BY c.created_at DESC, c.id DESC LIMIT ?`,
        )
        .all(...params, f.limit) as ExchangeRow[];
    },
    /** Each case's first event (its filing): a stable handle for what is said about the case later. */
    firstEventIds: (caseIds: number[]) =>
      new Map((caseIds.length ? (s.firstEvents.all(JSON.stringify(caseIds)) as Array<{ caseId: number; id: number }>) : []).map((r) => [r.caseId, r.id])),
    /** Committed events after `afterId`, oldest first, with what notifications need of their case. */
    eventsAfter: (afterId: number, limit: number) => s.eventsAfter.all(afterId, limit) as OutboxEvent[],
    addEvent: (e: NewCaseEvent) => Number(s.event.run({ ip: '', ...e, public: e.public ? 1 : 0 }).lastInsertRowid),
    /** Events by id, oldest first, with their case's number, kind and village. */
    eventsWithCase: (ids: number[]) => (ids.length ? (s.eventsWithCase.all(JSON.stringify(ids)) as CaseEventWithCase[]) : []),
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
      resolutionDue?: string | null;
    }): boolean {
      return (
        s.update.run({
          resolutionDue: null,
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
