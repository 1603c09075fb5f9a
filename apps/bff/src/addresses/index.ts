import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { addressRoutes } from './routes.js';

export { listAddresses, toAddressDto } from './address-book.js';

/** The shopper's address book (GET/POST /api/addresses, PUT/DELETE /api/addresses/:id). */
export function addressesModule(ctx: AppContext): DomainModule {
  return { name: 'addresses', routes: [addressRoutes(ctx)] };
}
