-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "prepayRequestedAt" TIMESTAMPTZ(3);

-- Orders sent to WeChat before this column existed: a stored prepay or a recorded request
UPDATE "Order" o SET "prepayRequestedAt" = o."updatedAt"
WHERE o."prepayId" IS NOT NULL
   OR EXISTS (SELECT 1 FROM "OrderEvent" e WHERE e."orderId" = o."id" AND e."type" = 'PREPAY_REQUESTED');
