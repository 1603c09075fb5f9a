import { cp, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

import { checkDatabaseDrift, checkSchemaDrift, DbError, migrationsDir, type DbKind } from '../../src/db/index.js';
import { createMigration } from '../../src/db/migrate.js';
import { createTestDb } from '../support/db.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const scratch: string[] = [];
afterAll(() => Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true }))));

async function copyOfMigrations(keep: (name: string) => boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'uc-migrations-'));
  scratch.push(dir);
  for (const entry of await readdir(migrationsDir)) {
    if (entry === 'migration_lock.toml' || keep(entry))
      await cp(join(migrationsDir, entry), join(dir, entry), { recursive: true });
  }
  return dir;
}

describe('schema.prisma against prisma/migrations', () => {
  it('agree: replaying the migrations yields exactly the schema (run `pnpm db:migrate:create <name>` if this fails)', async () => {
    expect(await checkSchemaDrift()).toBe('');
  });

  // one diff from an empty migrations folder serves both: the check and the file it writes
  it('the check sees a schema change the migrations lack; db:migrate:create writes it in Prisma’s folder format, then refuses when nothing changed', async () => {
    const dir = await copyOfMigrations(() => false);

    const created = await createMigration('init', { dir, now: new Date('2030-01-02T03:04:05Z') });

    // createMigration writes what checkSchemaDrift(dir) returns for the folder as it was
    expect(created.sql).toMatch(/CREATE TABLE "Order"/);
    expect(created.sql).toMatch(/CREATE UNIQUE INDEX "Order_orderNo_key"/);
    expect(created.name).toBe('20300102030405_init');
    expect(created.path).toBe(join(dir, '20300102030405_init', 'migration.sql'));
    expect(await readFile(created.path, 'utf8')).toBe(`${created.sql}\n`);
    expect(await checkSchemaDrift(dir)).toBe('');
    const refusal = await createMigration('again', { dir }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(DbError);
    expect((refusal as DbError).code).toBe('DB_NO_SCHEMA_CHANGE');
  });

  it('rejects a migration name that is not a plain identifier', async () => {
    const refusal = await createMigration('drop table; --', { dir: migrationsDir }).catch((error: unknown) => error);
    expect((refusal as DbError).code).toBe('DB_MIGRATION_NAME_INVALID');
  });
});

describe.each<DbKind>(['pglite', 'postgres'])('a database migrated on %s', (kind) => {
  it('has exactly the tables, columns, indexes and keys schema.prisma describes', async () => {
    const db = await createTestDb(kind);
    try {
      expect(await checkDatabaseDrift(db)).toBe('');
      await db.prisma.$executeRawUnsafe('ALTER TABLE "Sku" ADD COLUMN "legacyCode" TEXT');
      expect(await checkDatabaseDrift(db)).toMatch(/ALTER TABLE "Sku" DROP COLUMN "legacyCode"/);
    } finally {
      await db.close();
    }
  });
});
