import { transaction, type Db } from '../src/db/index.js';

const CHINA_OFFSET_MS = 8 * 3600_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
/** One case in ten still open, two resolved, the rest closed. */
const STATES = ['submitted', 'accepted', 'in_progress', 'resolved', 'resolved', 'closed', 'closed', 'closed', 'closed', 'closed'] as const;

/**
 * Adds `n` cases in one transaction, straight into the table (no events, no households): the
 * newest filed `minutesApart` minutes before `endAt`, each earlier one that much before the next,
 * spread over `villageIds` in turn. Tracking numbers follow the real form (China-time day and a
 * daily sequence). For load tests and benchmarks; returns the tracking numbers of the oldest and
 * the newest.
 */
export function insertManyCases(
  db: Db,
  o: { n: number; villageIds: readonly number[]; endAt?: Date; minutesApart?: number; content?: (i: number) => string },
): { oldest: string; newest: string } {
  if (o.n < 1 || o.villageIds.length === 0) throw new Error('insertManyCases: nothing to insert');
  const end = (o.endAt ?? new Date()).getTime();
  const gap = (o.minutesApart ?? 2) * MINUTE;
  const start = end - o.n * gap;
  const run = Math.random().toString(36).slice(2, 10);
  const perDay = new Map<string, number>();
  // Numbers already given on a day keep theirs: continue after the highest.
  // (A range on the unique index of tracking numbers; sequences have at least four digits.)
  const lastOf = db.prepare("SELECT max(CAST(substr(tracking_no, 10) AS INTEGER)) FROM cases WHERE tracking_no > ? || '-' AND tracking_no < ? || '.'").pluck();
  const insert = db.prepare(`INSERT INTO cases (token, tracking_no, kind, category, village_id, name, phone, anonymous, content, state,
      first_response_due, resolution_due, first_responded_at, resolved_at, closed_at, created_at, updated_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  let oldest = '';
  let newest = '';
  transaction(db, () => {
    for (let i = 0; i < o.n; i++) {
      const at = start + (i + 1) * gap;
      const day = new Date(at + CHINA_OFFSET_MS).toISOString().slice(0, 10).replace(/-/g, '');
      const seq = (perDay.get(day) ?? (lastOf.get(day, day) as number | null) ?? 0) + 1;
      perDay.set(day, seq);
      const trackingNo = `${day}-${String(seq).padStart(4, '0')}`;
      const state = STATES[i % STATES.length]!;
      const iso = (ms: number) => new Date(ms).toISOString();
      const responded = state === 'submitted' ? null : iso(at + 2 * 3600_000);
      const resolved = state === 'resolved' || state === 'closed' ? iso(at + 2 * DAY) : null;
      const speak = i % 2 === 0;
      insert.run(
        `bulk${run}${i.toString(36)}`,
        trackingNo,
        speak ? 'speak' : 'help',
        speak ? 'complaint' : null,
        o.villageIds[i % o.villageIds.length]!,
        `住户${i}`,
        `199${String(i % 100_000_000).padStart(8, '0')}`,
        o.content ? o.content(i) : `第${i}件：路灯不亮，请派人看看`,
        state,
        iso(at + DAY),
        iso(at + 5 * DAY),
        responded,
        resolved,
        state === 'closed' ? iso(at + 9 * DAY) : null,
        iso(at),
        iso(at),
      );
      if (i === 0) oldest = trackingNo;
      newest = trackingNo;
    }
  });
  return { oldest, newest };
}
