import type { Db } from './index.js';

/**
 * The one way a change of several rows is made atomic: `uow.run(fn)` writes all of fn or none of
 * it. Runs nest: a run inside another becomes a savepoint of the outer transaction, so a service
 * that makes its own change atomic can still be called from a larger change (an import chunk).
 * fn must be synchronous: a transaction never spans an await.
 */
export interface UnitOfWork {
  run<T>(fn: () => T): T;
  /** whether a run is open: what must happen only after commit (publishing events) checks this */
  inTransaction(): boolean;
}

export function createUnitOfWork(db: Db): UnitOfWork {
  return {
    run: <T>(fn: () => T): T => db.transaction(fn)(),
    inTransaction: () => db.inTransaction,
  };
}
