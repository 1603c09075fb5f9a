/**
 * Process lifecycle helpers for the Node entry points (the BFF, the sandbox CLI). Not exported from
 * the package root: the mini-program imports that, and these need Node.
 */
import { Worker } from 'node:worker_threads';

/**
 * stdout/stderr whose reader is gone (EPIPE) or full (EAGAIN) must not end or stall the process:
 * what cannot be written is dropped. Without a listener Node turns such an error into an uncaught
 * exception.
 */
export function tolerateBrokenStdio(): void {
  for (const stream of [process.stdout, process.stderr]) {
    // an error on a standard stream has nowhere left to be reported: the output is dropped
    stream.on('error', () => undefined);
  }
}

export interface ForcedExit {
  cancel(): void;
}

/**
 * Ends the process `ms` from now, whatever its event loop is doing. A timer on the main loop exits
 * with `code`; if that loop is stuck (a synchronous write to a full pipe, a busy loop), a worker
 * thread — which has its own loop — kills the process with SIGKILL a second later.
 */
export function forceExitAfter(ms: number, code = 1): ForcedExit {
  const timer = setTimeout(() => process.exit(code), ms);
  timer.unref();
  const watchdog = new Worker(
    `const { workerData } = require('node:worker_threads');
     setTimeout(() => process.kill(workerData.pid, 'SIGKILL'), workerData.ms);`,
    {
      eval: true,
      // plain Node: neither the parent's loaders (tsx) nor its --input-type apply to this script
      execArgv: [],
      workerData: { pid: process.pid, ms: ms + 1000 },
      stdout: true,
      stderr: true,
    },
  );
  watchdog.unref();
  watchdog.on('error', () => undefined);
  return {
    cancel() {
      clearTimeout(timer);
      void watchdog.terminate();
    },
  };
}
