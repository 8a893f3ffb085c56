import type { Db } from '../../db/index.js';
import { OPEN_STATES_SQL } from '../../domain/cases.js';
import { CHINA_SQL_OFFSET } from '../../domain/time.js';

const DUE = `CASE WHEN c.state NOT IN (${OPEN_STATES_SQL}) THEN NULL
  WHEN c.first_responded_at IS NULL THEN c.first_response_due ELSE c.resolution_due END`;

export interface Totals {
  newToday: number;
  open: number;
  red: number;
  yellow: number;
  avgFirstResponseHours: number | null;
  avgResolutionDays: number | null;
  resolvedCount: number;
  onTime: number;
  ratedCount: number;
  avgRating: number | null;
  reopened: number;
}

export interface VillageRow {
  villageId: number;
  villageName: string;
  townName: string;
  total: number;
  open: number;
  red: number;
  resolved: number;
  avgRating: number | null;
}

/**
 * The statements for a scope of some villages (`scoped`), or of every village (no condition at all:
 * a list of 3,000 villages makes SQLite read each village's cases instead of one index range).
 * On created_at ranges the village is only checked (`+c.village_id`), never used to pick an index.
 */
function statements(db: Db, scoped: boolean) {
  const inScope = (col: string) => (scoped ? `AND ${col} IN (SELECT value FROM json_each(@villages))` : '');
  /** The open cases by their deadline, read from the cases_open_due index (migration 008). */
  const openByDue = (before: string) =>
    `FROM cases c WHERE c.state IN (${OPEN_STATES_SQL}) AND ((${DUE}) IS NULL) = 0 AND (${DUE}) ${before} ${inScope('c.village_id')}`;
  return {
    summed: db.prepare(`SELECT
        coalesce(sum(s.n_submitted + s.n_accepted + s.n_in_progress), 0) AS open,
        total(s.first_response_n) AS firstResponseN, total(s.first_response_days) AS firstResponseDays,
        total(s.resolved_n) AS resolvedCount, total(s.resolution_days) AS resolutionDays, total(s.on_time) AS onTime,
        total(s.rated_n) AS ratedCount, total(s.rating_sum) AS ratingSum, total(s.reopened) AS reopened
      FROM case_summaries s WHERE 1 ${inScope('s.village_id')}`),
    newToday: db.prepare(`SELECT count(*) FROM cases c WHERE c.created_at >= @todayStart ${inScope('+c.village_id')}`).pluck(),
    flags: db.prepare(`SELECT coalesce(sum((${DUE}) < @now), 0) AS red, coalesce(sum((${DUE}) >= @now), 0) AS yellow ${openByDue('<= @dueBefore')}`),
    byVillage: db.prepare(`SELECT v.id AS villageId, v.name AS villageName, t.name AS townName,
        coalesce(s.total, 0) AS total,
        coalesce(s.n_submitted + s.n_accepted + s.n_in_progress, 0) AS open,
        coalesce(r.n, 0) AS red,
        coalesce(s.resolved_n, 0) AS resolved,
        CASE WHEN s.rated_n > 0 THEN CAST(s.rating_sum AS REAL) / s.rated_n END AS avgRating
      FROM villages v JOIN towns t ON t.id = v.town_id LEFT JOIN case_summaries s ON s.village_id = v.id
      LEFT JOIN (SELECT c.village_id, count(*) AS n ${openByDue('< @now')} GROUP BY c.village_id) r ON r.village_id = v.id
      WHERE 1 ${inScope('v.id')}
      ORDER BY red DESC, open DESC, t.code, v.code LIMIT @limit`),
    perDay: db.prepare(`SELECT substr(datetime(c.created_at, '${CHINA_SQL_OFFSET}'), 1, 10) AS day, count(*) AS n
      FROM cases c WHERE c.created_at >= @since ${inScope('+c.village_id')} GROUP BY day`),
  };
}

export function createStatsRepo(db: Db) {
  // Everything that does not depend on the hour comes from the per-village summaries (migration
  // 011); cases filed today, due soon or overdue from the indexes on cases.
  const scoped = statements(db, true);
  const all = statements(db, false);
  /** The statements for these villages; `villages` null means every village. */
  const pick = (villages: string | null) => (villages === null ? { st: all, p: {} } : { st: scoped, p: { villages } });
  return {
    totals(q: { villages: string | null; now: string; yellowBefore: string; todayStart: string }): Totals {
      const { st, p } = pick(q.villages);
      const s = st.summed.get(p) as {
        open: number;
        firstResponseN: number;
        firstResponseDays: number;
        resolvedCount: number;
        resolutionDays: number;
        onTime: number;
        ratedCount: number;
        ratingSum: number;
        reopened: number;
      };
      const f = st.flags.get({ ...p, now: q.now, dueBefore: q.yellowBefore }) as { red: number; yellow: number };
      return {
        newToday: st.newToday.get({ ...p, todayStart: q.todayStart }) as number,
        open: s.open,
        red: f.red,
        yellow: f.yellow,
        avgFirstResponseHours: s.firstResponseN ? (s.firstResponseDays / s.firstResponseN) * 24 : null,
        avgResolutionDays: s.resolvedCount ? s.resolutionDays / s.resolvedCount : null,
        resolvedCount: s.resolvedCount,
        onTime: s.onTime,
        ratedCount: s.ratedCount,
        avgRating: s.ratedCount ? s.ratingSum / s.ratedCount : null,
        reopened: s.reopened,
      };
    },
    /** The villages most in need first (overdue, then open cases), at most `limit`. */
    byVillage: (q: { villages: string | null; now: string; limit: number }) => {
      const { st, p } = pick(q.villages);
      return st.byVillage.all({ ...p, now: q.now, limit: q.limit }) as VillageRow[];
    },
    perDay: (q: { villages: string | null; since: string }) => {
      const { st, p } = pick(q.villages);
      return st.perDay.all({ ...p, since: q.since }) as Array<{ day: string; n: number }>;
    },
  };
}

export type StatsRepo = ReturnType<typeof createStatsRepo>;
