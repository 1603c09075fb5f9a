import type { PrismaClient } from '../db/index.js';
import type { MiniProgramClient } from '../wechat/mini-program.js';
import type { TokenService } from './tokens.js';

export const SHOPPER_TOKEN_TTL = '7d';

/** uni.login's code → openid at WeChat → our user (created on first login) → a session token. */
export async function loginShopper(
  deps: { prisma: PrismaClient; miniProgram: MiniProgramClient; tokens: TokenService },
  code: string,
) {
  const session = await deps.miniProgram.code2Session(code);
  const user = await deps.prisma.user.upsert({
    where: { openid: session.openid },
    create: { openid: session.openid, unionid: session.unionid ?? null },
    update: { lastLoginAt: new Date(), ...(session.unionid ? { unionid: session.unionid } : {}) },
  });
  const token = await deps.tokens.sign({ role: 'shopper', userId: user.id, openid: user.openid }, SHOPPER_TOKEN_TTL);
  return { token, user: { id: user.id, openid: user.openid, nickname: user.nickname } };
}
