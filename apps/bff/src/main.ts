import { forceExitAfter, tolerateBrokenStdio } from '@uni-checkout/shared/process';
import { ConfigError } from './config.js';
import { start, type RunningBff } from './server.js';

/** How long a signalled BFF may take to drain before it is ended anyway (a rolling deploy waits this long at most). */
const FORCED_EXIT_MS = 15_000;

// The process entry: `pnpm --filter @uni-checkout/bff start`. SIGTERM/SIGINT drain and exit.
// Stopping never depends on stdout/stderr: a log reader that is gone or not reading changes
// nothing (see stdoutDestination in logger.ts).
tolerateBrokenStdio();

let bff: RunningBff | undefined;
let signalled: string | undefined;

function stop(running: RunningBff, signal: string) {
  running.ctx.logger.info({ signal }, 'shutting down');
  running.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      running.ctx.logger.error({ err }, 'shutdown failed');
      process.exit(1);
    },
  );
}

// Installed before start-up, so a signal that arrives while the BFF is starting is not lost either.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (signalled) return;
    signalled = signal;
    // armed before anything is written, so even a write that never returns cannot keep the process
    forceExitAfter(FORCED_EXIT_MS, 1);
    if (bff) stop(bff, signal);
  });
}

try {
  bff = await start();
  if (signalled) stop(bff, signalled);
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`uni-checkout BFF: configuration error: ${err.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`uni-checkout BFF failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
