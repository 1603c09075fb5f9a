import type { Order } from '@uni-checkout/shared';
import { ref } from 'vue';
import { getClientConfig } from '../api/client-config';
import { asApiError } from '../api/http';
import { confirmReceipt } from '../api/orders';
import { useCartStore } from '../store/cart';
import { openPage } from './tab-bar';
import { openOrderConfirm } from './wechat';

/**
 * 再次购买: the order's lines go back into the cart (the stock is read again there, the BFF prices
 * the next order anew) and the cart opens.
 */
export function rebuy(order: Order): void {
  const cart = useCartStore();
  for (const item of order.items) {
    cart.add({
      skuId: item.skuId,
      productId: item.productId,
      title: item.title,
      skuTitle: item.skuTitle,
      image: item.image ?? null,
      priceFen: item.priceFen,
      quantity: item.quantity,
      stock: null,
    });
  }
  openPage('/pages/cart/index');
}

/** h5 has no WeChat: in sandbox mode the sandbox plays the shopper's 确认收货 in WeChat. */
async function confirmAtSandbox(orderNo: string): Promise<void> {
  const config = await getClientConfig();
  if (config.wechatMode !== 'sandbox' || !config.sandboxUrl) throw new Error('请在微信中打开小程序确认收货');
  await new Promise<void>((resolve, reject) =>
    uni.request({
      url: `${config.sandboxUrl}/sandbox/confirm-receipt`,
      method: 'POST',
      data: { out_trade_no: orderNo },
      header: { 'content-type': 'application/json' },
      success: (res) => (res.statusCode < 300 ? resolve() : reject(new Error('沙箱确认收货失败'))),
      fail: () => reject(new Error('沙箱不可用')),
    }),
  );
}

/**
 * 确认收货. The receipt is WeChat's to record: mp-weixin opens WeChat's confirm component
 * (openBusinessView, weappOrderConfirm); the h5 build in sandbox mode confirms at the sandbox,
 * which plays WeChat. Either way the BFF then asks WeChat (get_order) and answers the order.
 */
export function useConfirmReceipt() {
  const confirming = ref(false);

  async function confirm(order: Order): Promise<Order | null> {
    if (confirming.value) return null;
    confirming.value = true;
    try {
      // #ifdef MP-WEIXIN
      // a shipped order is paid, so WeChat Pay's transaction_id is known
      await openOrderConfirm({ transaction_id: order.transactionId ?? '' });
      // #endif
      // #ifndef MP-WEIXIN
      await confirmAtSandbox(order.orderNo);
      // #endif
      const confirmed = await confirmReceipt(order.orderNo);
      uni.showToast({ title: '已确认收货', icon: 'none' });
      return confirmed;
    } catch (cause) {
      const error = asApiError(cause);
      uni.showToast({
        title: error.code === 'RECEIPT_NOT_CONFIRMED' ? '微信尚未记录收货，请稍后再试' : error.message,
        icon: 'none',
      });
      return null;
    } finally {
      confirming.value = false;
    }
  }

  return { confirming, confirm };
}
