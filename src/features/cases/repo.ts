import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import { contains, inList, notIndexed } from '../../db/dialect.js';
import { CASE_STATES, isOpenState, OPEN_STATES_SQL, parseTrackingNo, type CaseKind, type CaseState, type SpeakCategory } from '../../domain/cases.js';
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
  /** the e-mail address another system gave (Open311); for the office only, never for anonymous cases */
  email: string | null;
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
  email?: string | null;
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
  /** only the cases of this district's villages */
  districtId?: number;
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

const CASE_COLUMNS = sql`
  c.id, c.token, c.tracking_no AS "trackingNo", c.kind, c.category, c.item_id AS "itemId", i.name AS "itemName", i.code AS "itemCode",
  i.promised_limit AS "itemPromisedLimit", i.promised_limit_unit AS "itemPromisedLimitUnit",
  c.village_id AS "villageId", v.name AS "villageName", t.name AS "townName", c.household_id AS "householdId", h.address,
  c.name, c.phone, c.anonymous, c.content, c.callback_time AS "callbackTime", c.state, c.merged_into_id AS "mergedIntoId",
  c.version, c.first_response_due AS "firstResponseDue", c.resolution_due AS "resolutionDue",
  c.first_responded_at AS "firstRespondedAt", c.extended, c.resolved_at AS "resolvedAt", c.closed_at AS "closedAt",
  c.rating, c.rating_comment AS "ratingComment", c.reopen_count AS "reopenCount", c.created_at AS "createdAt", c.updated_at AS "updatedAt",
  c.assigned_user_id AS "assignedUserId", c.extension_reason AS "extensionReason", c.plate_id AS "plateId", c.source,
  c.media_url AS "mediaUrl", c.email, c.notify_sms AS "notifySms"`;
const OPEN_STATES = sql.raw(OPEN_STATES_SQL);
/**
 * The deadline that matters now: the first response while none was given, then the resolution (the
 * expression of the cases_open_due index, migration 008, written the same way so that both planners match it).
 */
const EFFECTIVE_DUE = sql.raw(`CASE WHEN c.state NOT IN (${OPEN_STATES_SQL}) THEN NULL
  WHEN c.first_responded_at IS NULL THEN c.first_response_due ELSE c.resolution_due END`);
/**
 * cases.overdue after a write (migration 017): 1 when the case stays open and the deadline that
 * matters with its new values (the first response until there is one, then the resolution) has
 * passed. SET expressions read the row as it was, so the new values are given, as the SET gives them.
 */
const overdueAfter = (state: CaseState, now: string, firstRespondedAt: string | null, resolutionDue: string | null) =>
  isOpenState(state)
    ? sql`CASE WHEN (CASE WHEN coalesce(first_responded_at, ${firstRespondedAt}) IS NULL THEN first_response_due
        ELSE coalesce(${resolutionDue}, resolution_due) END) < ${now} THEN 1 ELSE 0 END`
    : sql`0`;
const CASE_JOINS = sql`JOIN towns t ON t.id = v.town_id
  LEFT JOIN households h ON h.id = c.household_id LEFT JOIN catalog_items i ON i.id = c.item_id`;
const CASE_FROM = sql`
  FROM cases c JOIN villages v ON v.id = c.village_id ${CASE_JOINS}`;
const EVENT_COLUMNS = sql`e.id, e.at, e.actor, e.user_id AS "userId", e.type, e.from_state AS "fromState", e.to_state AS "toState",
  e.public, e.body, e.data`;

type Fragment = RawBuilder<unknown>;

/** From this many villages on, the inbox reads its pages in their order and checks the village of each row. */
export const WIDE_SCOPE = 64;

export function createCasesRepo(db: Database) {
  /**
   * An inbox page is read in two steps: the page's case ids from the cases alone, in the page's order
   * from an index, then those cases with their village, township, household, item and assignee. One
   * query joining the six tables and ordering by the deadline took PostgreSQL's planner 4–13 ms to
   * plan (it weighs every index of cases for every join order), against 0.1 ms for the cases alone
   * and 1.5 ms for six tables joined on 26 ids; SQLite is as fast either way.
   */
  const PAGE_FROM = (f: InboxFilter) => (f.q ? sql`FROM cases c LEFT JOIN catalog_items i ON i.id = c.item_id` : sql`FROM cases c`);
  // The deadline each row is ordered by is the one the page was read with: a case changed between
  // the two reads (resolved, reopened, extended) still continues the page where it stood.
  const inboxRows = async (page: Array<{ id: number; due: string | null }>): Promise<InboxRow[]> => {
    if (!page.length) return [];
    const ids = page.map((r) => r.id);
    const rows = await db.all<InboxRow>(
      sql`SELECT ${CASE_COLUMNS}, u.display_name AS "assignedName" ${CASE_FROM}
         LEFT JOIN users u ON u.id = c.assigned_user_id
         WHERE ${inList(db, sql`c.id`, ids)}`,
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    return page.flatMap(({ id, due }) => {
      const row = byId.get(id);
      return row ? [{ ...row, effectiveDue: due }] : [];
    });
  };
  /** CASE_FROM for exports: cases are read by their ids (see exportReader), never through an index. */
  const EXPORT_FROM = sql`
  FROM cases c ${notIndexed(db)} JOIN villages v ON v.id = c.village_id ${CASE_JOINS}`;

  /**
   * The filter's conditions. `byDeadline`: for the open cases in deadline order. A wide scope (a
   * district's administrator: hundreds of villages) is then checked on each row read in the page's
   * order (`+c.village_id` keeps SQLite off the village index), which finds a page after a few hundred
   * rows; through the village index SQLite gathered and sorted every open case of every village of the
   * scope (28 ms against 0.2 ms for 581 villages at a million cases). A narrow scope (a cadre's
   * village, a township), and the other tabs, whose closed cases lie far back in id order, are read
   * through the village index.
   */
  const inboxWhere = (f: InboxFilter, byDeadline = false): Fragment => {
    const wide = byDeadline && f.villageIds.length >= WIDE_SCOPE && db.engine === 'sqlite';
    const where: Fragment[] = f.allVillages ? [] : [inList(db, wide ? sql`+c.village_id` : sql`c.village_id`, f.villageIds)];
    if (f.state === 'open') where.push(sql`c.state IN (${OPEN_STATES})`);
    // A state from the list, written out: the partial indexes of the rare states (migration 012) apply.
    else if (f.state && CASE_STATES.includes(f.state)) where.push(sql`c.state = ${sql.lit(f.state)}`);
    if (f.kind) where.push(sql`c.kind = ${f.kind}`);
    if (f.villageId) where.push(sql`c.village_id = ${f.villageId}`);
    if (f.category) where.push(sql`c.category = ${f.category}`);
    if (f.assignedTo) where.push(sql`c.assigned_user_id = ${f.assignedTo}`);
    if (f.flag === 'red') where.push(sql`(${EFFECTIVE_DUE}) < ${f.now}`);
    if (f.flag === 'yellow') where.push(sql`(${EFFECTIVE_DUE}) >= ${f.now} AND (${EFFECTIVE_DUE}) <= ${f.yellowBefore}`);
    // A tracking number (as a villager reads it out: parseTrackingNo) is found by its index alone:
    // with the text search beside it, every case's text was read for it (about a second a page at a
    // million cases on the server's one thread).
    const trackingNo = f.q ? parseTrackingNo(f.q) : undefined;
    if (trackingNo) where.push(sql`c.tracking_no = ${trackingNo}`);
    else if (f.q) {
      where.push(
        sql`(c.tracking_no = ${f.q} OR ${contains(db, sql`c.content`, f.q)} OR ${contains(db, sql`coalesce(c.name, '')`, f.q)} OR ${contains(db, sql`coalesce(i.name, '')`, f.q)})`,
      );
    }
    return where.length ? sql.join(where, sql` AND `) : sql`TRUE`;
  };
  // The tabs' counts, from the per-village summaries (migration 011).
  const SUMMED_STATES = sql.raw(CASE_STATES.map((st) => `coalesce(sum(n_${st}), 0) AS "${st}"`).join(', '));

  return {
    /** How many cases the filter selects, counting no further than `cap` (then cap + 1). */
    async inboxCount(f: InboxFilter, cap: number): Promise<number> {
      const row = await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM (SELECT 1 AS one ${CASE_FROM} WHERE ${inboxWhere(f)} LIMIT ${cap + 1}) AS capped`);
      return row?.n ?? 0;
    },
    /**
     * The inbox's open cases in its order (the deadline that matters now, soonest first, newest first
     * among equals), read from the cases_open_due index: the page after `after` (a due and an id),
     * never an OFFSET. An open case always has a deadline, so no NULL is ordered.
     */
    async inboxOpen(f: InboxFilter, after: { due: string; id: number } | undefined, limit: number): Promise<InboxRow[]> {
      const keyset = after ? sql`AND (${EFFECTIVE_DUE}) >= ${after.due} AND ((${EFFECTIVE_DUE}) > ${after.due} OR c.id < ${after.id})` : sql``;
      const page = await db.all<{ id: number; due: string | null }>(
        sql`SELECT c.id, (${EFFECTIVE_DUE}) AS due ${PAGE_FROM(f)} WHERE ${inboxWhere(f, true)} AND c.state IN (${OPEN_STATES}) ${keyset}
           ORDER BY (${EFFECTIVE_DUE}) IS NULL, (${EFFECTIVE_DUE}), c.id DESC LIMIT ${limit}`,
      );
      return inboxRows(page);
    },
    /** The inbox's other cases (no deadline any more), newest first: the page after case `afterId`. */
    async inboxDone(f: InboxFilter, afterId: number | undefined, limit: number): Promise<InboxRow[]> {
      const page = await db.all<{ id: number; due: string | null }>(
        sql`SELECT c.id, CAST(NULL AS text) AS due ${PAGE_FROM(f)} WHERE ${inboxWhere(f)} AND c.state NOT IN (${OPEN_STATES}) ${afterId ? sql`AND c.id < ${afterId}` : sql``}
           ORDER BY c.id DESC LIMIT ${limit}`,
      );
      return inboxRows(page);
    },
    /** The ids an export reads between: from just before the first case to the last one filed so far. */
    idRange: async () =>
      (await db.get<{ after: number; upTo: number }>(sql`SELECT coalesce(min(id) - 1, 0) AS "after", coalesce(max(id), 0) AS "upTo" FROM cases`)) ?? {
        after: 0,
        upTo: 0,
      },
    /**
     * Reads the inbox's cases by slices of ids for an export: `slice(after, upTo)` gives the matching
     * cases with ids in (after, upTo], oldest first, each slice read whole (then the connection is
     * free for other requests until the next slice). The cases table is walked by its ids whatever
     * the scope, so a slice costs at most its width in rows, for one village or the whole district.
     */
    exportReader(f: InboxFilter): (after: number, upTo: number) => Promise<InboxRow[]> {
      const where = inboxWhere(f);
      return (after, upTo) =>
        db.all<InboxRow>(
          sql`SELECT ${CASE_COLUMNS}, (${EFFECTIVE_DUE}) AS "effectiveDue", u.display_name AS "assignedName"
           ${EXPORT_FROM}
           LEFT JOIN users u ON u.id = c.assigned_user_id WHERE c.id > ${after} AND c.id <= ${upTo} AND ${where} ORDER BY c.id`,
        );
    },
    /** Cases in each state in these villages (all villages when none are given). */
    stateCounts: async (villageIds: number[] | 'all') =>
      (await db.get<Record<CaseState, number>>(
        villageIds === 'all'
          ? sql`SELECT ${SUMMED_STATES} FROM case_summaries`
          : sql`SELECT ${SUMMED_STATES} FROM case_summaries WHERE ${inList(db, sql`village_id`, villageIds)}`,
      )) as Record<CaseState, number>,
    /**
     * Each village with open cases: how many, how many due by `dueBy` and not yet overdue, how many
     * overdue at `now`. The open counts come from the summaries (migration 011), the deadlines from
     * the cases_open_due index (migration 008): no case is read that is not overdue or due soon.
     */
    openByVillage: async (q: { now: string; dueBy: string }) =>
      db.all<{ villageId: number; villageCode: string; villageName: string; townName: string; open: number; yellow: number; red: number }>(
        sql`SELECT v.id AS "villageId", v.code AS "villageCode", v.name AS "villageName", t.name AS "townName",
            s.n_submitted + s.n_accepted + s.n_in_progress AS open, coalesce(f.yellow, 0) AS yellow, coalesce(f.red, 0) AS red
          FROM case_summaries s JOIN villages v ON v.id = s.village_id JOIN towns t ON t.id = v.town_id
          LEFT JOIN (SELECT c.village_id, sum(CASE WHEN (${EFFECTIVE_DUE}) < ${q.now} THEN 1 ELSE 0 END) AS red,
              sum(CASE WHEN (${EFFECTIVE_DUE}) >= ${q.now} THEN 1 ELSE 0 END) AS yellow
            FROM cases c WHERE c.state IN (${OPEN_STATES}) AND ((${EFFECTIVE_DUE}) IS NULL) = FALSE AND (${EFFECTIVE_DUE}) <= ${q.dueBy}
            GROUP BY c.village_id) f ON f.village_id = s.village_id
          WHERE s.n_submitted + s.n_accepted + s.n_in_progress > 0
          ORDER BY v.code`,
      ),
    updateStaff: async (u: {
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
      (
        await db.run(sql`UPDATE cases SET state = ${u.state}, version = version + 1, updated_at = ${u.now},
            first_responded_at = coalesce(first_responded_at, ${u.firstRespondedAt ?? null}),
            resolved_at = coalesce(${u.state === 'resolved' ? u.now : null}, resolved_at),
            assigned_user_id = coalesce(${u.assignedUserId ?? null}, assigned_user_id),
            merged_into_id = coalesce(${u.mergedIntoId ?? null}, merged_into_id),
            resolution_due = coalesce(${u.resolutionDue ?? null}, resolution_due),
            extended = extended + ${u.extended ?? 0},
            extension_reason = coalesce(${u.extensionReason ?? null}, extension_reason),
            overdue = ${overdueAfter(u.state, u.now, u.firstRespondedAt ?? null, u.resolutionDue ?? null)}
          WHERE id = ${u.id} AND version = ${u.version}`)
      ).changes === 1,
    /**
     * Marks the open cases whose deadline has passed by `now` (cases_unmarked_due finds them), at most
     * `limit` at a time; the summaries' triggers count them. Returns how many were marked.
     */
    markOverdue: async (now: string, limit: number) =>
      // the conditions again on the row updated: one changed since the list was read is checked anew
      (
        await db.run(sql`UPDATE cases AS c SET overdue = 1 WHERE c.id IN (
            SELECT c.id FROM cases c WHERE c.state IN (${OPEN_STATES}) AND c.overdue = 0 AND (${EFFECTIVE_DUE}) < ${now} LIMIT ${limit})
          AND c.state IN (${OPEN_STATES}) AND c.overdue = 0 AND (${EFFECTIVE_DUE}) < ${now}`)
      ).changes,
    resolvedBefore: async (iso: string) =>
      db.all<{ id: number; version: number }>(sql`SELECT id, version FROM cases WHERE state = 'resolved' AND resolved_at <= ${iso}`),
    findByToken: async (token: string) => db.get<CaseRow>(sql`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.token = ${token}`),
    findById: async (id: number) => db.get<CaseRow>(sql`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.id = ${id}`),
    byHousehold: async (householdId: number) =>
      db.all<CaseRow>(sql`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.household_id = ${householdId} ORDER BY c.id DESC LIMIT 200`),
    findByTrackingNo: async (no: string) => db.get<CaseRow>(sql`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.tracking_no = ${no}`),
    findByIdempotencyKey: async (key: string) => db.get<CaseRow>(sql`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.idempotency_key = ${key}`),
    findByTokens: async (tokens: string[]) =>
      tokens.length ? db.all<CaseRow>(sql`SELECT ${CASE_COLUMNS} ${CASE_FROM} WHERE c.token IN (${sql.join(tokens)}) ORDER BY c.id DESC`) : [],
    /** the next number in the day's sequence (call inside the submission's transaction) */
    nextTrackingSeq: async (day: string) =>
      (
        await db.get<{ last: number }>(
          sql`INSERT INTO tracking_sequences (day, last) VALUES (${day}, 1)
              ON CONFLICT (day) DO UPDATE SET last = tracking_sequences.last + 1 RETURNING last`,
        )
      )?.last as number,
    insert: async (c: NewCase) => {
      const row = await db.get<{
        id: number;
      }>(sql`INSERT INTO cases (token, tracking_no, kind, category, item_id, village_id, household_id, plate_id, name, phone,
          anonymous, content, callback_time, first_response_due, resolution_due, idempotency_key, source, media_url, email, notify_sms, created_at, updated_at)
        VALUES (${c.token}, ${c.trackingNo}, ${c.kind}, ${c.category}, ${c.itemId}, ${c.villageId}, ${c.householdId}, ${c.plateId}, ${c.name}, ${c.phone},
          ${c.anonymous ? 1 : 0}, ${c.content}, ${c.callbackTime}, ${c.firstResponseDue}, ${c.resolutionDue}, ${c.idempotencyKey}, ${c.source ?? null},
          ${c.mediaUrl ?? null}, ${c.anonymous ? null : (c.email ?? null)}, ${c.notifySms && !c.anonymous && c.phone ? 1 : 0}, ${c.now}, ${c.now})
        RETURNING id`);
      return Number(row?.id);
    },
    /** Cases for another system (Open311), newest first, each with the office's latest public reply. */
    async exchange(f: ExchangeFilter): Promise<ExchangeRow[]> {
      const where: Fragment[] = [];
      if (f.trackingNos) where.push(inList(db, sql`c.tracking_no`, f.trackingNos, 'text'));
      if (f.kind) where.push(sql`c.kind = ${f.kind}`);
      if (f.category) where.push(sql`c.category = ${f.category}`);
      if (f.itemCode) where.push(sql`i.code = ${f.itemCode}`);
      if (f.from) where.push(sql`c.created_at >= ${f.from}`);
      if (f.to) where.push(sql`c.created_at <= ${f.to}`);
      if (f.districtId !== undefined)
        where.push(sql`c.village_id IN (SELECT v.id FROM villages v JOIN towns t ON t.id = v.town_id WHERE t.district_id = ${f.districtId})`);
      if (f.open !== undefined) where.push(f.open ? sql`c.state IN (${OPEN_STATES})` : sql`c.state NOT IN (${OPEN_STATES})`);
      const latestReply = sql`(SELECT e.body FROM case_events e WHERE e.case_id = c.id AND e.public = 1 AND e.actor = 'user' AND e.body <> ''
        ORDER BY e.id DESC LIMIT 1)`;
      return db.all<ExchangeRow>(
        sql`SELECT ${CASE_COLUMNS}, ${latestReply} AS "latestReply" ${CASE_FROM} ${where.length ? sql`WHERE ${sql.join(where, sql` AND `)}` : sql``}
          ORDER BY c.created_at DESC, c.id DESC LIMIT ${f.limit}`,
      );
    },
    /** Each case's first event (its filing): a stable handle for what is said about the case later. */
    firstEventIds: async (caseIds: number[]) =>
      new Map(
        (caseIds.length
          ? await db.all<{ caseId: number; id: number }>(
              sql`SELECT case_id AS "caseId", min(id) AS id FROM case_events WHERE ${inList(db, sql`case_id`, caseIds)} GROUP BY case_id`,
            )
          : []
        ).map((r) => [r.caseId, r.id]),
      ),
    /** Committed events after `afterId`, oldest first, with what notifications need of their case. */
    eventsAfter: async (afterId: number, limit: number) =>
      db.all<OutboxEvent>(sql`SELECT ${EVENT_COLUMNS}, c.id AS "caseId", c.tracking_no AS "trackingNo", c.kind, c.village_id AS "villageId", c.token,
          v.code AS "villageCode", v.name AS "villageName", c.phone, c.notify_sms AS "notifySms", c.state,
          c.resolution_due AS "resolutionDue", c.first_response_due AS "firstResponseDue"
        FROM case_events e JOIN cases c ON c.id = e.case_id JOIN villages v ON v.id = c.village_id
        WHERE e.id > ${afterId} ORDER BY e.id LIMIT ${limit}`),
    addEvent: async (e: NewCaseEvent) => {
      const row = await db.get<{ id: number }>(sql`INSERT INTO case_events (case_id, at, actor, user_id, type, from_state, to_state, public, body, data, ip)
        VALUES (${e.caseId}, ${e.at}, ${e.actor}, ${e.userId}, ${e.type}, ${e.fromState}, ${e.toState}, ${e.public ? 1 : 0}, ${e.body}, ${e.data}, ${e.ip ?? ''})
        RETURNING id`);
      return Number(row?.id);
    },
    /** Events by id, oldest first, with their case's number, kind and village. */
    eventsWithCase: async (ids: number[]) =>
      ids.length
        ? db.all<CaseEventWithCase>(sql`SELECT ${EVENT_COLUMNS}, c.id AS "caseId", c.tracking_no AS "trackingNo", c.kind, c.village_id AS "villageId"
            FROM case_events e JOIN cases c ON c.id = e.case_id WHERE ${inList(db, sql`e.id`, ids)} ORDER BY e.id`)
        : [],
    // The back office's timeline says who acted (the villager's page never names staff).
    events: async (caseId: number) =>
      db.all<CaseEvent>(sql`SELECT e.id, e.at, e.actor, e.user_id AS "userId", u.display_name AS "actorName", e.type, e.from_state AS "fromState",
          e.to_state AS "toState", e.public, e.body, e.data
        FROM case_events e LEFT JOIN users u ON u.id = e.user_id WHERE e.case_id = ${caseId} ORDER BY e.id`),
    publicEvents: async (caseId: number) =>
      db.all<CaseEvent>(sql`SELECT id, at, actor, user_id AS "userId", type, from_state AS "fromState", to_state AS "toState", public, body, data
        FROM case_events WHERE case_id = ${caseId} AND public = 1 ORDER BY id`),
    addPhoto: async (caseId: number, p: Omit<PhotoRow, 'id' | 'caseId'>, now: string) => {
      const row = await db.get<{ id: number }>(sql`INSERT INTO case_photos (case_id, file_name, mime, bytes, width, height, created_at)
        VALUES (${caseId}, ${p.fileName}, ${p.mime}, ${p.bytes}, ${p.width}, ${p.height}, ${now}) RETURNING id`);
      return Number(row?.id);
    },
    photos: async (caseId: number) =>
      db.all<PhotoRow>(
        sql`SELECT id, case_id AS "caseId", file_name AS "fileName", mime, bytes, width, height FROM case_photos WHERE case_id = ${caseId} ORDER BY id`,
      ),
    photoById: async (id: number) =>
      db.get<PhotoRow>(sql`SELECT id, case_id AS "caseId", file_name AS "fileName", mime, bytes, width, height FROM case_photos WHERE id = ${id}`),
    /** Applies a change only if nobody changed the case since `version` was read; false otherwise. */
    async update(u: {
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
    }): Promise<boolean> {
      // a reopened case loses its resolution and its rating; otherwise what is given is set
      const reopened = u.reopened === true;
      const keepOr = (value: string | number | null | undefined, column: string) =>
        reopened ? sql`NULL` : sql`coalesce(${value ?? null}, ${sql.ref(column)})`;
      const result = await db.run(sql`UPDATE cases SET state = ${u.state}, version = version + 1, updated_at = ${u.now},
          resolved_at = ${keepOr(u.resolvedAt, 'resolved_at')},
          resolution_due = coalesce(${u.resolutionDue ?? null}, resolution_due),
          closed_at = coalesce(${u.closedAt ?? null}, closed_at),
          rating = ${keepOr(u.rating, 'rating')},
          rating_comment = ${keepOr(u.ratingComment, 'rating_comment')},
          reopen_count = reopen_count + ${reopened ? 1 : 0}, first_responded_at = coalesce(first_responded_at, ${u.firstRespondedAt ?? null}),
          overdue = ${overdueAfter(u.state, u.now, u.firstRespondedAt ?? null, u.resolutionDue ?? null)}
        WHERE id = ${u.id} AND version = ${u.version}`);
      return result.changes === 1;
    },
  };
}

export type CasesRepo = ReturnType<typeof createCasesRepo>;
