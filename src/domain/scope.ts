/**
 * The villages a back-office user may see. Every query that returns cases, households, cadres or
 * plates filters by it, and anything outside it answers 404.
 *
 * The district is the boundary of what it owns (its catalogue, templates, channels, API keys, users
 * and audit log): `districtIds` are the districts served whole, whose own things the user manages.
 */
export interface Scope {
  /** serves every village of the installation (a city administrator, the command line): no filter is needed */
  all: boolean;
  /** the districts served whole: every one for a city administrator, theirs for a district administrator or district staff */
  districtIds: ReadonlySet<number>;
  villageIds: ReadonlySet<number>;
}

/** A scope over these villages. */
export function scopeOf(villageIds: Iterable<number>, all = false, districtIds: Iterable<number> = []): Scope {
  return { all, districtIds: new Set(districtIds), villageIds: new Set(villageIds) };
}

/** True when the village is one the scope covers (a missing village never is). */
export function inScope(scope: Scope, villageId: number | null | undefined): boolean {
  return villageId !== null && villageId !== undefined && scope.villageIds.has(villageId);
}

/** True when the scope serves the whole of this district (a missing district never is). */
export function servesDistrict(scope: Scope, districtId: number | null | undefined): boolean {
  return districtId !== null && districtId !== undefined && (scope.all || scope.districtIds.has(districtId));
}

/** The scope's village ids as a list, for a query's parameters. */
export function villageIdsOf(scope: Scope): number[] {
  return [...scope.villageIds];
}

/** The districts served whole as a list, for a query's parameters. */
export function districtIdsOf(scope: Scope): number[] {
  return [...scope.districtIds];
}
