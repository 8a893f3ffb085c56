import type { Db } from '../../db/index.js';
import { NotFoundError } from '../../errors.js';
import type { CaseKind, SpeakCategory } from '../../domain/cases.js';

export interface ReplyTemplate {
  id: number;
  kind: CaseKind | null;
  category: SpeakCategory | null;
  title: string;
  body: string;
  /** the township that keeps it; null: the whole district */
  townCode: string | null;
}

/** Whose templates a user keeps: every one (admins, district staff), or their townships'. */
export type TemplateOwner = 'all' | string[];

/** 常用回复: reply templates, offered on a case for its kind and category. */
export function createTemplatesService(db: Db, now: () => Date = () => new Date()) {
  const COLS = 'id, kind, category, title, body, town_code AS townCode';
  const s = {
    all: db.prepare(`SELECT ${COLS} FROM reply_templates ORDER BY town_code IS NOT NULL, town_code, kind IS NOT NULL, kind, category, id`),
    forCase: db.prepare(`SELECT ${COLS} FROM reply_templates
      WHERE (kind IS NULL OR kind = ?) AND (category IS NULL OR category = ?) AND (town_code IS NULL OR town_code = ?)
      ORDER BY town_code IS NULL, kind IS NULL, category IS NULL, id`),
    byId: db.prepare(`SELECT ${COLS} FROM reply_templates WHERE id = ?`),
    insert: db.prepare('INSERT INTO reply_templates (kind, category, title, body, town_code, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    remove: db.prepare('DELETE FROM reply_templates WHERE id = ?'),
  };
  const keeps = (owner: TemplateOwner, t: ReplyTemplate) => owner === 'all' || (t.townCode !== null && owner.includes(t.townCode));
  return {
    /** The templates a user sees: the district's and their townships' (all for 'all'), and which they may delete. */
    visible(owner: TemplateOwner): Array<ReplyTemplate & { canDelete: boolean }> {
      return (s.all.all() as ReplyTemplate[])
        .filter((t) => owner === 'all' || t.townCode === null || owner.includes(t.townCode))
        .map((t) => ({ ...t, canDelete: keeps(owner, t) }));
    },
    /** Templates offered on a case: the district's and those of the case's township. */
    forCase: (kind: string, category: string | null, townCode: string) => s.forCase.all(kind, category, townCode) as ReplyTemplate[],
    add(t: Omit<ReplyTemplate, 'id'>, userId: number, owner: TemplateOwner): number {
      if (!(owner === 'all' ? true : t.townCode !== null && owner.includes(t.townCode))) throw new NotFoundError('town');
      return Number(s.insert.run(t.kind, t.category, t.title, t.body, t.townCode, userId, now().toISOString()).lastInsertRowid);
    },
    /** Deletes a template the user keeps; another township's, or the district's for township staff, is not there for them. */
    remove(id: number, owner: TemplateOwner): void {
      const t = s.byId.get(id) as ReplyTemplate | undefined;
      if (!t || !keeps(owner, t) || s.remove.run(id).changes !== 1) throw new NotFoundError('template');
    },
  };
}

export type TemplatesService = ReturnType<typeof createTemplatesService>;
