-- AlterTable
ALTER TABLE "Shipment" ADD COLUMN     "expressCompanyName" VARCHAR(128);
