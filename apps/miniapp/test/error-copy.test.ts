/** Every failure a user can meet reads as Chinese with the next step, never as the BFF's English. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ERROR_CODES } from '@uni-checkout/shared';
import { describe, expect, it } from 'vitest';
import { CLIENT_ERROR_CODES, ERROR_COPY, errorMessage, errorNextStep } from '../src/api/error-copy';
import { toApiError } from '../src/api/http';

const HAN = /[\u4e00-\u9fff]/;
const bffSrc = path.join(import.meta.dirname, '..', '..', 'bff', 'src');

/** Every `new AppError('CODE', …)` the BFF's source can throw. */
async function codesTheBffThrows(): Promise<Set<string>> {
  const files = (await readdir(bffSrc, { recursive: true })).filter(
    (f) => f.endsWith('.ts') && !f.includes('generated'),
  );
  const codes = new Set<string>();
  for (const file of files) {
    const source = await readFile(path.join(bffSrc, file), 'utf8');
    for (const m of source.matchAll(/AppError\(\s*'([A-Z0-9_]+)'/g)) codes.add(m[1]!);
  }
  return codes;
}

describe('error copy', () => {
  it('has Chinese copy for every code in packages/shared/src/error-codes.ts and every code the client raises', () => {
    for (const code of [...ERROR_CODES, ...CLIENT_ERROR_CODES]) {
      const copy = (ERROR_COPY as Record<string, { message: string } | undefined>)[code];
      expect(copy, `no Chinese message for ${code}`).toBeDefined();
      expect(copy!.message, code).toMatch(HAN);
      expect(copy!.message, code).not.toMatch(/[a-z]{3,}/); // no English sentence slipped in
    }
  });

  it('covers every code the BFF source throws (and the BFF throws only listed codes)', async () => {
    const thrown = await codesTheBffThrows();
    expect(thrown.size).toBeGreaterThan(10);
    for (const code of thrown) {
      expect(ERROR_CODES as readonly string[], `${code} is not in error-codes.ts`).toContain(code);
      expect(Object.keys(ERROR_COPY), `no Chinese message for ${code}`).toContain(code);
    }
  });

  it('tells the shopper how many are left and where to fix it', () => {
    expect(errorMessage('OUT_OF_STOCK', { skuId: 's', availableStock: 3 })).toBe('库存仅剩 3 件，去购物车修改');
    expect(errorMessage('OUT_OF_STOCK', { skuId: 's', availableStock: 0 })).toBe('商品售罄，去购物车删除后再结算');
    expect(errorMessage('OUT_OF_STOCK')).toBe('商品库存不足，去购物车修改数量');
    expect(errorNextStep('OUT_OF_STOCK')).toBe('edit-cart');
    expect(errorMessage('ORDER_NOT_PAYABLE', { status: 'CLOSED' })).toBe('订单已关闭，无法支付，请重新下单');
    expect(errorMessage('ORDER_NOT_PAYABLE', { status: 'PAID' })).toBe('订单已支付，无需重复付款，去查看订单');
    expect(errorMessage('RATE_LIMITED', { retryAfterSeconds: 42 })).toBe('操作太频繁了，请 42 秒后再试');
  });

  it('replaces the BFF’s English with the copy, keeping code, details and the original wording aside', () => {
    const err = toApiError(409, {
      error: {
        code: 'OUT_OF_STOCK',
        message: 'not enough stock for 云南普洱熟茶饼 357g',
        details: { availableStock: 2 },
      },
    });
    expect([err.code, err.status, err.message]).toEqual(['OUT_OF_STOCK', 409, '库存仅剩 2 件，去购物车修改']);
    expect(err.serverMessage).toBe('not enough stock for 云南普洱熟茶饼 357g');
    const login = toApiError(401, { error: { code: 'INVALID_CREDENTIALS', message: 'wrong username or password' } });
    expect(login.message).toBe('用户名或密码错误，请重新输入');
  });

  it('still speaks Chinese for a code newer than this build', () => {
    expect(errorMessage('SOMETHING_NEW', undefined, 409)).toMatch(HAN);
    expect(errorMessage('SOMETHING_NEW', undefined, 503)).toBe(ERROR_COPY.INTERNAL.message);
    expect(toApiError(502, '<html>Bad Gateway</html>').message).toBe('服务暂时不可用（HTTP 502），请稍后重试');
  });
});
