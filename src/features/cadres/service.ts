import type { CadresRepo, Cadre, CadreRole } from './repo.js';
import { transaction, type Db } from '../../db/index.js';
import { ConflictError, NotFoundError } from '../../errors.js';

export interface CadreInput {
  name: string;
  role: CadreRole;
  phone: string;
  dutyHours: string;
}
type Scope = { villageIds: ReadonlySet<number> };

export interface CadreCard extends Cadre {
  /** the character shown in the round avatar when there is no photo */
  initial: string;
  /** digits only, for the tel: link */
  telHref: string;
}

export function createCadresService(repo: CadresRepo, db: Db) {
  /** A cadre the caller may manage: one who serves at least one of the caller's villages. */
  const manageable = (scope: Scope, id: number): Cadre => {
    const c = repo.byId(id);
    if (!c || !repo.villagesOf(id).some((v) => scope.villageIds.has(v))) throw new NotFoundError('cadre');
    return c;
  };
  return {
    forVillage(villageId: number): CadreCard[] {
      return repo.listForVillage(villageId).map((c) => ({
        ...c,
        // photos are served by id; the stored file name stays private
        photoPath: c.photoPath ? `/cadres/${c.id}/photo.jpg` : null,
        initial: Array.from(c.name)[0] ?? '',
        telHref: `tel:${c.phone.replace(/[^\d+]/g, '')}`,
      }));
    },

    /** Adds a cadre to a village: an existing cadre with that phone is linked and updated. */
    add(scope: Scope, villageId: number, input: CadreInput): number {
      if (!scope.villageIds.has(villageId)) throw new NotFoundError('village');
      return transaction(db, () => {
        let id = repo.idByPhone(input.phone);
        if (id === undefined) id = repo.insert(input);
        else repo.update(id, input);
        repo.link(id, villageId);
        return id;
      });
    },

    update(scope: Scope, id: number, input: CadreInput): void {
      manageable(scope, id);
      const other = repo.idByPhone(input.phone);
      if (other !== undefined && other !== id) throw new ConflictError('phone taken');
      repo.update(id, input);
    },

    /** Stops a cadre serving a village (the profile stays for the other villages). */
    removeFromVillage(scope: Scope, id: number, villageId: number): void {
      manageable(scope, id);
      if (!scope.villageIds.has(villageId) || !repo.unlink(id, villageId)) throw new NotFoundError('cadre');
    },

    /** Sets the photo's file name; returns the one it replaces (for the caller to delete). */
    setPhoto(scope: Scope, id: number, file: string): string | null {
      const c = manageable(scope, id);
      repo.setPhoto(id, file);
      return c.photoPath;
    },

    /** The stored photo file of a cadre, for the public 码上帮 page. */
    photoFile(id: number): string | undefined {
      return repo.byId(id)?.photoPath ?? undefined;
    },
  };
}

export type CadresService = ReturnType<typeof createCadresService>;
