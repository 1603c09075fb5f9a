/**
 * The short reliability proof (`pnpm proof:reliability --quick`) in every test run: each scenario
 * of docs/RELIABILITY.md at small size — real BFF processes, PostgreSQL and the sandbox — and every
 * database invariant holding after each.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { Row } from '../../proof/report.js';
import { SCENARIOS } from '../../proof/scenarios.js';

const bffDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'uc-proof-'));

function runQuickProof(): Promise<{ code: number | null; stderr: string; rows: Row[] }> {
  const json = path.join(dir, 'rows.json');
  // the run's migrated, seeded template database (global-setup.ts), copied instead of a new one
  const template = inject('bffTemplateDatabases')?.seeded;
  // and its compiled BFF, instead of a build of the proof's own
  const bff = inject('bffMain');
  const args = [
    '--quick',
    '--json',
    json,
    ...(template ? ['--template', template] : []),
    ...(bff ? ['--bff', bff] : []),
  ];
  const child = spawn(process.execPath, ['--import', 'tsx', 'proof/run.ts', ...args], {
    cwd: bffDir,
    env: process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      let rows: Row[] = [];
      try {
        rows = JSON.parse(readFileSync(json, 'utf8')) as Row[];
      } catch {
        // no rows written: the exit code and stderr tell why
      }
      resolve({ code, stderr, rows });
    });
  });
}

describe('pnpm proof:reliability --quick', () => {
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every scenario, each sees what it expects, and every invariant holds after each', async () => {
    const { code, stderr, rows } = await runQuickProof();
    expect(
      rows.map((r) => r.id),
      stderr,
    ).toEqual(SCENARIOS.map((s) => s.id));
    for (const row of rows) {
      expect(row.error, `${row.id}: ${row.error}`).toBeUndefined();
      expect(row.figure, row.id).toBeTruthy();
      const broken = row.invariants!.results.filter((r) => r.violations.length);
      expect(broken, `${row.id} broke invariants`).toEqual([]);
      // nothing lost, nothing doubled: every payment WeChat took is settled here exactly once
      expect(row.invariants!.books.paid, row.id).toBe(row.invariants!.books.paidAtWechat);
      expect(row.invariants!.books.settlements, row.id).toBe(row.invariants!.books.paid);
    }
    expect(code, stderr).toBe(0);
  }, 600_000);
});
