/**
 * WeChat Pay APIv3 over wechatpay-axios-plugin: it signs every request (WECHATPAY2-SHA256-RSA2048).
 * Every answer — errors included — is verified here against the merchant's WeChat Pay keys
 * (wechatpay-keys.ts: public key, platform certificates, or both while switching), picked by
 * `Wechatpay-Serial`; an answer that does not verify is no answer. This module maps WeChat's
 * operations and errors onto the typed surface of wechatpay-types.ts.
 */
import { createHash } from 'node:crypto';
import type { RequestPaymentParams } from '@uni-checkout/shared';
import { Aes, Formatter, Rsa, Wechatpay } from 'wechatpay-axios-plugin';
import { WechatpayKeys, type CertificateStore, type Verdict } from './wechatpay-keys.js';
import type { MerchantCredentials } from '../config.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import {
  WechatPayError,
  type JsapiPrepayRequest,
  type NotificationHeaders,
  type RefundRequest,
  type RefundResult,
  type Transaction,
  type VerifiedNotification,
  type WechatPayClient,
} from './wechatpay-types.js';

export { MAX_CLOCK_SKEW_SECONDS } from './wechatpay-keys.js';
export const DEFAULT_TIMEOUT_MS = 10_000;
/** The trade bill file is WeChat's one unsigned answer (下载账单: the file is checked by its SHA1). */
const UNSIGNED_DOWNLOADS = new Set(['v3/billdownload/file']);

export interface WechatPayDeps {
  logger: Logger;
  metrics: Metrics;
  timeoutMs?: number;
  now?: () => Date;
  /** Where platform certificates are shared by processes (the database); needed in certificate modes. */
  certificateStore?: CertificateStore;
}

interface AxiosLikeError {
  code?: string;
  message: string;
  response?: { status: number; data?: unknown; headers?: unknown };
}

/** Axios headers as a plain object with lower-case names. */
function plainHeaders(headers: unknown): Record<string, string | undefined> {
  const source =
    headers && typeof (headers as { toJSON?: unknown }).toJSON === 'function'
      ? (headers as { toJSON(): Record<string, unknown> }).toJSON()
      : ((headers ?? {}) as Record<string, unknown>);
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(source)) out[k.toLowerCase()] = v === undefined ? undefined : String(v);
  return out;
}

const rawText = (data: unknown): string =>
  typeof data === 'string'
    ? data
    : Buffer.isBuffer(data)
      ? data.toString('utf8')
      : data == null
        ? ''
        : JSON.stringify(data);

interface WechatErrorBody {
  code?: unknown;
  message?: unknown;
}

const TRANSPORT_TIMEOUT_CODES = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED']);

/** Turns what axios / the plugin threw into a WechatPayError with WeChat's own code. */
export function toWechatPayError(err: unknown): WechatPayError {
  if (err instanceof WechatPayError) return err;
  const e = err as AxiosLikeError;
  const code = typeof e?.code === 'string' ? e.code : '';
  // the plugin's response verifier (EV3_RES_HEADERS_INCOMPLATE / _TIMESTAMP_OFFSET / _PLATFORM_SERIAL / _SIGNATURE_DIGEST)
  if (code.startsWith('EV3_RES_')) {
    return new WechatPayError(
      'BAD_SIGNATURE',
      e.response?.status ?? 0,
      `WeChat Pay answer failed verification (${code})`,
      false,
    );
  }
  const status = e?.response?.status;
  if (status === undefined) {
    if (TRANSPORT_TIMEOUT_CODES.has(code) || /timeout/i.test(e?.message ?? '')) {
      return new WechatPayError('TIMEOUT', 0, 'WeChat Pay did not answer in time', true);
    }
    return new WechatPayError('NETWORK', 0, `WeChat Pay is unreachable (${code || 'network error'})`, true);
  }
  let body = e.response?.data as WechatErrorBody | string | undefined;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body) as WechatErrorBody;
    } catch {
      body = undefined;
    }
  }
  const wxCode = typeof body?.code === 'string' ? body.code : status >= 500 ? 'SYSTEM_ERROR' : `HTTP_${status}`;
  const wxMessage = typeof body?.message === 'string' ? body.message : `HTTP ${status}`;
  const retryable = status >= 500 || status === 429 || wxCode === 'SYSTEM_ERROR' || wxCode === 'FREQUENCY_LIMITED';
  return new WechatPayError(wxCode, status, wxMessage, retryable);
}

function header(headers: NotificationHeaders, name: keyof NotificationHeaders): string {
  const v = headers[name];
  return typeof v === 'string' ? v : '';
}

/** The notification error code for a refused signature verdict. */
function refusalCode(reason: Exclude<Verdict, { ok: true }>['reason']): string {
  if (reason === 'UNKNOWN_SERIAL' || reason === 'EXPIRED_CERTIFICATE') return 'UNKNOWN_SERIAL';
  if (reason === 'STALE_TIMESTAMP') return 'STALE_TIMESTAMP';
  return 'BAD_SIGNATURE';
}

function assertSignatureType(headers: NotificationHeaders): void {
  const signatureType = header(headers, 'wechatpay-signature-type');
  if (signatureType && signatureType !== 'WECHATPAY2-SHA256-RSA2048') {
    throw new WechatPayError('BAD_SIGNATURE', 401, `unsupported Wechatpay-Signature-Type ${signatureType}`, false);
  }
}

function badResource(message: string): WechatPayError {
  return new WechatPayError('BAD_RESOURCE', 400, message, false);
}

interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  ciphertext: string;
  nonce: string;
  associated_data?: unknown;
}

interface NotificationEnvelope {
  id: string;
  create_time?: unknown;
  event_type: string;
  summary?: unknown;
  resource: EncryptedResource;
}

/** The notification's JSON envelope, which must carry an AEAD_AES_256_GCM encrypt-resource. */
function parseEnvelope(body: string): NotificationEnvelope {
  let envelope: Partial<Record<keyof NotificationEnvelope, unknown>> & {
    resource?: Partial<Record<keyof EncryptedResource, unknown>>;
  };
  try {
    envelope = JSON.parse(body) as typeof envelope;
  } catch {
    throw badResource('notification body is not JSON');
  }
  const r = envelope?.resource;
  if (
    typeof envelope?.id !== 'string' ||
    typeof envelope.event_type !== 'string' ||
    r?.algorithm !== 'AEAD_AES_256_GCM' ||
    typeof r.ciphertext !== 'string' ||
    typeof r.nonce !== 'string'
  ) {
    throw badResource('notification is not an AEAD_AES_256_GCM encrypt-resource');
  }
  return envelope as NotificationEnvelope;
}

function decryptResource(r: EncryptedResource, apiV3Key: string): string {
  try {
    return Aes.AesGcm.decrypt(
      r.ciphertext,
      apiV3Key,
      r.nonce,
      typeof r.associated_data === 'string' ? r.associated_data : '',
    );
  } catch {
    throw badResource('notification resource does not decrypt with the APIv3 key');
  }
}

/** The decrypted resource: a JSON object. */
function parseResource<T>(plaintext: string): T {
  let resource: unknown;
  try {
    resource = JSON.parse(plaintext);
  } catch {
    throw badResource('decrypted notification resource is not JSON');
  }
  if (typeof resource !== 'object' || resource === null || Array.isArray(resource)) {
    throw badResource('decrypted notification resource is not a JSON object');
  }
  return resource as T;
}

export function createWechatPayClient(merchant: MerchantCredentials, deps: WechatPayDeps): WechatPayClient {
  const { logger, metrics } = deps;
  const now = deps.now ?? (() => new Date());
  const privateKey = Rsa.from(merchant.mchPrivateKeyPem, Rsa.KEY_TYPE_PRIVATE);
  const wxpay = new Wechatpay({
    mchid: merchant.mchid,
    serial: merchant.mchSerial,
    privateKey: merchant.mchPrivateKeyPem,
    // the plugin insists on a map; answers are verified below, against every key of the key mode
    certs: { unused: undefined },
    baseURL: merchant.payBase.endsWith('/') ? merchant.payBase : `${merchant.payBase}/`,
    timeout: deps.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRedirects: 0,
  } as never);
  const http = wxpay.client;

  /** One request, its answer returned raw and unverified (status, lower-case headers, text). */
  async function send(
    method: 'get' | 'post',
    path: string,
    data: unknown,
    config: Record<string, unknown>,
    serial: string | undefined,
  ): Promise<{ status: number; headers: Record<string, string | undefined>; data: unknown }> {
    const res = (await http.request(path, method, data, {
      ...config,
      // keep the body as sent: signatures cover the raw text
      transformResponse: [(d: unknown) => d],
      ...(serial ? { headers: { 'Wechatpay-Serial': serial } } : {}),
    })) as { status: number; headers: unknown; data: unknown };
    return { status: res.status, headers: plainHeaders(res.headers), data: res.data };
  }

  const keys = new WechatpayKeys({
    mode: merchant.keyMode,
    publicKeys: merchant.wechatpayPublicKeys,
    apiV3Key: merchant.apiV3Key,
    logger,
    now,
    ...(deps.certificateStore ? { store: deps.certificateStore } : {}),
    fetchCertificates: async () => {
      try {
        const res = await send('get', 'v3/certificates', undefined, {}, keys.requestSerial());
        return { status: res.status, headers: res.headers, body: rawText(res.data) };
      } catch (err) {
        const e = err as AxiosLikeError;
        if (!e.response) throw err;
        return { status: e.response.status, headers: plainHeaders(e.response.headers), body: rawText(e.response.data) };
      }
    },
  });

  /** A refused answer signature: logged once, with the serial and what it most likely means. */
  function unverified(operation: string, status: number, verdict: Exclude<Verdict, { ok: true }>): WechatPayError {
    logger.error(
      { operation, status, serial: verdict.serial || null, reason: verdict.reason },
      `wechatpay ${operation}: answer refused (${verdict.reason}): ${verdict.detail}`,
    );
    return new WechatPayError(
      'BAD_SIGNATURE',
      status,
      `WeChat Pay answer failed verification (${verdict.reason})`,
      false,
    );
  }

  async function call<T>(
    operation: string,
    method: 'get' | 'post',
    path: string,
    data?: unknown,
    config: Record<string, unknown> = {},
  ): Promise<{ data: T; status: number }> {
    const started = Date.now();
    try {
      let res: Awaited<ReturnType<typeof send>>;
      try {
        res = await send(method, path, data, config, keys.requestSerial());
      } catch (err) {
        const e = err as AxiosLikeError;
        if (!e.response) throw err;
        // An error answer counts only when it verifies like any other: a forged NOT_ENOUGH or
        // ORDERPAID must not close a refund or an order. WeChat signs every error but 401 SIGN_ERROR.
        const body = rawText(e.response.data);
        const verdict = await keys.verifyOrRefresh({ headers: plainHeaders(e.response.headers), body });
        if (!verdict.ok) {
          if (verdict.reason === 'MISSING_HEADERS' && e.response.status === 401)
            logger.error(
              { operation, status: 401 },
              `wechatpay ${operation}: WeChat Pay refused our request signature (401, unsigned): check WECHATPAY_MCH_SERIAL and the merchant private key`,
            );
          throw unverified(operation, e.response.status, verdict);
        }
        throw Object.assign(e, { response: { ...e.response, data: body } });
      }
      if (!UNSIGNED_DOWNLOADS.has(path)) {
        const verdict = await keys.verifyOrRefresh({ headers: res.headers, body: rawText(res.data) });
        if (!verdict.ok) throw unverified(operation, res.status, verdict);
      }
      const parsed =
        config.responseType === 'arraybuffer'
          ? res.data
          : rawText(res.data) === ''
            ? undefined
            : JSON.parse(rawText(res.data));
      metrics.wechatCalls.inc({ operation, outcome: 'ok' });
      logger.debug({ operation, status: res.status, ms: Date.now() - started }, 'wechatpay call');
      return { data: parsed as T, status: res.status };
    } catch (err) {
      const wxErr = toWechatPayError(err);
      const outcome = wxErr.code === 'BAD_SIGNATURE' ? 'bad_signature' : wxErr.retryable ? 'unavailable' : 'rejected';
      metrics.wechatCalls.inc({ operation, outcome });
      logger.warn(
        { operation, code: wxErr.code, status: wxErr.status, retryable: wxErr.retryable, ms: Date.now() - started },
        `wechatpay ${operation} failed: ${wxErr.message}`,
      );
      throw wxErr;
    }
  }

  /** 验签: the notification's signature against the key mode's keys (a new serial refreshes them once). */
  async function verifyNotificationSignature(headers: NotificationHeaders, body: string): Promise<void> {
    const verdict = await keys.verifyOrRefresh({ headers: headers as Record<string, string | undefined>, body });
    if (verdict.ok) return;
    logger.warn(
      { serial: verdict.serial || null, reason: verdict.reason },
      `wechatpay notification refused (${verdict.reason}): ${verdict.detail}`,
    );
    throw new WechatPayError(refusalCode(verdict.reason), 401, `notification refused: ${verdict.detail}`, false);
  }

  const mchidParam = { params: { mchid: merchant.mchid } };

  return {
    async jsapiPrepay(req: JsapiPrepayRequest) {
      const { data } = await call<{ prepay_id?: string }>('jsapi_prepay', 'post', 'v3/pay/transactions/jsapi', {
        appid: merchant.appid,
        mchid: merchant.mchid,
        description: req.description,
        out_trade_no: req.outTradeNo,
        time_expire: req.timeExpire,
        ...(req.attach ? { attach: req.attach } : {}),
        notify_url: req.notifyUrl,
        amount: { total: req.amountFen, currency: 'CNY' },
        payer: { openid: req.payerOpenid },
      });
      if (!data?.prepay_id)
        throw new WechatPayError('BAD_RESPONSE', 200, 'WeChat Pay answered without prepay_id', true);
      return { prepayId: data.prepay_id };
    },

    // 小程序调起支付签名: appId\ntimeStamp\nnonceStr\npackage\n, SHA256withRSA with the merchant key
    requestPaymentParams(prepayId: string): RequestPaymentParams {
      const timeStamp = String(Math.floor(now().getTime() / 1000));
      const nonceStr = Formatter.nonce(32);
      const pkg = `prepay_id=${prepayId}`;
      const paySign = Rsa.sign(Formatter.joinedByLineFeed(merchant.appid, timeStamp, nonceStr, pkg), privateKey);
      return { appId: merchant.appid, timeStamp, nonceStr, package: pkg, signType: 'RSA', paySign };
    },

    async queryByOutTradeNo(outTradeNo: string) {
      const { data } = await call<Transaction>(
        'query',
        'get',
        `v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}`,
        undefined,
        mchidParam,
      );
      return data;
    },

    async close(outTradeNo: string) {
      await call('close', 'post', `v3/pay/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}/close`, {
        mchid: merchant.mchid,
      });
    },

    async createRefund(req: RefundRequest) {
      const { data } = await call<RefundResult>('refund', 'post', 'v3/refund/domestic/refunds', {
        out_trade_no: req.outTradeNo,
        out_refund_no: req.outRefundNo,
        ...(req.reason ? { reason: req.reason } : {}),
        notify_url: req.notifyUrl,
        amount: { refund: req.refundFen, total: req.totalFen, currency: 'CNY' },
      });
      return data;
    },

    async queryRefund(outRefundNo: string) {
      const { data } = await call<RefundResult>(
        'refund_query',
        'get',
        `v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}`,
      );
      return data;
    },

    async downloadTradeBill(billDate: string) {
      let bill: { hash_type?: string; hash_value?: string; download_url?: string };
      try {
        ({ data: bill } = await call<typeof bill>('tradebill', 'get', 'v3/bill/tradebill', undefined, {
          params: { bill_date: billDate },
        }));
      } catch (err) {
        // 账单不存在 / 当日无交易: no bill for that day
        if (err instanceof WechatPayError && err.code === 'NO_STATEMENT_EXIST') return null;
        throw err;
      }
      if (!bill?.download_url || !bill.hash_value) {
        throw new WechatPayError(
          'BAD_RESPONSE',
          200,
          'WeChat Pay answered the bill request without download_url',
          true,
        );
      }
      // the download URL is signed like any request; its answer is the raw file, unsigned by design
      const url = new URL(bill.download_url);
      // the query goes in params: wechatpay-axios-plugin skips response verification for the
      // download only when the request path is exactly /v3/billdownload/file
      const { data } = await call<ArrayBuffer>('tradebill_download', 'get', url.pathname.slice(1), undefined, {
        params: Object.fromEntries(url.searchParams),
        responseType: 'arraybuffer',
      });
      const bytes = Buffer.from(data);
      const sha1 = createHash('sha1').update(bytes).digest('hex');
      if ((bill.hash_type ?? 'SHA1').toUpperCase() !== 'SHA1' || sha1.toLowerCase() !== bill.hash_value.toLowerCase()) {
        throw new WechatPayError('BILL_HASH_MISMATCH', 200, `trade bill of ${billDate} does not match its SHA1`, true);
      }
      return { csv: bytes.toString('utf8'), sha1 };
    },

    keyMode: merchant.keyMode,
    start: () => keys.start(),
    stop: () => keys.stop(),
    describeKeys: () => keys.describe(),

    async verifyNotification<T>(headers: NotificationHeaders, rawBody: Buffer): Promise<VerifiedNotification<T>> {
      assertSignatureType(headers);
      const body = rawBody.toString('utf8');
      await verifyNotificationSignature(headers, body);
      const envelope = parseEnvelope(body);
      const resource = parseResource<T>(decryptResource(envelope.resource, merchant.apiV3Key));
      return {
        id: envelope.id,
        createTime: typeof envelope.create_time === 'string' ? envelope.create_time : '',
        eventType: envelope.event_type,
        summary: typeof envelope.summary === 'string' ? envelope.summary : '',
        resource,
      };
    },
  };
}
