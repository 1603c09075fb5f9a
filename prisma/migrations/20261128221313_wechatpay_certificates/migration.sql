-- CreateTable
CREATE TABLE "WechatpayCertificate" (
    "serialNo" TEXT NOT NULL,
    "certificatePem" TEXT NOT NULL,
    "effectiveAt" TIMESTAMPTZ(3) NOT NULL,
    "expireAt" TIMESTAMPTZ(3) NOT NULL,
    "fetchedAt" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "WechatpayCertificate_pkey" PRIMARY KEY ("serialNo")
);

-- CreateTable
CREATE TABLE "WechatpayCertificateRefresh" (
    "id" TEXT NOT NULL,
    "claimedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "WechatpayCertificateRefresh_pkey" PRIMARY KEY ("id")
);
