/** Builds the uni-app project with its own CLI, as `pnpm build:h5` / `pnpm build:mp-weixin` do. */
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const miniappDir = fileURLToPath(new URL('../../../apps/miniapp/', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

/**
 * `mp-weixin-sandbox` is the build `pnpm dev:mp-weixin` watches for WeChat DevTools: the uni-app
 * script of that name (`#ifdef SANDBOX`: sandbox login and the in-app sandbox pay sheet) with the
 * development env files, built once here instead of watched.
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
  mode: 'production' | 'development' = target === 'mp-weixin-sandbox' ? 'development' : 'production',
): Promise<BuildResult> {
  const uni = path.join(miniappDir, 'node_modules', '.bin', 'uni');
  const args = [
    'build',
    ...(target === 'h5' ? [] : ['-p', target]),
    ...(mode === 'development' ? ['--mode', 'development'] : []),
    '--outDir',
    outDir,
  ];
  const started = Date.now();
  try {
    const { stdout, stderr } = await run(uni, args, {
      cwd: miniappDir,
      env: { ...process.env, ...env, NODE_ENV: 'production' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 600_000, // a shared, busy machine can take minutes
    });
    return { target, outDir, ms: Date.now() - started, log: stdout + stderr };
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`uni build for ${target} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

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
  hash.update(`${target}\n${JSON.stringify(Object.entries(env).sort())}\n`);
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
 */
export async function cachedBuild(target: Target, env: Record<string, string> = {}): Promise<BuildResult> {
  const key = await buildKey(target, env);
  const outDir = path.join(buildCacheDir, `${target}-${key}`);
  if (existsSync(path.join(outDir, '.complete'))) {
    return { target, outDir: path.join(outDir, 'out'), ms: 0, log: '', cached: true };
  }
  await mkdir(buildCacheDir, { recursive: true });
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
    await pruneBuildCache();
    return { ...result, outDir: path.join(outDir, 'out') };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

async function pruneBuildCache(): Promise<void> {
  const entries = await readdir(buildCacheDir, { withFileTypes: true });
  const builds = await Promise.all(
    entries
      .filter((e) => e.isDirectory() && !e.name.includes('.tmp-'))
      .map(async (e) => ({
        dir: path.join(buildCacheDir, e.name),
        mtime: (await stat(path.join(buildCacheDir, e.name))).mtimeMs,
      })),
  );
  builds.sort((a, b) => b.mtime - a.mtime);
  for (const old of builds.slice(KEEP_CACHED_BUILDS)) await rm(old.dir, { recursive: true, force: true });
}
