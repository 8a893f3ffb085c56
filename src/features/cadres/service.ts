import { inScope, type Scope } from '../../domain/scope.js';
import { telHref } from '../../domain/phone.js';
import type { CadresRepo, Cadre, CadreRole, CadreServing } from './repo.js';
import type { UnitOfWork } from '../../db/unit-of-work.js';
import { isUniqueViolation } from '../../db/database.js';
export type { CadreRole, CadreServing } from './repo.js';
import { CadreElsewhereError, ConflictError, NotFoundError } from '../../errors.js';

export interface CadreInput {
  name: string;
  role: CadreRole;
  phone: string;
  dutyHours: string;
}

export interface CadreCard extends Cadre {
  /** the character shown in the round avatar when there is no photo */
  initial: string;
  /** digits only, for the tel: link */
  telHref: string;
}

export function createCadresService(repo: CadresRepo, uow: UnitOfWork) {
  /** A cadre the caller may manage: one who serves at least one of the caller's villages. */
  const manageable = async (scope: Scope, id: number): Promise<Cadre> => {
    const c = await repo.byId(id);
    if (!c || !(await repo.villagesOf(id)).some((v) => inScope(scope, v))) throw new NotFoundError('cadre');
    return c;
  };
  return {
    async forVillage(villageId: number): Promise<CadreCard[]> {
      return (await repo.listForVillage(villageId)).map((c) => ({
        ...c,
        // photos are served by id; the stored file name stays private
        photoPath: c.photoPath ? `/cadres/${c.id}/photo.jpg` : null,
        initial: Array.from(c.name)[0] ?? '',
        telHref: telHref(c.phone),
      }));
    },

    /**
     * Adds a cadre to a village. An existing cadre with that phone is linked and updated only when
     * they already serve one of the caller's villages (or none at all): cadre phones are public, and
     * another township's cadre must not be taken over by typing their number. Returns the cadre and
     * the codes of every village they now serve (for the audit log).
     */
    async add(scope: Scope, villageId: number, input: CadreInput): Promise<{ id: number; villageCodes: string[] }> {
      if (!inScope(scope, villageId)) throw new NotFoundError('village');
      const attempt = () =>
        uow.run(async () => {
          let id = await repo.idByPhone(input.phone);
          if (id === undefined) id = await repo.insert(input);
          else {
            const serves = await repo.villagesOf(id);
            if (serves.length > 0 && !serves.some((v) => inScope(scope, v))) throw new CadreElsewhereError(id, await repo.villageCodesOf(id));
            await repo.update(id, input);
          }
          await repo.link(id, villageId);
          return { id, villageCodes: await repo.villageCodesOf(id) };
        });
      try {
        return await attempt();
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
      }
      // Another request added a cadre with this phone between the look-up and the insert: this one
      // now finds them and links them, as it would have a moment later.
      try {
        return await attempt();
      } catch (err) {
        if (isUniqueViolation(err)) throw new ConflictError('phone taken');
        throw err;
      }
    },

    /** The cadre with this phone, if any. */
    idByPhone: (phone: string): Promise<number | undefined> => repo.idByPhone(phone),

    /** Every village served by the cadres with these phones (for import checks and comparisons). */
    servingByPhones: (phones: string[]): Promise<CadreServing[]> => repo.servingByPhones(phones),

    /** The active cadres of these villages, by township and village (the export's order). */
    exportServing: (villageIds: number[]): Promise<CadreServing[]> => repo.exportServing(villageIds),

    /**
     * Writes cadres keyed on their phone, all or none: a new phone is added, a known one gets the
     * name, role and duty hours given, and each is linked to the row's village. Writing the same
     * rows twice changes nothing more. The caller has checked the villages and phones against its scope.
     */
    async upsertMany(rows: Array<CadreInput & { villageId: number }>): Promise<void> {
      await uow.run(async () => {
        for (const c of rows) {
          let id = await repo.idByPhone(c.phone);
          if (id === undefined) id = await repo.insert(c);
          else await repo.updateDetails(id, c);
          await repo.link(id, c.villageId);
        }
      });
    },

    /** Would adding this phone reach a cadre outside the caller's villages? (for import checks) */
    async servesElsewhere(scope: Scope, phone: string): Promise<string[] | undefined> {
      const id = await repo.idByPhone(phone);
      if (id === undefined) return undefined;
      const serves = await repo.villagesOf(id);
      return serves.length > 0 && !serves.some((v) => inScope(scope, v)) ? repo.villageCodesOf(id) : undefined;
    },

    async update(scope: Scope, id: number, input: CadreInput): Promise<void> {
      await manageable(scope, id);
      const other = await repo.idByPhone(input.phone);
      if (other !== undefined && other !== id) throw new ConflictError('phone taken');
      try {
        await repo.update(id, input);
      } catch (err) {
        // given to another cadre between the look-up and the update
        if (isUniqueViolation(err)) throw new ConflictError('phone taken');
        throw err;
      }
    },

    /**
     * Stops a cadre serving a village (the profile stays for the other villages). When it was the
     * last one, the photo is no longer anyone's to show: returns its file for the caller to delete.
     */
    async removeFromVillage(scope: Scope, id: number, villageId: number): Promise<{ orphanedPhoto: string | null }> {
      const c = await manageable(scope, id);
      if (!inScope(scope, villageId)) throw new NotFoundError('cadre');
      return uow.run(async () => {
        if (!(await repo.unlink(id, villageId))) throw new NotFoundError('cadre');
        if ((await repo.villagesOf(id)).length > 0 || !c.photoPath) return { orphanedPhoto: null };
        await repo.setPhoto(id, null);
        return { orphanedPhoto: c.photoPath };
      });
    },

    /** Sets the photo's file name; returns the one it replaces (for the caller to delete). */
    async setPhoto(scope: Scope, id: number, file: string): Promise<string | null> {
      const c = await manageable(scope, id);
      await repo.setPhoto(id, file);
      return c.photoPath;
    },

    /** The stored photo file of a cadre who serves a village, for the public 码上帮 page. */
    async photoFile(id: number): Promise<string | undefined> {
      const file = (await repo.byId(id))?.photoPath;
      return file && (await repo.villagesOf(id)).length > 0 ? file : undefined;
    },
  };
}

export type CadresService = ReturnType<typeof createCadresService>;
