import path from 'node:path';
import express, { Router } from 'express';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { workspaceRoot } from '../paths.js';
import { getProduct, listProducts } from './products.js';
import { listQuery } from '../http/input.js';

const listQuerySchema = z.object({
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(50).default(20),
});

export function catalogRoutes(ctx: AppContext): Router {
  const router = Router();
  router.get('/api/products', async (req, res) => {
    const q = listQuerySchema.parse(listQuery(req.query));
    res.json(await listProducts(ctx.prisma, q));
  });
  router.get('/api/products/:id', async (req, res) => {
    const id = z.string().min(1).max(64).parse(req.params.id);
    res.json(await getProduct(ctx.prisma, id));
  });
  // product images ship in the repo with the seed catalog
  router.use(
    '/static/products',
    express.static(path.join(workspaceRoot(), 'prisma', 'seed', 'images'), { maxAge: '7d', fallthrough: true }),
  );
  return router;
}
