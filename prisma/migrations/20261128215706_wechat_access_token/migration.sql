-- CreateTable
CREATE TABLE "WechatAccessToken" (
    "appid" TEXT NOT NULL,
    "accessToken" TEXT NOT NULL,
    "expiresAt" TIMESTAMPTZ(3) NOT NULL,
    "obtainedAt" TIMESTAMPTZ(3) NOT NULL,
    "updatedAt" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "WechatAccessToken_pkey" PRIMARY KEY ("appid")
);
