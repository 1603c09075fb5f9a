/**
 * The order in which `pnpm test` starts its files: the longest first, so that no long file starts
 * near the end of the run and keeps it going alone. Vitest's own order needs the results of an
 * earlier run on the same checkout (without them it goes by file size), which a clean clone in CI
 * does not have; the weights below are the seconds each long file took in a full run on a busy
 * machine. Only their order matters: a file not listed counts as short; short files go by project,
 * then size. A file that waits for a uni-app build (started with the run, see prebuild.ts) would
 * hold a worker idle until the build is made, so the first long files of the other projects go
 * ahead of it: one per worker and one more, about as long as the first (h5) build takes.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { buildsNeeded } from '../miniapp/support/build-needs.ts';

const WEIGHTS: Record<string, number> = {
  'apps/bff/test/proof/reliability.test.ts': 175,
  'test/e2e/purchase.test.ts': 133, // and the h5 build it waits for
  'apps/bff/test/db/cli.test.ts': 108,
  'apps/bff/test/db/connection.test.ts': 78,
  'apps/bff/test/hardening/admin-lockout.test.ts': 60,
  'apps/bff/test/wechat/shipping-client.test.ts': 57,
  'test/e2e/admin.test.ts': 53,
  'apps/bff/test/fulfilment/shipping.test.ts': 51,
  'test/miniapp/miniapp.test.ts': 48,
  'apps/bff/test/db/drift.test.ts': 46,
  'apps/bff/test/db/migrations.test.ts': 40,
  'apps/bff/test/foundation/shutdown.test.ts': 37,
  'packages/wechatpay-sandbox/test/key-modes.test.ts': 35,
  'apps/bff/test/payments/key-modes.test.ts': 32,
  'apps/bff/test/hardening/shopper-limits.test.ts': 28,
  'packages/wechatpay-sandbox/test/shipping.test.ts': 27,
  'apps/bff/test/payments/happy-path.test.ts': 24,
  'apps/bff/test/db/concurrency.test.ts': 21,
  'packages/wechatpay-sandbox/test/cli.test.ts': 20,
  'test/miniapp/mp-weixin/purchase.test.ts': 19,
  'test/miniapp/mp-weixin/sandbox.test.ts': 17,
  'apps/bff/test/db/seed.test.ts': 14,
  'apps/bff/test/admin/passwords.test.ts': 14,
  'packages/wechatpay-sandbox/test/pay-notify.test.ts': 13,
  'apps/bff/test/hardening/shared-limits.test.ts': 13,
  'packages/wechatpay-sandbox/test/strict.test.ts': 12,
  'apps/bff/test/foundation/http.test.ts': 12,
  'test/e2e/accessibility.test.ts': 11,
};

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const weight = new Map<TestSpecification, [number, number]>();
    const waits = new Set<TestSpecification>();
    for (const file of files) {
      const rel = path.relative(root, file.moduleId).split(path.sep).join('/');
      if (buildsNeeded(rel).length > 0) waits.add(file);
      let size = 0;
      try {
        size = readFileSync(file.moduleId).length;
      } catch {
        // a file vitest found but cannot read here sorts as the smallest
      }
      weight.set(file, [WEIGHTS[rel] ?? 0, size]);
    }
    const sorted = [...files].sort((a, b) => {
      const groupOrder = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
      if (groupOrder !== 0) return groupOrder;
      const [wa, sa] = weight.get(a)!;
      const [wb, sb] = weight.get(b)!;
      if (wa !== wb) return wb - wa;
      // short files of one project side by side: a bff worker (isolate: false) is kept for the
      // next file only when that file is a bff file too, else the next one imports everything again
      if (a.project.name !== b.project.name) return a.project.name < b.project.name ? -1 : 1;
      return sb - sa;
    });
    const workers = typeof this.ctx.config.maxWorkers === 'number' ? this.ctx.config.maxWorkers : 2;
    const ahead = sorted.filter((file) => !waits.has(file)).slice(0, workers + 1);
    return [...ahead, ...sorted.filter((file) => !ahead.includes(file))];
  }
}
