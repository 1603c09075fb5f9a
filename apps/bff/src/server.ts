import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type pino from 'pino';
import { loadConfig } from './config.js';
import { createLogger } from './logger.js';
import { createMetrics } from './metrics.js';
import { migrateDb, openDb, type Db } from './db/index.js';
import { createTokenService } from './auth/tokens.js';
import { devJwtSecret } from './auth/jwt-secret.js';
import { createMiniProgramClient } from './wechat/mini-program.js';
import { connectSandbox, type SandboxConnection } from './wechat/sandbox-mode.js';
import { ensureBootstrapAdmin } from './admin/bootstrap.js';
import { createWechatPayClient } from './payments/wechatpay.js';
import { prismaCertificateStore } from './payments/certificate-store.js';
import { createApp, domainModules } from './app.js';
import type { AppContext } from './context.js';
import { startJobs, type JobScheduler } from './jobs/scheduler.js';
import { createLimits } from './limits/index.js';

/** how long in-flight requests may take to finish once stop() is called */
const SHUTDOWN_GRACE_MS = 10_000;

export interface StartOptions {
  /** merged over process.env */
  env?: Record<string, string | undefined>;
  /** overrides PORT; 0 picks a free port */
  port?: number;
  /** where logs go (tests pass a stream to read them) */
  logDestination?: pino.DestinationStream;
  /**
   * an already open (and migrated) database to use instead of opening DATABASE_URL / PGLITE_DIR —
   * tests hand over an in-memory PGlite this way; the caller keeps ownership and closes it
   */
  db?: Db;
}

export interface RunningBff {
  url: string;
  port: number;
  ctx: AppContext;
  stop(): Promise<void>;
}

/** Boots the BFF: config → database → WeChat identity → HTTP. Tests own the lifecycle (port 0). */
export async function start(opts: StartOptions = {}): Promise<RunningBff> {
  const config = loadConfig({ ...process.env, ...opts.env });
  if (opts.port !== undefined) config.port = opts.port;
  const logger = createLogger(config.logLevel, opts.logDestination);
  const dbOptions = { databaseUrl: config.databaseUrl, pgliteDir: config.pgliteDir };
  const ownsDb = !opts.db;
  const db = opts.db ?? (await openDb(dbOptions));
  let sandbox: SandboxConnection | undefined;
  try {
    if (config.migrateOnStart && ownsDb) {
      // on the open database: PGlite starts once, and serves one process at a time
      const { applied } = await migrateDb(db);
      if (applied.length) logger.info({ applied }, 'database migrated');
    }
    if (config.wechat.mode === 'sandbox') {
      sandbox = await connectSandbox(
        {
          port: config.wechat.sandboxPort,
          stateDir: config.wechat.sandboxStateDir,
          timeScale: config.wechat.timeScale,
          keyMode: config.wechat.sandboxKeyMode,
        },
        logger,
      );
    }
    const merchant = config.wechat.mode === 'merchant' ? config.wechat.credentials : sandbox!.credentials;
    const metrics = createMetrics();
    const ctx: AppContext = {
      config,
      db,
      prisma: db.prisma,
      logger,
      metrics,
      limits: createLimits(db, config.limits),
      tokens: createTokenService(config.jwtSecret ?? (await devJwtSecret(config.dataDir))),
      miniProgram: createMiniProgramClient({
        apiBase: merchant.apiBase,
        appid: merchant.appid,
        appsecret: merchant.appsecret,
        onCall: (outcome) => metrics.wechatCalls.inc({ operation: 'jscode2session', outcome }),
      }),
      wechatpay: createWechatPayClient(merchant, {
        logger,
        metrics,
        certificateStore: prismaCertificateStore(db.prisma),
      }),
      merchant,
      wechatMode: config.wechat.mode,
      publicBaseUrl: config.publicBaseUrl ?? '',
      sandboxUrl: sandbox?.url,
      now: () => new Date(),
    };
    await ensureBootstrapAdmin(db.prisma, config.admin, logger, config.adminPasswordScryptCost);
    await ctx.wechatpay.start();
    const keys = ctx.wechatpay.describeKeys();
    logger.info(
      keys,
      keys.mode === 'public-key'
        ? `WeChat Pay key mode: public key only (${keys.publicKeyIds.join(', ')})`
        : keys.mode === 'platform-cert'
          ? `WeChat Pay key mode: platform certificates only (${keys.certificateSerials.join(', ')}, from GET /v3/certificates)`
          : `WeChat Pay key mode: switching — public key ${keys.publicKeyIds.join(', ')} and platform certificates ${keys.certificateSerials.join(', ')}`,
    );

    const modules = domainModules(ctx);
    const app = createApp(ctx, modules);
    const server: Server = await new Promise((resolve, reject) => {
      const s = app.listen(config.port, config.host, (err?: Error) => (err ? reject(err) : resolve(s)));
    });
    server.keepAliveTimeout = 65_000;
    const port = (server.address() as AddressInfo).port;
    const url = `http://${config.host}:${port}`;
    if (!ctx.publicBaseUrl) ctx.publicBaseUrl = url;
    let jobs: JobScheduler | undefined;
    if (config.jobsEnabled) {
      jobs = startJobs(
        logger,
        modules.flatMap((m) => m.jobs ?? []),
        config.jobIntervalMs,
      );
    }
    logger.info({ url, wechatMode: ctx.wechatMode, database: db.kind }, 'uni-checkout BFF listening');

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        await jobs?.stop();
        ctx.wechatpay.stop();
        // stop accepting; requests already in flight finish. A keep-alive socket that turns idle
        // while stopping is closed at once (not after keepAliveTimeout); after the grace period
        // whatever is left is cut.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const sweep = setInterval(() => server.closeIdleConnections(), 50);
        const cut = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
        await closed;
        clearInterval(sweep);
        clearTimeout(cut);
        if (ownsDb) await db.close();
        await sandbox?.close?.();
        logger.info('uni-checkout BFF stopped');
      })());
    return { url, port, ctx, stop };
  } catch (err) {
    if (ownsDb) await db.close().catch(() => undefined);
    await sandbox?.close?.().catch(() => undefined);
    throw err;
  }
}
