import type { DeliveryCompany } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { shippingApi } from './wechat-adapter.js';
import { ShippingApiError } from './shipping-api.js';

/** WeChat's list changes a few times a year; an hour keeps the ship form fast and WeChat unbothered. */
const TTL_MS = 3600_000;

const cache = new WeakMap<
  AppContext,
  { at: number; companies: DeliveryCompany[]; loading?: Promise<DeliveryCompany[]> }
>();

/** get_delivery_list, cached per process; one call in flight at a time. */
export async function deliveryCompanies(ctx: AppContext): Promise<DeliveryCompany[]> {
  const now = ctx.now().getTime();
  const hit = cache.get(ctx);
  if (hit && now - hit.at < TTL_MS && hit.companies.length) return hit.companies;
  if (hit?.loading) return hit.loading;
  const loading = shippingApi(ctx)
    .deliveryCompanies()
    .then((companies) => {
      cache.set(ctx, { at: ctx.now().getTime(), companies });
      return companies;
    })
    .catch((err: unknown) => {
      // an old list is better than none while WeChat is away
      if (hit?.companies.length) {
        cache.set(ctx, { ...hit, loading: undefined });
        return hit.companies;
      }
      cache.delete(ctx);
      const errcode = err instanceof ShippingApiError ? err.errcode : null;
      ctx.logger.warn({ errcode }, 'get_delivery_list failed');
      throw new AppError('WECHAT_UNAVAILABLE', 502, "WeChat's delivery-company list is unavailable, please retry");
    });
  cache.set(ctx, { at: hit?.at ?? 0, companies: hit?.companies ?? [], loading });
  return loading;
}
