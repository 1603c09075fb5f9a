/**
 * The in-app stand-in for WeChat's pay sheet, compiled only into the sandbox build of the
 * mini-program (`pnpm dev:mp-weixin`, uni-app script `mp-weixin-sandbox`, `#ifdef SANDBOX`):
 * WeChat DevTools cannot pay a sandbox prepay with `uni.requestPayment`, so the store opens
 * `pages-sandbox/pay/index` instead and waits for its answer as it would wait for WeChat's.
 *
 * The sheet does what WeChat's client does with the five parameters: it posts them, with the
 * mini-program's appId and the shopper's openid, to the sandbox's `POST /sandbox/pay`, which
 * verifies `paySign` with the merchant's public key, settles and notifies the BFF.
 */
import type { RequestPaymentParams } from '@uni-checkout/shared';

export const SANDBOX_PAY_PAGE = '/pages-sandbox/pay/index';

/** What the sheet pays: the signed parameters, the payer, and where WeChat Pay (the sandbox) is. */
export interface SandboxPayRequest {
  orderNo: string;
  params: RequestPaymentParams;
  openid: string;
  sandboxUrl: string;
}

export type SandboxPayOutcome = 'ok' | 'cancel' | 'fail';

/** The body of `POST /sandbox/pay`: what WeChat's client sends to WeChat Pay when the shopper confirms. */
export function sandboxPayBody(request: SandboxPayRequest): Record<string, string> {
  const { appId, timeStamp, nonceStr, package: pkg, signType, paySign } = request.params;
  return { appId, timeStamp, nonceStr, package: pkg, signType, paySign, openid: request.openid };
}

/** WeChat Pay's answer to the sheet: accepted, or refused with its code and Chinese message. */
export type SandboxPayAnswer = { ok: true } | { ok: false; code: string; message: string };

/** `POST /sandbox/pay`, as WeChat's client calls WeChat Pay when the shopper taps 确认支付. */
export function postSandboxPay(request: SandboxPayRequest): Promise<SandboxPayAnswer> {
  return new Promise((resolve) => {
    uni.request({
      url: `${request.sandboxUrl}/sandbox/pay`,
      method: 'POST',
      header: { 'content-type': 'application/json' },
      data: sandboxPayBody(request),
      dataType: 'json',
      success: (res) => {
        if (res.statusCode >= 200 && res.statusCode < 300) return resolve({ ok: true });
        const body = (res.data ?? {}) as { code?: unknown; message?: unknown };
        resolve({
          ok: false,
          code: typeof body.code === 'string' ? body.code : `HTTP_${res.statusCode}`,
          message: typeof body.message === 'string' ? body.message : '支付失败，请稍后重试',
        });
      },
      fail: (err) => resolve({ ok: false, code: 'NETWORK_ERROR', message: `无法连接沙箱支付（${err.errMsg}）` }),
    });
  });
}

let pending: { request: SandboxPayRequest; settle: (outcome: SandboxPayOutcome) => void } | null = null;

/**
 * Opens the sheet and resolves with its answer once it has closed (like `uni.requestPayment`'s
 * success / fail callbacks): 'ok' after the sandbox accepted the payment, 'cancel' when the shopper
 * closed it, 'fail' when the sandbox refused (the sheet has shown why).
 */
export function openSandboxPaySheet(request: SandboxPayRequest): Promise<SandboxPayOutcome> {
  pending?.settle('cancel');
  return new Promise((resolve) => {
    let settled = false;
    pending = {
      request,
      settle: (outcome) => {
        if (settled) return;
        settled = true;
        pending = null;
        resolve(outcome);
      },
    };
    uni.navigateTo({ url: SANDBOX_PAY_PAGE, fail: () => pending?.settle('fail') });
  });
}

/** The sheet's side: what it was opened for (null when opened on its own, e.g. by a page restore). */
export function currentSandboxPayRequest(): SandboxPayRequest | null {
  return pending?.request ?? null;
}

/** The sheet's answer, given as it closes; the first answer counts. */
export function settleSandboxPay(outcome: SandboxPayOutcome): void {
  pending?.settle(outcome);
}
