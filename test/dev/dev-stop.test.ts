/**
 * `pnpm dev` stopped by a signal leaves no process behind: its children (pnpm → sh → node, the
 * BFF, the sandbox, vite) each lead a process group that the script stops as a whole.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Every live process whose environment carries `marker` (inherited by all descendants). */
function processesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue; // exited, not yet reaped
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker)) found.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return found;
}

function commandOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

describe('pnpm dev', () => {
  it('stopped by SIGTERM, leaves no process behind', async () => {
    const marker = `UC_DEV_STOP_TEST=${randomUUID()}`;
    const [PORT, SANDBOX_PORT, H5_PORT] = [await freePort(), await freePort(), await freePort()];
    const dataDir = mkdtempSync(path.join(tmpdir(), 'uc-dev-'));
    const dev = spawn('pnpm', ['dev', '--no-mp-weixin'], {
      cwd: root,
      env: {
        ...process.env,
        [marker.split('=')[0]!]: marker.split('=')[1]!,
        PORT: String(PORT),
        SANDBOX_PORT: String(SANDBOX_PORT),
        H5_PORT: String(H5_PORT),
        DATA_DIR: dataDir,
        SANDBOX_STATE_DIR: path.join(dataDir, 'sandbox'),
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD: randomUUID(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    dev.stdout.on('data', (d: Buffer) => (output += d.toString()));
    dev.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<void>((resolve) => dev.once('exit', () => resolve()));
    try {
      // stopped while its first step (the database migration: pnpm → sh → tsx → node) runs
      const migrating = await until(
        () => processesWith(marker).some((pid) => commandOf(pid).includes('migrate-cli')),
        60_000,
      );
      expect(migrating, output).toBe(true);
      expect(processesWith(marker).length).toBeGreaterThanOrEqual(4);

      // the way a process manager or `kill` stops it: one SIGTERM to the pnpm process
      process.kill(dev.pid!, 'SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      const allGone = await until(() => processesWith(marker).length === 0, 15_000);
      expect(allGone, `left running: ${processesWith(marker).map(commandOf).join('; ')}`).toBe(true);
    } finally {
      for (const pid of processesWith(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }, 120_000);
});
