import { z } from 'zod';

const codePoints = (max: number) => (s: string) => [...s].length <= max;
const text = (min: number, max: number) =>
  z
    .string({ error: (i) => (i.input === undefined ? '缺少必填字段' : '应为字符串') })
    .min(min, { error: min === 1 ? '不能为空' : `长度不能少于 ${min} 个字符` })
    .refine(codePoints(max), { error: `长度不能超过 ${max} 个字符` });

/** 商户订单号: 6–32 digits, letters, _ - * (JSAPI下单 · out_trade_no). */
export const outTradeNoSchema = text(6, 32).regex(/^[0-9A-Za-z_\-*]+$/, { error: '只能是数字、大小写字母_-*' });

/** 商户退款单号: up to 64 characters of digits, letters and _-|*@ (退款申请). */
export const outRefundNoSchema = text(1, 64).regex(/^[0-9A-Za-z_\-|*@]+$/, { error: '只能是数字、大小写字母_-|*@' });

const fen = (min: number) =>
  z
    .number({ error: (i) => (i.input === undefined ? '缺少必填字段' : '应为整数') })
    .int({ error: '应为整数（单位：分）' })
    .min(min, { error: `不能小于 ${min}` })
    .max(100_000_000_00, { error: '超过单笔金额上限' });

export const jsapiOrderSchema = z.object({
  appid: text(1, 32),
  mchid: text(1, 32),
  description: text(1, 127),
  out_trade_no: outTradeNoSchema,
  time_expire: text(1, 64).optional(),
  attach: text(0, 128).optional(),
  notify_url: text(1, 255),
  goods_tag: text(1, 32).optional(),
  support_fapiao: z.boolean({ error: '应为布尔值' }).optional(),
  amount: z.object(
    {
      total: fen(1),
      currency: z.literal('CNY', { error: '目前只支持人民币 CNY' }).optional(),
    },
    { error: '缺少必填字段' },
  ),
  payer: z.object({ openid: text(1, 128) }, { error: '缺少必填字段' }),
  detail: z
    .object({
      cost_price: z.number().int().optional(),
      invoice_id: text(1, 32).optional(),
      goods_detail: z
        .array(
          z.object({
            merchant_goods_id: text(1, 32),
            wechatpay_goods_id: text(1, 32).optional(),
            goods_name: text(1, 256).optional(),
            quantity: z.number().int().min(1),
            unit_price: z.number().int().min(0),
          }),
        )
        .max(6000)
        .optional(),
    })
    .optional(),
  scene_info: z
    .object({
      payer_client_ip: text(1, 45),
      device_id: text(1, 32).optional(),
      store_info: z
        .object({
          id: text(1, 32),
          name: text(1, 256).optional(),
          area_code: text(1, 32).optional(),
          address: text(1, 512).optional(),
        })
        .optional(),
    })
    .optional(),
  settle_info: z.object({ profit_sharing: z.boolean().optional() }).optional(),
});

export const closeOrderSchema = z.object({ mchid: text(1, 32) });

export const refundSchema = z
  .object({
    sub_mchid: text(1, 32).optional(),
    transaction_id: text(1, 32).optional(),
    out_trade_no: text(1, 32).optional(),
    out_refund_no: outRefundNoSchema,
    reason: text(1, 80).optional(),
    notify_url: text(1, 256).optional(),
    // 退款资金来源: only AVAILABLE (可用余额) may be requested; left out, the order's own funds are used.
    funds_account: z.literal('AVAILABLE', { error: '只能是 AVAILABLE' }).optional(),
    amount: z.object(
      {
        refund: fen(1),
        from: z.array(z.object({ account: z.enum(['AVAILABLE', 'UNAVAILABLE']), amount: fen(1) })).optional(),
        total: fen(1),
        currency: z.literal('CNY', { error: '目前只支持人民币 CNY' }),
      },
      { error: '缺少必填字段' },
    ),
    goods_detail: z.array(z.unknown()).optional(),
  })
  .refine((v) => v.transaction_id !== undefined || v.out_trade_no !== undefined, {
    error: 'transaction_id 与 out_trade_no 必须二选一',
    path: ['out_trade_no'],
  });

export const payRequestSchema = z.object({
  appId: z.string().min(1),
  timeStamp: z.string().regex(/^\d{1,12}$/, { error: 'timeStamp 应为秒级时间戳字符串' }),
  nonceStr: z.string().min(1).max(32),
  package: z.string().regex(/^prepay_id=\S+$/, { error: 'package 应为 prepay_id=…' }),
  signType: z.literal('RSA', { error: 'signType 应为 RSA' }),
  paySign: z.string().min(1),
  openid: z.string().min(1).max(128),
  /** A merchant-funded coupon (代金券) the payer uses: shows in promotion_detail, lowers payer_total. */
  couponFen: z.number().int().min(1).optional(),
  /** Simulate the shopper's bank refusing the payment. */
  outcome: z.enum(['SUCCESS', 'PAYERROR']).optional(),
  bankType: z
    .string()
    .regex(/^[A-Z_]{2,32}$/)
    .optional(),
});
