import express, { type NextFunction, type Request, type Response } from 'express';
import { z, ZodError } from 'zod';
import {
  buildRequestSignString,
  buildResponseSignString,
  parseAuthorization,
  randomNonce,
  signSha256Rsa,
  verifySha256Rsa,
} from './crypto.js';
import type { Core } from './core.js';
import { checkOpenid } from './core.js';
import type { SandboxIdentity } from './credentials.js';
import { ApiError, invalidRequest, paramError, signError } from './errors.js';
import type { Faults } from './faults.js';
import type { SignatureProbeRecord, Store } from './store.js';
import type { KeyRing, Signer } from './keys.js';
import { checkNotifyUrl } from './core.js';
import { newRequestId } from './util.js';
import { mountBill } from './bill.js';
import { mountPages } from './pages.js';
import { ControlError, fail as wxaFail, type Wxa } from './wxa.js';

/** WeChat Pay rejects a request whose Authorization timestamp is more than 5 minutes off. */
export const MAX_CLOCK_SKEW_SECONDS = 300;

export interface AppContext {
  identity: SandboxIdentity;
  store: Store;
  faults: Faults;
  core: Core;
  /** api.weixin.qq.com's access token and shipping-information APIs */
  wxa: Wxa;
  /** Timers of hanging (timeout-fault) requests, cleared on close. */
  timers: Set<NodeJS.Timeout>;
  baseUrl: () => string;
  keyRing: KeyRing;
  /** Rewrites credentials.json after a rotation. */
  onKeysChanged: () => void;
  sendSignatureProbe: (notifyUrl: string) => Promise<SignatureProbeRecord>;
  /** Origins (besides loopback ones) the h5 app is served from: CORS and the cashier's `return`. */
  h5Origins: readonly string[];
}

declare module 'express-serve-static-core' {
  interface Request {
    rawBody?: string;
    merchantMchid?: string;
  }
}

export function buildApp(ctx: AppContext): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use('/v3', buildV3(ctx));
  app.get('/sns/jscode2session', (req, res) => {
    const fault = ctx.faults.takeApiFailure(req.path.startsWith('/') ? `/sns${req.path}` : req.path);
    if (fault?.mode === 'timeout') return hang(ctx, req, fault.timeoutMs);
    const body =
      fault?.mode === '500'
        ? { errcode: -1, errmsg: 'system error' }
        : fault?.mode === '429'
          ? { errcode: 45011, errmsg: 'api minute-quota reach limit  mustslower  retry next minute' }
          : ctx.core.jscode2session(req.query as Record<string, unknown>);
    // api.weixin.qq.com answers jscode2session as text/plain, errors included, with HTTP 200.
    res.status(200).type('text/plain').send(JSON.stringify(body));
  });

  app.use(buildWxa(ctx));

  app.use('/sandbox', buildControls(ctx));
  app.use((req, res) => {
    res.status(404).json({ code: 'NOT_FOUND', message: `no such endpoint: ${req.method} ${req.path}` });
  });
  // the last word on anything no router answered: JSON, never Express's HTML page with a stack
  app.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    void next;
    const e = err as { status?: unknown; message?: unknown };
    if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) {
      return void res.status(e.status).json({ code: 'INVALID_REQUEST', message: String(e.message ?? 'bad request') });
    }
    console.error('[wechatpay-sandbox] unexpected error', err);
    if (!res.headersSent) res.status(500).json({ code: 'SYSTEM_ERROR', message: 'unexpected sandbox error' });
  });
  return app;
}

function hang(ctx: AppContext, req: Request, ms: number) {
  const t = setTimeout(() => {
    ctx.timers.delete(t);
    req.socket.destroy();
  }, ms);
  ctx.timers.add(t);
}

// ---- api.weixin.qq.com: access token and 发货信息管理 ----------------------------------------

function buildWxa(ctx: AppContext): express.Router {
  const r = express.Router();
  const { wxa } = ctx;
  const raw = express.raw({ type: () => true, limit: '1mb' });
  // api.weixin.qq.com reads the body as JSON whatever the Content-Type, and answers HTTP 200.
  const reply = (res: Response, body: unknown) => void res.status(200).json(body);
  const parse = (req: Request): { ok: true; body: unknown } | { ok: false } => {
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    try {
      return { ok: true, body: raw === '' ? undefined : (JSON.parse(raw) as unknown) };
    } catch {
      return { ok: false };
    }
  };
  const route = (path: string, needsToken: boolean, handle: (body: unknown) => Record<string, unknown>) => {
    r.all(path, raw, (req, res) => {
      const fault = ctx.faults.takeApiFailure(req.path);
      if (fault?.mode === 'timeout') return hang(ctx, req, fault.timeoutMs);
      if (fault?.mode === '500') return reply(res, wxaFail(-1, 'system error'));
      if (fault?.mode === '429')
        return reply(res, wxaFail(45011, 'api minute-quota reach limit  mustslower  retry next minute'));
      if (req.method !== 'POST') return reply(res, wxaFail(43002, 'require POST method'));
      if (needsToken) {
        const refused = wxa.checkToken(req.query.access_token);
        if (refused) return reply(res, refused);
      }
      const parsed = parse(req);
      if (!parsed.ok) return reply(res, wxaFail(47001, 'data format error'));
      reply(res, handle(parsed.body));
    });
  };
  route('/cgi-bin/stable_token', false, (body) => wxa.stableToken(body));
  route('/cgi-bin/express/delivery/open_msg/get_delivery_list', true, () => wxa.deliveryList());
  route('/wxa/sec/order/upload_shipping_info', true, (body) => wxa.uploadShippingInfo(body));
  route('/wxa/sec/order/get_order', true, (body) => wxa.getOrder(body));
  return r;
}

// ---- APIv3 ----------------------------------------------------------------------------------

function buildV3(ctx: AppContext): express.Router {
  const r = express.Router();
  const { identity, faults, core } = ctx;
  const creds = identity.credentials;

  r.use(express.raw({ type: () => true, limit: '1mb' }));

  r.use((req, res, next) => {
    const fault = faults.takeApiFailure(`/v3${req.path}`);
    if (!fault) return next();
    if (fault.mode === 'timeout') return hang(ctx, req, fault.timeoutMs);
    if (fault.mode === '429') return next(new ApiError(429, 'FREQUENCY_LIMITED', '频率超限，请降低请求接口频率'));
    return next(new ApiError(500, 'SYSTEM_ERROR', '系统异常，请稍后重试'));
  });

  // HTTP 头: Accept and User-Agent are required by every APIv3 call (接口规则 · HTTP 头); WeChat
  // answers a request that breaks the rules with 400 INVALID_REQUEST.
  r.use((req, _res, next) => {
    const accept = req.get('accept');
    if (!accept || !/application\/json|\*\/\*/i.test(accept))
      return next(invalidRequest('HTTP 请求头 Accept 应为 application/json'));
    if (!req.get('user-agent')) return next(invalidRequest('HTTP 请求头缺少 User-Agent'));
    next();
  });

  // 签名验证: every merchant request carries WECHATPAY2-SHA256-RSA2048 over METHOD/URL/TIMESTAMP/NONCE/BODY.
  r.use((req, _res, next) => {
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    req.rawBody = raw;
    const header = req.get('authorization');
    if (!header) return next(signError('缺少 Authorization 请求头'));
    const auth = parseAuthorization(header);
    if (!auth)
      return next(
        signError(
          'Authorization 格式错误，应为 WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"',
        ),
      );
    if (auth.mchid !== creds.mchid) return next(signError('商户号不存在或与证书不匹配'));
    if (auth.serial_no !== creds.merchantSerialNo) return next(signError('商户证书序列号 serial_no 错误或证书已失效'));
    if (!/^\d{1,12}$/.test(auth.timestamp)) return next(signError('Authorization 中的 timestamp 应为秒级时间戳'));
    if (Math.abs(Math.floor(Date.now() / 1000) - Number(auth.timestamp)) > MAX_CLOCK_SKEW_SECONDS) {
      return next(signError('Authorization 中的 timestamp 与当前时间相差超过 5 分钟'));
    }
    const message = buildRequestSignString(req.method, req.originalUrl, auth.timestamp, auth.nonce_str, raw);
    if (!verifySha256Rsa(message, auth.signature, identity.merchantPublicKey)) {
      return next(signError('签名错误，请检查签名串（METHOD\\nURL\\nTIMESTAMP\\nNONCE\\nBODY\\n）与商户私钥'));
    }
    req.merchantMchid = auth.mchid;
    next();
  });

  // The key this answer is signed with: by key mode, and while switching by the request's Wechatpay-Serial.
  r.use((req, res, next) => {
    res.locals.signer = ctx.keyRing.answerSigner(req.get('wechatpay-serial'));
    next();
  });

  const json = (req: Request): unknown => {
    const raw = req.rawBody ?? '';
    if (raw === '') return undefined;
    const type = req.get('content-type') ?? '';
    if (!/^application\/json\b/i.test(type)) throw invalidRequest('Content-Type 应为 application/json');
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw paramError('请求包体不是合法的 JSON', { location: 'body', issue: 'JSON 解析失败' });
    }
  };
  const q = (req: Request, k: string) => (typeof req.query[k] === 'string' ? (req.query[k] as string) : undefined);
  const send = (res: Response, status: number, body?: unknown) => sendSigned(ctx, res, status, body);

  // 下载平台证书: each certificate encrypted with the APIv3 key; public-key-only merchants get an empty list.
  r.get('/certificates', (_req, res) => send(res, 200, ctx.keyRing.certificatesBody(creds.apiV3Key)));
  r.post('/pay/transactions/jsapi', (req, res) => send(res, 200, core.createJsapiOrder(json(req), req.merchantMchid!)));
  r.get('/pay/transactions/out-trade-no/:outTradeNo', (req, res) =>
    send(res, 200, core.queryByOutTradeNo(req.params.outTradeNo!, q(req, 'mchid'), req.merchantMchid!)),
  );
  r.get('/pay/transactions/id/:transactionId', (req, res) =>
    send(res, 200, core.queryByTransactionId(req.params.transactionId!, q(req, 'mchid'), req.merchantMchid!)),
  );
  r.post('/pay/transactions/out-trade-no/:outTradeNo/close', (req, res) => {
    core.closeOrder(req.params.outTradeNo!, json(req) ?? {}, req.merchantMchid!);
    send(res, 204);
  });
  r.post('/refund/domestic/refunds', (req, res) => send(res, 200, core.createRefund(json(req), req.merchantMchid!)));
  r.get('/refund/domestic/refunds/:outRefundNo', (req, res) =>
    send(res, 200, core.queryRefund(req.params.outRefundNo!)),
  );
  mountBill(r, ctx, send);

  r.use((req, _res, next) =>
    next(new ApiError(404, 'NOT_FOUND', `请求的资源不存在：${req.method} ${req.baseUrl}${req.path}`)),
  );
  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    void next;
    if (err instanceof ApiError) return send(res, err.status, err.toBody());
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') return send(res, 400, invalidRequest('请求包体过大').toBody());
    // a body that cannot be read (an unsupported or broken Content-Encoding, a cut-off upload) is
    // the caller's fault, as WeChat Pay answers it: 400, never SYSTEM_ERROR
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
      return send(res, 400, invalidRequest('请求包体无法读取').toBody());
    console.error('[wechatpay-sandbox] unexpected error', err);
    send(res, 500, { code: 'SYSTEM_ERROR', message: '系统异常，请稍后重试' });
  });
  return r;
}

/**
 * Every APIv3 answer, errors included, is signed (应答签名) with the key the mode calls for — except
 * `401 SIGN_ERROR`: WeChat could not authenticate the caller and answers it unsigned.
 */
function sendSigned(ctx: AppContext, res: Response, status: number, body?: unknown) {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.status(status).set('Request-ID', newRequestId());
  if (status !== 401) {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = randomNonce(32);
    const signer = (res.locals.signer as Signer | undefined) ?? ctx.keyRing.answerSigner(undefined);
    let signature = signSha256Rsa(buildResponseSignString(timestamp, nonce, text), signer.key);
    if (ctx.faults.takeCorruptResponse())
      signature = signSha256Rsa(buildResponseSignString(timestamp, nonce, `${text}#`), signer.key);
    res.set({
      'Wechatpay-Nonce': nonce,
      'Wechatpay-Serial': signer.serial,
      'Wechatpay-Signature': signature,
      'Wechatpay-Signature-Type': 'WECHATPAY2-SHA256-RSA2048',
      'Wechatpay-Timestamp': timestamp,
    });
  }
  if (text === '') {
    res.end();
  } else {
    res.type('application/json; charset=utf-8').send(text);
  }
}

export type SendSigned = (res: Response, status: number, body?: unknown) => void;

// ---- /sandbox controls ------------------------------------------------------------------------

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** http(s)://localhost, 127.0.0.1 or [::1], any port. */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const u = new URL(origin);
    return (u.protocol === 'http:' || u.protocol === 'https:') && LOOPBACK_HOSTS.has(u.hostname);
  } catch {
    return false;
  }
}

/** Loopback, or one of the configured h5 origins. */
export function isTrustedOrigin(origin: string, h5Origins: readonly string[]): boolean {
  if (isLoopbackOrigin(origin)) return true;
  try {
    return h5Origins.includes(new URL(origin).origin);
  } catch {
    return false;
  }
}

/**
 * The controls flip faults and pay orders: a web page a developer happens to open must not reach
 * them. Browsers name the page's origin on every cross-origin request (and on every POST), so a
 * request from an origin that is neither loopback, the sandbox itself nor a configured h5 origin is
 * refused before it does anything — a form post or a no-cors fetch included, which CORS headers
 * alone would not stop. Requests without an Origin (curl, the BFF, tests) are not browsers'.
 */
function controlsCors(ctx: AppContext) {
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.get('origin');
    if (origin === undefined) return next();
    const self = `${req.protocol}://${req.get('host') ?? ''}`;
    if (origin !== self && !isTrustedOrigin(origin, ctx.h5Origins)) {
      return void res.status(403).json({
        code: 'ORIGIN_NOT_ALLOWED',
        message: `the sandbox controls answer loopback origins and SANDBOX_H5_ORIGIN only, not ${origin}`,
      });
    }
    res.set({
      'Access-Control-Allow-Origin': origin,
      Vary: 'Origin',
      'Access-Control-Allow-Methods': 'GET, POST, PUT, DELETE, OPTIONS',
      'Access-Control-Allow-Headers': 'Content-Type',
      'Access-Control-Max-Age': '600',
    });
    if (req.method === 'OPTIONS') return void res.status(204).end();
    next();
  };
}

const billInjectSchema = z
  .object({
    outTradeNo: z.string().regex(/^[0-9A-Za-z_\-*]{6,32}$/),
    totalFen: z.number().int().min(1),
    openid: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/)
      .optional(),
  })
  .strict();
const rotateSchema = z.object({ retirePrevious: z.boolean().optional() }).strict();
const shareSchema = z.object({ share: z.number().min(0).max(1).nullable() }).strict();
const probeSchema = z.object({ notifyUrl: z.string().min(1).max(255) }).strict();
const merchantSchema = z.object({ refundNotifyUrl: z.string().min(1).max(255).nullable() }).strict();

function keysView(ctx: AppContext) {
  return {
    mode: ctx.keyRing.mode,
    publicKeyId: ctx.identity.credentials.wechatpayPublicKeyId,
    switchShare: ctx.keyRing.switchShare(),
    certificates: ctx.keyRing
      .certificatesInfo()
      .map(({ serialNo, effectiveTime, expireTime }) => ({ serialNo, effectiveTime, expireTime })),
  };
}

const billOverrideSchema = z.object({ totalFen: z.number().int().min(0).nullable() }).strict();

function buildControls(ctx: AppContext): express.Router {
  const r = express.Router();
  const { core, faults } = ctx;
  // parsed inside this router, so that its error handler (JSON) answers a body that does not parse
  r.use(controlsCors(ctx), express.json({ limit: '256kb' }), express.urlencoded({ extended: false }));

  // The dashboard's links are relative: /sandbox must become /sandbox/.
  r.get('/', (req, res, next) => {
    if (!req.originalUrl.split('?')[0]!.endsWith('/')) return res.redirect(301, `${req.baseUrl}/`);
    next();
  });

  r.post('/login-code', (req, res) => {
    const { openid, unionid } = (req.body ?? {}) as { openid?: unknown; unionid?: unknown };
    if (typeof openid !== 'string') throw new ApiError(400, 'PARAM_ERROR', 'openid is required');
    if (unionid !== undefined && typeof unionid !== 'string')
      throw new ApiError(400, 'PARAM_ERROR', 'unionid must be a string');
    checkOpenid(openid);
    res.json({ code: core.issueLoginCode(openid, unionid ?? null), openid });
  });

  r.post('/pay', (req, res) => {
    res.json(core.pay(req.body));
  });

  // The shopper's 确认收货 in WeChat (the weappOrderConfirm component).
  r.post('/confirm-receipt', (req, res) => {
    const { out_trade_no: outTradeNo, openid } = (req.body ?? {}) as { out_trade_no?: unknown; openid?: unknown };
    res.json(ctx.wxa.confirmReceipt(outTradeNo, openid));
  });

  // Reconciliation hooks: a paid transaction only the bill knows of, or another amount in the bill.
  r.post('/bill/transactions', (req, res) => {
    const input = billInjectSchema.parse(req.body ?? {});
    res.status(201).json(core.injectBillOnlyTransaction(input));
  });
  r.put('/bill/amounts/:outTradeNo', (req, res) => {
    const { totalFen } = billOverrideSchema.parse(req.body ?? {});
    if (totalFen === null) ctx.store.billAmountOverrides.delete(req.params.outTradeNo!);
    else ctx.store.billAmountOverrides.set(req.params.outTradeNo!, totalFen);
    res.json({ outTradeNo: req.params.outTradeNo, totalFen });
  });

  r.get('/faults', (_req, res) => {
    res.json(faults.get());
  });
  r.post('/faults', (req, res) => {
    res.json(faults.set((req.body ?? {}) as never));
  });
  r.put('/faults', (req, res) => {
    faults.reset();
    res.json(faults.set((req.body ?? {}) as never));
  });
  r.delete('/faults', (_req, res) => {
    res.json(faults.reset());
  });

  // Key modes: the certificates, a rotation, the switching share.
  r.get('/keys', (_req, res) => {
    res.json(keysView(ctx));
  });
  r.post('/keys/rotate', (req, res) => {
    const { retirePrevious } = rotateSchema.parse(req.body ?? {});
    if (!ctx.keyRing.usesCertificates)
      throw new ApiError(409, 'NO_CERTIFICATES', 'public-key mode has no platform certificate to rotate');
    const issued = ctx.keyRing.rotate({ retirePrevious });
    ctx.onKeysChanged();
    res.status(201).json({ serialNo: issued.serialNo, ...keysView(ctx) });
  });
  r.put('/keys/switch-share', (req, res) => {
    const { share } = shareSchema.parse(req.body ?? {});
    ctx.keyRing.pinSwitchShare(share);
    res.json(keysView(ctx));
  });

  // 签名探测: a callback with a signature that cannot verify; the merchant should refuse it.
  r.post('/signature-probes', async (req, res) => {
    const { notifyUrl } = probeSchema.parse(req.body ?? {});
    checkNotifyUrl(notifyUrl, '/notifyUrl');
    res.status(201).json(await ctx.sendSignatureProbe(notifyUrl));
  });
  r.get('/api/signature-probes', (_req, res) => {
    res.json({ items: ctx.store.signatureProbes });
  });

  // The merchant platform's settings (商户平台配置): the default refund notify URL.
  r.put('/merchant', (req, res) => {
    const { refundNotifyUrl } = merchantSchema.parse(req.body ?? {});
    if (refundNotifyUrl !== null) checkNotifyUrl(refundNotifyUrl, '/refundNotifyUrl');
    core.merchantSettings.refundNotifyUrl = refundNotifyUrl;
    res.json({ ...core.merchantSettings });
  });

  mountPages(r, ctx);

  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    void next;
    if (err instanceof ApiError) return void res.status(err.status).json(err.toBody());
    if (err instanceof ControlError) return void res.status(err.status).json({ code: err.code, message: err.message });
    if (err instanceof ZodError) {
      const issue = err.issues[0];
      return void res
        .status(400)
        .json({ code: 'PARAM_ERROR', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}` });
    }
    const e = err as { type?: string; status?: number; message?: string };
    if (e.type === 'entity.parse.failed')
      return void res.status(400).json({ code: 'PARAM_ERROR', message: 'request body is not valid JSON' });
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
      return void res.status(e.status).json({ code: 'INVALID_REQUEST', message: e.message ?? 'bad request' });
    console.error('[wechatpay-sandbox] unexpected error', err);
    res.status(500).json({ code: 'SYSTEM_ERROR', message: 'unexpected sandbox error' });
  });
  return r;
}
