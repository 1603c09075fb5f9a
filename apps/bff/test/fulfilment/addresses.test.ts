import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addressBookEntrySchema, orderSchema } from '@uni-checkout/shared';
import { startHarness, type Harness } from '../support/harness.js';
import { anySku, createOrder, TEST_ADDRESS } from '../support/shop.js';

describe('shipping addresses: the address book and the order snapshot', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  }, 120_000);
  afterAll(async () => {
    await h?.close();
  });

  it('keeps an address book per shopper with exactly one default', async () => {
    const shopper = await h.shopper();
    const first = await shopper.post('/api/addresses', TEST_ADDRESS);
    expect(first.status).toBe(201);
    expect(addressBookEntrySchema.parse(first.body)).toMatchObject({ ...TEST_ADDRESS, isDefault: true });

    const office = {
      ...TEST_ADDRESS,
      name: '李四',
      phone: '010-62345678',
      detail: '海淀区中关村大街 27 号',
      postalCode: '',
    };
    const second = await shopper.post('/api/addresses', office);
    expect([second.status, second.body.isDefault, second.body.postalCode]).toEqual([201, false, null]);

    const promoted = await shopper.put(`/api/addresses/${second.body.id}`, { ...office, isDefault: true });
    expect([promoted.status, promoted.body.isDefault]).toEqual([200, true]);
    let book = (await shopper.get('/api/addresses')).body.items as { id: string; isDefault: boolean }[];
    expect(book.map((a) => [a.id, a.isDefault])).toEqual([
      [second.body.id, true],
      [first.body.id, false],
    ]);

    // deleting the default hands it to the remaining address
    expect((await shopper.del(`/api/addresses/${second.body.id}`)).status).toBe(204);
    book = (await shopper.get('/api/addresses')).body.items;
    expect(book.map((a) => [a.id, a.isDefault])).toEqual([[first.body.id, true]]);

    // another shopper sees none of it and cannot touch it
    const stranger = await h.shopper();
    expect((await stranger.get('/api/addresses')).body.items).toEqual([]);
    const foreign = await stranger.put(`/api/addresses/${first.body.id}`, TEST_ADDRESS);
    expect([foreign.status, foreign.body.error.code]).toEqual([404, 'NOT_FOUND']);
    expect((await stranger.del(`/api/addresses/${first.body.id}`)).status).toBe(404);
    expect((await stranger.del('/api/addresses/not-a-uuid')).status).toBe(404);
    expect((await h.anonymous.get('/api/addresses')).status).toBe(401);
  });

  it('refuses a bad address with a 400 naming the field, storing nothing', async () => {
    const shopper = await h.shopper();
    const cases: [Record<string, unknown>, string][] = [
      [{ ...TEST_ADDRESS, phone: '12345' }, 'phone'],
      [{ ...TEST_ADDRESS, phone: '1380000123' }, 'phone'],
      [{ ...TEST_ADDRESS, name: '' }, 'name'],
      [{ ...TEST_ADDRESS, name: '名'.repeat(26) }, 'name'],
      [{ ...TEST_ADDRESS, detail: 'x'.repeat(121) }, 'detail'],
      [{ ...TEST_ADDRESS, province: undefined }, 'province'],
      [{ ...TEST_ADDRESS, postalCode: '51805' }, 'postalCode'],
      [{ ...TEST_ADDRESS, extra: 1 }, ''],
    ];
    for (const [body, field] of cases) {
      const res = await shopper.post('/api/addresses', body);
      expect([res.status, res.body.error.code], field).toEqual([400, 'VALIDATION_FAILED']);
      if (field) expect(res.body.error.message).toMatch(new RegExp(`^${field}: `));
    }
    expect((await shopper.get('/api/addresses')).body.items).toEqual([]);
    // what uni.chooseAddress hands back with a country prefix and spaces is the same number
    const spaced = await shopper.post('/api/addresses', { ...TEST_ADDRESS, phone: '+86 138 0000 1234' });
    expect([spaced.status, spaced.body.phone]).toEqual([201, '13800001234']);
  });

  it('requires an address on every order, with a 400 naming it, and keeps a snapshot', async () => {
    const shopper = await h.shopper();
    const sku = await anySku(h);
    const items = [{ skuId: sku.id, quantity: 1 }];
    const none = await shopper.post('/api/orders', { items }, { 'idempotency-key': randomUUID() });
    expect([none.status, none.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    expect(none.body.error.message).toMatch(/^address: /);
    const badPhone = await createOrder(shopper, items, randomUUID(), { ...TEST_ADDRESS, phone: '110' });
    expect([badPhone.status, badPhone.body.error.message]).toEqual([400, expect.stringMatching(/^address\.phone: /)]);
    const user = await h.bff.ctx.prisma.user.findUniqueOrThrow({ where: { openid: shopper.openid } });
    expect(await h.bff.ctx.prisma.order.count({ where: { userId: user.id } })).toBe(0);

    const saved = (await shopper.post('/api/addresses', TEST_ADDRESS)).body;
    const placed = await createOrder(shopper, items);
    expect(placed.status).toBe(201);
    const order = orderSchema.parse(placed.body);
    expect(order.address).toEqual({ ...TEST_ADDRESS });
    expect([order.fulfilmentStatus, order.shipment]).toEqual(['UNSHIPPED', null]);

    // editing the book later never changes a placed order
    await shopper.put(`/api/addresses/${saved.id}`, { ...TEST_ADDRESS, detail: '搬家了 88 号' });
    const read = await shopper.get(`/api/orders/${order.orderNo}`);
    expect(read.body.address).toEqual({ ...TEST_ADDRESS });

    // the shopper's list masks the phone; their order page and the admin show it whole
    const list = await shopper.get('/api/orders');
    expect(list.body.items[0].address.phone).toBe('138****1234');
    expect(list.body.items[0].fulfilmentStatus).toBe('UNSHIPPED');
    const admin = await h.admin();
    const adminView = await admin.get(`/api/admin/orders/${order.orderNo}`);
    expect(adminView.body.address.phone).toBe('13800001234');
    const csv = await admin.get(`/api/admin/orders.csv?q=${order.orderNo}`);
    expect(csv.body).toContain('13800001234');
    expect(csv.body).toContain('UNSHIPPED');

    // the same Idempotency-Key with another address is another request
    const key = randomUUID();
    expect((await createOrder(shopper, items, key)).status).toBe(201);
    const other = await createOrder(shopper, items, key, { ...TEST_ADDRESS, name: '王五' });
    expect([other.status, other.body.error.code]).toEqual([422, 'IDEMPOTENCY_KEY_REUSED']);

    // no log line carries the whole number
    expect(JSON.stringify(h.logs)).not.toContain('13800001234');
  });
});
