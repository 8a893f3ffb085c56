import { sql } from 'kysely';
import type { Database } from '../src/db/database.js';

const CHINA_OFFSET_MS = 8 * 3600_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const OPEN: readonly string[] = ['submitted', 'accepted', 'in_progress'];
/** Three cases in ten still open (one in each open state), two resolved, the rest closed. */
const STATES = ['submitted', 'accepted', 'in_progress', 'resolved', 'resolved', 'closed', 'closed', 'closed', 'closed', 'closed'] as const;
/** rows per INSERT: 18 values each stays well under both engines' parameter limits */
const ROWS_PER_INSERT = 500;

/**
 * Adds `n` cases straight into the table (no events, no households), on either engine: the newest
 * filed `minutesApart` minutes before `endAt`, each earlier one that much before the next, spread
 * over `villageIds` in turn. Tracking numbers follow the real form (China-time day and a daily
 * sequence). Written in transactions of `perTransaction` cases (all in one by default). For load
 * tests and benchmarks; returns the tracking numbers of the oldest and the newest.
 */
export async function insertManyCases(
  database: Database,
  o: {
    n: number;
    villageIds: readonly number[];
    endAt?: Date;
    minutesApart?: number;
    content?: (i: number) => string;
    perTransaction?: number;
    onProgress?: (done: number) => void;
  },
): Promise<{ oldest: string; newest: string }> {
  if (o.n < 1 || o.villageIds.length === 0) throw new Error('insertManyCases: nothing to insert');
  const end = (o.endAt ?? new Date()).getTime();
  const gap = (o.minutesApart ?? 2) * MINUTE;
  const start = end - o.n * gap;
  const run = Math.random().toString(36).slice(2, 10);
  const perDay = new Map<string, number>();
  // Numbers already given on a day keep theirs: continue after the highest.
  // (A range on the unique index of tracking numbers; sequences have at least four digits.)
  const lastOf = async (day: string) =>
    (
      await database.get<{ last: number | null }>(
        sql`SELECT max(CAST(substr(tracking_no, 10) AS INTEGER)) AS last FROM cases WHERE tracking_no > ${`${day}-`} AND tracking_no < ${`${day}.`}`,
      )
    )?.last ?? 0;
  const iso = (ms: number) => new Date(ms).toISOString();
  const markedAt = Date.now();
  const row = async (i: number) => {
    const at = start + (i + 1) * gap;
    const day = new Date(at + CHINA_OFFSET_MS).toISOString().slice(0, 10).replace(/-/g, '');
    const seq = (perDay.get(day) ?? (await lastOf(day))) + 1;
    perDay.set(day, seq);
    const state = STATES[i % STATES.length]!;
    const speak = i % 2 === 0;
    return {
      token: `bulk${run}${i.toString(36)}`,
      tracking_no: `${day}-${String(seq).padStart(4, '0')}`,
      kind: speak ? 'speak' : 'help',
      category: speak ? 'complaint' : null,
      village_id: o.villageIds[i % o.villageIds.length]!,
      name: `住户${i}`,
      phone: `199${String(i % 100_000_000).padStart(8, '0')}`,
      anonymous: 0,
      content: o.content ? o.content(i) : `第${i}件：路灯不亮，请派人看看`,
      state,
      first_response_due: iso(at + DAY),
      resolution_due: iso(at + 5 * DAY),
      first_responded_at: state === 'submitted' ? null : iso(at + 2 * 3600_000),
      resolved_at: state === 'resolved' || state === 'closed' ? iso(at + 2 * DAY) : null,
      closed_at: state === 'closed' ? iso(at + 9 * DAY) : null,
      created_at: iso(at),
      updated_at: iso(at),
      // marked overdue as the job would have by now (migration 017)
      overdue: OPEN.includes(state) && (state === 'submitted' ? at + DAY : at + 5 * DAY) < markedAt ? 1 : 0,
    };
  };
  let oldest = '';
  let newest = '';
  const perTransaction = o.perTransaction ?? o.n;
  for (let from = 0; from < o.n; from += perTransaction) {
    await database.transaction(async () => {
      const upTo = Math.min(o.n, from + perTransaction);
      for (let i = from; i < upTo; i += ROWS_PER_INSERT) {
        const rows = [];
        for (let j = i; j < Math.min(upTo, i + ROWS_PER_INSERT); j++) rows.push(await row(j));
        await database.q.insertInto('cases').values(rows).execute();
        if (i === 0) oldest = rows[0]!.tracking_no;
        newest = rows.at(-1)!.tracking_no;
      }
    });
    o.onProgress?.(Math.min(o.n, from + perTransaction));
  }
  return { oldest, newest };
}
