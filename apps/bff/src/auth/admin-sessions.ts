import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PrismaClient } from '../db/index.js';
import { AppError } from '../errors.js';
import type { AdminClaims, TokenService } from './tokens.js';

/** An admin access token lives this long; the session is checked on every request besides. */
export const ADMIN_ACCESS_TOKEN_SECONDS = 15 * 60;
/** A login's absolute lifetime: refreshing never carries a session past it. */
export const ADMIN_SESSION_HOURS = 12;

/** An ended session (expired or revoked) stays this long, for the audit trail, then is deleted. */
export const ENDED_SESSION_RETENTION_DAYS = 30;

/** Deletes the admin sessions that ended more than ENDED_SESSION_RETENTION_DAYS ago; answers how many. */
export async function pruneEndedAdminSessions(prisma: PrismaClient, now: Date): Promise<number> {
  const endedBefore = new Date(now.getTime() - ENDED_SESSION_RETENTION_DAYS * 86_400_000);
  const { count } = await prisma.adminSession.deleteMany({
    where: { OR: [{ expiresAt: { lt: endedBefore } }, { revokedAt: { lt: endedBefore } }] },
  });
  return count;
}

export interface AdminSessionTokens {
  /** the access token (Bearer) */
  token: string;
  /** seconds until `token` expires */
  expiresIn: number;
  /** single use: `POST /api/admin/refresh` answers a new pair and retires this one */
  refreshToken: string;
  /** the session's end (ISO 8601): log in again after it */
  refreshExpiresAt: string;
}

interface Deps {
  prisma: PrismaClient;
  tokens: TokenService;
  now: () => Date;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** `<session id>.<32 random bytes>`; only the SHA-256 of the random part is stored. */
function parseRefreshToken(refreshToken: string): { sessionId: string; secretHash: string } | undefined {
  const dot = refreshToken.indexOf('.');
  const sessionId = refreshToken.slice(0, dot);
  const secret = refreshToken.slice(dot + 1);
  if (dot < 0 || !UUID.test(sessionId) || !/^[A-Za-z0-9_-]{43}$/.test(secret)) return undefined;
  return { sessionId, secretHash: sha256(secret) };
}

const sameHash = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

async function issue(
  deps: Deps,
  admin: { id: string; username: string },
  session: { id: string; expiresAt: Date },
  secret: string,
): Promise<AdminSessionTokens> {
  const now = deps.now().getTime();
  const expiresAt = Math.min(now + ADMIN_ACCESS_TOKEN_SECONDS * 1000, session.expiresAt.getTime());
  const token = await deps.tokens.sign(
    { role: 'admin', adminId: admin.id, username: admin.username, sid: session.id },
    new Date(expiresAt),
  );
  return {
    token,
    expiresIn: Math.max(0, Math.floor((expiresAt - now) / 1000)),
    refreshToken: `${session.id}.${secret}`,
    refreshExpiresAt: session.expiresAt.toISOString(),
  };
}

const newSecret = () => randomBytes(32).toString('base64url');

/** A successful login opens a session: its first access and refresh tokens. */
export async function openAdminSession(deps: Deps, admin: { id: string; username: string }) {
  const secret = newSecret();
  const session = await deps.prisma.adminSession.create({
    data: {
      adminId: admin.id,
      refreshTokenHash: sha256(secret),
      expiresAt: new Date(deps.now().getTime() + ADMIN_SESSION_HOURS * 3600_000),
    },
  });
  return issue(deps, admin, session, secret);
}

const refreshRefused = (why: string) => new AppError('REFRESH_TOKEN_INVALID', 401, `log in again: ${why}`);

/**
 * Trades a refresh token for a new pair. The swap is one conditional update on the stored hash, so
 * of two uses of the same token one wins; a token used a second time was copied — the session ends.
 */
export async function refreshAdminSession(deps: Deps, refreshToken: string): Promise<AdminSessionTokens> {
  const parsed = parseRefreshToken(refreshToken);
  if (!parsed) throw refreshRefused('not a refresh token');
  const now = deps.now();
  const session = await deps.prisma.adminSession.findUnique({
    where: { id: parsed.sessionId },
    include: { admin: { select: { id: true, username: true, disabledAt: true } } },
  });
  if (!session) throw refreshRefused('no such session');
  if (session.revokedAt) throw refreshRefused('the session has ended');
  if (session.admin.disabledAt) throw refreshRefused('the admin is disabled');
  if (session.expiresAt <= now) throw refreshRefused('the session has expired');
  if (!sameHash(session.refreshTokenHash, parsed.secretHash)) {
    await revokeAdminSession(deps, session.id, 'refresh token reused');
    throw refreshRefused('this refresh token was already used; the session has ended');
  }
  const secret = newSecret();
  const swapped = await deps.prisma.adminSession.updateMany({
    where: { id: session.id, refreshTokenHash: parsed.secretHash, revokedAt: null },
    data: { refreshTokenHash: sha256(secret), refreshedAt: now },
  });
  if (swapped.count === 0) {
    await revokeAdminSession(deps, session.id, 'refresh token reused');
    throw refreshRefused('this refresh token was already used; the session has ended');
  }
  return issue(deps, session.admin, session, secret);
}

/** Ends a session (logout, or a refresh token used twice). Idempotent. */
export async function revokeAdminSession(deps: Pick<Deps, 'prisma' | 'now'>, sessionId: string, reason: string) {
  await deps.prisma.adminSession.updateMany({
    where: { id: sessionId, revokedAt: null },
    data: { revokedAt: deps.now(), revokedReason: reason },
  });
}

/** The session a refresh token names, if the token is the session's current one. */
export async function sessionOfRefreshToken(deps: Pick<Deps, 'prisma'>, refreshToken: string) {
  const parsed = parseRefreshToken(refreshToken);
  if (!parsed) return undefined;
  const session = await deps.prisma.adminSession.findUnique({ where: { id: parsed.sessionId } });
  return session && sameHash(session.refreshTokenHash, parsed.secretHash) ? session : undefined;
}

/**
 * Why an admin's token no longer counts, or undefined while it does: checked on every admin
 * request, so a logout, a disabled or a deleted admin loses access at once, not at token expiry.
 */
export async function adminSessionEnded(
  deps: Pick<Deps, 'prisma' | 'now'>,
  claims: AdminClaims,
): Promise<string | undefined> {
  const session = await deps.prisma.adminSession.findUnique({
    where: { id: claims.sid },
    select: { adminId: true, revokedAt: true, expiresAt: true, admin: { select: { disabledAt: true } } },
  });
  // a deleted admin's sessions go with it (ON DELETE CASCADE)
  if (!session || session.adminId !== claims.adminId) return 'the admin or the session no longer exists';
  if (session.revokedAt) return 'the session was ended (logged out)';
  if (session.admin.disabledAt) return 'the admin is disabled';
  if (session.expiresAt <= deps.now()) return 'the session has expired';
  return undefined;
}
