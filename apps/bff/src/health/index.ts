import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { clientConfigRoutes, healthRoutes } from './routes.js';

/**
 * Liveness, readiness and metrics before the body parsers, so they answer whatever the body;
 * the client config after CORS, since the h5 app reads it from another origin.
 */
export function healthModule(ctx: AppContext): DomainModule {
  return { name: 'health', rawRoutes: [healthRoutes(ctx)], routes: [clientConfigRoutes(ctx)] };
}
