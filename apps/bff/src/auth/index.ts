import type { AppContext } from '../context.js';
import type { DomainModule } from '../module.js';
import { pruneEndedAdminSessions } from './admin-sessions.js';
import { authRoutes } from './routes.js';

/** Shopper login (wx.login code → session token); admin sessions end and are pruned here. */
export function authModule(ctx: AppContext): DomainModule {
  return {
    name: 'auth',
    routes: [authRoutes(ctx)],
    jobs: [{ name: 'admin-sessions', run: () => pruneEndedAdminSessions(ctx.prisma, ctx.now()) }],
  };
}
