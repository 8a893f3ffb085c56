import { sql, type RawBuilder } from 'kysely';
import type { Database } from '../../db/database.js';
import { inList } from '../../db/dialect.js';
import { OPEN_STATES_SQL } from '../../domain/cases.js';

/** The deadline that matters now (the expression of the cases_open_due index, migration 008). */
const DUE = sql.raw(`CASE WHEN c.state NOT IN (${OPEN_STATES_SQL}) THEN NULL
  WHEN c.first_responded_at IS NULL THEN c.first_response_due ELSE c.resolution_due END`);
const OPEN_STATES = sql.raw(OPEN_STATES_SQL);

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

export interface DistrictRow {
  districtId: number;
  code: string;
  name: string;
  newToday: number;
  open: number;
  red: number;
  yellow: number;
  firstResponseN: number;
  firstResponseDays: number;
  resolved: number;
}

interface Summed {
  open: number;
  firstResponseN: number;
  firstResponseDays: number;
  resolvedCount: number;
  resolutionDays: number;
  onTime: number;
  ratedCount: number;
  ratingSum: number;
  reopened: number;
  overdue: number;
}

export function createStatsRepo(db: Database) {
  // Everything that does not depend on the hour comes from the per-village summaries (migration
  // 011), overdue cases too once marked (017); cases filed today, due soon or overdue since the
  // last marking from the indexes on cases.
  /**
   * The scope's condition on `column`, for a scope of some villages (a JSON array of ids); none for
   * every village (no condition at all: a list of 3,000 villages makes the database read each
   * village's cases instead of one index range). On created_at ranges the village is only checked
   * (`+c.village_id`), never used to pick an index.
   */
  const scope = (villages: string | null, column: RawBuilder<unknown>) => (villages === null ? null : inList(db, column, JSON.parse(villages) as number[]));
  const andInScope = (villages: string | null, column: RawBuilder<unknown>) => {
    const cond = scope(villages, column);
    return cond ? sql`AND ${cond}` : sql``;
  };
  /**
   * The open cases not yet marked overdue, by their deadline (cases_unmarked_due, migration 017):
   * those due soon, and those past their deadline since the job last marked them.
   */
  const unmarkedByDue = (villages: string | null, condition: RawBuilder<unknown>) =>
    sql`FROM cases c WHERE c.state IN (${OPEN_STATES}) AND c.overdue = 0 AND (${DUE}) ${condition} ${andInScope(villages, sql`c.village_id`)}`;
  return {
    async totals(q: { villages: string | null; now: string; yellowBefore: string; todayStart: string }): Promise<Totals> {
      const s = (await db.get<Summed>(sql`SELECT
          coalesce(sum(s.n_submitted + s.n_accepted + s.n_in_progress), 0) AS open,
          coalesce(sum(s.first_response_n), 0) AS "firstResponseN", coalesce(sum(s.first_response_days), 0) AS "firstResponseDays",
          coalesce(sum(s.resolved_n), 0) AS "resolvedCount", coalesce(sum(s.resolution_days), 0) AS "resolutionDays",
          coalesce(sum(s.on_time), 0) AS "onTime", coalesce(sum(s.rated_n), 0) AS "ratedCount", coalesce(sum(s.rating_sum), 0) AS "ratingSum",
          coalesce(sum(s.reopened), 0) AS reopened, coalesce(sum(s.n_overdue), 0) AS overdue
        FROM case_summaries s WHERE TRUE ${andInScope(q.villages, sql`s.village_id`)}`))!;
      // Overdue: those marked (summed) and those past their deadline since; due soon: not past it yet.
      const f = (await db.get<{ red: number; yellow: number }>(
        sql`SELECT coalesce(sum(CASE WHEN (${DUE}) < ${q.now} THEN 1 ELSE 0 END), 0) AS red,
              coalesce(sum(CASE WHEN (${DUE}) >= ${q.now} THEN 1 ELSE 0 END), 0) AS yellow ${unmarkedByDue(q.villages, sql`<= ${q.yellowBefore}`)}`,
      ))!;
      const newToday = (await db.get<{ n: number }>(
        sql`SELECT count(*) AS n FROM cases c WHERE c.created_at >= ${q.todayStart} ${andInScope(q.villages, sql`+c.village_id`)}`,
      ))!.n;
      return {
        newToday,
        open: s.open,
        red: s.overdue + f.red,
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
    byVillage: async (q: { villages: string | null; now: string; limit: number }) =>
      db.all<VillageRow>(sql`SELECT v.id AS "villageId", v.name AS "villageName", t.name AS "townName",
          coalesce(s.total, 0) AS total,
          coalesce(s.n_submitted + s.n_accepted + s.n_in_progress, 0) AS open,
          coalesce(s.n_overdue, 0) + coalesce(r.n, 0) AS red,
          coalesce(s.resolved_n, 0) AS resolved,
          CASE WHEN s.rated_n > 0 THEN CAST(s.rating_sum AS DOUBLE PRECISION) / s.rated_n END AS "avgRating"
        FROM villages v JOIN towns t ON t.id = v.town_id LEFT JOIN case_summaries s ON s.village_id = v.id
        LEFT JOIN (SELECT c.village_id, count(*) AS n ${unmarkedByDue(q.villages, sql`< ${q.now}`)} GROUP BY c.village_id) r ON r.village_id = v.id
        WHERE TRUE ${andInScope(q.villages, sql`v.id`)}
        ORDER BY red DESC, open DESC, t.code, v.code LIMIT ${q.limit}`),
    /**
     * The city's figures, one row per district: the per-village summaries summed by their township's
     * district (one pass over case_summaries, a row per village), and the cases due soon, overdue
     * since the last marking or filed today from the same index ranges as the totals. (`+c.village_id`
     * keeps SQLite from reaching today's cases through every village's cases: 4 s at a million.)
     */
    byDistrict: async (q: { now: string; yellowBefore: string; todayStart: string }) =>
      db.all<DistrictRow>(sql`SELECT d.id AS "districtId", d.code, d.name,
          coalesce(n.n, 0) AS "newToday", coalesce(s.open, 0) AS open,
          coalesce(s.overdue, 0) + coalesce(f.red, 0) AS red, coalesce(f.yellow, 0) AS yellow,
          coalesce(s.first_response_n, 0) AS "firstResponseN", coalesce(s.first_response_days, 0) AS "firstResponseDays",
          coalesce(s.resolved, 0) AS resolved
        FROM districts d
        LEFT JOIN (SELECT t.district_id, sum(s.n_submitted + s.n_accepted + s.n_in_progress) AS open, sum(s.n_overdue) AS overdue,
            sum(s.first_response_n) AS first_response_n, sum(s.first_response_days) AS first_response_days, sum(s.resolved_n) AS resolved
          FROM case_summaries s JOIN villages v ON v.id = s.village_id JOIN towns t ON t.id = v.town_id GROUP BY t.district_id) s ON s.district_id = d.id
        LEFT JOIN (SELECT t.district_id, sum(CASE WHEN (${DUE}) < ${q.now} THEN 1 ELSE 0 END) AS red, sum(CASE WHEN (${DUE}) >= ${q.now} THEN 1 ELSE 0 END) AS yellow
          FROM cases c JOIN villages v ON v.id = c.village_id JOIN towns t ON t.id = v.town_id
          WHERE c.state IN (${OPEN_STATES}) AND c.overdue = 0 AND (${DUE}) <= ${q.yellowBefore} GROUP BY t.district_id) f ON f.district_id = d.id
        LEFT JOIN (SELECT t.district_id, count(*) AS n FROM cases c JOIN villages v ON v.id = +c.village_id JOIN towns t ON t.id = v.town_id
          WHERE c.created_at >= ${q.todayStart} GROUP BY t.district_id) n ON n.district_id = d.id
        ORDER BY d.code`),
    /**
     * Cases filed since `since`, by the UTC hour they were filed in ('YYYY-MM-DDTHH'): a prefix of the
     * stored time, cheap to group on both engines (a day computed per row cost most of the
     * dashboard's time at a million cases); the service adds the hours up into China's days.
     */
    perHour: async (q: { villages: string | null; since: string }) =>
      db.all<{ hour: string; n: number }>(sql`SELECT substr(c.created_at, 1, 13) AS hour, count(*) AS n
        FROM cases c WHERE c.created_at >= ${q.since} ${andInScope(q.villages, sql`+c.village_id`)} GROUP BY substr(c.created_at, 1, 13)`),
  };
}

export type StatsRepo = ReturnType<typeof createStatsRepo>;
