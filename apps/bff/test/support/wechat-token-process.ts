/**
 * One BFF process's view of the shared WeChat access token, for the multi-process test: opens its
 * own pool on DATABASE_URL, waits for a line on stdin (so that several start together), asks for the
 * token and the delivery list, and prints `{ tokenSha256, companies }` (never the token itself).
 */
import { createHash } from 'node:crypto';
import { openDb } from '../../src/db/index.js';
import { createWechatShippingClient } from '../../src/wechat/shipping.js';

const env = (k: string) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is required`);
  return v;
};

const db = await openDb({ databaseUrl: env('DATABASE_URL') });
const client = createWechatShippingClient({
  prisma: db.prisma,
  credentials: {
    appid: env('WECHAT_APPID'),
    appsecret: env('WECHAT_APPSECRET'),
    apiBase: env('WECHAT_API_BASE'),
    mchid: env('WECHATPAY_MCHID'),
  },
});
await db.prisma.$queryRaw`SELECT 1`;
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const token = await client.accessToken.get();
const companies = await client.getDeliveryList();
process.stdout.write(
  `${JSON.stringify({ tokenSha256: createHash('sha256').update(token).digest('hex'), companies: companies.length })}\n`,
);
await db.close();
process.exit(0);
