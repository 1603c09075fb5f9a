import type { DeliveryCompany } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import { shippingClient } from './wechat-adapter.js';

/** WeChat's delivery-company list (get_delivery_list), cached by the client for hours. */
export function deliveryCompanies(ctx: AppContext): Promise<DeliveryCompany[]> {
  return shippingClient(ctx).getDeliveryList();
}
