import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, describe, expect, it, vi } from 'vitest';

import {
  DbError,
  checkDatabaseDrift,
  migrate,
  migrateDb,
  migrationStatus,
  migrationsDir,
  type DbKind,
} from '../../src/db/index.js';
import { MIGRATION_LOCK_TOML } from '../../src/db/migrate.js';
import { createEmptyTestDb, type TestDb } from '../support/db.js';

// PGlite compiles its wasm on first use in each test file; CI machines are often busy.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const kinds: DbKind[] = ['pglite', 'postgres'];

async function migrationNames(): Promise<string[]> {
  const entries = await readdir(migrationsDir, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished: boolean;
  applied_steps_count: number;
}

describe('prisma/migrations folder', () => {
  it('is in Prisma’s own format: a lock file for postgresql and one migration.sql per folder', async () => {
    expect(await readFile(join(migrationsDir, 'migration_lock.toml'), 'utf8')).toBe(MIGRATION_LOCK_TOML);
    const names = await migrationNames();
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
      expect((await readFile(join(migrationsDir, name, 'migration.sql'), 'utf8')).length).toBeGreaterThan(0);
    }
  });
});

describe.each(kinds)('migrations on %s', (kind) => {
  let db: TestDb | undefined;
  const scratchDirs: string[] = [];
  afterEach(async () => {
    await db?.close();
    db = undefined;
    await Promise.all(scratchDirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  });

  it('applies every migration to an empty database, as prisma migrate deploy records them, and does nothing when run again', async () => {
    db = await createEmptyTestDb(kind);
    const names = await migrationNames();
    expect((await migrationStatus(db)).pending).toEqual(names);

    const { applied } = await migrateDb(db);

    expect(applied).toEqual(names);
    expect(await migrationStatus(db)).toEqual({ pending: [], failed: [] });
    const rows = await db.prisma.$queryRaw<MigrationRow[]>`
      SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, applied_steps_count
      FROM _prisma_migrations ORDER BY migration_name`;
    // Prisma's checksum is the SHA-256 of migration.sql: `prisma migrate deploy` sees these as applied.
    const expected = await Promise.all(
      names.map(async (name) => ({
        migration_name: name,
        checksum: createHash('sha256')
          .update(await readFile(join(migrationsDir, name, 'migration.sql')))
          .digest('hex'),
        finished: true,
        applied_steps_count: 1,
      })),
    );
    expect(rows).toEqual(expected);
    expect(await checkDatabaseDrift(db)).toBe('');
    await expect(db.prisma.order.count()).resolves.toBe(0);

    // run again on the migrated database: nothing applied, nothing recorded
    expect(await migrateDb(db)).toEqual({ applied: [] });
    const after = await db.prisma.$queryRaw<MigrationRow[]>`
      SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, applied_steps_count
      FROM _prisma_migrations ORDER BY migration_name`;
    expect(after).toEqual(rows);
  });

  it('applies each migration once when two migrate calls race', async () => {
    db = await createEmptyTestDb(kind);
    const target = db;
    const results = await Promise.all(
      kind === 'postgres'
        ? [migrate({ databaseUrl: target.databaseUrl }), migrate({ databaseUrl: target.databaseUrl })]
        : [migrateDb(target), migrateDb(target)],
    );

    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual(await migrationNames());
    expect(results.filter((r) => r.applied.length > 0)).toHaveLength(1);
    expect(await migrationStatus(target)).toEqual({ pending: [], failed: [] });
  });

  it('rolls a failing migration back whole and reports it with a stable code', async () => {
    db = await createEmptyTestDb(kind);
    const dir = await mkdtemp(join(tmpdir(), 'uc-migrations-'));
    scratchDirs.push(dir);
    await writeFile(join(dir, 'migration_lock.toml'), MIGRATION_LOCK_TOML);
    await mkdir(join(dir, '20260101000000_broken'));
    await writeFile(
      join(dir, '20260101000000_broken', 'migration.sql'),
      'CREATE TABLE "half_done" ("id" INTEGER);\nINSERT INTO "half_done" VALUES (1);\nSELECT 1 / 0;\n',
    );

    const failure = await migrateDb(db, { migrationsDir: dir }).then(
      () => undefined,
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(DbError);
    expect((failure as DbError).code).toBe('DB_MIGRATION_FAILED');
    expect((failure as DbError).message).toMatch(/20260101000000_broken/);
    expect((failure as DbError).message).toMatch(/division by zero/);
    // the script ran as one transaction: nothing of it stayed behind
    const tables = await db.prisma.$queryRaw<{ n: bigint }[]>`
      SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'half_done'`;
    expect(tables).toEqual([{ n: 0n }]);
    expect(await migrationStatus(db, { migrationsDir: dir })).toEqual({
      pending: [],
      failed: ['20260101000000_broken'],
    });

    // as with prisma migrate deploy, nothing more is applied until the failure is resolved
    const refusal = await migrateDb(db, { migrationsDir: dir }).catch((error: unknown) => error);
    expect((refusal as DbError).code).toBe('DB_MIGRATION_FAILED');
    expect((refusal as DbError).message).toMatch(/failed migrations/);

    // the repair prisma/README.md describes
    await writeFile(join(dir, '20260101000000_broken', 'migration.sql'), 'CREATE TABLE "half_done" ("id" INTEGER);\n');
    await db.prisma
      .$executeRaw`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20260101000000_broken' AND finished_at IS NULL`;
    expect(await migrateDb(db, { migrationsDir: dir })).toEqual({ applied: ['20260101000000_broken'] });
    expect(await migrationStatus(db, { migrationsDir: dir })).toEqual({ pending: [], failed: [] });
  });
});
