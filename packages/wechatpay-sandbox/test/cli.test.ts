import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const cli = join(pkgDir, 'src', 'cli.ts');
// One node process with tsx's loader, so the CLI's own signal handlers receive SIGTERM/SIGINT.
const tsxLoader = import.meta.resolve('tsx');

function start(env: Record<string, string>, cwd = pkgDir) {
  const child = spawn(process.execPath, ['--import', tsxLoader, cli], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const listening = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then((code) => reject(new Error(`exited ${code}: ${err}`)));
  });
  listening.catch(() => undefined);
  return { child, listening, exited, output: () => out, errors: () => err };
}

describe('pnpm sandbox (src/cli.ts)', () => {
  it('starts on SANDBOX_PORT, writes credentials.json to SANDBOX_STATE_DIR, and stops on SIGTERM', async () => {
    const stateDir = mkdtempSync(join(tmpdir(), 'sandbox-cli-'));
    const run = start({ SANDBOX_PORT: '0', SANDBOX_STATE_DIR: stateDir, SANDBOX_TIME_SCALE: '0.01' });
    const url = await run.listening;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const creds = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8'));
    expect(creds.baseUrl).toBe(url);
    const session = await fetch(
      `${url}/sns/jscode2session?appid=${creds.appid}&secret=${creds.appsecret}&js_code=sandbox:oCli&grant_type=authorization_code`,
    );
    expect(((await session.json()) as { openid: string }).openid).toBe('oCli');
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.output()).toContain('time scale 0.01');

    // Restart: the same keys come back.
    const again = start({ SANDBOX_PORT: '0', SANDBOX_STATE_DIR: stateDir });
    await again.listening;
    const creds2 = JSON.parse(readFileSync(join(stateDir, 'credentials.json'), 'utf8'));
    expect(creds2.merchantPrivateKeyPem).toBe(creds.merchantPrivateKeyPem);
    expect(creds2.wechatpayPublicKeyId).toBe(creds.wechatpayPublicKeyId);
    again.child.kill('SIGINT');
    expect(await again.exited).toBe(0);
  });

  it('defaults the state directory to <workspace root>/.data/sandbox, found from a package directory, and stops on SIGTERM after its output reader has gone', async () => {
    const root = mkdtempSync(join(tmpdir(), 'sandbox-ws-'));
    writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages:\n  - packages/*\n');
    const pkg = join(root, 'packages', 'wechatpay-sandbox');
    mkdirSync(pkg, { recursive: true });
    const run = start({ SANDBOX_PORT: '0', SANDBOX_STATE_DIR: '' }, pkg);
    const url = await run.listening;
    const creds = JSON.parse(readFileSync(join(root, '.data', 'sandbox', 'credentials.json'), 'utf8'));
    expect(creds.baseUrl).toBe(url);
    // One sandbox for both checks: it also stops on SIGTERM, exit code 0, after the process reading
    // its output has gone (every later write to stdout/stderr gets EPIPE).
    run.child.stdout.destroy();
    run.child.stderr.destroy();
    const t0 = performance.now();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.child.signalCode).toBeNull();
    // a healthy stop takes well under a second; the forced exit would take 10 s
    expect(performance.now() - t0).toBeLessThan(8_000);
  });

  it('refuses a bad SANDBOX_PORT or SANDBOX_TIME_SCALE with one clear sentence', async () => {
    const badPort = start({ SANDBOX_PORT: 'abc' });
    const badScale = start({ SANDBOX_PORT: '0', SANDBOX_TIME_SCALE: '-1' });
    expect(await badPort.exited).toBe(1);
    expect(badPort.errors()).toContain('SANDBOX_PORT must be a port number');
    expect(await badScale.exited).toBe(1);
    expect(badScale.errors()).toContain('SANDBOX_TIME_SCALE must be a positive number');
  });
});
