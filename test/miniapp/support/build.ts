/** Builds the uni-app project with its own CLI, as `pnpm build:h5` / `pnpm build:mp-weixin` do. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const miniappDir = fileURLToPath(new URL('../../../apps/miniapp/', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * `mp-weixin-sandbox` is the build `pnpm dev:mp-weixin` watches for WeChat DevTools: the uni-app
 * script of that name (`#ifdef SANDBOX`: sandbox login and the in-app sandbox pay sheet) with the
 * development env files, built once here instead of watched, and, like the watched build, not
 * minified (terser was a quarter of its CPU time).
 */
export type Target = 'h5' | 'mp-weixin' | 'mp-weixin-sandbox';

export interface BuildResult {
  target: Target;
  outDir: string;
  ms: number;
  log: string;
  /** true when an identical earlier build (same sources, lockfile, target and env) was reused */
  cached?: boolean;
}

/** `uni build [-p <target>] --outDir <outDir>`; rejects with the CLI's output when the build fails. */
export async function buildMiniapp(
  target: Target,
  outDir: string,
  env: Record<string, string> = {},
  /** Vite's mode (which .env files apply): production, but development for the sandbox build */
  mode: Mode = defaultMode(target),
): Promise<BuildResult> {
  const uni = path.join(miniappDir, 'node_modules', '.bin', 'uni');
  const args = [...buildArgs(target, mode), '--outDir', outDir];
  const started = Date.now();
  const { failure, output } = await runUni(uni, args, { ...process.env, ...env, NODE_ENV: 'production' });
  if (failure) throw new Error(`uni build for ${target} failed: ${failure}\n${output}`);
  return { target, outDir, ms: Date.now() - started, log: output };
}

type Mode = 'production' | 'development';

function defaultMode(target: Target): Mode {
  return target === 'mp-weixin-sandbox' ? 'development' : 'production';
}

/** The uni CLI's arguments for a build of `target` in `mode`, before its output directory. */
function buildArgs(target: Target, mode: Mode): string[] {
  return [
    'build',
    ...(target === 'h5' ? [] : ['-p', target]),
    ...(mode === 'development' ? ['--mode', 'development', '--minify', 'false'] : []),
  ];
}

const BUILD_TIMEOUT_MS = 600_000; // a shared, busy machine can take minutes
const MAX_OUTPUT = 64 * 1024 * 1024;

/** Builds still running in this process, each the leader of its own process group (see stopBuilds). */
const running = new Set<ChildProcess>();

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Runs the uni CLI in its own process group, so that stopping it stops the workers it spawned too. */
function runUni(uni: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ failure?: string; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(uni, args, { cwd: miniappDir, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    running.add(child);
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < MAX_OUTPUT) output += chunk.toString();
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, BUILD_TIMEOUT_MS);
    const done = (failure?: string) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ failure, output });
    };
    child.on('error', (err) => done(`could not start ${uni}: ${err.message}`));
    child.on('close', (status, signal) =>
      done(
        timedOut
          ? `timed out after ${BUILD_TIMEOUT_MS / 1000} s`
          : status === 0
            ? undefined
            : `exit ${status ?? signal}`,
      ),
    );
  });
}

/** Stops every build this process started and has not seen finish. */
export function stopBuilds(): void {
  for (const child of running) killGroup(child);
  running.clear();
}

// a test run that ends or is interrupted does not leave a build running on the machine
process.once('exit', stopBuilds);

/** Every file below `dir`, as paths relative to it with forward slashes. */
export async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .sort();
}

export async function totalBytes(dir: string, files: string[]): Promise<number> {
  let sum = 0;
  for (const f of files) sum += (await stat(path.join(dir, f))).size;
  return sum;
}

/** What a build depends on besides node_modules: the app's own files and the shared package's sources. */
const BUILD_INPUTS = [
  { dir: miniappDir, skip: /^(node_modules|dist|unpackage)(\/|$)|vite\.config\.ts\.timestamp-|^README\.md$/ },
  { dir: path.join(repoRoot, 'packages', 'shared'), skip: /^(node_modules|dist|test)(\/|$)/ },
];

async function walk(root: string, rel: string, skip: RegExp): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(path.join(root, rel), { withFileTypes: true });
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const child = rel ? `${rel}/${e.name}` : e.name;
    if (skip.test(child)) continue;
    if (e.isDirectory()) out.push(...(await walk(root, child, skip)));
    else if (e.isFile()) out.push(child);
  }
  return out;
}

/** A hash over every input file (path and bytes), the lockfile, the target and the build env. */
export async function buildKey(target: Target, env: Record<string, string>): Promise<string> {
  const hash = createHash('sha256');
  hash.update(`${buildArgs(target, defaultMode(target)).join(' ')}\n${JSON.stringify(Object.entries(env).sort())}\n`);
  for (const input of BUILD_INPUTS) {
    for (const file of await walk(input.dir, '', input.skip)) {
      hash.update(`${path.relative(repoRoot, path.join(input.dir, file))}\n`);
      hash.update(await readFile(path.join(input.dir, file)));
    }
  }
  const lockfile = path.join(repoRoot, 'pnpm-lock.yaml');
  if (existsSync(lockfile)) hash.update(await readFile(lockfile));
  return hash.digest('hex').slice(0, 24);
}

export const buildCacheDir = process.env.MINIAPP_BUILD_CACHE ?? path.join(tmpdir(), 'uni-checkout-miniapp-builds');
const KEEP_CACHED_BUILDS = 6;

/**
 * `uni build` once per distinct input: test files that need the same build (the build checks, the
 * browser tests, the e2e) share it, within a run and across runs, and any change to a source file,
 * the lockfile or the env makes a fresh one. A build is published by an atomic rename, so a run
 * that dies mid-build leaves nothing half-written behind.
 *
 * A build in progress holds `<build>.building` (made by an atomic mkdir, holding its process id):
 * every other process that needs the same build waits for it instead of building it again (the
 * run's global setup starts the builds early, the test files that need them wait here). A build
 * that failed leaves its output there for as long as its process lives, so each waiting test file
 * fails with the build's own error; a lock whose process is gone is taken over.
 */
export async function cachedBuild(target: Target, env: Record<string, string> = {}): Promise<BuildResult> {
  const key = await buildKey(target, env);
  const outDir = path.join(buildCacheDir, `${target}-${key}`);
  const lock = `${outDir}.building`;
  const cached = (): BuildResult => ({ target, outDir: path.join(outDir, 'out'), ms: 0, log: '', cached: true });
  await mkdir(buildCacheDir, { recursive: true });
  for (;;) {
    if (existsSync(path.join(outDir, '.complete'))) return cached();
    if (await takeLock(lock)) break;
    const failure = await waitForLock(lock, outDir);
    if (failure !== undefined) throw new Error(failure);
  }
  if (existsSync(path.join(outDir, '.complete'))) {
    await rm(lock, { recursive: true, force: true });
    return cached();
  }
  const staging = `${outDir}.tmp-${randomBytes(4).toString('hex')}`;
  try {
    const result = await buildMiniapp(target, path.join(staging, 'out'), env);
    await writeFile(path.join(staging, '.complete'), new Date().toISOString());
    try {
      await rename(staging, outDir);
    } catch {
      // Another run published the same build first: use theirs.
      await rm(staging, { recursive: true, force: true });
    }
    await rm(lock, { recursive: true, force: true });
    await pruneBuildCache();
    return { ...result, outDir: path.join(outDir, 'out') };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    await writeFile(path.join(lock, FAILED), (err as Error).message).catch(() => {});
    throw err;
  }
}

const OWNER = 'pid';
const FAILED = 'failed.log';

async function takeLock(lock: string): Promise<boolean> {
  try {
    await mkdir(lock);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  await writeFile(path.join(lock, OWNER), String(process.pid));
  return true;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Until the lock is gone (or its build published): the failed build's output if its process still
 * holds the lock, undefined otherwise. A lock whose process has died is removed.
 */
async function waitForLock(lock: string, outDir: string): Promise<string | undefined> {
  for (;;) {
    if (existsSync(path.join(outDir, '.complete'))) return undefined;
    let pid: number;
    try {
      pid = Number(await readFile(path.join(lock, OWNER), 'utf8'));
    } catch {
      if (!existsSync(lock)) return undefined;
      // made a moment ago and its id not written yet, or left empty by a process that died then
      const made = await stat(lock).then(
        (s) => s.mtimeMs,
        () => 0,
      );
      if (Date.now() - made > 30_000) await rm(lock, { recursive: true, force: true });
      await sleep(500);
      continue;
    }
    if (!isAlive(pid)) {
      await rm(lock, { recursive: true, force: true });
      return undefined;
    }
    const failure = await readFile(path.join(lock, FAILED), 'utf8').catch(() => undefined);
    if (failure !== undefined) return failure;
    await sleep(500);
  }
}

/** Removes the locks of this process's failed builds, so that the next run builds them afresh. */
export async function releaseFailedBuilds(): Promise<void> {
  const entries = await readdir(buildCacheDir).catch(() => [] as string[]);
  for (const name of entries.filter((n) => n.endsWith('.building'))) {
    const lock = path.join(buildCacheDir, name);
    const pid = await readFile(path.join(lock, OWNER), 'utf8').catch(() => '');
    if (pid === String(process.pid)) await rm(lock, { recursive: true, force: true });
  }
}

async function pruneBuildCache(): Promise<void> {
  const entries = await readdir(buildCacheDir, { withFileTypes: true });
  const builds = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && !e.name.includes('.tmp-') && !e.name.endsWith('.building'))
      .map(async (e) => ({
        dir: path.join(buildCacheDir, e.name),
        mtime: (await stat(path.join(buildCacheDir, e.name))).mtimeMs,
      })),
  );
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_CACHED_BUILDS)) await rm(old.dir, { recursive: true, force: true });
}
