/**
 * The production mp-weixin package through WeChat's own code quality scan (代码质量扫描): the
 * `checkCodeQuality` of the official `miniprogram-ci`, which runs offline on the built folder. It
 * needs a project with an AppID and a private key file that it never reads (it uploads nothing):
 * a made-up test AppID and a key generated for the run.
 */
import { generateKeyPairSync } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cachedBuild, listFiles, type BuildResult } from './support/build';
import { TEST_BUILD_ENV } from './support/build-env';

const require = createRequire(import.meta.url);

interface QualityItem {
  name: string;
  success: boolean;
  text: string;
  detail?: unknown;
}
interface MiniprogramCi {
  Project: new (options: Record<string, unknown>) => unknown;
  checkCodeQuality(project: unknown): Promise<QualityItem[]>;
}

/** Not a real mini-program: `checkCodeQuality` only wants the shape of an AppID. */
const TEST_APPID = 'wx00000000c0dec0de';
const MAIN_PACKAGE_BUDGET = 1024 * 1024;

let build: BuildResult;
let workDir: string;
let report: QualityItem[];

beforeAll(async () => {
  build = await cachedBuild('mp-weixin', TEST_BUILD_ENV);
  workDir = await mkdtemp(path.join(tmpdir(), 'uc-quality-'));
  // the scan reads the folder as a DevTools project: a copy, so the shared cached build stays as built
  const projectPath = path.join(workDir, 'project');
  await cp(build.outDir, projectPath, { recursive: true });
  const privateKeyPath = path.join(workDir, 'private.key');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(privateKeyPath, privateKey.export({ type: 'pkcs1', format: 'pem' }));
  const ci = require('miniprogram-ci') as MiniprogramCi;
  const project = new ci.Project({ appid: TEST_APPID, type: 'miniProgram', projectPath, privateKeyPath, ignores: [] });
  report = await ci.checkCodeQuality(project);
  console.table(report.map(({ name, success, text }) => ({ name, success, text })));
}, 420_000);

afterAll(async () => {
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

const item = (name: string): QualityItem => {
  const found = report.find((i) => i.name === name);
  if (!found) throw new Error(`checkCodeQuality reported no ${name}`);
  return found;
};

describe('miniprogram-ci checkCodeQuality on the production mp-weixin build', () => {
  it('passes every check it runs', () => {
    expect(report.length).toBeGreaterThanOrEqual(9);
    expect(
      report.filter((i) => !i.success).map((i) => `${i.name}: ${i.text} ${JSON.stringify(i.detail ?? '')}`),
    ).toEqual([]);
  });

  it('WXML and WXSS compression are on, and the files are minified already', async () => {
    expect(item('WXML_COMPRESS_OPEN').success).toBe(true);
    expect(item('WXSS_COMPRESS_OPEN').success).toBe(true);
    expect(item('JS_COMPRESS_OPEN').success).toBe(true);
    const markup = (await listFiles(build.outDir)).filter((f) => /\.(wxml|wxss)$/.test(f));
    expect(markup.length).toBeGreaterThan(10);
    for (const file of markup) {
      const text = await readFile(path.join(build.outDir, file), 'utf8');
      // minified: no indented line, no comment
      expect(/\n[ \t]+\S/.test(text), `${file} is indented`).toBe(false);
      expect(/<!--|\/\*/.test(text), `${file} has comments`).toBe(false);
    }
  });

  it('keeps what only the admin subpackage uses out of the main package', async () => {
    expect(item('CONTAINS_OTHER_PKG_JS').detail).toMatchObject({ files: [] });
    expect(item('CONTAINS_OTHER_PKG_COMPONENTS').detail).toMatchObject({ files: [], comps: [] });
    const files = await listFiles(build.outDir);
    expect(files).not.toContain('store/admin.js');
    expect(
      files.filter((f) => f.startsWith('pages-admin/') && /admin/.test(f) && f.endsWith('.js')).length,
    ).toBeGreaterThan(0);
  });

  it('keeps the main package under 1 MiB', () => {
    const sizes = item('PACKAGE_SIZE_LIMIT').detail as Record<string, number>;
    console.log(`package sizes (bytes): ${JSON.stringify(sizes)}`);
    expect(sizes.__APP__).toBeGreaterThan(0);
    expect(sizes.__APP__).toBeLessThan(MAIN_PACKAGE_BUDGET);
  });
});
