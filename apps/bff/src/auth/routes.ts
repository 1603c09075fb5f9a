import { Router } from 'express';
import { loginRequestSchema } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import { clientOf, enforce } from '../limits/index.js';
import { loginShopper } from './login.js';

export function authRoutes(ctx: AppContext): Router {
  const router = Router();
  router.post('/api/auth/login', async (req, res) => {
    const { code } = loginRequestSchema.parse(req.body ?? {});
    // every login costs a jscode2session call on the mini-program's quota: counted per client and
    // in total before WeChat is asked, so made-up codes cannot be turned into a flood of calls
    await enforce(
      [
        [ctx.limits.loginsPerClient, clientOf(req)],
        [ctx.limits.logins, 'all'],
      ],
      'too many logins: wait a moment and try again',
    );
    res.json(await loginShopper(ctx, code));
  });
  return router;
}
