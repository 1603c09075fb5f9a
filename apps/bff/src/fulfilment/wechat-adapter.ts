import type { AppContext } from '../context.js';
import { ShippingApiError, type ShippingApi } from './shipping-api.js';

/** WeChat's shipping-information API as fulfilment uses it, over the client in ../wechat. */
export function shippingApi(_ctx: AppContext): ShippingApi {
  const missing = () => Promise.reject(new ShippingApiError(null, 'the WeChat shipping client is not wired yet'));
  return { uploadShippingInfo: missing, getOrderState: missing, deliveryCompanies: missing };
}
