import type { Database } from './database.js';

/**
 * The one way a change of several rows is made atomic: `uow.run(fn)` writes all of fn or none of
 * it. Runs nest: a run inside another becomes a savepoint of the outer transaction, so a service
 * that makes its own change atomic can still be called from a larger change (an import chunk).
 * The queries of fn find the transaction themselves (see Database): fn awaits only database work,
 * never a network call or a file, so a transaction stays short.
 */
export interface UnitOfWork {
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** whether the caller runs inside a run: what must happen only after commit (publishing events) checks this */
  inTransaction(): boolean;
  /** a background job that must run on one instance at a time: `{ ran: false }` when another is running it */
  exclusively<T>(job: string, fn: () => Promise<T>, opts?: { wait?: boolean }): Promise<{ ran: true; value: T } | { ran: false }>;
}

export function createUnitOfWork(database: Database): UnitOfWork {
  return {
    run: (fn) => database.transaction(fn),
    inTransaction: () => database.inTransaction(),
    exclusively: (job, fn, opts) => database.exclusively(job, fn, opts),
  };
}
