import type { Db } from '../../db/index.js';

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
  eventId: number;
  caseId: number;
  trackingNo: string;
  villageId: number;
  villageName: string;
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
  state?: DeliveryState;
  channel?: DeliveryChannel;
  trackingNo?: string;
}

const DELIVERY_COLUMNS = `d.id, d.event_id AS eventId, d.case_id AS caseId, c.tracking_no AS trackingNo, d.village_id AS villageId,
  v.name AS villageName, d.channel, d.channel_id AS channelId, d.recipient, d.message, d.body, d.params, d.state, d.attempts,
  d.next_at AS nextAt, d.lease_until AS leaseUntil, d.last_code AS lastCode, d.last_answer AS lastAnswer,
  d.provider_id AS providerId, d.created_at AS createdAt, d.updated_at AS updatedAt, d.sent_at AS sentAt`;
const DELIVERY_FROM = 'FROM notification_deliveries d JOIN cases c ON c.id = d.case_id JOIN villages v ON v.id = d.village_id';
const CHANNEL_COLUMNS = 'id, kind, url, secret, scope_code AS scopeCode, created_at AS createdAt, removed_at AS removedAt';

/** Deliveries, their attempts, the cadres' channels and the cursor over case_events. */
export function createNotificationsRepo(db: Db) {
  const s = {
    cursor: db.prepare("SELECT last_event_id FROM notification_cursor WHERE name = 'case_events'").pluck(),
    setCursor: db.prepare(`INSERT INTO notification_cursor (name, last_event_id) VALUES ('case_events', ?)
      ON CONFLICT(name) DO UPDATE SET last_event_id = max(last_event_id, excluded.last_event_id)`),
    insert: db.prepare(`INSERT INTO notification_deliveries (event_id, case_id, village_id, channel, channel_id, recipient, message, body,
        params, next_at, created_at, updated_at)
      VALUES (@eventId, @caseId, @villageId, @channel, @channelId, @recipient, @message, @body, @params, @nextAt, @now, @now)
      ON CONFLICT (event_id, channel, recipient) DO NOTHING`),
    due: db.prepare(`SELECT ${DELIVERY_COLUMNS} ${DELIVERY_FROM}
      WHERE (d.state = 'pending' AND d.next_at <= ?) OR (d.state = 'sending' AND d.lease_until < ?) ORDER BY d.next_at, d.id LIMIT ?`),
    claim: db.prepare(`UPDATE notification_deliveries SET state = 'sending', lease_until = @leaseUntil, attempts = attempts + 1, updated_at = @now
      WHERE id = @id AND ((state = 'pending' AND next_at <= @now) OR (state = 'sending' AND lease_until < @now))`),
    postpone: db.prepare("UPDATE notification_deliveries SET next_at = ?, updated_at = ? WHERE id = ? AND state = 'pending'"),
    finish: db.prepare(`UPDATE notification_deliveries SET state = @state, next_at = coalesce(@nextAt, next_at), lease_until = NULL,
        last_code = @code, last_answer = @answer, provider_id = coalesce(@providerId, provider_id), updated_at = @now,
        sent_at = CASE WHEN @state = 'sent' THEN @now ELSE sent_at END
      WHERE id = @id AND state = 'sending'`),
    attempt: db.prepare('INSERT INTO notification_attempts (delivery_id, at, ok, code, answer) VALUES (?, ?, ?, ?, ?)'),
    attempts: db.prepare('SELECT id, delivery_id AS deliveryId, at, ok, code, answer FROM notification_attempts WHERE delivery_id = ? ORDER BY id'),
    byId: db.prepare(`SELECT ${DELIVERY_COLUMNS} ${DELIVERY_FROM} WHERE d.id = ?`),
    byCase: db.prepare(`SELECT ${DELIVERY_COLUMNS} ${DELIVERY_FROM} WHERE d.case_id = ? ORDER BY d.id`),
    retry: db.prepare(`UPDATE notification_deliveries SET state = 'pending', attempts = 0, next_at = ?, lease_until = NULL, updated_at = ?
      WHERE id = ? AND state = 'dead'`),
    sentSince: db
      .prepare(
        `SELECT count(*) FROM notification_deliveries
      WHERE channel = 'sms' AND recipient = ? AND (sent_at >= ? OR state = 'sending')`,
      )
      .pluck(),
    channels: db.prepare(`SELECT ${CHANNEL_COLUMNS} FROM notification_channels WHERE removed_at IS NULL ORDER BY scope_code, id`),
    channel: db.prepare(`SELECT ${CHANNEL_COLUMNS} FROM notification_channels WHERE id = ?`),
    channelsFor: db.prepare(`SELECT ${CHANNEL_COLUMNS} FROM notification_channels
      WHERE removed_at IS NULL AND substr(?, 1, length(scope_code)) = scope_code ORDER BY id`),
    addChannel: db.prepare('INSERT INTO notification_channels (kind, url, secret, scope_code, created_at) VALUES (?, ?, ?, ?, ?)'),
    removeChannel: db.prepare('UPDATE notification_channels SET removed_at = ? WHERE id = ? AND removed_at IS NULL'),
  };

  const where = (f: DeliveryFilter): { sql: string; params: unknown[] } => {
    const parts = ['d.village_id IN (SELECT value FROM json_each(?))'];
    const params: unknown[] = [JSON.stringify(f.villageIds)];
    if (f.state) (parts.push('d.state = ?'), params.push(f.state));
    if (f.channel) (parts.push('d.channel = ?'), params.push(f.channel));
    if (f.trackingNo) (parts.push('c.tracking_no = ?'), params.push(f.trackingNo));
    return { sql: parts.join(' AND '), params };
  };

  return {
    cursor: () => (s.cursor.get() as number | undefined) ?? 0,
    /** Moves the cursor forward (never back, whoever else moved it meanwhile). */
    setCursor: (id: number) => {
      s.setCursor.run(id);
    },
    /** Adds a delivery unless the same (event, channel, recipient) already has one; true when added. */
    insert: (d: NewDelivery) => s.insert.run(d).changes === 1,
    /** Pending rows whose time has come, and rows whose worker's lease ran out. */
    due: (now: string, limit: number) => s.due.all(now, now, limit) as DeliveryRow[],
    /** Takes the row for one worker until `leaseUntil`; false when another worker has it or it is not due. */
    claim: (id: number, now: string, leaseUntil: string) => s.claim.run({ id, now, leaseUntil }).changes === 1,
    postpone: (id: number, until: string, now: string) => {
      s.postpone.run(until, now, id);
    },
    /** Ends a claimed row's attempt: sent, dead, or pending again from `nextAt`. */
    finish: (f: { id: number; state: DeliveryState; nextAt: string | null; code: string; answer: string; providerId: string | null; now: string }) =>
      s.finish.run(f).changes === 1,
    addAttempt: (deliveryId: number, at: string, ok: boolean, code: string, answer: string) => {
      s.attempt.run(deliveryId, at, ok ? 1 : 0, code, answer.slice(0, 500));
    },
    attempts: (deliveryId: number) => s.attempts.all(deliveryId) as AttemptRow[],
    byId: (id: number) => s.byId.get(id) as DeliveryRow | undefined,
    byCase: (caseId: number) => s.byCase.all(caseId) as DeliveryRow[],
    /** A dead row back to pending, with its tries counted afresh; false unless it was dead. */
    retry: (id: number, now: string) => s.retry.run(now, now, id).changes === 1,
    /** SMS sent to a phone since an instant (and any being sent now). */
    smsSentSince: (phone: string, since: string) => s.sentSince.get(phone, since) as number,
    count(f: DeliveryFilter): number {
      const w = where(f);
      return db
        .prepare(`SELECT count(*) ${DELIVERY_FROM} WHERE ${w.sql}`)
        .pluck()
        .get(...w.params) as number;
    },
    list(f: DeliveryFilter, limit: number, offset: number): DeliveryRow[] {
      const w = where(f);
      return db
        .prepare(`SELECT ${DELIVERY_COLUMNS} ${DELIVERY_FROM} WHERE ${w.sql} ORDER BY d.id DESC LIMIT ? OFFSET ?`)
        .all(...w.params, limit, offset) as DeliveryRow[];
    },
    channels: () => s.channels.all() as ChannelRow[],
    channel: (id: number) => s.channel.get(id) as ChannelRow | undefined,
    /** The live channels whose place contains the village (by code prefix: village, township, district). */
    channelsFor: (villageCode: string) => s.channelsFor.all(villageCode) as ChannelRow[],
    addChannel: (c: { kind: ChannelKind; url: string; secret: string | null; scopeCode: string; now: string }) =>
      Number(s.addChannel.run(c.kind, c.url, c.secret, c.scopeCode, c.now).lastInsertRowid),
    removeChannel: (id: number, now: string) => s.removeChannel.run(now, id).changes === 1,
  };
}

export type NotificationsRepo = ReturnType<typeof createNotificationsRepo>;
