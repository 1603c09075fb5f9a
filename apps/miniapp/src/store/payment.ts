import type { RequestPaymentParams } from '@uni-checkout/shared';
import { defineStore } from 'pinia';
import { ref } from 'vue';
import { ApiError, asApiError } from '../api/http';
import { prepay } from '../api/orders';
// #ifdef H5 || SANDBOX
import { getClientConfig } from '../api/client-config';
import { useUserStore } from './user';
// #endif
// #ifdef SANDBOX
import { openSandboxPaySheet } from '../utils/sandbox-pay';
// #endif

export const RESULT_PAGE = '/pages/result/index';

export type PayOutcome = 'ok' | 'cancel' | 'fail';

export function resultPageUrl(orderNo: string, outcome?: PayOutcome): string {
  return `${RESULT_PAGE}?orderNo=${encodeURIComponent(orderNo)}${outcome ? `&payResult=${outcome}` : ''}`;
}

/** The WeChat pay sheet inside the mini-program. Its answer is only a hint: the result page asks the BFF. */
function requestWeixinPayment(params: RequestPaymentParams): Promise<PayOutcome> {
  return new Promise((resolve) => {
    uni.requestPayment({
      provider: 'wxpay',
      orderInfo: '',
      timeStamp: params.timeStamp,
      nonceStr: params.nonceStr,
      package: params.package,
      signType: params.signType,
      paySign: params.paySign,
      success: () => resolve('ok'),
      fail: (err: { errMsg?: string }) => resolve(/cancel/i.test(err.errMsg ?? '') ? 'cancel' : 'fail'),
    } as UniApp.RequestPaymentOptions);
  });
}

// #ifdef SANDBOX
/**
 * The sandbox build's pay sheet (development only): against a BFF in sandbox mode the in-app sheet
 * pays the sandbox's prepay as WeChat's client would; against a merchant-mode BFF, WeChat's own.
 */
async function requestSandboxOrWeixinPayment(orderNo: string, params: RequestPaymentParams): Promise<PayOutcome> {
  const config = await getClientConfig();
  const openid = useUserStore().openid;
  if (config.wechatMode !== 'sandbox' || !config.sandboxUrl || !openid) return requestWeixinPayment(params);
  return openSandboxPaySheet({ orderNo, params, openid, sandboxUrl: config.sandboxUrl });
}
// #endif

/** The mini-program's pay sheet: WeChat's, or in the sandbox build the sandbox's stand-in. */
function requestMiniProgramPayment(orderNo: string, params: RequestPaymentParams): Promise<PayOutcome> {
  // #ifdef SANDBOX
  return requestSandboxOrWeixinPayment(orderNo, params);
  // #endif
  // #ifndef SANDBOX
  return requestWeixinPayment(params);
  // #endif
}

/** Errors raised here never went through the request wrapper, whose interceptor toasts. */
function toasted(error: ApiError): ApiError {
  uni.showToast({ title: error.message, icon: 'none', duration: 3000 });
  return error;
}

// #ifdef H5
/**
 * The sandbox's pay sheet (`/sandbox/cashier`), the h5 stand-in for WeChat's: it shows the amount,
 * posts `/sandbox/pay` with the signed params when the shopper confirms (the sandbox checks
 * `paySign` as WeChat's client does, settles and notifies the BFF), then comes back to `returnUrl`
 * with `sandboxPay=ok|cancel|fail`.
 */
export function sandboxCashierUrl(
  sandboxUrl: string,
  params: RequestPaymentParams,
  openid: string,
  returnUrl: string,
): string {
  const query = new URLSearchParams({
    appId: params.appId,
    timeStamp: params.timeStamp,
    nonceStr: params.nonceStr,
    package: params.package,
    signType: params.signType,
    paySign: params.paySign,
    openid,
    return: returnUrl,
  });
  return `${sandboxUrl}/sandbox/cashier?${query.toString()}`;
}

async function openSandboxCashier(orderNo: string, params: RequestPaymentParams): Promise<void> {
  const config = await getClientConfig();
  if (config.wechatMode !== 'sandbox' || !config.sandboxUrl) {
    throw toasted(new ApiError('PAYMENT_UNAVAILABLE', '网页版无法调起微信支付，请在微信小程序中支付', 0));
  }
  const user = useUserStore();
  if (!user.openid) {
    user.clearSession('user');
    throw toasted(new ApiError('UNAUTHORIZED', '登录信息已过期，请重试', 401));
  }
  const here = `${window.location.origin}${window.location.pathname}`;
  const returnUrl = `${here}#${resultPageUrl(orderNo)}`;
  window.location.assign(sandboxCashierUrl(config.sandboxUrl, params, user.openid, returnUrl));
}
// #endif

/** Paying one order: prepay at the BFF, then the platform's pay sheet, then the result page. */
export const usePaymentStore = defineStore('payment', () => {
  const paying = ref(false);
  const error = ref<ApiError | null>(null);

  /**
   * Resolves once the shopper has been sent on: to the result page (mini-program), or away to the
   * sandbox's pay sheet (h5, which comes back to the result page itself). Rejects with an ApiError
   * (already toasted) when no pay sheet could be opened.
   */
  async function pay(orderNo: string): Promise<void> {
    if (paying.value) return;
    paying.value = true;
    error.value = null;
    try {
      const params = await prepay(orderNo);
      // #ifdef H5
      await openSandboxCashier(orderNo, params);
      return;
      // #endif
      // #ifndef H5
      const outcome = await requestMiniProgramPayment(orderNo, params);
      uni.redirectTo({ url: resultPageUrl(orderNo, outcome) });
      // #endif
    } catch (cause) {
      error.value = asApiError(cause);
      throw error.value;
    } finally {
      paying.value = false;
    }
  }

  return { paying, error, pay };
});
