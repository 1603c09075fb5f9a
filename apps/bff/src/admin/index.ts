import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { adminRoutes } from './routes.js';

/** The admin API: login, orders (list, detail, CSV) and stats. */
export function adminModule(ctx: AppContext): DomainModule {
  return { name: 'admin', routes: [adminRoutes(ctx)] };
}
