/**
 * `pnpm bench`: the BFF's hot paths against a lean baseline doing the same work, side by side in
 * one run, and (`--scale`) the admin reads, reconciliation and jobs at 1k and 100k orders. Prints
 * the tables of docs/PERFORMANCE.md; asserts nothing about time.
 *
 *   pnpm bench                 hot paths at c = 1, 8, 32, three repeats each
 *   pnpm bench --scale         the 1k vs 100k table
 *   pnpm bench --all           both
 *   pnpm bench --quick         a smoke run of whichever was chosen (small counts, one repeat)
 *   pnpm bench --only notify   the notification paths only, BFF and lean (e.g. to profile them)
 *
 * Every server is its own process on a free loopback port; the databases are the bench's own
 * (uc_bench_…), dropped when it ends.
 */
import os from 'node:os';
import { hotPaths } from './hot-paths.js';
import { scale } from './scale.js';
import { dropOwnDatabases, stopAllChildren } from './support.js';
import { bffCommand, removeStateDir, startSandbox } from './world.js';

const argv = process.argv.slice(2);
const args = new Set(argv);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
if (only !== undefined && only !== 'notify') throw new Error(`--only ${only}: the one choice is --only notify`);
const quick = args.has('--quick');
const runScale = args.has('--scale') || args.has('--all');
const runHot = !args.has('--scale') || args.has('--all');

const started = Date.now();
const sections: string[] = [];
const load = os
  .loadavg()
  .map((l) => l.toFixed(2))
  .join(' / ');
sections.push(
  `uni-checkout bench — ${new Date().toISOString()}, Node ${process.version}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ` +
    `load average at start ${load} (1 / 5 / 15 min), BFF started as \`${[bffCommand().command.split('/').at(-1), ...bffCommand().args].join(' ')}\`${quick ? ' — QUICK (smoke figures only)' : ''}`,
);

const world = await startSandbox();
let failed = false;
try {
  if (runHot) {
    sections.push(
      await hotPaths(world, {
        concurrencies: quick ? [1, 8] : [1, 8, 32],
        repeats: quick ? 1 : 3,
        count: quick ? 40 : 300,
        maxSeconds: quick ? 2 : 4,
        notifyOnly: only === 'notify',
      }),
    );
  }
  if (runScale) sections.push(await scale(world, { sizes: quick ? [1000, 10_000] : [1000, 100_000] }));
} catch (err) {
  failed = true;
  console.error(err);
} finally {
  await stopAllChildren();
  await world.sandbox.stop();
  removeStateDir(world);
  await dropOwnDatabases();
}
sections.push(
  `bench took ${((Date.now() - started) / 1000).toFixed(0)} s; load average at the end ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ')}`,
);
console.log('\n' + sections.join('\n\n') + '\n');
process.exit(failed ? 1 : 0);
