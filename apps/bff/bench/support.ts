/**
 * What the bench's driver needs around the servers it measures: its own PostgreSQL databases
 * (created and dropped by name, never anyone else's), child processes with their CPU time and RSS
 * read from /proc, and a keep-alive HTTP client for loopback traffic.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createInterface } from 'node:readline';
import pg from 'pg';

export const ADMIN_URL = process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/test';
/** Every database the bench creates is named so; it drops exactly the ones it created. */
export const BENCH_DB_PREFIX = 'uc_bench_';

export function databaseUrlFor(database: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 10_000 });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/** The databases this run created, dropped on exit. */
const created = new Set<string>();

export function newDatabaseName(label: string): string {
  return `${BENCH_DB_PREFIX}${label}_${randomBytes(4).toString('hex')}`;
}

export async function createDatabase(name: string, template?: string): Promise<string> {
  await withAdmin((c) => c.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`));
  created.add(name);
  return databaseUrlFor(name);
}

export async function dropOwnDatabases(): Promise<void> {
  if (!created.size) return;
  await withAdmin(async (c) => {
    for (const name of created) await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`).catch(() => {});
  });
  created.clear();
}

export async function withClient<T>(databaseUrl: string, use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

// ---- child processes ----

export interface Child {
  name: string;
  child: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

const children = new Set<Child>();

/** Every process given to killOnExit that has not exited yet. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Kills `child` (SIGKILL) if it is still running when this process exits, so that none outlives
 * its driver: a scenario or test past its deadline may never stop the processes it started.
 */
export function killOnExit(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
}

/**
 * Spawns a server and resolves once a stdout line satisfies `ready` (returning what it yields).
 * Its output is read and dropped: a log pipe, as a process manager would hold.
 */
export async function spawnServer<T>(
  name: string,
  command: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string | undefined> },
  ready: (line: string) => T | undefined,
  timeoutMs = 240_000,
): Promise<Child & { ready: T }> {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  killOnExit(child);
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const value = await new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} did not start within ${timeoutMs} ms: ${stderr}`)),
      timeoutMs,
    );
    const lines = createInterface({ input: child.stdout! });
    let found = false;
    lines.on('line', (line) => {
      if (found) return;
      const v = ready(line);
      if (v !== undefined) {
        found = true;
        clearTimeout(timer);
        resolve(v);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}) before it was ready: ${stderr}`));
    });
  });
  const handle: Child & { ready: T } = {
    name,
    child,
    pid: child.pid!,
    ready: value,
    async stop() {
      children.delete(handle);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  children.add(handle);
  return handle;
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}

/** A pino JSON line's field, or undefined for any other line. */
export function logField(line: string, msg: string, field: string): string | undefined {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    return entry.msg === msg && typeof entry[field] === 'string' ? (entry[field] as string) : undefined;
  } catch {
    return undefined;
  }
}

const TICKS_PER_SECOND = 100;

/** User + system CPU time of a process, in milliseconds (Linux /proc; 10 ms resolution). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name may hold spaces: fields are counted after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return ((utime + stime) * 1000) / TICKS_PER_SECOND;
}

/** Resident set size of a process, in MiB. */
export function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  return kb / 1024;
}

// ---- HTTP ----

export interface HttpResult {
  status: number;
  body: string;
}

export function httpClient(baseUrl: string, maxSockets: number) {
  const base = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  const once = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<HttpResult & { reused?: boolean }> =>
    new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: base.hostname,
          port: base.port,
          method,
          path,
          agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in 30 s`)));
      req.on('error', (err) => reject(Object.assign(err, { reused: req.reusedSocket })));
      req.end(body);
    });
  /**
   * A kept-alive socket the server closed just as it was reused fails with ECONNRESET before the
   * request was read (Node's documented race): sent again once, on a fresh socket.
   */
  const request = async (method: string, path: string, headers: Record<string, string> = {}, body?: string) => {
    try {
      return await once(method, path, headers, body);
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { reused?: boolean };
      if (!(e.reused && e.code === 'ECONNRESET'))
        throw new Error(`${baseUrl} ${method} ${path}: ${e.message}`, { cause: err });
      return once(method, path, headers, body);
    }
  };
  return { request, close: () => agent.destroy() };
}

export type HttpClient = ReturnType<typeof httpClient>;

// ---- load ----

export interface LoadResult {
  done: number;
  seconds: number;
  perSecond: number;
  /** CPU milliseconds the measured process spent per operation */
  cpuMsPerOp: number;
}

/**
 * Runs at most `count` operations, `concurrency` at a time, for at most `maxSeconds`, and reads
 * the server process's CPU time around it. An operation that fails stops the run with its error.
 */
export async function drive(
  pid: number,
  opts: { count: number; concurrency: number; maxSeconds: number },
  op: (i: number) => Promise<void>,
): Promise<LoadResult> {
  let next = 0;
  let done = 0;
  const deadline = performance.now() + opts.maxSeconds * 1000;
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next < opts.count && performance.now() < deadline) {
        const i = next++;
        await op(i);
        done++;
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMs(pid) - cpu0;
  return { done, seconds, perSecond: done / seconds, cpuMsPerOp: cpu / Math.max(1, done) };
}

export function summary(values: number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? NaN, median: sorted[Math.floor(sorted.length / 2)] ?? NaN, max: sorted.at(-1) ?? NaN };
}

export const fix = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : 'n/a');
export const round = (n: number) => (Number.isFinite(n) ? (n >= 100 ? n.toFixed(0) : n.toFixed(1)) : 'n/a');
