import type { Logger } from 'pino';
import type { Config, SmsMessage } from '../../config.js';
import type { UnitOfWork } from '../../db/unit-of-work.js';
import { maskPhone } from '../../domain/phone.js';
import { inScope, villageIdsOf, type Scope } from '../../domain/scope.js';
import { chinaClock, chinaDate, startOfChinaDay } from '../../domain/time.js';
import { addDays } from '../../domain/dates.js';
import { NotFoundError, ValidationError, type FieldError } from '../../errors.js';
import { t } from '../../i18n/index.js';
import type { OutboxEvent } from '../cases/service.js';
import type { ChannelKind, ChannelRow, DeliveryChannel, DeliveryFilter, DeliveryRow, DeliveryState, NotificationsRepo } from './repo.js';
import { sendToChannel, smsProvider, type SendResult, type SmsProvider } from './providers.js';

/** Tries before a delivery is dead: the first, then retries after 30 s, 60 s, 120 s, … (MASHANG_NOTIFY_RETRY_SECONDS). */
export const MAX_ATTEMPTS = 8;
/** A claimed delivery is its worker's for this long; after it another worker may take it again. */
export const LEASE_MS = 2 * 60_000;
/** Events read from the outbox per transaction. */
const BATCH = 500;

export type ChannelMessage = 'new_case' | 'reopened' | 'low_rating' | 'yellow' | 'red';
/** Villages a digest lists at most (WeCom's markdown holds 4,096 bytes); the webhook's JSON lists all. */
export const DIGEST_LINES = 20;

export const DELIVERY_STATES: DeliveryState[] = ['pending', 'sending', 'sent', 'dead'];
export const DELIVERY_CHANNELS: DeliveryChannel[] = ['sms', 'wecom', 'dingtalk', 'webhook'];
export const CHANNEL_KINDS: ChannelKind[] = ['wecom', 'dingtalk', 'webhook'];

/** What the delivery log shows: the phone masked, private links and channel addresses cut short. */
export interface DeliveryView extends Omit<DeliveryRow, 'recipient' | 'body' | 'params'> {
  recipient: string;
  text: string;
}

export interface ChannelView {
  id: number;
  kind: ChannelKind;
  url: string;
  hasSecret: boolean;
  scopeCode: string;
  scopeName: string;
}

/** The SMS a villager who asked for them gets for an event, if any. */
function smsMessageFor(e: OutboxEvent): SmsMessage | undefined {
  switch (e.type) {
    case 'submitted':
      return 'received';
    case 'reply':
      return 'replied';
    case 'resolved':
      return 'resolved';
    case 'rejected':
      return 'rejected';
    case 'extended':
      return 'extended';
    default:
      return undefined;
  }
}

const eventData = (e: OutboxEvent): Record<string, unknown> => {
  if (!e.data) return {};
  try {
    return JSON.parse(e.data) as Record<string, unknown>;
  } catch {
    return {};
  }
};

/** What the cadres' channels hear of: a new case, a reopened one, a rating of 1 or 2 stars. */
function channelMessageFor(e: OutboxEvent): ChannelMessage | undefined {
  if (e.type === 'submitted') return 'new_case';
  if (e.type === 'reopened') return 'reopened';
  if (e.type === 'rated' && Number(eventData(e).rating) <= 2) return 'low_rating';
  return undefined;
}

const PUBLISHED_NAMES: Record<string, string> = {
  submitted: 'case.filed',
  reopened: 'case.reopened',
  rated: 'case.rated',
};

/** A China-time date as 11月30日. */
const shortDate = (iso: string) => {
  const c = chinaClock(iso);
  return `${c.month}月${c.day}日`;
};

export function createNotificationsService(deps: {
  uow: UnitOfWork;
  repo: NotificationsRepo;
  cases: { eventsAfter(afterId: number, limit: number): Promise<OutboxEvent[]> };
  /** open cases now yellow or red, with their first event's id */
  flagged?: (villageIds: number[], at: Date) => Promise<FlaggedCase[]>;
  /** every village with open cases and its open, due-today and overdue counts (the digest's figures) */
  openByVillage?: (at: Date) => Promise<DigestFigures[]>;
  /** whether a China-time date is a working day (the shared calendar, 调休 included) */
  isWorkingDay?: (date: string) => Promise<boolean>;
  /** every village's code, to check a channel's place */
  villageCodes: () => Promise<Array<{ id: number; code: string; name: string; townName: string }>>;
  config: Pick<Config, 'publicBaseUrl' | 'notify'>;
  sms?: SmsProvider;
  now?: () => Date;
  logger?: Logger;
  /**
   * How long after this process first reads an event the cursor may pass it. On SQLite, writes are
   * one at a time, so events become visible in the order of their ids: 0. On PostgreSQL two
   * transactions may take ids 100 and 101 and commit 101 first: a cursor moved to 101 at once would
   * never see 100. Transactions here last milliseconds; the cursor trails by this much.
   */
  settleMs?: number;
}) {
  const { uow, repo, config } = deps;
  const now = deps.now ?? (() => new Date());
  const settleMs = deps.settleMs ?? 0;
  /** events read but not yet passed by the cursor, with when they were first read (ms) */
  const firstSeen = new Map<number, number>();
  const sms = deps.sms ?? smsProvider(config.notify.sms, deps.logger);
  const base = config.publicBaseUrl;
  const quiet = config.notify.sms.quietHours;

  /**
   * A message to every live channel whose place holds the case's village. `suffix` tells apart
   * messages about the same event (a deadline's yellow and red), so each is made once per channel.
   */
  const toChannels = async (
    cm: ChannelMessage,
    c: {
      eventId: number;
      event: string;
      at: string;
      caseId: number;
      trackingNo: string;
      kind: string;
      villageId: number;
      villageCode: string;
      villageName: string;
      state: string;
      due: string;
      rating: number | null;
    },
    at: string,
    suffix: string,
  ): Promise<number> => {
    const channels = await repo.channelsFor(c.villageCode);
    if (!channels.length) return 0;
    const link = `${base}/admin/cases/${c.caseId}`;
    const title = t(`notifications.channel.${cm}`, { no: c.trackingNo });
    const lines = [
      `**${title}**`,
      t('notifications.channel.kind', { kind: t(`cases.kinds.${c.kind}`) }),
      t('notifications.channel.village', { village: c.villageName }),
      t('notifications.channel.due', { due: shortDate(c.due) }),
      ...(cm === 'low_rating' && c.rating ? [t('notifications.channel.rating', { rating: c.rating })] : []),
      t('notifications.channel.open', { link }),
    ];
    // Never the villager's name, phone or private link: the back office's case page only.
    const event = {
      event: c.event,
      eventId: c.eventId,
      at: c.at,
      case: {
        trackingNo: c.trackingNo,
        kind: c.kind,
        village: c.villageName,
        villageCode: c.villageCode,
        state: c.state,
        due: c.due,
        link,
        ...(c.rating ? { rating: c.rating } : {}),
      },
    };
    const body = JSON.stringify({ title, markdown: lines.join('\n\n'), event });
    let added = 0;
    for (const ch of channels) {
      const recipient = `channel:${ch.id}${suffix}`;
      if (
        await repo.insert({
          eventId: c.eventId,
          caseId: c.caseId,
          villageId: c.villageId,
          channel: ch.kind,
          channelId: ch.id,
          recipient,
          message: cm,
          body,
          params: null,
          nextAt: at,
          now: at,
        })
      )
        added++;
    }
    return added;
  };

  /**
   * Cases turning yellow or red: told once per channel and deadline (a new deadline after an
   * extension or a reopening may be told again). Red only within a day of the deadline, so that a
   * new channel is not flooded with old overdue cases.
   */
  const flagDeliveries = async (at: Date): Promise<number> => {
    if (!deps.flagged || (await repo.channels()).length === 0) return 0;
    const villages = new Map((await deps.villageCodes()).map((v) => [v.id, v.code]));
    const iso = at.toISOString();
    let added = 0;
    await uow.run(async () => {
      for (const f of await deps.flagged!([...villages.keys()], at)) {
        if (f.flag === 'red' && Date.parse(f.due) < at.getTime() - 24 * 3600_000) continue;
        const villageCode = villages.get(f.villageId);
        if (!villageCode) continue;
        added += await toChannels(
          f.flag,
          { ...f, eventId: f.firstEventId, event: f.flag === 'red' ? 'case.overdue' : 'case.due_soon', at: iso, villageCode, rating: null },
          iso,
          `:${f.flag}:${f.due}`,
        );
      }
    });
    return added;
  };

  /** A channel's place by name: the village, the township, or the district. */
  const placeName = (villages: Array<{ code: string; name: string; townName: string }>, code: string): string => {
    if (code.length === 12) return villages.find((v) => v.code === code)?.name ?? code;
    if (code.length === 9) return villages.find((v) => v.code.startsWith(code))?.townName ?? code;
    return t('site.district');
  };

  /** One channel's digest: the villages of its place with open cases, most overdue first. */
  const digestBody = (scopeCode: string, place: string, day: string, at: string, rows: DigestFigures[]) => {
    const sorted = [...rows].sort((a, b) => b.red - a.red || b.yellow - a.yellow || b.open - a.open || a.villageCode.localeCompare(b.villageCode));
    const sum = (k: 'open' | 'yellow' | 'red') => sorted.reduce((n, r) => n + r[k], 0);
    const totals = { open: sum('open'), yellow: sum('yellow'), red: sum('red') };
    // The back office's inbox, filtered to the village's open cases: never a villager's page.
    const link = (r: DigestFigures) => `${base}/admin/cases?state=open&village=${r.villageId}`;
    // A township's name beside the village's when the channel spans townships.
    const name = (r: DigestFigures) => (scopeCode.length === 6 ? `${r.townName}${r.villageName}` : r.villageName);
    const title = t('notifications.digest.title', { place, date: shortDate(`${day}T04:00:00.000Z`) });
    const lines = [
      `**${title}**`,
      t('notifications.digest.totals', totals),
      sorted
        .slice(0, DIGEST_LINES)
        .map((r) => t('notifications.digest.village', { village: name(r), link: link(r), open: r.open, yellow: r.yellow, red: r.red }))
        .join('\n'),
      ...(sorted.length > DIGEST_LINES ? [t('notifications.digest.more', { n: sorted.length - DIGEST_LINES, link: `${base}/admin/cases?state=open` })] : []),
    ];
    const event = {
      event: 'digest',
      kind: 'digest',
      day,
      at,
      scope: { code: scopeCode, name: place },
      totals,
      villages: sorted.map((r) => ({ code: r.villageCode, name: r.villageName, town: r.townName, open: r.open, yellow: r.yellow, red: r.red, link: link(r) })),
    };
    return JSON.stringify({ title, markdown: lines.join('\n\n'), event });
  };

  /**
   * The working-day digest: from `digestAt` (08:30 China time) on a working day, one message per live
   * channel whose place has open cases, made once per channel and day (UNIQUE (channel_id,
   * digest_day)). A day whose 08:30 passed while no instance ran gets its digest when one starts that
   * day; a day gone by gets none. The counts are read once for every channel, and not read again that
   * day unless a channel is added (notification_digest_runs).
   */
  const digestDeliveries = async (at: Date): Promise<number> => {
    const digestAt = config.notify.digestAt;
    if (digestAt === null || digestAt === undefined || !deps.openByVillage || !deps.isWorkingDay) return 0;
    const clock = chinaClock(at);
    if (clock.hours * 60 + clock.minutes < digestAt) return 0;
    const day = chinaDate(at);
    const channels = await repo.channels();
    const last = channels.reduce((n, c) => Math.max(n, c.id), 0);
    const done = await repo.digestRun(day);
    if (last <= done) return 0;
    const iso = at.toISOString();
    if (!(await deps.isWorkingDay(day))) {
      await repo.setDigestRun(day, last, iso);
      return 0;
    }
    const figures = await deps.openByVillage(at);
    const villages = await deps.villageCodes();
    let added = 0;
    await uow.run(async () => {
      for (const ch of channels) {
        if (ch.id <= done) continue;
        const rows = figures.filter((f) => f.villageCode.startsWith(ch.scopeCode));
        // Nothing open in the place: no message (a daily "nothing to do" would teach the group to skip them).
        if (!rows.length) continue;
        const body = digestBody(ch.scopeCode, placeName(villages, ch.scopeCode), day, iso, rows);
        if (await repo.insertDigest({ channelId: ch.id, channel: ch.kind, scopeCode: ch.scopeCode, day, body, now: iso })) added++;
      }
      await repo.setDigestRun(day, last, iso);
    });
    return added;
  };

  /** The deliveries an event calls for, made once each (unique per event, channel and recipient). */
  const deliveriesFor = async (e: OutboxEvent, at: string): Promise<number> => {
    let added = 0;
    const message = smsMessageFor(e);
    if (message && e.notifySms === 1 && e.phone) {
      const data = eventData(e);
      const due = typeof data.resolutionDue === 'string' ? data.resolutionDue : e.resolutionDue;
      const params: Record<string, string> = { no: e.trackingNo, link: `${base}/track/${e.token}` };
      if (message === 'extended') params.due = shortDate(due);
      const text = t(`notifications.sms.${message}`, params);
      if (
        await repo.insert({
          eventId: e.id,
          caseId: e.caseId,
          villageId: e.villageId,
          channel: 'sms',
          channelId: null,
          recipient: e.phone,
          message,
          body: text,
          params: JSON.stringify(params),
          nextAt: at,
          now: at,
        })
      )
        added++;
    }
    const cm = channelMessageFor(e);
    if (cm) {
      const due = e.state === 'submitted' ? e.firstResponseDue : e.resolutionDue;
      const rating = Number(eventData(e).rating) || null;
      added += await toChannels(cm, { ...e, eventId: e.id, event: PUBLISHED_NAMES[e.type] ?? `case.${e.type}`, due, rating }, at, '');
    }
    return added;
  };

  /**
   * Reads case events past the cursor and makes their deliveries, moving the cursor in the same
   * transaction: a crash before the commit leaves both as they were; after it, nothing is made twice.
   * An id cursor is sound on SQLite, where writers take turns and ids commit in order; on PostgreSQL
   * a lower id can commit after a higher one, so there the cursor must trail by the oldest open
   * transaction (or track the ids seen) — the unique (event, channel, recipient) keeps that idempotent.
   */
  const plan = async (): Promise<number> => {
    let added = 0;
    for (;;) {
      const at = now().toISOString();
      const { count, more } = await uow.run(async () => {
        const events = await deps.cases.eventsAfter(await repo.cursor(), BATCH);
        let n = 0;
        for (const e of events) n += await deliveriesFor(e, at);
        // The cursor passes an event only when no transaction that could still commit an earlier one
        // is open (see settleMs); until then the event is read again each round, and planning it
        // again adds nothing (a delivery is unique per event, channel and recipient).
        // When this process first saw an event (at or after its commit), not the event's own time: a
        // job may write many events with the time it started.
        const t = Date.now();
        let passed: number | undefined;
        for (const e of events) {
          if (!firstSeen.has(e.id)) firstSeen.set(e.id, t);
          if (t - firstSeen.get(e.id)! < settleMs) break;
          passed = e.id;
        }
        if (passed !== undefined) {
          await repo.setCursor(passed);
          for (const id of firstSeen.keys()) if (id <= passed) firstSeen.delete(id);
        }
        return { count: n, more: events.length === BATCH && passed !== undefined };
      });
      added += count;
      if (!more) return added + (await flagDeliveries(now())) + (await digestDeliveries(now()));
    }
  };

  /** When an SMS to this phone may go: undefined for now, else the end of quiet hours or tomorrow (daily cap). */
  const smsWait = async (phone: string, at: Date): Promise<string | undefined> => {
    const clock = chinaClock(at);
    const minutes = clock.hours * 60 + clock.minutes;
    const today = chinaDate(at);
    const endOfQuiet = (date: string) => new Date(startOfChinaDay(date).getTime() + (quiet ? quiet.end : 0) * 60_000);
    if (quiet) {
      const inQuiet = quiet.start > quiet.end ? minutes >= quiet.start || minutes < quiet.end : minutes >= quiet.start && minutes < quiet.end;
      if (inQuiet) {
        const end = endOfQuiet(today);
        return (end > at ? end : endOfQuiet(addDays(today, 1))).toISOString();
      }
    }
    if ((await repo.smsSentSince(phone, startOfChinaDay(today).toISOString())) >= config.notify.sms.dailyCap) {
      return endOfQuiet(addDays(today, 1)).toISOString();
    }
    return undefined;
  };

  const send = async (row: DeliveryRow): Promise<SendResult> => {
    if (row.channel === 'sms') {
      return sms.send({
        id: row.id,
        phone: row.recipient,
        message: row.message as SmsMessage,
        text: row.body,
        params: JSON.parse(row.params ?? '{}') as Record<string, string>,
      });
    }
    const channel = row.channelId ? await repo.channel(row.channelId) : undefined;
    if (!channel || channel.removedAt) return { ok: false, retry: false, code: 'channel_removed', answer: '' };
    const body = JSON.parse(row.body) as { title: string; markdown: string; event: Record<string, unknown> };
    return sendToChannel({ id: row.id, kind: channel.kind, url: channel.url, secret: channel.secret, ...body }, now());
  };

  /** Claims one due delivery, sends it and records the attempt. */
  const deliverOne = async (row: DeliveryRow): Promise<'sent' | 'retry' | 'dead' | 'skipped' | 'postponed'> => {
    const at = now();
    const iso = at.toISOString();
    if (row.channel === 'sms' && row.state === 'pending') {
      const wait = await smsWait(row.recipient, at);
      if (wait) {
        await repo.postpone(row.id, wait, iso);
        return 'postponed';
      }
    }
    if (!(await repo.claim(row.id, iso, new Date(at.getTime() + LEASE_MS).toISOString()))) return 'skipped';
    const attempts = row.attempts + 1;
    let result: SendResult;
    try {
      result = await send(row);
    } catch (err) {
      result = { ok: false, retry: true, code: 'error', answer: String((err as Error).message ?? err) };
    }
    const done = now().toISOString();
    await repo.addAttempt(row.id, done, result.ok, result.ok ? 'OK' : result.code, result.answer);
    if (result.ok) {
      await repo.finish({ id: row.id, state: 'sent', nextAt: null, code: 'OK', answer: result.answer.slice(0, 500), providerId: result.providerId, now: done });
      return 'sent';
    }
    const dead = !result.retry || attempts >= MAX_ATTEMPTS;
    const nextAt = dead ? null : new Date(Date.parse(done) + config.notify.retrySeconds * 1000 * 2 ** (attempts - 1)).toISOString();
    await repo.finish({
      id: row.id,
      state: dead ? 'dead' : 'pending',
      nextAt,
      code: result.code,
      answer: result.answer.slice(0, 500),
      providerId: null,
      now: done,
    });
    deps.logger?.warn({ delivery: row.id, channel: row.channel, code: result.code, attempts, dead }, 'notification not delivered');
    return dead ? 'dead' : 'retry';
  };

  let running: Promise<DeliveryReport> | undefined;
  let again = false;

  /** One round: make deliveries from new events, then send everything due (one round at a time in a process). */
  const deliverDue = (): Promise<DeliveryReport> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      const report: DeliveryReport = { planned: 0, sent: 0, retry: 0, dead: 0, postponed: 0 };
      // One instance at a time plans and sends (claims would keep a message from going twice anyway):
      // another instance's round, when one is under way, covers this wake-up too.
      await uow.exclusively('notifications', async () => {
        do {
          again = false;
          report.planned += await plan();
          for (const row of await repo.due(now().toISOString(), 100)) {
            const outcome = await deliverOne(row);
            if (outcome !== 'skipped') report[outcome]++;
          }
        } while (again);
      });
      return report;
    })().finally(() => {
      running = undefined;
    });
    return running;
  };

  const view = (r: DeliveryRow): DeliveryView => {
    const { params: _params, body, ...rest } = r;
    void _params;
    let text = '';
    if (r.channel === 'sms') text = body.replace(/\/track\/[A-Za-z0-9_-]+/g, '/track/…');
    else {
      try {
        text = (JSON.parse(body) as { title: string }).title;
      } catch {
        /* an unreadable body shows nothing */
      }
    }
    return { ...rest, recipient: r.channel === 'sms' ? maskPhone(r.recipient) : t(`notifications.kinds.${r.channel}`) + ` #${r.channelId ?? ''}`, text };
  };

  const scoped = async (scope: Scope, id: number): Promise<DeliveryRow> => {
    const row = Number.isSafeInteger(id) && id > 0 ? await repo.byId(id) : undefined;
    if (!row) throw new NotFoundError('notification');
    if (row.villageId === null ? !row.scopeCode || !(await coveredCodes(scope)).includes(row.scopeCode) : !inScope(scope, row.villageId)) {
      throw new NotFoundError('notification');
    }
    return row;
  };

  const maskUrl = (url: string) => {
    try {
      const u = new URL(url);
      return `${u.protocol}//${u.host}/…`;
    } catch {
      return '…';
    }
  };

  /**
   * The places whose digests a user may read in the log: the villages of the scope, and each
   * township or district all of whose villages are in it.
   */
  const coveredCodes = async (scope: Scope): Promise<string[]> => {
    const codes = new Set<string>();
    const whole = new Map<string, boolean>();
    for (const v of await deps.villageCodes()) {
      const mine = inScope(scope, v.id);
      if (mine) codes.add(v.code);
      for (const p of [v.code.slice(0, 9), v.code.slice(0, 6)]) whole.set(p, (whole.get(p) ?? true) && mine);
    }
    for (const [p, all] of whole) if (all) codes.add(p);
    return [...codes];
  };

  /**
   * The places whose channels someone may manage: any for a city administrator or the command line
   * (no one given); for a district's administrator, everything in their district; for staff, the villages of their scope and each township all of whose villages are in
   * it, never the district; for cadres none.
   */
  const manageablePlaces = async (by?: ChannelManager): Promise<{ codes: string[] | 'any'; towns: Array<{ code: string; name: string }> }> => {
    if (!by || (by.role === 'admin' && by.scope.all)) return { codes: 'any', towns: [] };
    // a district's administrator: the district, its townships and villages
    if (by.role === 'admin') return { codes: await coveredCodes(by.scope), towns: [] };
    if (by.role !== 'staff') return { codes: [], towns: [] };
    const codes = (await coveredCodes(by.scope)).filter((c) => c.length !== 6);
    const villages = await deps.villageCodes();
    const towns = codes.filter((c) => c.length === 9).map((code) => ({ code, name: placeName(villages, code) }));
    return { codes, towns };
  };

  return {
    plan,
    deliverDue,
    /** The outbox's backlog for /metrics: deliveries pending (waiting for their time) and being sent. */
    async backlog(): Promise<{ pending: number; sending: number }> {
      const rows = await repo.backlog();
      return { pending: rows.find((r) => r.state === 'pending')?.n ?? 0, sending: rows.find((r) => r.state === 'sending')?.n ?? 0 };
    },
    /** Resolves when no round is under way (a round that is running, finished). */
    settled: (): Promise<void> => (running ? running.then(() => undefined) : Promise.resolve()),

    /** The delivery log of the user's villages, newest first. */
    async list(
      scope: Scope,
      filter: Omit<DeliveryFilter, 'villageIds' | 'scopeCodes'>,
      page: number,
      perPage = 50,
    ): Promise<{ rows: DeliveryView[]; total: number }> {
      const f = { ...filter, villageIds: villageIdsOf(scope), scopeCodes: await coveredCodes(scope) };
      return { rows: (await repo.list(f, perPage, (page - 1) * perPage)).map(view), total: await repo.count(f) };
    },

    /** One delivery with each attempt's time and the provider's answer. */
    async get(scope: Scope, id: number) {
      const row = await scoped(scope, id);
      return { delivery: view(row), attempts: await repo.attempts(row.id) };
    },

    /** The notifications of one case (its page lists them); empty outside the scope. */
    async forCase(scope: Scope, caseId: number): Promise<DeliveryView[]> {
      return (await repo.byCase(caseId)).filter((r) => inScope(scope, r.villageId)).map(view);
    },

    /** A dead delivery goes back to the queue with its tries counted afresh; false when it was not dead. */
    async retry(scope: Scope, id: number): Promise<boolean> {
      const row = await scoped(scope, id);
      return await repo.retry(row.id, now().toISOString());
    },

    manageablePlaces,

    /** The live channels (those of the places `by` may manage), secrets and addresses masked. */
    async channels(by?: ChannelManager): Promise<ChannelView[]> {
      const { codes } = await manageablePlaces(by);
      const channels = (await repo.channels()).filter((c) => codes === 'any' || codes.includes(c.scopeCode));
      const villages = channels.length ? await deps.villageCodes() : [];
      return channels.map((c: ChannelRow) => ({
        id: c.id,
        kind: c.kind,
        url: maskUrl(c.url),
        hasSecret: !!c.secret,
        scopeCode: c.scopeCode,
        scopeName: placeName(villages, c.scopeCode),
      }));
    },

    /**
     * Adds a channel for a village (12-digit code), township (9) or district (6) that `by` may manage
     * (anyone's when no one is given: the command line). ValidationError for a bad field, a place
     * outside theirs included.
     */
    async addChannel(input: { kind: string; url: string; secret?: string | null; scopeCode: string }, by?: ChannelManager): Promise<number> {
      const errors: FieldError[] = [];
      const kind = CHANNEL_KINDS.find((k) => k === input.kind);
      if (!kind) errors.push({ field: 'kind', text: t('notifications.errors.kind'), href: '#ch-kind' });
      let url = '';
      try {
        const u = new URL(input.url.trim());
        if (u.protocol === 'http:' || u.protocol === 'https:') url = u.toString();
      } catch {
        /* reported below */
      }
      if (!url || url.length > 1000) errors.push({ field: 'url', text: t('notifications.errors.url'), href: '#ch-url' });
      const code = input.scopeCode.trim();
      const { codes } = await manageablePlaces(by);
      if (![6, 9, 12].includes(code.length) || !/^\d+$/.test(code) || !(await deps.villageCodes()).some((v) => v.code.startsWith(code))) {
        errors.push({ field: 'scopeCode', text: t('notifications.errors.scope'), href: '#ch-scope' });
      } else if (codes !== 'any' && !codes.includes(code)) {
        errors.push({ field: 'scopeCode', text: t('notifications.errors.notYours'), href: '#ch-scope' });
      }
      const secret = input.secret?.trim() || null;
      if (secret && secret.length > 200) errors.push({ field: 'secret', text: t('notifications.errors.secret'), href: '#ch-secret' });
      if (errors.length || !kind) throw new ValidationError(errors);
      return await repo.addChannel({ kind, url, secret, scopeCode: code, now: now().toISOString() });
    },

    /**
     * Stops a channel; its deliveries not yet sent end as dead (channel_removed). False when there is
     * none; NotFoundError for a channel of a place `by` may not manage.
     */
    async removeChannel(id: number, by?: ChannelManager): Promise<boolean> {
      if (!Number.isSafeInteger(id) || id <= 0) return false;
      const { codes } = await manageablePlaces(by);
      if (codes !== 'any') {
        const channel = await repo.channel(id);
        if (!channel || !codes.includes(channel.scopeCode)) throw new NotFoundError('channel');
      }
      return await repo.removeChannel(id, now().toISOString());
    },
  };
}

/** Who manages channels in the back office: their role and villages. */
export interface ChannelManager {
  role: 'admin' | 'staff' | 'cadre';
  scope: Scope;
}

export interface FlaggedCase {
  caseId: number;
  trackingNo: string;
  kind: string;
  villageId: number;
  villageName: string;
  state: string;
  due: string;
  flag: 'yellow' | 'red';
  firstEventId: number;
}

/** One village's line of the digest. */
export interface DigestFigures {
  villageId: number;
  villageCode: string;
  villageName: string;
  townName: string;
  open: number;
  /** due by the end of today and not yet overdue */
  yellow: number;
  /** overdue */
  red: number;
}

export interface DeliveryReport {
  /** deliveries made from new events */
  planned: number;
  sent: number;
  /** failed, to be tried again later */
  retry: number;
  dead: number;
  /** SMS held back by quiet hours or the daily cap */
  postponed: number;
}

export type NotificationsService = ReturnType<typeof createNotificationsService>;
