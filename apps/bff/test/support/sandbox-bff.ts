/**
 * A BFF in sandbox mode, as a developer runs it with no merchant of their own: it starts the WeChat
 * Pay sandbox itself and pays through it. Logging nowhere, jobs off, an admin account when given
 * (the mini-program's admin pages), admin passwords hashed at the tests' cost (TEST_SCRYPT_COST).
 * On a fresh seeded PostgreSQL database, or (`postgres: false`) on the embedded PGlite in its data
 * dir.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { start, type RunningBff } from '../../src/index.js';
import { createTestDb } from './db.js';
import { sandboxIdentityDir, TEST_SCRYPT_COST } from './harness.js';

export interface SandboxBff {
  bff: RunningBff;
  dataDir: string;
  /** where the sandbox keeps its state (credentials.json: its appid, mchid, keys) */
  sandboxStateDir: string;
  close(): Promise<void>;
}

export async function startSandboxBff(opts: {
  admin?: { username: string; password: string };
  postgres?: boolean;
  /** the BFF's data dir (default: a new one in `parentDir`, else in the system's temporary folder) */
  dataDir?: string;
  parentDir?: string;
  env?: Record<string, string | undefined>;
}): Promise<SandboxBff> {
  const testDb = opts.postgres === false ? undefined : await createTestDb('postgres', { seed: true });
  const dataDir = opts.dataDir ?? (await mkdtemp(path.join(opts.parentDir ?? tmpdir(), 'uc-sandbox-bff-')));
  // the run's sandbox identity when there is one (no RSA keys generated at start)
  const sandboxStateDir = sandboxIdentityDir(path.join(dataDir, 'sandbox'));
  const bff = await start({
    port: 0,
    logDestination: new Writable({ write: (_c, _e, cb) => cb() }),
    env: {
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      DATABASE_URL: testDb?.databaseUrl,
      ...(testDb ? { MIGRATE_ON_START: 'false' } : {}),
      // sandbox mode: no merchant of our own
      WECHATPAY_MCHID: undefined,
      SANDBOX_PORT: '0',
      SANDBOX_STATE_DIR: sandboxStateDir,
      JOBS_ENABLED: 'false',
      ADMIN_PASSWORD_SCRYPT_COST: TEST_SCRYPT_COST,
      JWT_SECRET: randomBytes(32).toString('hex'),
      ...(opts.admin ? { ADMIN_USERNAME: opts.admin.username, ADMIN_PASSWORD: opts.admin.password } : {}),
      ...opts.env,
    },
  });
  return {
    bff,
    dataDir,
    sandboxStateDir,
    async close() {
      await bff.stop();
      await testDb?.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
