import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { openAdminSession, type AdminSessionTokens } from '../auth/admin-sessions.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { SlidingWindowLimiter } from './rate-limit.js';

export const MAX_FAILED_LOGINS = 5;
export const LOCK_MINUTES = 15;
export const LOGIN_ATTEMPTS_PER_MINUTE = 10;

const invalidCredentials = () => new AppError('INVALID_CREDENTIALS', 401, 'wrong username or password');
const locked = (until: Date) =>
  new AppError('ADMIN_LOCKED', 423, `too many failed logins: this account is locked until ${until.toISOString()}`);

export interface AdminLogin {
  login(input: { username: string; password: string; ip: string }): Promise<AdminSessionTokens>;
}

/**
 * Admin login: rate-limited per IP and per username, account locked after repeated failures.
 * Unknown users cost one scrypt like known ones, so timing does not tell which usernames exist.
 */
export function createAdminLogin(ctx: AppContext): AdminLogin {
  const limiter = new SlidingWindowLimiter(LOGIN_ATTEMPTS_PER_MINUTE, 60_000, () => ctx.now().getTime());
  // computed up front, so even the first unknown username costs exactly one scrypt
  const dummyHash = hashPassword('uni-checkout: no such admin', ctx.config.adminPasswordScryptCost);
  dummyHash.catch(() => undefined);

  async function recordFailure(adminId: string): Promise<Date | undefined> {
    // the increment is one UPDATE … RETURNING, so concurrent failures all count
    const after = await ctx.prisma.adminUser.update({
      where: { id: adminId },
      data: { failedLogins: { increment: 1 } },
    });
    if (after.failedLogins < MAX_FAILED_LOGINS) return undefined;
    const until = new Date(ctx.now().getTime() + LOCK_MINUTES * 60_000);
    await ctx.prisma.adminUser.updateMany({
      where: { id: adminId, failedLogins: { gte: MAX_FAILED_LOGINS } },
      data: { lockedUntil: until, failedLogins: 0 },
    });
    ctx.logger.warn({ adminId, lockedUntil: until }, 'admin account locked after repeated failed logins');
    return until;
  }

  const metrics = ctx.metrics;

  async function attempt({ username, password, ip }: { username: string; password: string; ip: string }) {
    const keys = [`ip:${ip}`, `user:${username.toLowerCase()}`];
    // counted before the password is checked, so a burst of concurrent guesses is limited too
    const gate = limiter.take(keys);
    if (!gate.allowed) {
      throw new AppError('RATE_LIMITED', 429, 'too many login attempts: wait a minute and try again', {
        retryAfterSeconds: Math.ceil(gate.retryAfterMs / 1000),
      });
    }
    const admin = await ctx.prisma.adminUser.findUnique({ where: { username } });
    // a disabled admin is answered as an unknown one
    if (!admin || admin.disabledAt) {
      await verifyPassword(password, await dummyHash);
      throw invalidCredentials();
    }
    const now = ctx.now();
    if (admin.lockedUntil && admin.lockedUntil > now) throw locked(admin.lockedUntil);
    if (!(await verifyPassword(password, admin.passwordHash))) {
      await recordFailure(admin.id);
      throw invalidCredentials();
    }
    // a lock set by a concurrent failure wins over this success
    const reset = await ctx.prisma.adminUser.updateMany({
      where: { id: admin.id, OR: [{ lockedUntil: null }, { lockedUntil: { lte: now } }] },
      data: { failedLogins: 0, lockedUntil: null },
    });
    if (reset.count === 0) {
      const fresh = await ctx.prisma.adminUser.findUnique({ where: { id: admin.id } });
      throw locked(fresh?.lockedUntil ?? now);
    }
    limiter.release(keys, gate.at);
    return openAdminSession(ctx, admin);
  }

  return {
    async login(input) {
      try {
        const result = await attempt(input);
        metrics.adminLogins.inc({ outcome: 'ok' });
        return result;
      } catch (err) {
        const outcome =
          err instanceof AppError
            ? (
                { RATE_LIMITED: 'rate_limited', ADMIN_LOCKED: 'locked', INVALID_CREDENTIALS: 'invalid' } as Record<
                  string,
                  string
                >
              )[err.code]
            : undefined;
        metrics.adminLogins.inc({ outcome: outcome ?? 'error' });
        throw err;
      }
    },
  };
}
