import { describe, expect, it } from 'vitest';
import { ACTIONS, STATES, allowedActions, canDo, transition, type CaseAction, type CaseState } from '../../src/features/cases/machine.js';
import { ConflictError } from '../../src/errors.js';

/** The whole matrix, written out: what each action does from each state (undefined = refused). */
const EXPECTED: Record<CaseAction, Partial<Record<CaseState, CaseState>>> = {
  accept: { submitted: 'accepted' },
  reject: { submitted: 'rejected' },
  start: { accepted: 'in_progress' },
  resolve: { accepted: 'resolved', in_progress: 'resolved' },
  rate: { resolved: 'closed' },
  rate_low: { resolved: 'resolved' },
  auto_close: { resolved: 'closed' },
  reopen: { resolved: 'in_progress' },
  merge: { submitted: 'merged', accepted: 'merged', in_progress: 'merged' },
  reply: { submitted: 'submitted', accepted: 'accepted', in_progress: 'in_progress' },
  note: Object.fromEntries(STATES.map((s) => [s, s])),
  assign: { submitted: 'submitted', accepted: 'accepted', in_progress: 'in_progress' },
  extend: { accepted: 'accepted', in_progress: 'in_progress' },
};

describe('case state machine', () => {
  for (const action of ACTIONS) {
    for (const state of STATES) {
      const to = EXPECTED[action][state];
      it(`${action} from ${state} → ${to ?? '409'}`, () => {
        if (to) {
          expect(transition(state, action)).toBe(to);
          expect(canDo(state, action)).toBe(true);
        } else {
          expect(() => transition(state, action)).toThrow(ConflictError);
          expect(canDo(state, action)).toBe(false);
        }
      });
    }
  }

  it('closed, rejected and merged cases allow only internal notes', () => {
    for (const s of ['closed', 'rejected', 'merged'] as const) expect(allowedActions(s)).toEqual(['note']);
  });
});
