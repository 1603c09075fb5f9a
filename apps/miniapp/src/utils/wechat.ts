/**
 * The few WeChat-only APIs the shop calls directly (mp-weixin): the privacy-authorization flow and
 * the shipping-confirmation component. uni-app has no wrapper for them; elsewhere they do nothing.
 */
interface WxApi {
  getPrivacySetting(options: {
    success: (res: { needAuthorization: boolean; privacyContractName?: string }) => void;
    fail?: () => void;
  }): void;
  onNeedPrivacyAuthorization(
    listener: (resolve: (result: { event: 'agree' | 'disagree'; buttonId?: string }) => void) => void,
  ): void;
  openPrivacyContract(options: { fail?: () => void }): void;
  openBusinessView(options: {
    businessType: string;
    extraData: Record<string, string>;
    success?: () => void;
    fail?: (err: { errMsg: string }) => void;
  }): void;
}

declare const wx: WxApi;

export type PrivacyResolve = Parameters<Parameters<WxApi['onNeedPrivacyAuthorization']>[0]>[0];

export const isMpWeixin = (): boolean => {
  // #ifdef MP-WEIXIN
  return true;
  // #endif
  // #ifndef MP-WEIXIN
  return false;
  // #endif
};

export function getPrivacySetting(): Promise<{ needAuthorization: boolean; privacyContractName?: string }> {
  return new Promise((resolve) => {
    // #ifdef MP-WEIXIN
    wx.getPrivacySetting({ success: resolve, fail: () => resolve({ needAuthorization: false }) });
    // #endif
    // #ifndef MP-WEIXIN
    resolve({ needAuthorization: false });
    // #endif
  });
}

export function onNeedPrivacyAuthorization(listener: (resolve: PrivacyResolve) => void): void {
  // #ifdef MP-WEIXIN
  wx.onNeedPrivacyAuthorization(listener);
  // #endif
}

export function openPrivacyContract(): void {
  // #ifdef MP-WEIXIN
  wx.openPrivacyContract({});
  // #endif
}

/**
 * 确认收货 in WeChat's own component (确认收货组件): businessType "weappOrderConfirm" with the
 * payment's transaction_id (WeChat takes it, or merchant_id + merchant_trade_no). Resolves when the
 * component closes; whether the shopper confirmed is for the BFF to ask WeChat.
 */
export function openOrderConfirm(extraData: { transaction_id: string }) {
  return new Promise<void>((resolve, reject) => {
    // #ifdef MP-WEIXIN
    wx.openBusinessView({
      businessType: 'weappOrderConfirm',
      extraData: { transaction_id: extraData.transaction_id },
      success: () => resolve(),
      fail: (err) => reject(new Error(err.errMsg)),
    });
    // #endif
    // #ifndef MP-WEIXIN
    reject(new Error('openBusinessView exists only in WeChat'));
    // #endif
  });
}
