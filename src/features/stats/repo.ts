import type { Db } from '../../db/index.js';
import { OPEN_STATES_SQL } from '../../domain/cases.js';
import { CHINA_SQL_OFFSET } from '../../domain/time.js';

const IN_SCOPE = 'c.village_id IN (SELECT value FROM json_each(@villages))';
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

export function createStatsRepo(db: Db) {
  const totals = db.prepare(`SELECT
      sum(c.created_at >= @todayStart) AS newToday,
      sum(c.state IN (${OPEN_STATES_SQL})) AS open,
      sum((${DUE}) < @now) AS red,
      sum((${DUE}) >= @now AND (${DUE}) <= @yellowBefore) AS yellow,
      avg(CASE WHEN c.first_responded_at IS NOT NULL THEN (julianday(c.first_responded_at) - julianday(c.created_at)) * 24 END) AS avgFirstResponseHours,
      avg(CASE WHEN c.resolved_at IS NOT NULL THEN julianday(c.resolved_at) - julianday(c.created_at) END) AS avgResolutionDays,
      sum(c.resolved_at IS NOT NULL) AS resolvedCount,
      sum(c.resolved_at IS NOT NULL AND c.resolved_at <= c.resolution_due) AS onTime,
      sum(c.rating IS NOT NULL) AS ratedCount,
      avg(c.rating) AS avgRating,
      sum(c.reopen_count > 0) AS reopened
    FROM cases c WHERE ${IN_SCOPE}`);
  const byVillage = db.prepare(`SELECT v.id AS villageId, v.name AS villageName, t.name AS townName,
      count(c.id) AS total,
      coalesce(sum(c.state IN (${OPEN_STATES_SQL})), 0) AS open,
      coalesce(sum((${DUE}) < @now), 0) AS red,
      coalesce(sum(c.resolved_at IS NOT NULL), 0) AS resolved,
      avg(c.rating) AS avgRating
    FROM villages v JOIN towns t ON t.id = v.town_id LEFT JOIN cases c ON c.village_id = v.id
    WHERE v.id IN (SELECT value FROM json_each(@villages))
    GROUP BY v.id ORDER BY red DESC, open DESC, t.code, v.code`);
  const perDay = db.prepare(`SELECT substr(datetime(c.created_at, '${CHINA_SQL_OFFSET}'), 1, 10) AS day, count(*) AS n
    FROM cases c WHERE ${IN_SCOPE} AND c.created_at >= @since GROUP BY day`);
  return {
    totals: (p: { villages: string; now: string; yellowBefore: string; todayStart: string }) => totals.get(p) as Totals,
    byVillage: (p: { villages: string; now: string }) => byVillage.all(p) as VillageRow[],
    perDay: (p: { villages: string; since: string }) => perDay.all(p) as Array<{ day: string; n: number }>,
  };
}

export type StatsRepo = ReturnType<typeof createStatsRepo>;
