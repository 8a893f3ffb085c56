import type { Database } from '../../src/db/database.js';
import { testSql } from './sql.js';

/**
 * A write that fails part-way, as a full disk would: a trigger refuses to insert into `table` the
 * row whose `column` equals `value` (every row when no `where` is given), with the error `message`.
 * On either engine. Returns what removes the trigger again.
 */
export async function refuseInsert(
  database: Database,
  o: { table: string; where?: { column: string; value: string }; message?: string },
): Promise<() => Promise<void>> {
  const sql = testSql(database);
  const name = `refuse_${o.table}`;
  const when = o.where ? `NEW.${o.where.column} = '${o.where.value.replaceAll("'", "''")}'` : 'true';
  const message = `'${(o.message ?? 'disk full').replaceAll("'", "''")}'`;
  if (database.engine === 'postgres') {
    await sql.run(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION ${message}; END $$`);
    await sql.run(`CREATE TRIGGER ${name} BEFORE INSERT ON ${o.table} FOR EACH ROW WHEN (${when}) EXECUTE FUNCTION ${name}()`);
    return async () => {
      await sql.run(`DROP TRIGGER ${name} ON ${o.table}`);
      await sql.run(`DROP FUNCTION ${name}()`);
    };
  }
  await sql.run(`CREATE TEMP TRIGGER ${name} BEFORE INSERT ON ${o.table} WHEN ${when} BEGIN SELECT RAISE(ABORT, ${message}); END`);
  return async () => {
    await sql.run(`DROP TRIGGER temp.${name}`);
  };
}
