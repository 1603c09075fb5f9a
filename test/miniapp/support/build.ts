/** Builds the uni-app project with its own CLI, as `pnpm build:h5` / `pnpm build:mp-weixin` do. */
import { execFile } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const miniappDir = fileURLToPath(new URL('../../../apps/miniapp/', import.meta.url));
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export type Target = 'h5' | 'mp-weixin';

export interface BuildResult {
  target: Target;
  outDir: string;
  ms: number;
  log: string;
}

/** `uni build [-p mp-weixin] --outDir <outDir>`; rejects with the CLI's output when the build fails. */
export async function buildMiniapp(target: Target, outDir: string, env: Record<string, string> = {}): Promise<BuildResult> {
  const uni = path.join(miniappDir, 'node_modules', '.bin', 'uni');
  const args = ['build', ...(target === 'mp-weixin' ? ['-p', 'mp-weixin'] : []), '--outDir', outDir];
  const started = Date.now();
  try {
    const { stdout, stderr } = await run(uni, args, {
      cwd: miniappDir,
      env: { ...process.env, ...env, NODE_ENV: 'production' },
      maxBuffer: 64 * 1024 * 1024,
      timeout: 240_000,
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
