import { describe, expect, it } from 'vitest';
import type { ScopeLevel } from '../../src/features/staff/repo.js';
import { buildApp } from '../helpers/app.js';
import { onPostgres } from '../helpers/engine.js';
import type { TestSql } from '../helpers/sql.js';
import { aUser, PASSWORD } from '../helpers/staff.js';

/** Makes every delete from `table` fail, on either engine: the last statement of a change then breaks. */
async function deletesFail(sql: TestSql, table: string): Promise<void> {
  if (onPostgres) {
    await sql.run(`CREATE FUNCTION forced_failure() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'forced failure'; END $$`);
    await sql.run(`CREATE TRIGGER forced_failure BEFORE DELETE ON ${table} FOR EACH ROW EXECUTE FUNCTION forced_failure()`);
  } else {
    await sql.run(`CREATE TRIGGER forced_failure BEFORE DELETE ON ${table} BEGIN SELECT RAISE(ABORT, 'forced failure'); END`);
  }
}

/** A user with a session and a trusted device, as someone who signed in has. */
async function signedInUser(t: ReturnType<typeof buildApp>) {
  const user = await aUser(t.services, { role: 'staff', scopes: [{ level: 'town', code: '370812103' }] });
  await t.sql.run('INSERT INTO sessions (sid, sess, expires) VALUES (?, ?, ?)', `sid-${user.id}`, JSON.stringify({ userId: user.id }), Date.now() + 3600_000);
  await t.sql.run('INSERT INTO trusted_devices (user_id, token_hash, last_used) VALUES (?, ?, ?)', user.id, 'device-hash', Date.now());
  const state = async () => ({
    active: await t.sql.value<number>('SELECT active FROM users WHERE id = ?', user.id),
    hash: await t.sql.value<string>('SELECT password_hash FROM users WHERE id = ?', user.id),
    sessions: await t.sql.value<number>('SELECT count(*) FROM sessions WHERE sid = ?', `sid-${user.id}`),
    devices: await t.sql.value<number>('SELECT count(*) FROM trusted_devices WHERE user_id = ?', user.id),
  });
  return { ...user, state };
}

describe('a change of several rows is written whole or not at all', () => {
  it('when a new user’s second scope cannot be written, then the user is not created either', async () => {
    const { services, sql } = buildApp();
    await expect(
      services.staff.createUser({
        username: 'half.made',
        displayName: '半个用户',
        password: PASSWORD,
        role: 'staff',
        scopes: [
          { level: 'town', code: '370812103' },
          // refused by the table's CHECK, after the user and the first scope were inserted
          { level: 'province' as ScopeLevel, code: '37' },
        ],
      }),
    ).rejects.toThrow();
    expect(await sql.value('SELECT count(*) FROM users WHERE username = ?', 'half.made')).toBe(0);
    expect(await services.staff.findUser('half.made')).toBeUndefined();
  });

  it('when a new user’s scopes are all good, then the user and every scope are written', async () => {
    const { services, sql } = buildApp();
    const id = await services.staff.createUser({
      username: 'whole.made',
      displayName: '完整用户',
      password: PASSWORD,
      role: 'staff',
      scopes: [
        { level: 'town', code: '370812103' },
        { level: 'village', code: '370812103200' },
      ],
    });
    expect(await sql.value('SELECT count(*) FROM user_scopes WHERE user_id = ?', id)).toBe(2);
  });

  it('when deactivating a user fails at forgetting their devices, then the user stays active with their sessions', async () => {
    const t = buildApp();
    const user = await signedInUser(t);
    const before = await user.state();
    expect(before).toMatchObject({ active: 1, sessions: 1, devices: 1 });
    await deletesFail(t.sql, 'trusted_devices');
    await expect(t.services.staff.setActive(user.id, false, { all: true, districtIds: new Set<number>(), villageIds: new Set<number>() })).rejects.toThrow(
      /forced failure/,
    );
    expect(await user.state()).toEqual(before);
  });

  it('when deactivating succeeds, then sessions and devices go with it', async () => {
    const t = buildApp();
    const user = await signedInUser(t);
    expect(await t.services.staff.setActive(user.id, false, { all: true, districtIds: new Set<number>(), villageIds: new Set<number>() })).toBe(true);
    expect(await user.state()).toMatchObject({ active: 0, sessions: 0, devices: 0 });
  });

  it('when changing one’s password fails at forgetting devices, then the old password and the other sessions stay', async () => {
    const t = buildApp();
    const user = await signedInUser(t);
    const before = await user.state();
    await deletesFail(t.sql, 'trusted_devices');
    await expect(t.services.staff.changePassword(user.id, PASSWORD, 'another-long-passphrase-9', 'this-session', '192.0.2.1')).rejects.toThrow(
      /forced failure/,
    );
    expect(await user.state()).toEqual(before);
  });

  it('when setting a password (the command line) fails at forgetting devices, then nothing changes', async () => {
    const t = buildApp();
    const user = await signedInUser(t);
    const before = await user.state();
    await deletesFail(t.sql, 'trusted_devices');
    await expect(t.services.staff.setPassword(user.username, 'another-long-passphrase-9')).rejects.toThrow(/forced failure/);
    expect(await user.state()).toEqual(before);
  });

  it('when setting a password succeeds, then the hash changes, sessions end and devices are forgotten', async () => {
    const t = buildApp();
    const user = await signedInUser(t);
    const before = await user.state();
    expect(await t.services.staff.setPassword(user.username, 'another-long-passphrase-9')).toBe(true);
    const after = await user.state();
    expect(after).toMatchObject({ sessions: 0, devices: 0 });
    expect(after.hash).not.toBe(before.hash);
  });

  it('when saving themes fails on the second, then the first is not saved either', async () => {
    const { services, sql } = buildApp();
    const themes = await sql.all<{ code: string; name: string }>('SELECT code, name FROM catalog_themes ORDER BY sort');
    await expect(
      services.catalog.saveThemes([
        { code: '901', name: '新主题' },
        // NOT NULL refuses it, after the first was written
        { code: '902', name: null as unknown as string },
      ]),
    ).rejects.toThrow();
    expect(await sql.value('SELECT count(*) FROM catalog_themes WHERE code IN (?, ?)', '901', '902')).toBe(0);
    expect(await sql.all('SELECT code, name FROM catalog_themes ORDER BY sort')).toEqual(themes);
  });
});
