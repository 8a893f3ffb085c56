import type { Db } from '../../db/index.js';
import { NotFoundError } from '../../errors.js';

export interface ReplyTemplate {
  id: number;
  kind: 'help' | 'apply' | 'speak' | null;
  category: string | null;
  title: string;
  body: string;
}

/** 常用回复: reply templates, offered on a case for its kind and category. */
export function createTemplatesService(db: Db, now: () => Date = () => new Date()) {
  const s = {
    all: db.prepare('SELECT id, kind, category, title, body FROM reply_templates ORDER BY kind IS NOT NULL, kind, category, id'),
    forCase: db.prepare(`SELECT id, kind, category, title, body FROM reply_templates
      WHERE (kind IS NULL OR kind = ?) AND (category IS NULL OR category = ?) ORDER BY kind IS NULL, category IS NULL, id`),
    byId: db.prepare('SELECT id, kind, category, title, body FROM reply_templates WHERE id = ?'),
    insert: db.prepare('INSERT INTO reply_templates (kind, category, title, body, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?)'),
    remove: db.prepare('DELETE FROM reply_templates WHERE id = ?'),
  };
  return {
    all: () => s.all.all() as ReplyTemplate[],
    forCase: (kind: string, category: string | null) => s.forCase.all(kind, category) as ReplyTemplate[],
    get: (id: number) => s.byId.get(id) as ReplyTemplate | undefined,
    add: (t: Omit<ReplyTemplate, 'id'>, userId: number) =>
      Number(s.insert.run(t.kind, t.category, t.title, t.body, userId, now().toISOString()).lastInsertRowid),
    remove(id: number): void {
      if (s.remove.run(id).changes !== 1) throw new NotFoundError('template');
    },
  };
}

export type TemplatesService = ReturnType<typeof createTemplatesService>;
