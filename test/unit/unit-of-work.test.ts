import Database from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { sqliteDatabase } from '../../src/db/database.js';
import { createUnitOfWork } from '../../src/db/unit-of-work.js';

const setUp = () => {
  const handle = new Database(':memory:');
  handle.exec('CREATE TABLE t (v TEXT NOT NULL UNIQUE)');
  const database = sqliteDatabase(handle);
  const add = (v: string) => database.run(sql`INSERT INTO t (v) VALUES (${v})`);
  const rows = async () => (await database.all<{ v: string }>(sql`SELECT v FROM t ORDER BY rowid`)).map((r) => r.v);
  return { handle, uow: createUnitOfWork(database), add, rows };
};

describe('unit of work', () => {
  it('writes every change of a run and returns its result', async () => {
    const { uow, add, rows } = setUp();
    const result = await uow.run(async () => {
      await add('a');
      await add('b');
      return 2;
    });
    expect(result).toBe(2);
    expect(await rows()).toEqual(['a', 'b']);
  });

  it('when a run fails part-way, then nothing of it is written', async () => {
    const { uow, add, rows } = setUp();
    await add('taken');
    await expect(
      uow.run(async () => {
        await add('a');
        await add('taken');
      }),
    ).rejects.toThrow(/UNIQUE/);
    expect(await rows()).toEqual(['taken']);
  });

  it('when runs nest and the outer one fails after the inner one finished, then the inner changes are undone too', async () => {
    const { handle, uow, add, rows } = setUp();
    await expect(
      uow.run(async () => {
        await uow.run(() => add('inner'));
        await add('outer');
        throw new Error('later step failed');
      }),
    ).rejects.toThrow('later step failed');
    expect(await rows()).toEqual([]);
    expect(handle.inTransaction).toBe(false);
  });

  it('when a nested run fails and the outer one goes on, then only the nested changes are undone', async () => {
    const { uow, add, rows } = setUp();
    await uow.run(async () => {
      await add('kept');
      await expect(
        uow.run(async () => {
          await add('dropped');
          await add('kept');
        }),
      ).rejects.toThrow(/UNIQUE/);
      await add('after');
    });
    expect(await rows()).toEqual(['kept', 'after']);
  });

  it('says whether a run is open: inside one, in what it awaits, and not once it has ended', async () => {
    const { uow, add } = setUp();
    expect(uow.inTransaction()).toBe(false);
    const seen: boolean[] = [];
    await uow.run(async () => {
      seen.push(uow.inTransaction());
      await add('a');
      seen.push(uow.inTransaction());
      await uow.run(async () => void seen.push(uow.inTransaction()));
    });
    expect(seen).toEqual([true, true, true]);
    expect(uow.inTransaction()).toBe(false);
    await expect(uow.run(() => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
    expect(uow.inTransaction()).toBe(false);
  });
});
