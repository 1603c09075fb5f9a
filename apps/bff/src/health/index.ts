import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { healthRoutes } from './routes.js';

/** Liveness, readiness and metrics; before the body parsers, so they answer whatever the body. */
export function healthModule(ctx: AppContext): DomainModule {
  return { name: 'health', rawRoutes: [healthRoutes(ctx)] };
}
