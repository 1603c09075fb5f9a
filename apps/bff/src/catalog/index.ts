import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { catalogRoutes } from './routes.js';

/** Products and their SKUs. */
export function catalogModule(ctx: AppContext): DomainModule {
  return { name: 'catalog', routes: [catalogRoutes(ctx)] };
}
