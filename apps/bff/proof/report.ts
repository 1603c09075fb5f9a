/** docs/RELIABILITY.md, from the rows of one proof run. */
import type { InvariantReport } from './invariants.js';

export interface Row {
  id: string;
  title: string;
  command: string;
  figure: string | undefined;
  error: string | undefined;
  invariants: InvariantReport | undefined;
  seconds: number;
  /** error-level log lines the BFF processes wrote (expected where the scenario breaks something) */
  errorLogs: string[];
  ok: boolean;
}

export interface RunInfo {
  quick: boolean;
  date: string;
  node: string;
  cpus: string;
  loadAtStart: string;
  loadAtEnd: string;
  seconds: number;
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function invariantCell(r: Row): string {
  const inv = r.invariants;
  if (!inv) return '❌ not checked';
  const b = inv.books;
  const books = `${b.orders} orders, ${b.paid} paid here = ${b.paidAtWechat} at WeChat, ${b.settlements} settlements, ${b.closed} closed, ${b.refundedFen} fen refunded`;
  const broken = inv.results.filter((x) => x.violations.length);
  if (!broken.length) return `✅ ${inv.results.length}/${inv.results.length} hold — ${books}`;
  return `❌ ${broken.map((x) => `${x.name}: ${x.violations.slice(0, 3).join('; ')}`).join(' — ')} — ${books}`;
}

export function renderMarkdown(rows: Row[], run: RunInfo): string {
  const names = rows.find((r) => r.invariants)?.invariants?.results.map((x) => x.name) ?? [];
  const loaded = Number(run.loadAtStart.split(' / ')[0]) >= 1 || Number(run.loadAtEnd.split(' / ')[0]) >= 1;
  return `# Reliability

What the checkout promises when things go wrong — duplicated, late, forged or lost notifications,
a process killed in the middle of a payment or a refund, the database going away, several BFF
processes racing for the same order, stock or refund — each promise a scenario that runs against
real BFF processes (the compiled BFF, as \`pnpm --filter @uni-checkout/bff start\` runs it), real
PostgreSQL and the WeChat Pay sandbox over real HTTP, all on loopback. After every scenario the
database invariants below are checked in SQL and the books are compared with WeChat's (the
sandbox's): every row shows that nothing was lost and nothing doubled.

This file is written by \`pnpm proof:reliability\` (scripts in \`apps/bff/proof/\`); do not edit it by
hand. \`pnpm proof:reliability --quick\` (small sizes, one shared shop) runs in CI as
\`apps/bff/test/proof/reliability.test.ts\`; \`--only <id>\` runs one row.

Figures of ${run.date}${run.quick ? ' (QUICK run: small sizes)' : ''}, Node ${run.node}, ${run.cpus},
load average ${run.loadAtStart} at the start and ${run.loadAtEnd} at the end (1 / 5 / 15 min)${
    loaded ? ' — a loaded machine shared with other work, so times are longer than on an idle one' : ''
  }; the whole run took ${run.seconds.toFixed(0)} s. The sandbox's clocks run 100× faster
(\`SANDBOX_TIME_SCALE=0.01\`: WeChat's notification retries after 150 ms instead of 15 s), and where
a job waits for an order or refund to be old enough the scenario moves its timestamps back in SQL
instead of waiting.

| scenario | command | figure on this machine | invariants after it |
|---|---|---|---|
${rows
  .map(
    (r) =>
      `| ${cell(r.title)} | \`${r.command}\` | ${cell(r.error ? `❌ ${r.error}` : (r.figure ?? ''))} (${r.seconds.toFixed(0)} s) | ${cell(invariantCell(r))} |`,
  )
  .join('\n')}

## The invariants

Checked on the scenario's database after it ran (\`apps/bff/proof/invariants.ts\`):

${names.map((n) => `- ${n}`).join('\n')}

"Paid at WeChat" counts the sandbox's transactions of the scenario's orders in state SUCCESS or
REFUND; "settlements" counts \`PAYMENT_SETTLED\` events (one per order becoming paid).

## How the scenarios run

- Each scenario gets its own database (\`CREATE DATABASE … TEMPLATE\` of one migrated, seeded
  template) and its own BFF processes; all are dropped or stopped at the end.
- \`--quick\` runs the scenarios one after another in one shared shop instead: one database, on
  which the invariants are checked after each scenario (stock counted from the template's, so
  they cover every scenario so far), and processes started with the default settings (no jobs,
  no limits of a scenario's own) kept for the next scenario that asks for such processes; the
  others are stopped when their scenario ends. A scenario's own checks look at its own orders,
  refunds and SKU only. After a failed scenario the next one gets a fresh shop.
- Each BFF process reaches PostgreSQL through its own loopback TCP proxy, which the scenario can
  cut (every connection dropped, new ones refused), slow down or restore; WeChat's notifications
  reach the processes through a round-robin proxy (the \`PUBLIC_BASE_URL\`), as a load balancer would
  (\`TRUST_PROXY=loopback\`: the abuse rows tell clients apart by \`X-Forwarded-For\`). Processes
  start with the \`start\` script's Node flags.
- \`kill -9\` is SIGKILL to the BFF process; it is then started again on the same database, as a
  supervisor would.
`;
}
