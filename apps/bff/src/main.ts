import { ConfigError } from './config.js';
import { start } from './server.js';

// The process entry: `pnpm --filter @uni-checkout/bff start`. SIGTERM/SIGINT drain and exit.
try {
  const bff = await start();
  let signalled = false;
  const shutdown = (signal: string) => {
    if (signalled) return;
    signalled = true;
    bff.ctx.logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    bff.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        bff.ctx.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`uni-checkout BFF: configuration error: ${err.message}\n`);
    process.exit(78);
  }
  process.stderr.write(`uni-checkout BFF failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
