import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

import {
  DbError,
  assertMigrated,
  dbDriver,
  migrate,
  migrateDb,
  migrationStatus,
  migrationsDir,
  openDb,
  pingDb,
  type DbKind,
} from '../../src/db/index.js';
import { createEmptyTestDb, createTestDb, PATIENT_PING, pgliteDataDir } from '../support/db.js';
import { rejectionOf } from '../support/rejection.js';

vi.setConfig({ testTimeout: 60_000, hookTimeout: 60_000 });

const dbErrorOf = (promise: Promise<unknown>) => rejectionOf(promise, DbError);

const scratch: string[] = [];
afterAll(() => Promise.all(scratch.map((d) => rm(d, { recursive: true, force: true }))));

describe('openDb', () => {
  it.each([
    ['mysql://root@localhost/shop', /must start with postgresql:\/\//],
    ['not a url', /not a valid URL/],
    ['postgresql://127.0.0.1:5432', /names no database/],
    ['postgresql://127.0.0.1:5432/shop?schema=tenant1', /public schema/],
    ['postgresql://127.0.0.1:5432/shop?connection_limit=0', /connection_limit=0/],
  ])('refuses DATABASE_URL %j with DB_URL_INVALID', async (databaseUrl, message) => {
    const error = await dbErrorOf(openDb({ databaseUrl }));
    expect(error.code).toBe('DB_URL_INVALID');
    expect(error.message).toMatch(message);
  });

  it('honours Prisma’s connection_limit URL parameter as the pool size', async () => {
    const { testAdminUrl } = await import('../support/db.js');
    const url = new URL(testAdminUrl());
    url.searchParams.set('connection_limit', '3');
    const db = await openDb({ databaseUrl: url.toString() });
    try {
      const driver = dbDriver(db);
      expect(driver.kind === 'postgres' && driver.pool.options.max).toBe(3);
      await expect(pingDb(db, PATIENT_PING)).resolves.toBeUndefined();
    } finally {
      await db.close();
    }
  });

  it('names an unreachable server with DB_UNREACHABLE and never prints the password', async () => {
    const error = await dbErrorOf(openDb({ databaseUrl: 'postgresql://shop:s3cret-pw@127.0.0.1:1/shop' }));
    expect(error.code).toBe('DB_UNREACHABLE');
    expect(error.message).toMatch(/127\.0\.0\.1:1/);
    expect(error.message).not.toMatch(/s3cret-pw/);
    const migrateError = await dbErrorOf(migrate({ databaseUrl: 'postgresql://shop:s3cret-pw@127.0.0.1:1/shop' }));
    expect(migrateError.code).toBe('DB_UNREACHABLE');
    expect(migrateError.message).not.toMatch(/s3cret-pw/);
  });

  it('keeps a PGlite database in its directory across restarts (an empty DATABASE_URL means PGlite)', async () => {
    // initialised as a first open leaves it: what is kept across restarts is the subject here
    const pgliteDir = await pgliteDataDir(await mkdtemp(join(tmpdir(), 'uc-pglite-')));
    scratch.push(pgliteDir);

    // every migration of the repo, the first being the initial schema
    const all = readdirSync(migrationsDir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && /^\d{14}_/.test(e.name))
      .map((e) => e.name)
      .sort();
    expect(all[0]).toMatch(/_init$/);
    expect(await migrate({ databaseUrl: '', pgliteDir })).toEqual({ applied: all });
    const first = await openDb({ databaseUrl: '', pgliteDir });
    expect(first.kind).toBe('pglite');
    await first.prisma.user.create({ data: { openid: 'o-persisted' } });
    await first.close();

    const again = await openDb({ pgliteDir });
    try {
      expect(await again.prisma.user.count({ where: { openid: 'o-persisted' } })).toBe(1);
      expect(await migrationStatus(again)).toEqual({ pending: [], failed: [] });
    } finally {
      await again.close();
    }
  });
});

describe('a PGlite data directory', () => {
  it('serves one opener at a time: a second gets DB_PGLITE_IN_USE until the first closes', async () => {
    const pgliteDir = await pgliteDataDir(join(await mkdtemp(join(tmpdir(), 'uc-pglite-lock-')), 'db'));
    scratch.push(dirname(pgliteDir));
    const first = await openDb({ pgliteDir });
    expect((await readFile(`${pgliteDir}.lock`, 'utf8')).trim()).toBe(String(process.pid));

    const error = await dbErrorOf(openDb({ pgliteDir }));
    expect(error.code).toBe('DB_PGLITE_IN_USE');
    expect((await dbErrorOf(migrate({ pgliteDir }))).code).toBe('DB_PGLITE_IN_USE');

    await first.close();
    await expect(stat(`${pgliteDir}.lock`)).rejects.toThrow(/ENOENT/);
    const second = await openDb({ pgliteDir });
    await second.close();
  });

  it('takes over a lock left by a process that no longer exists', async () => {
    const pgliteDir = await pgliteDataDir(join(await mkdtemp(join(tmpdir(), 'uc-pglite-lock-')), 'db'));
    scratch.push(dirname(pgliteDir));
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
      encoding: 'utf8',
    });
    await writeFile(`${pgliteDir}.lock`, `${exited.stdout}\n`);

    const db = await openDb({ pgliteDir });
    expect((await readFile(`${pgliteDir}.lock`, 'utf8')).trim()).toBe(String(process.pid));
    await db.close();
  });
});

describe.each<DbKind>(['pglite', 'postgres'])('a %s database', (kind) => {
  it('answers pingDb while open and fails it with DB_UNREACHABLE once closed', async () => {
    const db = await createTestDb(kind);
    expect(db.kind).toBe(kind);
    await expect(pingDb(db, PATIENT_PING)).resolves.toBeUndefined();
    await db.close();
    expect((await dbErrorOf(pingDb(db))).code).toBe('DB_UNREACHABLE');
  });

  it('reports DB_NOT_MIGRATED, naming the command, until it is migrated', async () => {
    const db = await createEmptyTestDb(kind);
    try {
      const error = await dbErrorOf(assertMigrated(db));
      expect(error.code).toBe('DB_NOT_MIGRATED');
      expect(error.message).toMatch(/pnpm db:migrate/);
      await migrateDb(db);
      await expect(assertMigrated(db)).resolves.toBeUndefined();
    } finally {
      await db.close();
    }
  });
});
