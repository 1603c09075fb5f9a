/** The mini-program's pure helpers: where requests go, how asset paths and prices are shown. */
import { describe, expect, it } from 'vitest';
import { normalizeApiBase, resolveAssetUrl } from '../src/api/config';
import { ApiError, toApiError } from '../src/api/http';
import { formatLowestPrice, lowestSkuPriceFen } from '../src/utils/price';

const sku = (priceFen: number) => ({ id: `s${priceFen}`, title: 't', priceFen, stock: 1 });

describe('API base', () => {
  it('accepts http(s) origins, with or without a path, and drops trailing slashes', () => {
    expect(normalizeApiBase('http://127.0.0.1:3000/')).toBe('http://127.0.0.1:3000');
    expect(normalizeApiBase(' https://shop.example.com/bff// ')).toBe('https://shop.example.com/bff');
  });

  it('refuses anything that is not an http(s) origin', () => {
    for (const bad of [
      '',
      '   ',
      'javascript:alert(1)',
      'ftp://x',
      '//evil.example',
      'http://',
      'http://a b',
      'http://x?y=1',
      42,
      null,
      undefined,
    ]) {
      expect(normalizeApiBase(bad), String(bad)).toBeNull();
    }
  });

  it('prefixes BFF-relative asset paths with the API base and leaves absolute ones alone', () => {
    const base = resolveAssetUrl('/static/products/a.png').replace('/static/products/a.png', '');
    expect(normalizeApiBase(base)).toBe(base);
    expect(resolveAssetUrl('static/products/a.png')).toBe(`${base}/static/products/a.png`);
    expect(resolveAssetUrl('https://cdn.example.com/a.png')).toBe('https://cdn.example.com/a.png');
    expect(resolveAssetUrl('data:image/png;base64,AAAA')).toBe('data:image/png;base64,AAAA');
  });
});

describe('prices on a product card', () => {
  it('shows the cheapest SKU, whatever the SKU order', () => {
    expect(lowestSkuPriceFen({ skus: [sku(23900), sku(12800), sku(15000)], minPriceFen: 0 })).toBe(12800);
    expect(formatLowestPrice({ skus: [sku(23900), sku(12800)], minPriceFen: 0 })).toBe('¥128.00');
    expect(formatLowestPrice({ skus: [sku(5)], minPriceFen: 5 })).toBe('¥0.05');
  });

  it('falls back to the product price when no SKU is listed', () => {
    expect(formatLowestPrice({ skus: [], minPriceFen: 1230 })).toBe('¥12.30');
  });
});

describe('error bodies', () => {
  it('keeps the BFF’s stable code, and its message aside from the Chinese copy users read', () => {
    const err = toApiError(409, { error: { code: 'OUT_OF_STOCK', message: 'sold out' } });
    expect(err).toBeInstanceOf(ApiError);
    expect([err.code, err.serverMessage, err.status]).toEqual(['OUT_OF_STOCK', 'sold out', 409]);
    expect(err.message).toBe('商品库存不足，去购物车修改数量');
  });

  it('turns a body that is not the error format into HTTP_ERROR with the status', () => {
    for (const body of ['<html>502 Bad Gateway</html>', null, { message: 'x' }, { error: 'x' }]) {
      const err = toApiError(502, body);
      expect([err.code, err.status]).toEqual(['HTTP_ERROR', 502]);
    }
  });
});
