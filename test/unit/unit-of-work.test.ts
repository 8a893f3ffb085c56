import { describe, expect, it } from 'vitest';
import { createUnitOfWork } from '../../src/db/unit-of-work.js';
import { emptyDb } from '../helpers/db.js';

const setUp = () => {
  const db = emptyDb();
  db.exec('CREATE TABLE t (v TEXT NOT NULL UNIQUE)');
  const add = db.prepare('INSERT INTO t (v) VALUES (?)');
  const rows = () => db.prepare('SELECT v FROM t ORDER BY rowid').pluck().all();
  return { db, uow: createUnitOfWork(db), add: (v: string) => add.run(v), rows };
};

describe('unit of work', () => {
  it('writes every change of a run and returns its result', () => {
    const { uow, add, rows } = setUp();
    expect(uow.run(() => (add('a'), add('b'), 2))).toBe(2);
    expect(rows()).toEqual(['a', 'b']);
  });

  it('when a run fails part-way, then nothing of it is written', () => {
    const { uow, add, rows } = setUp();
    add('taken');
    expect(() => uow.run(() => (add('a'), add('taken')))).toThrow(/UNIQUE/);
    expect(rows()).toEqual(['taken']);
  });

  it('when runs nest and the outer one fails after the inner one finished, then the inner changes are undone too', () => {
    const { db, uow, add, rows } = setUp();
    expect(() =>
      uow.run(() => {
        uow.run(() => add('inner'));
        add('outer');
        throw new Error('later step failed');
      }),
    ).toThrow('later step failed');
    expect(rows()).toEqual([]);
    expect(db.inTransaction).toBe(false);
  });

  it('when a nested run fails and the outer one goes on, then only the nested changes are undone', () => {
    const { uow, add, rows } = setUp();
    uow.run(() => {
      add('kept');
      expect(() => uow.run(() => (add('dropped'), add('kept')))).toThrow(/UNIQUE/);
    });
    expect(rows()).toEqual(['kept']);
  });
});
