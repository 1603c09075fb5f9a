import type { Router } from 'express';
import type { AppContext } from '../context.js';
import { addressRoutes } from './routes.js';

export { listAddresses, toAddressDto } from './address-book.js';

/** The shopper's address book (GET/POST /api/addresses, PUT/DELETE /api/addresses/:id). */
export function addressesCapability(ctx: AppContext): { json: Router[] } {
  return { json: [addressRoutes(ctx)] };
}
