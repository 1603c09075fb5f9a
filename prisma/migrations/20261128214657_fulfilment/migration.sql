-- CreateEnum
CREATE TYPE "FulfilmentStatus" AS ENUM ('UNSHIPPED', 'SHIPPED', 'RECEIVED');

-- CreateEnum
CREATE TYPE "LogisticsType" AS ENUM ('EXPRESS', 'SAME_CITY', 'VIRTUAL', 'SELF_PICKUP');

-- CreateEnum
CREATE TYPE "ShippingUploadState" AS ENUM ('PENDING', 'UPLOADED', 'FAILED');

-- AlterTable
ALTER TABLE "Order" ADD COLUMN     "address" JSONB,
ADD COLUMN     "fulfilmentStatus" "FulfilmentStatus" NOT NULL DEFAULT 'UNSHIPPED';

-- CreateTable
CREATE TABLE "Address" (
    "id" UUID NOT NULL,
    "userId" UUID NOT NULL,
    "name" VARCHAR(25) NOT NULL,
    "phone" VARCHAR(20) NOT NULL,
    "province" VARCHAR(20) NOT NULL,
    "city" VARCHAR(20) NOT NULL,
    "district" VARCHAR(20) NOT NULL,
    "detail" VARCHAR(120) NOT NULL,
    "postalCode" VARCHAR(6),
    "isDefault" BOOLEAN NOT NULL DEFAULT false,
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Address_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Shipment" (
    "id" UUID NOT NULL,
    "orderId" UUID NOT NULL,
    "logisticsType" "LogisticsType" NOT NULL,
    "expressCompany" VARCHAR(128),
    "trackingNo" VARCHAR(128),
    "itemDesc" VARCHAR(120) NOT NULL,
    "shippedBy" TEXT NOT NULL,
    "shippedAt" TIMESTAMPTZ(3) NOT NULL,
    "receivedAt" TIMESTAMPTZ(3),
    "receivedVia" TEXT,
    "uploadState" "ShippingUploadState" NOT NULL DEFAULT 'PENDING',
    "uploadAttempts" INTEGER NOT NULL DEFAULT 0,
    "lastErrcode" INTEGER,
    "lastError" TEXT,
    "uploadedAt" TIMESTAMPTZ(3),
    "nextUploadAt" TIMESTAMPTZ(3),
    "lastCheckedAt" TIMESTAMPTZ(3),
    "createdAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "Shipment_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Address_userId_createdAt_idx" ON "Address"("userId", "createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "Shipment_orderId_key" ON "Shipment"("orderId");

-- CreateIndex
CREATE INDEX "Shipment_uploadState_nextUploadAt_idx" ON "Shipment"("uploadState", "nextUploadAt");

-- CreateIndex
CREATE INDEX "Shipment_receivedAt_lastCheckedAt_idx" ON "Shipment"("receivedAt", "lastCheckedAt");

-- CreateIndex
CREATE INDEX "Order_fulfilmentStatus_status_idx" ON "Order"("fulfilmentStatus", "status");

-- AddForeignKey
ALTER TABLE "Address" ADD CONSTRAINT "Address_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Shipment" ADD CONSTRAINT "Shipment_orderId_fkey" FOREIGN KEY ("orderId") REFERENCES "Order"("id") ON DELETE CASCADE ON UPDATE CASCADE;
