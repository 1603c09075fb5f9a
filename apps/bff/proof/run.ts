/**
 * `pnpm proof:reliability`: runs each reliability scenario against real BFF processes, the WeChat
 * Pay sandbox and PostgreSQL — all on loopback, each scenario on a database of its own — checks the
 * database invariants after each, and writes the table of docs/RELIABILITY.md.
 *
 *   pnpm proof:reliability                  every scenario, full size; writes docs/RELIABILITY.md
 *   pnpm proof:reliability --quick          small sizes, one shared shop (CI); prints the table, writes nothing
 *   pnpm proof:reliability --only a,b       only these scenario ids
 *   pnpm proof:reliability --out FILE       write the Markdown there instead
 *   pnpm proof:reliability --json FILE      also write the rows as JSON (the CI test reads them)
 *   pnpm proof:reliability --template DB    copy this migrated, seeded database (the test run's)
 *                                           instead of preparing one
 *   pnpm proof:reliability --bff FILE       start this compiled BFF (scripts/build.mjs's output,
 *                                           the test run's) instead of building one
 *
 * Exits 1 when a scenario did not see what it expects or an invariant is broken. Bounded in time:
 * each scenario has a deadline; it creates and drops only its own uc_bench_proof_* databases.
 *
 * The quick run keeps one shop for all its scenarios, one after another (see world.ts): one
 * database, whose invariants — stock counted from the template's — are checked after each
 * scenario, and the processes started with the default settings kept for the next scenario that
 * asks for such. A scenario that fails leaves that shop behind: the next one gets a fresh shop.
 */
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { checkInvariants, stockSnapshot, type InvariantReport, type StockSnapshot } from './invariants.js';
import { renderMarkdown, type Row } from './report.js';
import { SCENARIOS } from './scenarios.js';
import { openShop, startWorld, type Shop } from './world.js';
import { bffDir } from '../bench/world.js';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'string' },
    template: { type: 'string' },
    bff: { type: 'string' },
  },
});
const quick = values.quick!;
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
if (unknown.length) {
  console.error(`unknown scenario ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.id).join(', ')}`);
  process.exit(2);
}
const chosen = SCENARIOS.filter((s) => !only || only.includes(s.id));
const deadlineMs = quick ? 60_000 : 180_000;

const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
const started = Date.now();
const loadAtStart = load();

function withDeadline<T>(what: string, p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

const world = await startWorld({ template: values.template, bff: values.bff && path.resolve(values.bff) });
const rows: Row[] = [];
/** the quick run's shared shop and its stock before any scenario */
let shared: { shop: Shop; stockBefore: StockSnapshot } | undefined;
try {
  for (const scenario of chosen) {
    const t0 = Date.now();
    process.stderr.write(`proof: ${scenario.id} …\n`);
    if (quick && !shared) {
      const shop = await openShop(world, 'proof_quick', { shared: true });
      shared = { shop, stockBefore: await stockSnapshot(shop) };
    }
    const shop = shared?.shop ?? (await openShop(world, `proof_${scenario.id.replace(/\W/g, '_')}`));
    let figure: string | undefined;
    let error: string | undefined;
    let invariants: InvariantReport | undefined;
    let errorLogs: string[] = [];
    try {
      const stockBefore = shared?.stockBefore ?? (await stockSnapshot(shop));
      try {
        figure = await withDeadline(scenario.id, scenario.run({ shop, quick, stockBefore }), deadlineMs);
      } catch (err) {
        error = (err as Error).message;
      }
      invariants = await checkInvariants(shop, stockBefore);
    } catch (err) {
      error ??= (err as Error).message;
    } finally {
      errorLogs = shop.errorLogs();
      if (!shared) await shop.close();
      else if (error || !invariants?.ok) {
        await shop.close();
        shared = undefined;
      } else await shop.endScenario();
    }
    const row: Row = {
      id: scenario.id,
      title: scenario.title,
      command: `pnpm proof:reliability --only ${scenario.id}${quick ? ' --quick' : ''}`,
      figure,
      error,
      invariants,
      seconds: (Date.now() - t0) / 1000,
      errorLogs,
      ok: !error && !!invariants?.ok,
    };
    rows.push(row);
    process.stderr.write(
      `proof: ${scenario.id} ${row.ok ? 'ok' : 'FAILED'} in ${row.seconds.toFixed(1)} s${error ? `: ${error}` : ''}\n`,
    );
    if (errorLogs.length)
      process.stderr.write(`  ${errorLogs.length} error-level BFF log lines, the first: ${errorLogs[0]}\n`);
    for (const r of invariants?.results ?? [])
      if (r.violations.length) process.stderr.write(`  ${r.name}: ${r.violations.slice(0, 5).join('; ')}\n`);
  }
} finally {
  await shared?.shop.close();
  await world.close();
}

const markdown = renderMarkdown(rows, {
  quick,
  date: new Date(started).toISOString(),
  node: process.version,
  cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}`,
  loadAtStart,
  loadAtEnd: load(),
  seconds: (Date.now() - started) / 1000,
});
// relative paths are the caller's (pnpm runs this in apps/bff and names the caller's directory INIT_CWD)
const callerPath = (p: string) => path.resolve(process.env.INIT_CWD ?? process.cwd(), p);
const out = values.out
  ? callerPath(values.out)
  : quick || only
    ? undefined
    : path.resolve(bffDir, '../../docs/RELIABILITY.md');
if (out) writeFileSync(out, markdown);
if (values.json) writeFileSync(callerPath(values.json), JSON.stringify(rows, null, 2));
console.log(markdown);
if (out) console.error(`proof: wrote ${out}`);
process.exit(rows.every((r) => r.ok) ? 0 : 1);
