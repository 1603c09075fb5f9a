/**
 * Stopping the BFF process never depends on where its logs go: with the log reader gone (EPIPE) or
 * with a pipe nobody reads (EAGAIN), SIGTERM still stops it within a bound.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compiledBff } from '../support/bff-process.js';
import { createTestDb, type TestDb } from '../support/db.js';
import { sandboxIdentityDir } from '../support/harness.js';

/**
 * A healthy stop takes about half a second (seconds on a loaded machine). Exit code 0 also proves
 * the stop was the graceful one: the forced exit fires at 15 s with code 1.
 */
const STOP_BOUND_MS = 30_000;
// the test timeouts below are sized for starting the BFF on a loaded 2-core machine

type BffChild = ChildProcessByStdio<null, Readable, Readable>;

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb('postgres');
});
afterAll(async () => {
  await db?.close();
});

/** The compiled BFF, as `start` runs it. */
async function spawnBff(): Promise<{ child: BffChild; exited: Promise<number | null>; listening: Promise<string> }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'uc-shutdown-'));
  const { command, args, cwd } = await compiledBff();
  const child = spawn(command, args, {
    cwd,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      PORT: '0',
      SANDBOX_PORT: '0',
      DATA_DIR: dataDir,
      // the run's sandbox identity: the sandbox it starts generates no RSA keys
      SANDBOX_STATE_DIR: sandboxIdentityDir(path.join(dataDir, 'sandbox')),
      DATABASE_URL: db.databaseUrl!,
      MIGRATE_ON_START: 'false',
      LOG_LEVEL: 'debug',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const listening = new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:\/\/[^"]+)"[^\n]*"msg":"uni-checkout BFF listening"/.exec(out);
      if (m) {
        child.stdout.off('data', onData);
        resolve(m[1]!);
      }
    };
    child.stdout.on('data', onData);
    void exited.then((code) => reject(new Error(`the BFF exited (${code}) before listening: ${err}`)));
  });
  return { child, exited, listening };
}

/** Milliseconds from SIGTERM to the process's exit, or Infinity when it outlives the bound. */
async function stopTime(
  child: BffChild,
  exited: Promise<number | null>,
): Promise<{ ms: number; code: number | null; signal: NodeJS.Signals | null }> {
  const t0 = performance.now();
  child.kill('SIGTERM');
  const bound = new Promise<'alive'>((resolve) => setTimeout(() => resolve('alive'), STOP_BOUND_MS * 2).unref());
  const outcome = await Promise.race([exited, bound]);
  if (outcome === 'alive') {
    child.kill('SIGKILL');
    return { ms: Infinity, code: null, signal: null };
  }
  return { ms: performance.now() - t0, code: outcome, signal: child.signalCode };
}

describe('stopping the BFF process, whatever happened to its log pipe', () => {
  it('stops on SIGTERM after the process reading its stdout and stderr has gone', async () => {
    const bff = await spawnBff();
    await bff.listening;
    // the reader goes away: both pipes are closed at this end, so every write gets EPIPE
    bff.child.stdout.destroy();
    bff.child.stderr.destroy();
    const stopped = await stopTime(bff.child, bff.exited);
    expect(stopped.ms).toBeLessThan(STOP_BOUND_MS);
    expect(stopped).toMatchObject({ code: 0, signal: null });
  }, 180_000);

  it('keeps answering and stops on SIGTERM while its stdout is a full pipe nobody reads', async () => {
    const bff = await spawnBff();
    const url = await bff.listening;
    // nobody reads from here on: the pipe fills and the BFF's writes get EAGAIN
    bff.child.stdout.pause();
    const pad = 'x'.repeat(8 * 1024);
    const requests = 400;
    let answered = 0;
    // ~3 MB of request log lines (one per request at debug level), far beyond what a pipe holds
    for (let i = 0; i < requests; i += 8) {
      const batch = Array.from({ length: 8 }, (_, j) =>
        fetch(`${url}/healthz?line=${i + j}&pad=${pad}`, { signal: AbortSignal.timeout(5_000) }).then((r) => {
          if (r.ok) answered += 1;
          return r.arrayBuffer();
        }),
      );
      await Promise.all(batch);
    }
    expect(answered).toBe(requests);

    const stopped = await stopTime(bff.child, bff.exited);
    expect(stopped.ms).toBeLessThan(STOP_BOUND_MS);
    expect(stopped).toMatchObject({ code: 0, signal: null });

    // what reached the pipe before the exit: far from every request's line, so the pipe was full
    let received = '';
    bff.child.stdout.on('data', (d: Buffer) => (received += d.toString()));
    bff.child.stdout.resume();
    await new Promise((resolve) => bff.child.stdout.once('close', resolve));
    const logged = received.split('\n').filter((line) => line.includes('"url":"/healthz?line=')).length;
    expect(logged).toBeLessThan(requests);
  }, 240_000);
});
