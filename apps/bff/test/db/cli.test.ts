import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { afterAll, describe, expect, it, vi } from 'vitest';

import { migrationsDir, openDb } from '../../src/db/index.js';
import { createEmptyTestDb, pgliteDataDir } from '../support/db.js';

// each step is a fresh process (tsx start-up, PGlite start-up): slow on a busy machine
vi.setConfig({ testTimeout: 240_000, hookTimeout: 60_000 });

// every migration folder of the repo, in the order they apply
const allMigrations = readdirSync(migrationsDir, { withFileTypes: true })
  .filter((e) => e.isDirectory() && /^\d{14}_/.test(e.name))
  .map((e) => e.name)
  .sort();

const bffDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs one of the db CLIs as `pnpm db:…` does: through tsx's loader, cwd apps/bff, env on top of
 * ours. The loader in one Node process, as `tsx` itself runs it, without the `tsx` command's own
 * parent process, which would double every start-up.
 */
function runCli(script: string, args: string[], env: Record<string, string | undefined>): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', `src/db/${script}`, ...args],
      { cwd: bffDir, env: childEnv },
      (error, stdout, stderr) => {
        resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const scratch: string[] = [];
afterAll(() => Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true }))));

// the three cases share nothing (own directory, own database): they run side by side
describe.concurrent('pnpm db:migrate and db:seed', () => {
  it('on the embedded PGlite: seed refuses before migrating, then migrate, status and seed work', async () => {
    // a data directory as its first open leaves it (initdb is PGlite's own work, not the CLI's)
    const pgliteDir = await pgliteDataDir(await mkdtemp(join(tmpdir(), 'uc-pglite-cli-')));
    scratch.push(pgliteDir);
    const env = { DATABASE_URL: undefined, PGLITE_DIR: pgliteDir };

    const refused = await runCli('seed-cli.ts', [], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/error \[DB_NOT_MIGRATED\].*pnpm db:migrate/);

    const migrated = await runCli('migrate-cli.ts', [], env);
    expect(migrated).toMatchObject({ code: 0 });
    expect(migrated.stdout).toContain(
      `applied ${allMigrations.length} migration(s):\n${allMigrations.map((m) => `  ${m}`).join('\n')}`,
    );

    const status = await runCli('migrate-cli.ts', ['status'], env);
    expect(status).toMatchObject({ code: 0 });
    expect(status.stdout).toMatch(/0 pending, 0 failed/);

    const seeded = await runCli('seed-cli.ts', [], env);
    expect(seeded).toMatchObject({ code: 0 });
    expect(seeded.stdout).toMatch(/Seeded the catalog: \d+ products, \d+ SKUs\./);

    // while another process (here: this one, as a running BFF would) has the directory open
    const held = await openDb({ pgliteDir });
    try {
      const blocked = await runCli('seed-cli.ts', [], env);
      expect(blocked.code).toBe(1);
      expect(blocked.stderr).toMatch(new RegExp(`error \\[DB_PGLITE_IN_USE\\].*process ${process.pid}`));
    } finally {
      await held.close();
    }
  });

  it('on PostgreSQL: two processes migrating at once both succeed, and one of them applies', async () => {
    const db = await createEmptyTestDb('postgres');
    try {
      const env = { DATABASE_URL: db.databaseUrl };
      const runs = await Promise.all([runCli('migrate-cli.ts', [], env), runCli('migrate-cli.ts', [], env)]);

      expect(runs.map((r) => r.code)).toEqual([0, 0]);
      expect(runs.filter((r) => r.stdout.includes(`applied ${allMigrations.length} migration(s)`))).toHaveLength(1);
      expect(runs.filter((r) => /already up to date/.test(r.stdout))).toHaveLength(1);
      const seeded = await runCli('seed-cli.ts', [], env);
      expect(seeded).toMatchObject({ code: 0 });
    } finally {
      await db.close();
    }
  });

  it('rejects a bad DATABASE_URL and an unknown command with a stable code', async () => {
    const [badUrl, unknown] = await Promise.all([
      runCli('migrate-cli.ts', [], { DATABASE_URL: 'mysql://root@localhost/shop' }),
      runCli('migrate-cli.ts', ['rollback'], {}),
    ]);
    expect(badUrl.code).toBe(1);
    expect(badUrl.stderr).toMatch(/error \[DB_URL_INVALID\]/);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/error \[DB_MIGRATIONS_INVALID\]: unknown command "rollback"/);
  });
});
