import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/admin/passwords.js';

describe('admin password hashes', () => {
  it('are scrypt at N=2^17, r=8, p=1 by default (the production cost), and verify', async () => {
    const stored = await hashPassword('correct-horse-battery');
    expect(stored).toMatch(/^scrypt\$131072\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await verifyPassword('correct-horse-battery', stored)).toBe(true);
    expect(await verifyPassword('correct-horse-batterz', stored)).toBe(false);
  }, 120_000);

  it('carry their cost, so a hash made at another cost still verifies', async () => {
    const cheap = await hashPassword('correct-horse-battery', 12);
    expect(cheap).toMatch(/^scrypt\$4096\$8\$1\$/);
    expect(await verifyPassword('correct-horse-battery', cheap)).toBe(true);
    expect(await verifyPassword('wrong-horse-battery', cheap)).toBe(false);
  });
});
