/**
 * The database side of the platform certificates: every process reads what any process downloaded,
 * and one row spaces downloads (a conditional update claims the slot, so two processes seeing the
 * same unknown serial download once).
 */
import type { PrismaClient } from '../db/index.js';
import type { CertificateStore, PlatformCertificate } from './wechatpay-keys.js';

const SLOT = 'certificates';

export function prismaCertificateStore(prisma: PrismaClient, now: () => Date = () => new Date()): CertificateStore {
  return {
    async load() {
      const rows = await prisma.wechatpayCertificate.findMany({ where: { expireAt: { gt: now() } } });
      return rows.map((r): PlatformCertificate => ({
        serialNo: r.serialNo,
        certificatePem: r.certificatePem,
        effectiveAt: r.effectiveAt,
        expireAt: r.expireAt,
      }));
    },

    async save(certificates) {
      await prisma.$transaction(
        certificates.map((c) =>
          prisma.wechatpayCertificate.upsert({
            where: { serialNo: c.serialNo },
            create: { ...c, fetchedAt: now() },
            update: { fetchedAt: now() },
          }),
        ),
      );
    },

    async claimRefresh(minIntervalMs) {
      const at = now();
      // The row exists once; creating it races harmlessly (the loser's insert is skipped).
      await prisma.wechatpayCertificateRefresh.createMany({
        data: [{ id: SLOT, claimedAt: new Date(0) }],
        skipDuplicates: true,
      });
      const claimed = await prisma.wechatpayCertificateRefresh.updateMany({
        where: { id: SLOT, claimedAt: { lte: new Date(at.getTime() - minIntervalMs) } },
        data: { claimedAt: at },
      });
      return claimed.count === 1;
    },
  };
}
