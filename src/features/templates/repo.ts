import { sql } from 'kysely';
import type { CaseKind, SpeakCategory } from '../../domain/cases.js';
import type { Database } from '../../db/database.js';

export interface ReplyTemplate {
  id: number;
  kind: CaseKind | null;
  category: SpeakCategory | null;
  title: string;
  body: string;
  /** the township that keeps it; null: the whole district */
  townCode: string | null;
  /** the district it belongs to; null: the city's, offered in every district */
  districtId: number | null;
}

const COLS = sql`id, kind, category, title, body, town_code AS "townCode", district_id AS "districtId"`;

export function createTemplatesRepo(db: Database) {
  return {
    all: async () =>
      db.all<ReplyTemplate>(
        sql`SELECT ${COLS} FROM reply_templates ORDER BY town_code IS NOT NULL, town_code, kind IS NOT NULL, kind, category NULLS FIRST, id`,
      ),
    forCase: async (kind: string, category: string | null, townCode: string, districtId: number | null) =>
      db.all<ReplyTemplate>(
        sql`SELECT ${COLS} FROM reply_templates
            WHERE (kind IS NULL OR kind = ${kind}) AND (category IS NULL OR category = ${category}) AND (town_code IS NULL OR town_code = ${townCode})
              AND (district_id IS NULL OR district_id = ${districtId})
            ORDER BY town_code IS NULL, kind IS NULL, category IS NULL, id`,
      ),
    byId: async (id: number) => db.get<ReplyTemplate>(sql`SELECT ${COLS} FROM reply_templates WHERE id = ${id}`),
    insert: async (t: Omit<ReplyTemplate, 'id'>, userId: number, at: string) =>
      (await db.get<{ id: number }>(
        sql`INSERT INTO reply_templates (kind, category, title, body, town_code, district_id, created_by, created_at)
            VALUES (${t.kind}, ${t.category}, ${t.title}, ${t.body}, ${t.townCode}, ${t.districtId}, ${userId}, ${at}) RETURNING id`,
      ))!.id,
    remove: async (id: number) => (await db.run(sql`DELETE FROM reply_templates WHERE id = ${id}`)).changes === 1,
  };
}

export type TemplatesRepo = ReturnType<typeof createTemplatesRepo>;
