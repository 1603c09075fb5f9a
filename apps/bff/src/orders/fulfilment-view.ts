import {
  maskPhone,
  orderAddressSchema,
  type FulfilmentStatus,
  type OrderAddress,
  type Shipment as ShipmentDto,
} from '@uni-checkout/shared';
import type { Order, Shipment } from '../db/index.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function shipmentDto(s: Shipment | null | undefined): ShipmentDto | null {
  if (!s) return null;
  return {
    logisticsType: s.logisticsType,
    expressCompany: s.expressCompany,
    expressCompanyName: s.expressCompanyName,
    trackingNo: s.trackingNo,
    itemDesc: s.itemDesc,
    shippedAt: s.shippedAt.toISOString(),
    receivedAt: iso(s.receivedAt),
    upload: {
      state: s.uploadState,
      attempts: s.uploadAttempts,
      lastErrcode: s.lastErrcode,
      lastError: s.lastError,
      uploadedAt: iso(s.uploadedAt),
      nextAttemptAt: s.uploadState === 'UPLOADED' ? null : iso(s.nextUploadAt),
    },
  };
}

/** The order's address snapshot, read back (null for orders placed before addresses existed). */
export function orderAddress(o: { address: unknown }): OrderAddress | null {
  // zod builds an error to refuse null, which costs the CSV export more than all its other cells
  if (o.address === null || o.address === undefined) return null;
  const parsed = orderAddressSchema.safeParse(o.address);
  return parsed.success ? parsed.data : null;
}

/** Where the goods are, and where they go: the part of every order view that fulfilment owns. */
export function fulfilmentFields(
  o: Order & { shipment?: Shipment | null },
  opts: { maskPhone?: boolean } = {},
): { address: OrderAddress | null; fulfilmentStatus: FulfilmentStatus; shipment: ShipmentDto | null } {
  const address = orderAddress(o);
  return {
    address: address && opts.maskPhone ? { ...address, phone: maskPhone(address.phone) } : address,
    fulfilmentStatus: o.fulfilmentStatus,
    shipment: shipmentDto(o.shipment),
  };
}

/**
 * The list filter on fulfilment. UNSHIPPED means 待发货: paid (or partly refunded) and not yet
 * shipped — an unpaid or closed order is not waiting for anyone to ship it.
 */
export function fulfilmentWhere(status: FulfilmentStatus | undefined) {
  if (!status) return {};
  if (status === 'UNSHIPPED')
    return {
      fulfilmentStatus: status,
      status: { in: ['PAID', 'PARTIALLY_REFUNDED'] as ('PAID' | 'PARTIALLY_REFUNDED')[] },
    };
  return { fulfilmentStatus: status };
}
