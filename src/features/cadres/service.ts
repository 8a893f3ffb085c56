import type { CadresRepo, Cadre } from './repo.js';

export interface CadreCard extends Cadre {
  /** the character shown in the round avatar when there is no photo */
  initial: string;
  /** digits only, for the tel: link */
  telHref: string;
}

export function createCadresService(repo: CadresRepo) {
  return {
    forVillage(villageId: number): CadreCard[] {
      return repo.listForVillage(villageId).map((c) => ({
        ...c,
        initial: Array.from(c.name)[0] ?? '',
        telHref: `tel:${c.phone.replace(/[^\d+]/g, '')}`,
      }));
    },
  };
}

export type CadresService = ReturnType<typeof createCadresService>;
