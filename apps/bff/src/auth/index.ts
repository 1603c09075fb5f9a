import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { authRoutes } from './routes.js';

/** Shopper login (wx.login code → session token). */
export function authModule(ctx: AppContext): DomainModule {
  return { name: 'auth', routes: [authRoutes(ctx)] };
}
