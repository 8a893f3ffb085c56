import type { CaseKind, SpeakCategory } from '../../domain/cases.js';
import type { Db } from '../../db/index.js';

export interface ReplyTemplate {
  id: number;
  kind: CaseKind | null;
  category: SpeakCategory | null;
  title: string;
  body: string;
  /** the township that keeps it; null: the whole district */
  townCode: string | null;
}

export function createTemplatesRepo(db: Db) {
  const COLS = 'id, kind, category, title, body, town_code AS townCode';
  const all = db.prepare(`SELECT ${COLS} FROM reply_templates ORDER BY town_code IS NOT NULL, town_code, kind IS NOT NULL, kind, category, id`);
  const forCase = db.prepare(`SELECT ${COLS} FROM reply_templates
      WHERE (kind IS NULL OR kind = ?) AND (category IS NULL OR category = ?) AND (town_code IS NULL OR town_code = ?)
      ORDER BY town_code IS NULL, kind IS NULL, category IS NULL, id`);
  const byId = db.prepare(`SELECT ${COLS} FROM reply_templates WHERE id = ?`);
  const insert = db.prepare('INSERT INTO reply_templates (kind, category, title, body, town_code, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const remove = db.prepare('DELETE FROM reply_templates WHERE id = ?');
  return {
    all: () => all.all() as ReplyTemplate[],
    forCase: (kind: string, category: string | null, townCode: string) => forCase.all(kind, category, townCode) as ReplyTemplate[],
    byId: (id: number) => byId.get(id) as ReplyTemplate | undefined,
    insert: (t: Omit<ReplyTemplate, 'id'>, userId: number, at: string) =>
      Number(insert.run(t.kind, t.category, t.title, t.body, t.townCode, userId, at).lastInsertRowid),
    remove: (id: number) => remove.run(id).changes === 1,
  };
}

export type TemplatesRepo = ReturnType<typeof createTemplatesRepo>;
