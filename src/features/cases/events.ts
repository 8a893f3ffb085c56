import type { UnitOfWork } from '../../db/unit-of-work.js';
import { createEventBus, type EventBus } from '../../domain/events.js';
import type { CaseState } from './machine.js';
import type { CaseKind, CasesRepo, NewCaseEvent } from './repo.js';

/** Each kind of row in the append-only case_events table, and the name it is published under. */
export const CASE_EVENT_TYPES = {
  submitted: 'case.filed',
  accepted: 'case.accepted',
  rejected: 'case.rejected',
  started: 'case.started',
  reply: 'case.replied',
  note: 'case.noted',
  assigned: 'case.assigned',
  extended: 'case.extended',
  resolved: 'case.resolved',
  merged: 'case.merged',
  rated: 'case.rated',
  reopened: 'case.reopened',
  auto_closed: 'case.auto_closed',
} as const;

export type CaseEventKind = keyof typeof CASE_EVENT_TYPES;
export type CaseEventType = (typeof CASE_EVENT_TYPES)[CaseEventKind];

/** What subscribers are told: one committed row of case_events, with the case it belongs to. */
export interface CaseEventMessage<T extends CaseEventType = CaseEventType> {
  type: T;
  /** the row's id in case_events (increasing: subscribers can tell what they have seen) */
  eventId: number;
  caseId: number;
  trackingNo: string;
  kind: CaseKind;
  villageId: number;
  at: string;
  /** a villager, a signed-in user (with their id) or the system (auto-close) */
  actor: { kind: 'villager' | 'user' | 'system'; userId: number | null };
  fromState: CaseState | null;
  toState: CaseState | null;
  /** false for what only staff see (internal notes, assignments) */
  public: boolean;
  body: string;
  data: Record<string, unknown> | null;
}

/** The bus's map of case event names to their messages. */
export type CaseEvents = { [T in CaseEventType]: CaseEventMessage<T> };

export type CaseEventBus = EventBus<CaseEvents>;

/**
 * A bus for case events that refuses to publish inside an open transaction. A failing subscriber
 * is told to `onError` (by default, written to standard error).
 */
export function createCaseEventBus(
  uow: Pick<UnitOfWork, 'inTransaction'>,
  onError: (err: unknown, type: string) => void = (err, type) => console.error(`subscriber to ${type} failed`, err),
): CaseEventBus {
  return createEventBus<CaseEvents>({ onError, inTransaction: () => uow.inTransaction() });
}

/**
 * The cases' unit of work: runs a change in one transaction, appending its events through `record`,
 * and publishes those events, as read back from case_events, only once the transaction has
 * committed. Nothing is published when it rolls back (a stale version, a refused step).
 */
export function createCaseUnitOfWork(uow: UnitOfWork, repo: CasesRepo, bus: CaseEventBus) {
  return async function commit<T>(work: (record: (e: NewCaseEvent) => Promise<number>) => Promise<T>): Promise<T> {
    // Inside someone else's transaction the events could still be rolled back after publishing.
    if (uow.inTransaction()) throw new Error('a case change opens its own transaction');
    const ids: number[] = [];
    const result = await uow.run(() =>
      work(async (e) => {
        const id = await repo.addEvent(e);
        ids.push(id);
        return id;
      }),
    );
    for (const row of await repo.eventsWithCase(ids)) {
      const type = CASE_EVENT_TYPES[row.type];
      bus.publish(type, {
        type,
        eventId: row.id,
        caseId: row.caseId,
        trackingNo: row.trackingNo,
        kind: row.kind,
        villageId: row.villageId,
        at: row.at,
        actor: { kind: row.actor, userId: row.userId },
        fromState: row.fromState,
        toState: row.toState,
        public: row.public === 1,
        body: row.body,
        data: row.data === null ? null : (JSON.parse(row.data) as Record<string, unknown>),
      } as CaseEvents[typeof type]);
    }
    return result;
  };
}

export type CaseUnitOfWork = ReturnType<typeof createCaseUnitOfWork>;
