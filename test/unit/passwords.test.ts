import { describe, expect, it } from 'vitest';
import { hashPassword, randomPassword, verifyPassword } from '../../src/features/staff/passwords.js';

describe('passwords', () => {
  it('are stored as salted scrypt hashes that verify the right password only', async () => {
    const hash = await hashPassword('村里的密码2026');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(hash).not.toContain('村里的密码2026');
    expect(await verifyPassword('村里的密码2026', hash)).toBe(true);
    expect(await verifyPassword('村里的密码2027', hash)).toBe(false);
    expect(await hashPassword('村里的密码2026')).not.toBe(hash);
  });

  it('a malformed stored hash never verifies', async () => {
    expect(await verifyPassword('x', 'plain')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$1$2')).toBe(false);
  });

  it('random passwords are long and differ', () => {
    const a = randomPassword();
    expect(a).toHaveLength(16);
    expect(randomPassword()).not.toBe(a);
  });
});
