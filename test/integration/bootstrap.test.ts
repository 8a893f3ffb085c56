import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { prepare } from '../../src/bootstrap.js';
import { testConfig } from '../../src/config.js';
import { verifyPassword } from '../../src/features/staff/passwords.js';

const silent = pino({ level: 'silent' });
const dirs: string[] = [];
const tempDb = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mashang-'));
  dirs.push(dir);
  return path.join(dir, 'sub', 'mashang.sqlite');
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe('first start and restart', () => {
  it('on an empty database migrates, seeds the demo and creates admin with a printed random password', async () => {
    const file = tempDb();
    const first = await prepare(testConfig({ dbFile: file, adminPassword: undefined }), silent);
    expect(first.seeded?.items).toBe(862);
    expect(first.adminCreated).toBe(true);
    expect(first.adminPassword).toMatch(/^\S{16}$/);
    const user = first.services.staff.findUser('admin')!;
    expect(user.role).toBe('admin');
    expect(await verifyPassword(first.adminPassword!, user.passwordHash)).toBe(true);
    const households = first.db.prepare('SELECT count(*) FROM households').pluck().get();
    first.db.close();

    const again = await prepare(testConfig({ dbFile: file, adminPassword: 'another-password-1' }), silent);
    expect(again.seeded).toBeUndefined();
    expect(again.adminCreated).toBe(false);
    expect(again.adminPassword).toBeUndefined();
    expect(again.db.prepare('SELECT count(*) FROM households').pluck().get()).toBe(households);
    expect(again.services.staff.findUser('admin')!.passwordHash).toBe(user.passwordHash);
    again.db.close();
  });

  it('uses MASHANG_ADMIN_PASSWORD when given and prints no password', async () => {
    const file = tempDb();
    const first = await prepare(testConfig({ dbFile: file, adminPassword: 'county-secret-2026' }), silent);
    expect(first.adminCreated).toBe(true);
    expect(first.adminPassword).toBeUndefined();
    expect(await verifyPassword('county-secret-2026', first.services.staff.findUser('admin')!.passwordHash)).toBe(true);
    first.db.close();
  });
});
