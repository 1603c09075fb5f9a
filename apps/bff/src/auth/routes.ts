import { Router } from 'express';
import { loginRequestSchema } from '@uni-checkout/shared';
import type { AppContext } from '../context.js';
import { loginShopper } from './login.js';

export function authRoutes(ctx: AppContext): Router {
  const router = Router();
  router.post('/api/auth/login', async (req, res) => {
    const { code } = loginRequestSchema.parse(req.body ?? {});
    res.json(await loginShopper(ctx, code));
  });
  return router;
}
