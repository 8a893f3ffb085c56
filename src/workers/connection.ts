import { openDb } from '../db/index.js';
import { postgresDatabase, postgresPool, sqliteDatabase, timeoutsOf, type Database, type PostgresTimeouts } from '../db/database.js';

/**
 * How a worker thread opens a connection of its own to the server's database (what can be posted
 * to a thread): the SQLite file, opened read-only, or the PostgreSQL server with the pool's
 * settings.
 */
export type ReadConnection =
  { engine: 'sqlite'; file: string } | { engine: 'postgres'; url: string; settings: Record<string, string>; timeouts: PostgresTimeouts };

/**
 * Where a worker may read the server's database, or undefined when it cannot: a SQLite database in
 * memory (tests) lives in this thread only, so its reads stay here.
 */
export function readConnectionOf(database: Database): ReadConnection | undefined {
  if (database.sqlite) return database.sqlite.memory ? undefined : { engine: 'sqlite', file: database.sqlite.name };
  const options = database.pool?.options as { connectionString?: string; options?: string } | undefined;
  if (!options?.connectionString) return undefined;
  // postgresPool writes its settings (the schema's search_path, tests' settings) as "-c key=value".
  const settings: Record<string, string> = {};
  for (const m of (options.options ?? '').matchAll(/-c (\S+?)=(\S+)/g)) settings[m[1]!] = m[2]!;
  return { engine: 'postgres', url: options.connectionString, settings, timeouts: timeoutsOf(database.pool!) };
}

/**
 * Opens the connection described (in a worker thread): read-only on SQLite, one connection on
 * PostgreSQL. `lean`: for a single pass through the data (an export), SQLite's default cache and no
 * memory map (see openDb).
 */
export function openReadConnection(c: ReadConnection, opts: { lean?: boolean } = {}): Database {
  if (c.engine === 'sqlite') return sqliteDatabase(openDb(c.file, { readonly: true, lean: opts.lean }));
  // a read that must run to its end (an export's slices are short; the statement limit stays)
  return postgresDatabase(postgresPool(c.url, { max: 1, settings: c.settings, timeouts: c.timeouts }));
}
