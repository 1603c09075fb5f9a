/**
 * The world the bench measures, each part its own OS process: the WeChat Pay sandbox, the BFF on
 * PostgreSQL (production settings), the BFF on the embedded PGlite, and the lean baseline on a
 * copy of the BFF's PostgreSQL database. The driver (this process) only sends traffic.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SandboxCredentials } from '@uni-checkout/wechatpay-sandbox';
import { dbDriver, migrateDb, openDb, seedCatalog, type Db } from '../src/db/index.js';
import { createDatabase, logField, newDatabaseName, spawnServer, type Child } from './support.js';
import { GENEROUS_LIMITS } from '../test/support/limits.js';

export const bffDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workspaceRoot = path.resolve(bffDir, '../..');

export const BENCH_ADMIN = { username: 'bench-admin', password: 'bench-admin-password' };

/**
 * How the BFF process is started: the same command as `pnpm --filter @uni-checkout/bff start`
 * (its `start` script, Node flags included). BENCH_BFF_NODE_ARGS adds Node flags in front, e.g.
 * `--cpu-prof --cpu-prof-dir=/tmp/prof` for a CPU profile of each BFF (written when the bench stops it).
 */
export function bffCommand(): { command: string; args: string[] } {
  const start = (JSON.parse(readFileSync(path.join(bffDir, 'package.json'), 'utf8')) as { scripts: { start: string } })
    .scripts.start;
  const [node, ...startArgs] = start.split(/\s+/).filter(Boolean);
  if (node !== 'node') throw new Error(`the bench runs the start script with node; it is: ${start}`);
  const nodeArgs = (process.env.BENCH_BFF_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  return { command: process.execPath, args: [...nodeArgs, ...startArgs] };
}

/**
 * How a compiled BFF at `main` (scripts/build.mjs's output) is started: `start` runs
 * `node <flags> scripts/start.mjs`; the same command and flags, then the compiled bundle.
 */
export function compiledBffCommand(main: string): { command: string; args: string[] } {
  const { command, args } = bffCommand();
  return { command, args: [...args.slice(0, -1), main] };
}

export interface Sandboxed {
  sandbox: Child & { ready: string };
  credentials: SandboxCredentials;
  stateDir: string;
  /** the environment a merchant-mode server needs to talk to the sandbox */
  merchantEnv: Record<string, string>;
  wechatpayPrivateKeyPem: string;
}

/** `env`: the sandbox CLI's own settings (SANDBOX_TIME_SCALE, …) beside the bench's. */
export async function startSandbox(env: Record<string, string> = {}): Promise<Sandboxed> {
  const stateDir = mkdtempSync(path.join(tmpdir(), 'uc-bench-'));
  const sandbox = await spawnServer(
    'sandbox',
    process.execPath,
    ['--import', 'tsx', 'src/cli.ts'],
    {
      cwd: path.join(workspaceRoot, 'packages/wechatpay-sandbox'),
      env: { ...process.env, ...env, SANDBOX_PORT: '0', SANDBOX_STATE_DIR: path.join(stateDir, 'sandbox') },
    },
    (line) => /WeChat Pay sandbox listening on (\S+)/.exec(line)?.[1],
  );
  const credentials = JSON.parse(
    readFileSync(path.join(stateDir, 'sandbox', 'credentials.json'), 'utf8'),
  ) as SandboxCredentials;
  const keyFile = path.join(stateDir, 'apiclient_key.pem');
  const pubFile = path.join(stateDir, 'wechatpay_pub.pem');
  writeFileSync(keyFile, credentials.merchantPrivateKeyPem, { mode: 0o600 });
  writeFileSync(pubFile, credentials.wechatpayPublicKeyPem);
  const c = credentials;
  return {
    sandbox,
    credentials,
    stateDir,
    wechatpayPrivateKeyPem: readFileSync(path.join(stateDir, 'sandbox', 'wechatpay-private-key.pem'), 'utf8'),
    merchantEnv: {
      WECHAT_APPID: c.appid,
      WECHAT_APPSECRET: c.appsecret,
      WECHAT_API_BASE: sandbox.ready,
      WECHATPAY_MCHID: c.mchid,
      WECHATPAY_MCH_SERIAL: c.merchantSerialNo,
      WECHATPAY_MCH_PRIVATE_KEY_FILE: keyFile,
      WECHATPAY_APIV3_KEY: c.apiV3Key,
      WECHATPAY_PUBLIC_KEY_FILE: pubFile,
      WECHATPAY_PUBLIC_KEY_ID: c.wechatpayPublicKeyId,
      WECHATPAY_BASE: sandbox.ready,
      // notify_url only: the bench sends notifications itself
      PUBLIC_BASE_URL: 'https://shop.bench.invalid',
      JWT_SECRET: randomUUID() + randomUUID(),
      ADMIN_USERNAME: BENCH_ADMIN.username,
      ADMIN_PASSWORD: BENCH_ADMIN.password,
      JOBS_ENABLED: 'false',
      LOG_LEVEL: 'info',
      // the bench measures throughput: a few shoppers place thousands of orders, far past the
      // abuse limits (whose own cost is one counter update per request, included in the figures)
      ...GENEROUS_LIMITS,
    },
  };
}

export function removeStateDir(w: Sandboxed) {
  rmSync(w.stateDir, { recursive: true, force: true });
}

/** SQL run on a fresh, migrated, seeded database before any server opens it. */
export type Prepare = (exec: (sql: string) => Promise<void>) => Promise<void>;

async function prepareDb(db: Db, prepare: Prepare) {
  await migrateDb(db);
  await seedCatalog(db.prisma);
  const driver = dbDriver(db);
  await prepare(async (sql) => {
    if (driver.kind === 'pglite') await driver.pglite.exec(sql);
    else await driver.pool.query(sql);
  });
}

/** A migrated, seeded PostgreSQL database of the bench's own, prepared; returns its name and URL. */
export async function preparedPostgres(label: string, prepare: Prepare): Promise<{ name: string; url: string }> {
  const name = newDatabaseName(label);
  const url = await createDatabase(name);
  const db = await openDb({ databaseUrl: url });
  try {
    await prepareDb(db, prepare);
  } finally {
    await db.close();
  }
  return { name, url };
}

export async function preparedPglite(dir: string, prepare: Prepare): Promise<void> {
  const db = await openDb({ pgliteDir: dir });
  try {
    await prepareDb(db, prepare);
  } finally {
    await db.close();
  }
}

export function startBff(name: string, w: Sandboxed, env: Record<string, string>): Promise<Child & { ready: string }> {
  const { command, args } = bffCommand();
  return spawnServer(
    name,
    command,
    args,
    {
      cwd: bffDir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        MIGRATE_ON_START: 'false',
        HOST: '127.0.0.1',
        PORT: '0',
        DATA_DIR: path.join(w.stateDir, name),
        ...w.merchantEnv,
        ...env,
      },
    },
    (line) => logField(line, 'uni-checkout BFF listening', 'url'),
  );
}

/** BENCH_LEAN_NODE_ARGS: Node flags for the lean baseline, as BENCH_BFF_NODE_ARGS for the BFF (a profile to compare). */
export function startLean(w: Sandboxed, databaseUrl: string): Promise<Child & { ready: string }> {
  const nodeArgs = (process.env.BENCH_LEAN_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  return spawnServer(
    'lean',
    process.execPath,
    [...nodeArgs, '--import', 'tsx', 'bench/lean-server.ts'],
    { cwd: bffDir, env: { ...process.env, ...w.merchantEnv, DATABASE_URL: databaseUrl } },
    (line) => logField(line, 'lean listening', 'url'),
  );
}
