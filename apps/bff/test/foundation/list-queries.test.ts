import { describe, expect, it } from 'vitest';
import { useHarness } from '../support/harness.js';
import { placeOrder } from '../support/shop.js';

/** The list routes as the API contract writes them: `GET /api/orders?status=&cursor=`. */
describe('list queries with empty parameters (PostgreSQL)', () => {
  const h = useHarness({ db: 'postgres' });

  it('reads an empty filter or cursor as "not given" on every list', async () => {
    const shopper = await h.shopper();
    const admin = await h.admin();
    const order = await placeOrder(h, shopper);

    const own = await shopper.get('/api/orders?status=&cursor=&limit=');
    expect(own.status).toBe(200);
    expect(own.body.items.map((o: { orderNo: string }) => o.orderNo)).toEqual([order.orderNo]);

    const all = await admin.get('/api/admin/orders?status=&from=&to=&q=&cursor=&limit=');
    expect(all.status).toBe(200);
    expect(all.body.items.map((o: { orderNo: string }) => o.orderNo)).toContain(order.orderNo);

    const csv = await admin.get('/api/admin/orders.csv?status=&q=');
    expect(csv.status).toBe(200);
    expect(csv.body).toContain(order.orderNo);

    expect((await admin.get('/api/admin/refund-requests?status=&cursor=')).status).toBe(200);
    const products = await h.anonymous.get('/api/products?cursor=&limit=');
    expect(products.status).toBe(200);
    expect(products.body.items.length).toBeGreaterThan(0);
  });

  it('still refuses a value that is there but wrong', async () => {
    const shopper = await h.shopper();
    const res = await shopper.get('/api/orders?status=SHIPPED');
    expect([res.status, res.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });
});
