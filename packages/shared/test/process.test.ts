import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const processModule = fileURLToPath(new URL('../src/process.ts', import.meta.url));
const tsxLoader = import.meta.resolve('tsx');

/** Runs `body` in a fresh Node process that has imported forceExitAfter. */
function run(body: string) {
  const source = `import { forceExitAfter } from ${JSON.stringify(processModule)};\n${body}`;
  const child = spawn(process.execPath, ['--import', tsxLoader, '--input-type=module', '-e', source], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const t0 = performance.now();
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number; stderr: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, ms: performance.now() - t0, stderr })),
  );
}

describe('forceExitAfter', () => {
  it('exits with the given code when the work outlives it', async () => {
    const r = await run(`forceExitAfter(300, 7); setInterval(() => {}, 1000);`);
    expect(r).toMatchObject({ code: 7, signal: null });
  }, 60_000);

  it('ends the process even when its event loop never comes back (a busy loop)', async () => {
    // the timer on the main loop can never fire here: only the watchdog thread can end this
    const r = await run(`forceExitAfter(300, 7); const until = Date.now() + 120_000; while (Date.now() < until) {}`);
    expect(r.signal).toBe('SIGKILL');
    expect(r.ms).toBeLessThan(30_000);
  }, 60_000);

  it('does not hold a process that finishes on its own', async () => {
    const r = await run(`forceExitAfter(60_000, 7);`);
    expect(r).toMatchObject({ code: 0, signal: null });
    expect(r.ms).toBeLessThan(30_000);
  }, 60_000);
});
