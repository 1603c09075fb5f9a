/**
 * The world each reliability scenario runs in, every part on loopback: the WeChat Pay sandbox (its
 * own process, started as the bench starts it, clocks 100× faster), a PostgreSQL database of the
 * run's own per scenario (a copy of one migrated, seeded template), and BFF processes — the
 * compiled BFF, as `start` runs it — each reaching PostgreSQL through its own TCP proxy (so the
 * database can be cut away, slowed or given back), behind one round-robin proxy that is the
 * PUBLIC_BASE_URL WeChat's notifications go to.
 *
 * A shared shop (the quick run's) serves every scenario in turn on one database: the processes a
 * scenario started with the default settings (no jobs, no settings of its own) wait between
 * scenarios for the next one that asks for such processes; any other process is stopped when its
 * scenario ends, as in a shop of its own.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { buildBff, privateOutfile, removeBuild } from '../scripts/build.mjs';
import {
  createDatabase,
  dropOwnDatabases,
  logField,
  newDatabaseName,
  spawnServer,
  stopAllChildren,
  type Child,
} from '../bench/support.js';
import {
  bffDir,
  compiledBffCommand,
  preparedPostgres,
  removeStateDir,
  startSandbox,
  type Sandboxed,
} from '../bench/world.js';
import { startTcpProxy, targetOf, type TcpProxy } from './tcp-proxy.js';

/** WeChat's retry schedule (15 s, 15 s, 30 s, …) and refund processing run 100× faster. */
export const SANDBOX_TIME_SCALE = '0.01';
export const PROOF_ADMIN = { username: 'proof-admin', password: randomUUID() };

export interface ProofWorld {
  sandbox: Sandboxed;
  sandboxUrl: string;
  template: string;
  bffMain: string;
  close(): Promise<void>;
}

/**
 * `template`: a migrated, seeded database to copy (the test run's, made once for every test file)
 * instead of one of the run's own. `bff`: a compiled BFF (scripts/build.mjs's output, the test
 * run's) to start instead of one the run builds; it is the caller's and stays.
 */
export async function startWorld({ template, bff }: { template?: string; bff?: string } = {}): Promise<ProofWorld> {
  const bffMain = bff ?? privateOutfile('proof');
  const [sandbox, templateName] = await Promise.all([
    startSandbox({ SANDBOX_TIME_SCALE }),
    template ?? preparedPostgres('proof_template', async () => {}).then((t) => t.name),
    bff ?? buildBff(bffMain),
  ]);
  return {
    sandbox,
    sandboxUrl: sandbox.sandbox.ready,
    template: templateName,
    bffMain,
    async close() {
      await stopAllChildren();
      removeStateDir(sandbox);
      if (!bff) removeBuild(bffMain);
      await dropOwnDatabases();
    },
  };
}

export interface Bff {
  name: string;
  url: string;
  /** this process's way to PostgreSQL */
  dbProxy: TcpProxy;
  child: Child;
  errors: string[];
}

export interface BffOptions {
  /** background jobs (expiry, late payments, refund queries) every JOB_INTERVAL_MS */
  jobs?: boolean;
  env?: Record<string, string>;
}

/** One scenario's shop: its database, its BFF processes and the proxies around them. */
export interface Shop {
  world: ProofWorld;
  databaseUrl: string;
  /** PUBLIC_BASE_URL: round robin over the running BFF processes */
  balancer: TcpProxy;
  publicUrl: string;
  bffs: Bff[];
  startBff(opts?: BffOptions): Promise<Bff>;
  /** kill -9: no shutdown, no answer to what was in flight */
  kill(bff: Bff): Promise<void>;
  /** starts the process again on the same database, as a supervisor would after a crash */
  restart(bff: Bff): Promise<Bff>;
  /**
   * error-level log lines of every process this shop started (killed ones included) — of a shared
   * shop, those written since the current scenario began
   */
  errorLogs(): string[];
  /**
   * A shared shop's scenario is over: its processes with the default settings wait for the next
   * scenario (database reachable again, at full speed), the others are stopped.
   */
  endScenario(): Promise<void>;
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** Processes started so may serve several scenarios of a shared shop one after another. */
const poolable = (opts: BffOptions) => !opts.jobs && !opts.env;

export async function openShop(world: ProofWorld, label: string, { shared = false } = {}): Promise<Shop> {
  const name = newDatabaseName(label);
  const databaseUrl = await createDatabase(name, world.template);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 3 });
  pool.on('error', () => {});
  const balancer = await startTcpProxy([]);
  const publicUrl = `http://127.0.0.1:${balancer.port}`;
  const bffs: Bff[] = [];
  const options = new Map<Bff, BffOptions>();
  const everStarted: Bff[] = [];
  /** a shared shop's processes waiting for the next scenario */
  const idle: Bff[] = [];
  /** how many error lines each process had written when the current scenario began */
  const errorsBefore = new Map<Bff, number>();
  let count = 0;
  const syncBalancer = () => balancer.setTargets(bffs.map((b) => targetOf(b.url)));

  const bffStart = compiledBffCommand(world.bffMain);

  async function spawnBff(bffName: string, dbProxy: TcpProxy, opts: BffOptions): Promise<Bff> {
    const child = await spawnServer(
      bffName,
      bffStart.command,
      bffStart.args,
      {
        cwd: bffDir,
        env: {
          ...process.env,
          ...world.sandbox.merchantEnv,
          // development: PUBLIC_BASE_URL is the loopback balancer (production wants https)
          NODE_ENV: 'development',
          HOST: '127.0.0.1',
          PORT: '0',
          DATA_DIR: path.join(world.sandbox.stateDir, name, bffName),
          DATABASE_URL: dbProxy.url(databaseUrl),
          MIGRATE_ON_START: 'false',
          PUBLIC_BASE_URL: publicUrl,
          // behind the loopback balancer: X-Forwarded-For from loopback is believed (the abuse rows
          // tell clients apart by it; nothing else sends it)
          TRUST_PROXY: 'loopback',
          ADMIN_USERNAME: PROOF_ADMIN.username,
          ADMIN_PASSWORD: PROOF_ADMIN.password,
          ADMIN_PASSWORD_SCRYPT_COST: '12',
          JOBS_ENABLED: opts.jobs ? 'true' : 'false',
          JOB_INTERVAL_MS: '200',
          LOG_LEVEL: 'info',
          ...opts.env,
        },
      },
      (line) => logField(line, 'uni-checkout BFF listening', 'url'),
      60_000,
    );
    // error-level log lines (pino level 50+): the runner shows them beside a failed row
    const errors: string[] = [];
    createInterface({ input: child.child.stdout! }).on('line', (line) => {
      if (/^\{"level":(50|60)/.test(line)) errors.push(line.slice(0, 2000));
    });
    const bff = { name: bffName, url: child.ready, dbProxy, child, errors };
    options.set(bff, opts);
    everStarted.push(bff);
    return bff;
  }

  const shop: Shop = {
    world,
    databaseUrl,
    balancer,
    publicUrl,
    bffs,
    async startBff(opts = {}) {
      const waiting = shared && poolable(opts) ? idle.shift() : undefined;
      if (waiting) {
        bffs.push(waiting);
        syncBalancer();
        return waiting;
      }
      const dbProxy = await startTcpProxy([targetOf(databaseUrl)]);
      const bff = await spawnBff(`bff${++count}`, dbProxy, opts);
      bffs.push(bff);
      syncBalancer();
      return bff;
    },
    async kill(bff) {
      const exited = new Promise((resolve) => bff.child.child.once('exit', resolve));
      bff.child.child.kill('SIGKILL');
      await exited;
      await bff.child.stop();
    },
    async restart(bff) {
      const again = await spawnBff(bff.name, bff.dbProxy, options.get(bff) ?? {});
      bffs.splice(bffs.indexOf(bff), 1, again);
      syncBalancer();
      return again;
    },
    errorLogs: () => everStarted.flatMap((b) => b.errors.slice(errorsBefore.get(b) ?? 0).map((e) => `${b.name}: ${e}`)),
    async endScenario() {
      const leaving = bffs.splice(0);
      syncBalancer();
      const stopping: Bff[] = [];
      for (const b of leaving) {
        b.dbProxy.restore();
        b.dbProxy.setLatency(0);
        const alive = b.child.child.exitCode === null && b.child.child.signalCode === null;
        if (alive && poolable(options.get(b) ?? {})) idle.push(b);
        else stopping.push(b);
      }
      await Promise.all(stopping.map((b) => b.child.stop()));
      await Promise.all(stopping.map((b) => b.dbProxy.close()));
      for (const b of everStarted) errorsBefore.set(b, b.errors.length);
    },
    async sql(text, params) {
      return (await pool.query(text, params)).rows;
    },
    async close() {
      const running = [...bffs, ...idle];
      await Promise.all(running.map((b) => b.child.stop()));
      await Promise.all(running.map((b) => b.dbProxy.close()));
      await balancer.close();
      await pool.end();
    },
  };
  return shop;
}
