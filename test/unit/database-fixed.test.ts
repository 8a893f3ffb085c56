import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sqliteDatabase } from '../../src/db/database.js';

const setUp = () => {
  const handle = new Database(':memory:');
  handle.exec('CREATE TABLE counter (id INTEGER PRIMARY KEY, rev INTEGER NOT NULL); INSERT INTO counter VALUES (1, 1)');
  const database = sqliteDatabase(handle);
  const read = database.fixed(sql<{ rev: number }>`SELECT rev FROM counter WHERE id = 1`);
  const bump = () => database.run(sql`UPDATE counter SET rev = rev + 1 WHERE id = 1`);
  return { handle, database, read, bump };
};

describe('a fixed read (a revision counter)', () => {
  it('reads the database on every call: a write, from this data layer or another connection, shows at once', async () => {
    const { handle, read, bump } = setUp();
    expect(await read()).toEqual({ rev: 1 });
    await bump();
    expect(await read()).toEqual({ rev: 2 });
    handle.exec('UPDATE counter SET rev = 10 WHERE id = 1');
    expect(await read()).toEqual({ rev: 10 });
  });

  it('inside a transaction it sees the transaction’s own writes; outside, never another context’s uncommitted ones', async () => {
    const { database, read, bump } = setUp();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let inside: unknown;
    const failing = database.transaction(async () => {
      await bump();
      inside = await read();
      await gate;
      throw new Error('rolled back');
    });
    // let the transaction begin and write
    for (let i = 0; i < 20 && inside === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    expect(inside).toEqual({ rev: 2 });
    const outside = read();
    release();
    await expect(failing).rejects.toThrow('rolled back');
    expect(await outside).toEqual({ rev: 1 });
    expect(await read()).toEqual({ rev: 1 });
  });

  it('transactions one after another, overlapping and nested each see their own connection; none is left open', async () => {
    const { handle, database, read, bump } = setUp();
    expect(database.inTransaction()).toBe(false);
    for (let i = 0; i < 3; i++) {
      await database.transaction(async () => {
        expect(database.inTransaction()).toBe(true);
        await bump();
        await database.transaction(async () => {
          await bump();
          expect(await read()).toEqual({ rev: 1 + 2 * i + 2 });
        });
      });
      expect(database.inTransaction()).toBe(false);
      expect(handle.inTransaction).toBe(false);
    }
    await Promise.all([database.transaction(bump), database.transaction(bump), database.transaction(bump)]);
    expect(database.inTransaction()).toBe(false);
    expect(await read()).toEqual({ rev: 10 });
  });
});
