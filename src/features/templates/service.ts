import { NotFoundError } from '../../errors.js';
import type { ReplyTemplate, TemplatesRepo } from './repo.js';

export type { ReplyTemplate } from './repo.js';

/**
 * Whose templates a user keeps: every one (the city's administrator), or those of the districts they
 * serve whole (a district's administrator and staff) and of their townships; `seen` are the districts
 * whose district-wide templates they see.
 */
export type TemplateOwner = 'all' | { districts: number[]; towns: string[]; seen: number[] };

/** 常用回复: reply templates, offered on a case for its kind and category. */
export function createTemplatesService(repo: TemplatesRepo, now: () => Date = () => new Date()) {
  const keeps = (owner: TemplateOwner, t: ReplyTemplate) =>
    owner === 'all' || (t.districtId !== null && owner.districts.includes(t.districtId)) || (t.townCode !== null && owner.towns.includes(t.townCode));
  return {
    /** The templates a user sees: the district's and their townships' (all for 'all'), and which they may delete. */
    async visible(owner: TemplateOwner): Promise<Array<ReplyTemplate & { canDelete: boolean }>> {
      return (await repo.all())
        .filter((t) => keeps(owner, t) || (owner !== 'all' && t.townCode === null && (t.districtId === null || owner.seen.includes(t.districtId))))
        .map((t) => ({ ...t, canDelete: keeps(owner, t) }));
    },
    /** Templates offered on a case: the city's, the case's district's and those of its township. */
    forCase: (kind: string, category: string | null, townCode: string, districtId: number | null) => repo.forCase(kind, category, townCode, districtId),
    async add(t: Omit<ReplyTemplate, 'id'>, userId: number, owner: TemplateOwner): Promise<number> {
      if (!keeps(owner, { ...t, id: 0 })) throw new NotFoundError('town');
      return repo.insert(t, userId, now().toISOString());
    },
    /** Gives a new district the default district-wide templates every district starts with. */
    addDefaults: (districtId: number): Promise<number> => repo.addDefaults(districtId, now().toISOString()),
    /** Deletes a template the user keeps; another township's, or the district's for township staff, is not there for them. */
    async remove(id: number, owner: TemplateOwner): Promise<void> {
      const t = await repo.byId(id);
      if (!t || !keeps(owner, t) || !(await repo.remove(id))) throw new NotFoundError('template');
    },
  };
}

export type TemplatesService = ReturnType<typeof createTemplatesService>;
