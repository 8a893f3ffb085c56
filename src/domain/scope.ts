/**
 * The villages a back-office user may see. Every query that returns cases, households, cadres or
 * plates filters by it, and anything outside it answers 404.
 */
export interface Scope {
  /** serves the whole district (admins, district staff, the command line) */
  all: boolean;
  villageIds: ReadonlySet<number>;
}

/** A scope over these villages. */
export function scopeOf(villageIds: Iterable<number>, all = false): Scope {
  return { all, villageIds: new Set(villageIds) };
}

/** True when the village is one the scope covers (a missing village never is). */
export function inScope(scope: Scope, villageId: number | null | undefined): boolean {
  return villageId !== null && villageId !== undefined && scope.villageIds.has(villageId);
}

/** The scope's village ids as a list, for a query's parameters. */
export function villageIdsOf(scope: Scope): number[] {
  return [...scope.villageIds];
}
