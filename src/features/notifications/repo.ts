import { sql } from 'kysely';
import type { Database } from '../../db/database.js';
import { inList } from '../../db/dialect.js';

export type DeliveryState = 'pending' | 'sending' | 'sent' | 'dead';
export type ChannelKind = 'wecom' | 'dingtalk' | 'webhook';
export type DeliveryChannel = 'sms' | ChannelKind;

export interface ChannelRow {
  id: number;
  kind: ChannelKind;
  url: string;
  secret: string | null;
  scopeCode: string;
  createdAt: string;
  removedAt: string | null;
}

export interface NewDelivery {
  eventId: number;
  caseId: number;
  villageId: number;
  channel: DeliveryChannel;
  channelId: number | null;
  recipient: string;
  message: string;
  body: string;
  params: string | null;
  nextAt: string;
  now: string;
}

export interface DeliveryRow {
  id: number;
  /** null for a digest, which belongs to no case event */
  eventId: number | null;
  caseId: number | null;
  trackingNo: string | null;
  villageId: number | null;
  villageName: string | null;
  /** a digest's channel place (village, township or district code) */
  scopeCode: string | null;
  digestDay: string | null;
  channel: DeliveryChannel;
  channelId: number | null;
  recipient: string;
  message: string;
  body: string;
  params: string | null;
  state: DeliveryState;
  attempts: number;
  nextAt: string;
  leaseUntil: string | null;
  lastCode: string | null;
  lastAnswer: string | null;
  providerId: string | null;
  createdAt: string;
  updatedAt: string;
  sentAt: string | null;
}

export interface AttemptRow {
  id: number;
  deliveryId: number;
  at: string;
  ok: number;
  code: string;
  answer: string;
}

export interface DeliveryFilter {
  villageIds: number[];
  /** the places whose digests the user may see (every village of each is in the scope) */
  scopeCodes: string[];
  state?: DeliveryState;
  channel?: DeliveryChannel;
  trackingNo?: string;
}

const DELIVERY_COLUMNS = sql`d.id, d.event_id AS "eventId", d.case_id AS "caseId", c.tracking_no AS "trackingNo", d.village_id AS "villageId",
  v.name AS "villageName", d.channel, d.channel_id AS "channelId", d.recipient, d.message, d.body, d.params, d.state, d.attempts,
  d.next_at AS "nextAt", d.lease_until AS "leaseUntil", d.last_code AS "lastCode", d.last_answer AS "lastAnswer",
  d.provider_id AS "providerId", d.created_at AS "createdAt", d.updated_at AS "updatedAt", d.sent_at AS "sentAt",
  d.scope_code AS "scopeCode", d.digest_day AS "digestDay"`;
const DELIVERY_FROM = sql`FROM notification_deliveries d LEFT JOIN cases c ON c.id = d.case_id LEFT JOIN villages v ON v.id = d.village_id`;
const CHANNEL_COLUMNS = sql`id, kind, url, secret, scope_code AS "scopeCode", created_at AS "createdAt", removed_at AS "removedAt"`;

/** Deliveries, their attempts, the cadres' channels and the cursor over case_events. */
export function createNotificationsRepo(db: Database) {
  /** A row a worker may take at `now`: due and pending, or claimed by a worker whose lease ran out. */
  const claimable = (now: string) => sql`((state = 'pending' AND next_at <= ${now}) OR (state = 'sending' AND lease_until < ${now}))`;

  const where = (f: DeliveryFilter) => {
    const parts = [sql`(${inList(db, sql`d.village_id`, f.villageIds)} OR (d.village_id IS NULL AND ${inList(db, sql`d.scope_code`, f.scopeCodes, 'text')}))`];
    if (f.state) parts.push(sql`d.state = ${f.state}`);
    if (f.channel) parts.push(sql`d.channel = ${f.channel}`);
    if (f.trackingNo) parts.push(sql`c.tracking_no = ${f.trackingNo}`);
    return sql.join(parts, sql` AND `);
  };

  return {
    /** Deliveries not yet done, by state (pending, sending): the outbox's backlog, read from its index. */
    backlog: async () =>
      db.all<{ state: DeliveryState; n: number }>(
        sql`SELECT state, count(*) AS n FROM notification_deliveries WHERE state IN ('pending', 'sending') GROUP BY state ORDER BY state`,
      ),
    cursor: async () =>
      (await db.get<{ lastEventId: number }>(sql`SELECT last_event_id AS "lastEventId" FROM notification_cursor WHERE name = 'case_events'`))?.lastEventId ?? 0,
    /** Moves the cursor forward (never back, whoever else moved it meanwhile). */
    setCursor: async (id: number) => {
      await db.run(sql`INSERT INTO notification_cursor (name, last_event_id) VALUES ('case_events', ${id})
        ON CONFLICT (name) DO UPDATE SET last_event_id = excluded.last_event_id WHERE excluded.last_event_id > notification_cursor.last_event_id`);
    },
    /** Adds a delivery unless the same (event, channel, recipient) already has one; true when added. */
    insert: async (d: NewDelivery) =>
      (
        await db.run(sql`INSERT INTO notification_deliveries (event_id, case_id, village_id, channel, channel_id, recipient, message, body,
            params, next_at, created_at, updated_at)
          VALUES (${d.eventId}, ${d.caseId}, ${d.villageId}, ${d.channel}, ${d.channelId}, ${d.recipient}, ${d.message}, ${d.body},
            ${d.params}, ${d.nextAt}, ${d.now}, ${d.now})
          ON CONFLICT (event_id, channel, recipient) DO NOTHING`)
      ).changes === 1,
    /** Pending rows whose time has come, and rows whose worker's lease ran out. */
    due: async (now: string, limit: number) =>
      db.all<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} ${DELIVERY_FROM}
        WHERE (d.state = 'pending' AND d.next_at <= ${now}) OR (d.state = 'sending' AND d.lease_until < ${now}) ORDER BY d.next_at, d.id LIMIT ${limit}`),
    /**
     * Takes the row for one worker until `leaseUntil`; false when another worker has it or it is not
     * due. The row is picked by the subquery (where PostgreSQL's row lock, FOR UPDATE SKIP LOCKED,
     * goes) and checked again by the UPDATE itself: a worker that waited for another's claim to
     * commit sees the row taken and changes nothing.
     */
    claim: async (id: number, now: string, leaseUntil: string) =>
      (
        await db.run(sql`UPDATE notification_deliveries SET state = 'sending', lease_until = ${leaseUntil}, attempts = attempts + 1, updated_at = ${now}
          WHERE id = (SELECT id FROM notification_deliveries WHERE id = ${id} AND ${claimable(now)}) AND ${claimable(now)}`)
      ).changes === 1,
    postpone: async (id: number, until: string, now: string) => {
      await db.run(sql`UPDATE notification_deliveries SET next_at = ${until}, updated_at = ${now} WHERE id = ${id} AND state = 'pending'`);
    },
    /** Ends a claimed row's attempt: sent, dead, or pending again from `nextAt`. */
    finish: async (f: { id: number; state: DeliveryState; nextAt: string | null; code: string; answer: string; providerId: string | null; now: string }) =>
      (
        await db.run(sql`UPDATE notification_deliveries SET state = ${f.state}, next_at = coalesce(${f.nextAt}, next_at), lease_until = NULL,
            last_code = ${f.code}, last_answer = ${f.answer}, provider_id = coalesce(${f.providerId}, provider_id), updated_at = ${f.now},
            sent_at = coalesce(${f.state === 'sent' ? f.now : null}, sent_at)
          WHERE id = ${f.id} AND state = 'sending'`)
      ).changes === 1,
    addAttempt: async (deliveryId: number, at: string, ok: boolean, code: string, answer: string) => {
      await db.run(
        sql`INSERT INTO notification_attempts (delivery_id, at, ok, code, answer) VALUES (${deliveryId}, ${at}, ${ok ? 1 : 0}, ${code}, ${answer.slice(0, 500)})`,
      );
    },
    attempts: async (deliveryId: number) =>
      db.all<AttemptRow>(
        sql`SELECT id, delivery_id AS "deliveryId", at, ok, code, answer FROM notification_attempts WHERE delivery_id = ${deliveryId} ORDER BY id`,
      ),
    byId: async (id: number) => db.get<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} ${DELIVERY_FROM} WHERE d.id = ${id}`),
    byCase: async (caseId: number) => db.all<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} ${DELIVERY_FROM} WHERE d.case_id = ${caseId} ORDER BY d.id`),
    /** A dead row back to pending, with its tries counted afresh; false unless it was dead. */
    retry: async (id: number, now: string) =>
      (
        await db.run(sql`UPDATE notification_deliveries SET state = 'pending', attempts = 0, next_at = ${now}, lease_until = NULL, updated_at = ${now}
          WHERE id = ${id} AND state = 'dead'`)
      ).changes === 1,
    /** SMS sent to a phone since an instant (and any being sent now). */
    smsSentSince: async (phone: string, since: string) =>
      (
        await db.get<{ n: number }>(sql`SELECT count(*) AS n FROM notification_deliveries
          WHERE channel = 'sms' AND recipient = ${phone} AND (sent_at >= ${since} OR state = 'sending')`)
      )?.n ?? 0,
    async count(f: DeliveryFilter): Promise<number> {
      return (await db.get<{ n: number }>(sql`SELECT count(*) AS n ${DELIVERY_FROM} WHERE ${where(f)}`))?.n ?? 0;
    },
    async list(f: DeliveryFilter, limit: number, offset: number): Promise<DeliveryRow[]> {
      return db.all<DeliveryRow>(sql`SELECT ${DELIVERY_COLUMNS} ${DELIVERY_FROM} WHERE ${where(f)} ORDER BY d.id DESC LIMIT ${limit} OFFSET ${offset}`);
    },
    channels: async () => db.all<ChannelRow>(sql`SELECT ${CHANNEL_COLUMNS} FROM notification_channels WHERE removed_at IS NULL ORDER BY scope_code, id`),
    channel: async (id: number) => db.get<ChannelRow>(sql`SELECT ${CHANNEL_COLUMNS} FROM notification_channels WHERE id = ${id}`),
    /** The live channels whose place contains the village (by code prefix: village, township, district). */
    channelsFor: async (villageCode: string) =>
      db.all<ChannelRow>(sql`SELECT ${CHANNEL_COLUMNS} FROM notification_channels
        WHERE removed_at IS NULL AND substr(CAST(${villageCode} AS text), 1, length(scope_code)) = scope_code ORDER BY id`),
    addChannel: async (c: { kind: ChannelKind; url: string; secret: string | null; scopeCode: string; now: string }) =>
      Number(
        (await db.get<{ id: number }>(sql`INSERT INTO notification_channels (kind, url, secret, scope_code, created_at)
          VALUES (${c.kind}, ${c.url}, ${c.secret}, ${c.scopeCode}, ${c.now}) RETURNING id`))!.id,
      ),
    /** Adds a channel's digest of a day unless it has one; true when added. */
    insertDigest: async (d: { channelId: number; channel: ChannelKind; scopeCode: string; day: string; body: string; now: string }) =>
      (
        await db.run(sql`INSERT INTO notification_deliveries (channel, channel_id, recipient, message, body, next_at, created_at, updated_at, scope_code, digest_day)
          VALUES (${d.channel}, ${d.channelId}, ${`channel:${d.channelId}:digest:${d.day}`}, 'digest', ${d.body}, ${d.now}, ${d.now}, ${d.now}, ${d.scopeCode}, ${d.day})
          ON CONFLICT (channel_id, digest_day) DO NOTHING`)
      ).changes === 1,
    /** The highest channel id a day's digest covered (0 when none was made that day). */
    digestRun: async (day: string) => (await db.get<{ n: number }>(sql`SELECT last_channel_id AS n FROM notification_digest_runs WHERE day = ${day}`))?.n ?? 0,
    setDigestRun: async (day: string, lastChannelId: number, at: string) => {
      await db.run(sql`INSERT INTO notification_digest_runs (day, last_channel_id, at) VALUES (${day}, ${lastChannelId}, ${at})
        ON CONFLICT (day) DO UPDATE SET last_channel_id = excluded.last_channel_id, at = excluded.at
        WHERE excluded.last_channel_id > notification_digest_runs.last_channel_id`);
    },
    removeChannel: async (id: number, now: string) =>
      (await db.run(sql`UPDATE notification_channels SET removed_at = ${now} WHERE id = ${id} AND removed_at IS NULL`)).changes === 1,
  };
}

export type NotificationsRepo = ReturnType<typeof createNotificationsRepo>;
