import { sql, type RawBuilder } from 'kysely';
import type { Database } from './database.js';

/**
 * The few SQL fragments that SQLite and PostgreSQL write differently, for repos. Each takes the
 * database (or its engine) and returns a fragment for the `sql` tag; values are always parameters.
 */

type Fragment = RawBuilder<unknown>;

/**
 * `column` is one of `values`: one parameter whatever the length (a JSON array read by json_each on
 * SQLite, an array on PostgreSQL), so the statement's text stays the same. An empty list matches nothing.
 */
export function inList(
  db: Pick<Database, 'engine'>,
  column: Fragment,
  values: readonly number[] | readonly string[],
  type: 'bigint' | 'text' = 'bigint',
): Fragment {
  if (db.engine === 'postgres') return sql`${column} = ANY(CAST(${[...values]} AS ${sql.raw(type)}[]))`;
  return sql`${column} IN (SELECT value FROM json_each(${JSON.stringify(values)}))`;
}

/** Whether `needle` occurs in `haystack` (plain text, no pattern; case-sensitive on both). */
export function contains(db: Pick<Database, 'engine'>, haystack: Fragment, needle: string): Fragment {
  return db.engine === 'postgres' ? sql`strpos(${haystack}, ${needle}) > 0` : sql`instr(${haystack}, ${needle}) > 0`;
}

/** Whether the JSON object in text column `column` has the number `value` at its top-level `key` (a trusted constant). */
export function jsonNumberIs(db: Pick<Database, 'engine'>, column: Fragment, key: string, value: number): Fragment {
  if (db.engine === 'postgres') return sql`(CAST(${column} AS jsonb) -> ${sql.lit(key)}) = to_jsonb(CAST(${value} AS bigint))`;
  return sql`json_extract(${column}, ${sql.lit(`$.${key}`)}) = ${value}`;
}

/** The texts of `expr` in a group joined by `separator` (a trusted constant), in `orderBy`'s order; null for no rows. */
export function groupConcat(db: Pick<Database, 'engine'>, expr: Fragment, separator: string, orderBy: Fragment): Fragment {
  const fn = sql.raw(db.engine === 'postgres' ? 'string_agg' : 'group_concat');
  return sql`${fn}(${expr}, ${sql.lit(separator)} ORDER BY ${orderBy})`;
}

/** After a table's alias: read the table by its rowid, never through an index (SQLite's NOT INDEXED; nothing on PostgreSQL). */
export function notIndexed(db: Pick<Database, 'engine'>): Fragment {
  return sql.raw(db.engine === 'postgres' ? '' : 'NOT INDEXED');
}
