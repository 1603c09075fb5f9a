import type { PrismaClient } from '../db/index.js';
import type { Logger } from '../logger.js';
import { hashPassword } from './passwords.js';

/** ADMIN_USERNAME/ADMIN_PASSWORD create the first admin once; an existing admin is never overwritten. */
export async function ensureBootstrapAdmin(
  prisma: PrismaClient,
  admin: { username: string; password: string } | undefined,
  logger: Logger,
  scryptCost?: number,
): Promise<void> {
  if (!admin) return;
  const existing = await prisma.adminUser.findUnique({ where: { username: admin.username } });
  if (existing) return;
  const passwordHash = await hashPassword(admin.password, scryptCost);
  await prisma.adminUser.createMany({ data: [{ username: admin.username, passwordHash }], skipDuplicates: true });
  logger.info({ username: admin.username }, 'bootstrap admin created');
}
