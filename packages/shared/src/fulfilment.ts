/**
 * Fulfilment (发货到收货), beside the payment status: the shipping address, the shipment an admin
 * records, and its upload to WeChat's shipping-information management service
 * (小程序发货信息管理服务), which keeps the payment frozen until shipping is reported and the
 * shopper confirms receipt.
 */
import { z } from 'zod';

// ---- address (收货地址) ----

/** 中国大陆手机号: 11 digits starting 13–19. */
export const MAINLAND_MOBILE = /^1[3-9]\d{9}$/;
/** 固定电话: area code 0xx or 0xxx, a 7–8 digit number, an optional extension. */
export const MAINLAND_LANDLINE = /^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$/;

export const ADDRESS_LIMITS = {
  name: 25,
  phone: 20,
  province: 20,
  city: 20,
  district: 20,
  detail: 120,
} as const;

/**
 * Spelling differences that do not change the number: spaces, and a +86 / 86 country prefix in
 * front of a mobile number (uni.chooseAddress hands back what the shopper typed into WeChat).
 */
export function normalizePhone(raw: string): string {
  const compact = raw.replace(/[\s\u00a0]/g, '');
  const national = compact.replace(/^(?:\+86|0086|86)(?=1\d{10}$)/, '');
  return national;
}

export function isMainlandPhone(phone: string): boolean {
  return MAINLAND_MOBILE.test(phone) || MAINLAND_LANDLINE.test(phone);
}

/** 138****1234: what logs and the shopper's order list show of a phone number. */
export function maskPhone(phone: string): string {
  if (phone.length <= 7) return '*'.repeat(phone.length);
  return `${phone.slice(0, 3)}****${phone.slice(-4)}`;
}

const addressText = (field: keyof typeof ADDRESS_LIMITS, label: string) =>
  z
    .string({ error: `${label} is required` })
    .trim()
    .min(1, `${label} is required`)
    .max(ADDRESS_LIMITS[field], `${label} is at most ${ADDRESS_LIMITS[field]} characters`);

export const addressSchema = z
  .object(
    {
      name: addressText('name', 'the receiver name'),
      phone: z
        .string({ error: 'the phone number is required' })
        .max(ADDRESS_LIMITS.phone, `the phone number is at most ${ADDRESS_LIMITS.phone} characters`)
        .transform(normalizePhone)
        .refine(isMainlandPhone, 'must be a mainland mobile (11 digits, 1xx) or landline (0xx-xxxxxxx) number'),
      province: addressText('province', 'the province'),
      city: addressText('city', 'the city'),
      district: addressText('district', 'the district'),
      detail: addressText('detail', 'the street address'),
      // uni.chooseAddress gives "" when WeChat has no postal code
      postalCode: z
        .string()
        .trim()
        .regex(/^(?:\d{6})?$/, 'the postal code is 6 digits')
        .optional()
        .transform((v) => (v ? v : undefined)),
    },
    { error: 'the shipping address is required: { name, phone, province, city, district, detail, postalCode? }' },
  )
  .strict();
export type AddressInput = z.input<typeof addressSchema>;
export type Address = z.output<typeof addressSchema>;

/** An order's address as returned: a snapshot taken when the order was placed. */
export const orderAddressSchema = z.object({
  name: z.string(),
  phone: z.string(),
  province: z.string(),
  city: z.string(),
  district: z.string(),
  detail: z.string(),
  postalCode: z.string().nullable(),
});
export type OrderAddress = z.infer<typeof orderAddressSchema>;

/**
 * The seven fields an order keeps of an address (a checked request's, or an address-book entry's),
 * nothing else: later edits of the address book never change an order's copy.
 */
export function orderAddressOf(a: Omit<OrderAddress, 'postalCode'> & { postalCode?: string | null }): OrderAddress {
  return {
    name: a.name,
    phone: a.phone,
    province: a.province,
    city: a.city,
    district: a.district,
    detail: a.detail,
    postalCode: a.postalCode ?? null,
  };
}

/** One line for a label or a list: 广东省 深圳市 南山区 科技园路 1 号. */
export function formatAddressLine(a: Pick<OrderAddress, 'province' | 'city' | 'district' | 'detail'>): string {
  // municipalities come back from WeChat as 北京市 北京市: say it once
  const city = a.city === a.province ? '' : a.city;
  return [a.province, city, a.district, a.detail].filter(Boolean).join(' ');
}

/** An entry of the shopper's address book. */
export const addressBookEntrySchema = orderAddressSchema.extend({
  id: z.string(),
  isDefault: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type AddressBookEntry = z.infer<typeof addressBookEntrySchema>;

export const MAX_ADDRESSES_PER_USER = 20;

export const saveAddressRequestSchema = addressSchema.extend({ isDefault: z.boolean().optional() }).strict();
export type SaveAddressRequest = z.input<typeof saveAddressRequestSchema>;

// ---- fulfilment status and shipment ----

export const FULFILMENT_STATUSES = ['UNSHIPPED', 'SHIPPED', 'RECEIVED'] as const;
export type FulfilmentStatus = (typeof FULFILMENT_STATUSES)[number];
export const fulfilmentStatusSchema = z.enum(FULFILMENT_STATUSES);

export const FULFILMENT_STATUS_LABELS: Record<FulfilmentStatus, string> = {
  UNSHIPPED: '待发货',
  SHIPPED: '待收货',
  RECEIVED: '已收货',
};

/** WeChat's logistics_type: 1 实体物流配送, 2 同城配送, 3 虚拟商品, 4 用户自提. */
export const LOGISTICS_TYPES = ['EXPRESS', 'SAME_CITY', 'VIRTUAL', 'SELF_PICKUP'] as const;
export type LogisticsType = (typeof LOGISTICS_TYPES)[number];
export const LOGISTICS_TYPE_CODES: Record<LogisticsType, 1 | 2 | 3 | 4> = {
  EXPRESS: 1,
  SAME_CITY: 2,
  VIRTUAL: 3,
  SELF_PICKUP: 4,
};
export const LOGISTICS_TYPE_LABELS: Record<LogisticsType, string> = {
  EXPRESS: '快递',
  SAME_CITY: '同城配送',
  VIRTUAL: '虚拟商品',
  SELF_PICKUP: '用户自提',
};

export const SHIPPING_UPLOAD_STATES = ['PENDING', 'UPLOADED', 'FAILED'] as const;
export type ShippingUploadState = (typeof SHIPPING_UPLOAD_STATES)[number];

export const shipmentUploadSchema = z.object({
  state: z.enum(SHIPPING_UPLOAD_STATES),
  attempts: z.number().int(),
  /** WeChat's errcode of the last failed call (null: none, or no answer at all) */
  lastErrcode: z.number().int().nullable(),
  lastError: z.string().nullable(),
  uploadedAt: z.string().nullable(),
  nextAttemptAt: z.string().nullable(),
});
export type ShipmentUpload = z.infer<typeof shipmentUploadSchema>;

export const shipmentSchema = z.object({
  logisticsType: z.enum(LOGISTICS_TYPES),
  expressCompany: z.string().nullable(),
  /** the company's name (顺丰速运) in WeChat's delivery-company list when the order shipped */
  expressCompanyName: z.string().nullable(),
  trackingNo: z.string().nullable(),
  itemDesc: z.string(),
  shippedAt: z.string(),
  receivedAt: z.string().nullable(),
  upload: shipmentUploadSchema,
});
export type Shipment = z.infer<typeof shipmentSchema>;

/** WeChat's limits: tracking_no up to 128, express_company up to 128, item_desc up to 120 characters. */
export const shipRequestSchema = z
  .object({
    logisticsType: z.enum(LOGISTICS_TYPES, { error: 'must be one of EXPRESS, SAME_CITY, VIRTUAL, SELF_PICKUP' }),
    expressCompany: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_]{1,128}$/, 'must be a delivery_id from GET /api/admin/delivery-companies')
      .optional(),
    trackingNo: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9-]{1,128}$/, 'must be 1-128 letters, digits or hyphens')
      .optional(),
    itemDesc: z.string().trim().min(1).max(120).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.logisticsType !== 'EXPRESS') return;
    if (!v.expressCompany)
      ctx.addIssue({ code: 'custom', path: ['expressCompany'], message: 'express shipping needs a company' });
    if (!v.trackingNo)
      ctx.addIssue({ code: 'custom', path: ['trackingNo'], message: 'express shipping needs a tracking number' });
  });
export type ShipRequest = z.infer<typeof shipRequestSchema>;

export const deliveryCompanySchema = z.object({ id: z.string(), name: z.string() });
export type DeliveryCompany = z.infer<typeof deliveryCompanySchema>;

/** What a shopper or an admin may do about fulfilment now. */
export function canShip(order: {
  status: string;
  fulfilmentStatus: FulfilmentStatus;
  totalFen: number;
  refundedFen: number;
}) {
  const paid = order.status === 'PAID' || order.status === 'PARTIALLY_REFUNDED';
  return paid && order.fulfilmentStatus === 'UNSHIPPED' && order.refundedFen < order.totalFen;
}
