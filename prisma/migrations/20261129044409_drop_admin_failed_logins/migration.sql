-- AlterTable
ALTER TABLE "AdminUser" DROP COLUMN "failedLogins";
