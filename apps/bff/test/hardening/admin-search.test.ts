/** Admin search `q` is a literal prefix: LIKE's wildcards in it match only themselves. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminOrdersPage } from '../../src/admin/orders.js';
import { createTestDb, type TestDb } from '../support/db.js';

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb('postgres');
  const user = await db.prisma.user.create({ data: { openid: 'o-search' } });
  for (const orderNo of ['UC2026A_1', 'UC2026AB1', 'UC2026%X'])
    await db.prisma.order.create({
      data: { orderNo, userId: user.id, totalFen: 100, expiresAt: new Date(Date.now() + 60_000) },
    });
}, 60_000);
afterAll(() => db?.close());

describe('admin order search', () => {
  it('treats % and _ in q as characters, not wildcards', async () => {
    const search = async (q: string) =>
      (await adminOrdersPage(db.prisma, { q } as never)).rows.map((o) => o.orderNo).sort();
    expect(await search('%')).toEqual([]);
    expect(await search('UC2026A_')).toEqual(['UC2026A_1']);
    expect(await search('UC2026%')).toEqual(['UC2026%X']);
    expect(await search('UC2026')).toHaveLength(3);
  });
});
