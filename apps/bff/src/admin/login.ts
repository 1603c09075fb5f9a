import { createHash } from 'node:crypto';
import type { AppContext } from '../context.js';
import { AppError } from '../errors.js';
import { openAdminSession, type AdminSessionTokens } from '../auth/admin-sessions.js';
import { ADMIN_MAX_FAILED_LOGINS, rateLimitedError } from '../limits/index.js';
import { hashPassword, verifyPassword } from './passwords.js';

/**
 * The one answer to every failed login — unknown user, wrong password, locked account or pair —
 * so that neither the status, the code, the message nor (see below) the time tells them apart.
 */
const invalidCredentials = () =>
  new AppError(
    'INVALID_CREDENTIALS',
    401,
    'wrong username or password (after repeated failures, wait a while before trying again)',
  );

export interface AdminLogin {
  login(input: { username: string; password: string; ip: string }): Promise<AdminSessionTokens>;
}

/**
 * Admin login. Attempts are rate-limited per client; failures lock the pair (account, client) for
 * ADMIN_LOCK_MINUTES after ADMIN_MAX_FAILED_LOGINS, never the account itself, so a stranger's
 * wrong passwords cannot lock the real admin out from their own client. A lock is never announced
 * (no expiry, no other code). Every failure costs one scrypt and the same queries, known user or
 * not, locked or not, so its timing tells nothing either. Counters: the shared limits store.
 */
export function createAdminLogin(ctx: AppContext): AdminLogin {
  const { adminLoginAttempts, adminLoginFailures } = ctx.limits;
  // computed up front, so even the first unknown username costs exactly one scrypt
  const dummyHash = hashPassword('uni-checkout: no such admin', ctx.config.adminPasswordScryptCost);
  dummyHash.catch(() => undefined);

  async function attempt({ username, password, ip }: { username: string; password: string; ip: string }) {
    // counted before the password is checked, so a burst of concurrent guesses is limited too
    const gate = await adminLoginAttempts.take(ip);
    if (!gate.allowed) throw rateLimitedError(gate, 'too many login attempts: wait a minute and try again');
    // one pair per case-insensitive name and client ("Admin" and "admin" fill the same count),
    // hashed: a key of bounded length whatever the name
    const pair = createHash('sha256').update(`${username.toLowerCase()}\u0000${ip}`).digest('base64url');
    const [admin, failures] = await Promise.all([
      ctx.prisma.adminUser.findUnique({ where: { username } }),
      adminLoginFailures.used(pair),
    ]);
    // a disabled admin is answered as an unknown one; an operator's lockedUntil as a locked pair
    const locked =
      failures >= ADMIN_MAX_FAILED_LOGINS ||
      admin?.disabledAt != null ||
      (admin?.lockedUntil != null && admin.lockedUntil > ctx.now());
    // the scrypt runs whatever the case: a locked or unknown account costs what a wrong password does
    const matches = await verifyPassword(password, admin?.passwordHash ?? (await dummyHash));
    if (!admin || !matches || locked) {
      await adminLoginFailures.take(pair);
      // the operators' metrics tell a lock apart; the answer never does
      ctx.metrics.adminLogins.inc({ outcome: locked ? 'locked' : 'invalid' });
      if (admin && !locked && failures + 1 >= ADMIN_MAX_FAILED_LOGINS)
        ctx.logger.warn(
          { adminId: admin.id, client: ip },
          'admin login locked for this client after repeated failures',
        );
      throw invalidCredentials();
    }
    await Promise.all([adminLoginFailures.reset(pair), adminLoginAttempts.giveBack(ip)]);
    return openAdminSession(ctx, admin);
  }

  return {
    async login(input) {
      try {
        const result = await attempt(input);
        ctx.metrics.adminLogins.inc({ outcome: 'ok' });
        return result;
      } catch (err) {
        // invalid and locked were counted where they were told apart
        if (!(err instanceof AppError && err.code === 'INVALID_CREDENTIALS'))
          ctx.metrics.adminLogins.inc({
            outcome: err instanceof AppError && err.code === 'RATE_LIMITED' ? 'rate_limited' : 'error',
          });
        throw err;
      }
    },
  };
}
