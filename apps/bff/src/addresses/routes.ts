import express, { type Router } from 'express';
import type { AppContext } from '../context.js';
import { requireShopper, shopperOf } from '../auth/guards.js';
import { createAddress, deleteAddress, listAddresses, toAddressDto, updateAddress } from './address-book.js';

/** 收货地址簿: the shopper's own addresses; another shopper's id is a 404. */
export function addressRoutes(ctx: AppContext): Router {
  const router = express.Router();
  const shopper = requireShopper(ctx);

  router.get('/api/addresses', shopper, async (req, res) => {
    const rows = await listAddresses(ctx.prisma, shopperOf(req).userId);
    res.json({ items: rows.map(toAddressDto), nextCursor: null });
  });

  router.post('/api/addresses', shopper, async (req, res) => {
    res.status(201).json(toAddressDto(await createAddress(ctx.prisma, shopperOf(req).userId, req.body)));
  });

  router.put('/api/addresses/:id', shopper, async (req, res) => {
    res.json(toAddressDto(await updateAddress(ctx.prisma, shopperOf(req).userId, String(req.params.id), req.body)));
  });

  router.delete('/api/addresses/:id', shopper, async (req, res) => {
    await deleteAddress(ctx.prisma, shopperOf(req).userId, String(req.params.id));
    res.status(204).end();
  });

  return router;
}
