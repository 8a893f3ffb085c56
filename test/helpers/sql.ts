import { CompiledQuery } from 'kysely';
import type { Database } from '../../src/db/database.js';

/** `?` placeholders as PostgreSQL's `$1, $2, …` (a `?` inside a quoted string is left alone). */
function numbered(text: string): string {
  let n = 0;
  return text.replace(/'(?:[^']|'')*'|\?/g, (m) => (m === '?' ? `$${++n}` : m));
}

/**
 * Plain SQL for tests on either engine: what a test checks or arranges beneath the services (a row's
 * state, a timestamp moved back). Write it in SQL both engines accept, with `?` placeholders.
 */
export function testSql(database: Database) {
  const compile = (text: string, params: unknown[]) => CompiledQuery.raw(database.engine === 'postgres' ? numbered(text) : text, params);
  const rows = async <T>(text: string, params: unknown[]) => (await database.q.executeQuery<T>(compile(text, params))).rows;
  return {
    all: <T = Record<string, unknown>>(text: string, ...params: unknown[]) => rows<T>(text, params),
    get: async <T = Record<string, unknown>>(text: string, ...params: unknown[]) => (await rows<T>(text, params))[0],
    /** the first column of the first row */
    value: async <T = unknown>(text: string, ...params: unknown[]) => {
      const row = (await rows<Record<string, T>>(text, params))[0];
      return row === undefined ? undefined : Object.values(row)[0];
    },
    /** the first column of every row */
    column: async <T = unknown>(text: string, ...params: unknown[]) => (await rows<Record<string, T>>(text, params)).map((r) => Object.values(r)[0] as T),
    run: async (text: string, ...params: unknown[]) => Number((await database.q.executeQuery(compile(text, params))).numAffectedRows ?? 0),
  };
}

export type TestSql = ReturnType<typeof testSql>;
