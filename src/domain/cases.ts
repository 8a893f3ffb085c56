/**
 * The words of a case (DESIGN.md "Cases"): what kinds there are, the categories of 码上说, when a
 * villager may be called back, and the states a case goes through. The state machine's rules live
 * with the cases feature (features/cases/machine.ts); forms, imports, templates, the inbox's filters
 * and the statistics take the words from here.
 */

/** 码上帮 call-back request, 码上办 application, 码上说 feedback. */
export const CASE_KINDS = ['help', 'apply', 'speak'] as const;
export type CaseKind = (typeof CASE_KINDS)[number];

/** 码上说's categories: 建议, 投诉, 咨询, 求助, 表扬. */
export const SPEAK_CATEGORIES = ['suggestion', 'complaint', 'enquiry', 'request', 'praise'] as const;
export type SpeakCategory = (typeof SPEAK_CATEGORIES)[number];

/** When a villager who asked to be called back would like the call. */
export const CALLBACK_TIMES = ['any', 'morning', 'afternoon', 'evening'] as const;
export type CallbackTime = (typeof CALLBACK_TIMES)[number];

export const CASE_STATES = ['submitted', 'accepted', 'in_progress', 'resolved', 'closed', 'rejected', 'merged'] as const;
export type CaseState = (typeof CASE_STATES)[number];

/** 待办: the states in which a case still waits for the office. */
export const OPEN_STATES: readonly CaseState[] = ['submitted', 'accepted', 'in_progress'];

/** The open states as an SQL list, for repos: `c.state IN (${OPEN_STATES_SQL})`. */
export const OPEN_STATES_SQL = OPEN_STATES.map((s) => `'${s}'`).join(', ');

export function isCaseKind(v: unknown): v is CaseKind {
  return (CASE_KINDS as readonly unknown[]).includes(v);
}

export function isSpeakCategory(v: unknown): v is SpeakCategory {
  return (SPEAK_CATEGORIES as readonly unknown[]).includes(v);
}

export function isOpenState(state: CaseState): boolean {
  return OPEN_STATES.includes(state);
}

/** A tracking number (受理编号): the China date it was filed and that day's sequence, 20261128-0001. */
export const TRACKING_NO_PATTERN = /^\d{8}-\d{4}$/;

/**
 * A tracking number as a villager types or reads it out: full-width digits, spaces and a missing
 * dash are forgiven (2026 1128 0001 → 20261128-0001). Undefined when it cannot be one.
 */
export function parseTrackingNo(raw: string): string | undefined {
  const s = raw.normalize('NFKC').replace(/\s/g, '');
  if (!/^\d{8}-?\d{4}$/.test(s)) return undefined;
  return s.includes('-') ? s : `${s.slice(0, 8)}-${s.slice(8)}`;
}
