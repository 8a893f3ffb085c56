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

/** The district-wide templates every district starts with: those migration 005 gave the first one. */
const DEFAULTS: ReadonlyArray<Pick<ReplyTemplate, 'kind' | 'category' | 'title' | 'body'>> = [
  { kind: null, category: null, title: '已收到，正在核实', body: '您好，您反映的情况我们已经收到，正在核实，会尽快给您答复。' },
  { kind: 'apply', category: null, title: '材料齐全，代办中', body: '您好，您的申请材料已齐全，村里已为您代办，办结后会电话通知您。' },
  { kind: 'apply', category: null, title: '请补充材料', body: '您好，办理这个事项还需要补充材料，请带上居民身份证和户口簿到村便民服务站，我们帮您办理。' },
  { kind: 'speak', category: 'complaint', title: '已安排处理', body: '您好，您投诉的问题已安排专人处理，处理结果会在这里告诉您。' },
  { kind: 'speak', category: 'praise', title: '感谢表扬', body: '感谢您的肯定！我们会继续努力，把服务做得更好。' },
  { kind: 'help', category: null, title: '已电话联系', body: '您好，我们已经电话联系过您，有其他需要请随时在这里留言。' },
];

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
    /** Gives a district the default district-wide templates (DEFAULTS); returns how many were added. */
    addDefaults: async (districtId: number, at: string) => {
      for (const t of DEFAULTS) {
        await db.run(
          sql`INSERT INTO reply_templates (kind, category, title, body, town_code, district_id, created_at)
              VALUES (${t.kind}, ${t.category}, ${t.title}, ${t.body}, NULL, ${districtId}, ${at})`,
        );
      }
      return DEFAULTS.length;
    },
    remove: async (id: number) => (await db.run(sql`DELETE FROM reply_templates WHERE id = ${id}`)).changes === 1,
  };
}

export type TemplatesRepo = ReturnType<typeof createTemplatesRepo>;
