import { ActionNotAllowedError } from '../../errors.js';
import { CASE_STATES as STATES, OPEN_STATES, isOpenState, type CaseState } from '../../domain/cases.js';

/**
 * The case state machine (DESIGN.md "Cases"):
 *
 *   submitted ─accept→ accepted ─start→ in_progress ─resolve→ resolved ─rate / auto-close→ closed (已完成)
 *   submitted ─reject→ rejected;  resolved ─reopen (within 7 days)→ in_progress
 *   open ─merge→ merged.  Reply, note, assign and extend keep the state.
 *
 * A rating of 1–2 stars (rate_low) keeps the case resolved: the villager who said 不满意 keeps the
 * remedy, 重新办理, for the rest of the 7 days; auto-close completes it after that.
 *
 * A case may also be resolved straight from accepted: a quick answer needs no separate "start".
 */
export { STATES, OPEN_STATES, type CaseState };

export const ACTIONS = [
  'accept',
  'reject',
  'start',
  'resolve',
  'rate',
  'rate_low',
  'auto_close',
  'reopen',
  'merge',
  'reply',
  'note',
  'assign',
  'extend',
] as const;
export type CaseAction = (typeof ACTIONS)[number];

const RULES: Record<CaseAction, { from: readonly CaseState[]; to?: CaseState }> = {
  accept: { from: ['submitted'], to: 'accepted' },
  reject: { from: ['submitted'], to: 'rejected' },
  start: { from: ['accepted'], to: 'in_progress' },
  resolve: { from: ['accepted', 'in_progress'], to: 'resolved' },
  rate: { from: ['resolved'], to: 'closed' },
  rate_low: { from: ['resolved'] },
  auto_close: { from: ['resolved'], to: 'closed' },
  reopen: { from: ['resolved'], to: 'in_progress' },
  merge: { from: OPEN_STATES, to: 'merged' },
  reply: { from: OPEN_STATES },
  note: { from: STATES },
  assign: { from: OPEN_STATES },
  extend: { from: ['accepted', 'in_progress'] },
};

export function canDo(state: CaseState, action: CaseAction): boolean {
  return RULES[action].from.includes(state);
}

/** The state after the action; ActionNotAllowedError (a ConflictError, 409) when the state does not allow it. */
export function transition(state: CaseState, action: CaseAction): CaseState {
  if (!canDo(state, action)) throw new ActionNotAllowedError(action, state);
  return RULES[action].to ?? state;
}

export function allowedActions(state: CaseState): CaseAction[] {
  return ACTIONS.filter((a) => canDo(state, a));
}

export function isOpen(state: CaseState): boolean {
  return isOpenState(state);
}
