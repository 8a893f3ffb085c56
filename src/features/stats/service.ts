import { yellowBefore } from '../calendar/workdays.js';
import type { CalendarService } from '../calendar/service.js';
import { addDays } from '../../domain/dates.js';
import { chinaDate, startOfChinaDay } from '../../domain/time.js';
import type { Scope } from '../../domain/scope.js';
import type { StatsRepo } from './repo.js';

/**
 * The most villages the dashboard's table lists (those with the most overdue, then open, cases): a
 * district of 3,000 villages made a 700 KB page. The inbox finds any village.
 */
export const DASHBOARD_VILLAGES = 100;

/** The dashboard's figures for the caller's villages. */
export function createStatsService(repo: StatsRepo, calendar: CalendarService, now: () => Date = () => new Date()) {
  return {
    /**
     * The city view: one row per district, for a city administrator of more than one district
     * (undefined for everyone else, who sees only their own figures).
     */
    async cityDistricts(scope: Scope) {
      if (!scope.all) return undefined;
      const at = now();
      const rows = await repo.byDistrict({
        now: at.toISOString(),
        yellowBefore: yellowBefore(at).toISOString(),
        todayStart: startOfChinaDay(chinaDate(at)).toISOString(),
      });
      if (rows.length < 2) return undefined;
      return rows.map((r) => ({
        code: r.code,
        name: r.name,
        newToday: Number(r.newToday),
        open: Number(r.open),
        yellow: Number(r.yellow),
        red: Number(r.red),
        avgFirstResponseHours: Number(r.firstResponseN) ? (Number(r.firstResponseDays) / Number(r.firstResponseN)) * 24 : null,
        resolved: Number(r.resolved),
      }));
    },
    async dashboard(scope: Scope) {
      const at = now();
      // A scope of the whole district is not checked case by case.
      const villages = scope.all ? null : JSON.stringify([...scope.villageIds]);
      const today = chinaDate(at);
      const todayStart = startOfChinaDay(today).toISOString();
      const t = await repo.totals({ villages, now: at.toISOString(), yellowBefore: yellowBefore(at).toISOString(), todayStart });
      const counts = new Map<string, number>();
      for (const { hour, n } of await repo.perHour({ villages, since: startOfChinaDay(addDays(today, -29)).toISOString() })) {
        const day = chinaDate(new Date(`${hour}:00:00Z`));
        counts.set(day, (counts.get(day) ?? 0) + n);
      }
      const days = Array.from({ length: 30 }, (_, i) => {
        const day = addDays(today, i - 29);
        return { day, n: counts.get(day) ?? 0 };
      });
      const resolved = t.resolvedCount ?? 0;
      return {
        /** when these figures were read (a kept copy may be shown for up to STATS_FRESH_MS) */
        computedAt: at.toISOString(),
        newToday: t.newToday ?? 0,
        open: t.open ?? 0,
        red: t.red ?? 0,
        yellow: t.yellow ?? 0,
        avgFirstResponseHours: t.avgFirstResponseHours,
        avgResolutionDays: t.avgResolutionDays,
        onTimeRate: resolved ? (t.onTime ?? 0) / resolved : null,
        avgRating: t.avgRating,
        ratedShare: resolved ? (t.ratedCount ?? 0) / resolved : null,
        reopenRate: resolved ? (t.reopened ?? 0) / resolved : null,
        villages: await repo.byVillage({ villages, now: at.toISOString(), limit: DASHBOARD_VILLAGES }),
        villageCount: scope.villageIds.size,
        days,
      };
    },
  };
}

export type StatsService = ReturnType<typeof createStatsService>;

/**
 * How long a scope's dashboard figures are kept and shown again without being read. A case changed
 * through this process drops them all at once (keptStats' `changed`); one changed through another
 * instance (PostgreSQL) shows within this bound. The page says when its figures were read.
 */
export const STATS_FRESH_MS = 10_000;
/** scopes whose figures are kept at most (a scope is a user's set of villages) */
const KEPT_SCOPES = 500;

/**
 * The dashboard's figures kept per scope for STATS_FRESH_MS: an administrator reloading the
 * dashboard, or a room of them, reads the database once per scope and period instead of once per
 * request. Requests for a scope whose figures are being read wait for that read. `changed` (a case
 * was filed or moved on) drops every kept figure, and a read under way when it came is not kept.
 */
export function keptStats(stats: StatsService, now: () => Date = () => new Date(), freshMs = STATS_FRESH_MS) {
  const kept = new Map<string, { generation: number; at: number; value: Promise<unknown> }>();
  let generation = 0;
  const keyOf = (scope: Scope) => (scope.all ? 'all' : [...scope.villageIds].sort((a, b) => a - b).join(','));
  const keep = <T>(key: string, read: () => Promise<T>): Promise<T> => {
    const at = now().getTime();
    const entry = kept.get(key);
    if (entry && entry.generation === generation && at - entry.at < freshMs && at >= entry.at) return entry.value as Promise<T>;
    if (kept.size >= KEPT_SCOPES) kept.clear();
    const value = read();
    const mine = { generation, at, value };
    kept.set(key, mine);
    value.catch(() => {
      if (kept.get(key) === mine) kept.delete(key);
    });
    return value;
  };
  return {
    dashboard: (scope: Scope) => keep(`d:${keyOf(scope)}`, () => stats.dashboard(scope)),
    cityDistricts: (scope: Scope) => (scope.all ? keep('city', () => stats.cityDistricts(scope)) : stats.cityDistricts(scope)),
    /** a case changed in this process: the next dashboard of every scope is read afresh */
    changed() {
      generation++;
      kept.clear();
    },
  };
}

/** A 30-day bar chart as inline SVG, drawn on the server (no script). */
export function barChartSvg(days: Array<{ day: string; n: number }>, label: string): string {
  // A narrow drawing, so that its labels stay readable when a phone scales it down.
  const w = 360;
  const h = 150;
  const max = Math.max(1, ...days.map((d) => d.n));
  const bw = w / days.length;
  const bars = days
    .map((d, i) => {
      const bh = Math.round((d.n / max) * (h - 30));
      return `<rect x="${(i * bw + 2).toFixed(1)}" y="${h - 20 - bh}" width="${(bw - 4).toFixed(1)}" height="${bh}" fill="#0b57a4"><title>${d.day}：${d.n}</title></rect>`;
    })
    .join('');
  const first = days[0]?.day.slice(5) ?? '';
  const last = days[days.length - 1]?.day.slice(5) ?? '';
  return `<svg viewBox="0 0 ${w} ${h}" role="img" aria-label="${label}" class="chart"><line x1="0" y1="${h - 20}" x2="${w}" y2="${h - 20}" stroke="#767676"/>${bars}<text x="0" y="${h - 4}" font-size="13" fill="#4a4a4a">${first}</text><text x="${w}" y="${h - 4}" font-size="13" text-anchor="end" fill="#4a4a4a">${last}</text><text x="0" y="12" font-size="13" fill="#4a4a4a">${max}</text></svg>`;
}
