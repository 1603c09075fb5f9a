/**
 * A fresh, migrated database per call, for tests:
 * - postgres: `CREATE DATABASE uc_test_<time>_<random>` through the admin URL TEST_DATABASE_URL
 *   (default postgresql://postgres@127.0.0.1:5432/test), migrated; dropped again on close().
 *   Under the bff project, the copy of a template database migrated (and seeded) once per run by
 *   test/support/global-setup.ts: `CREATE DATABASE … TEMPLATE …` takes a fraction of a second,
 *   a migration several.
 * - pglite: in memory. The first call per process migrates a template and dumps its data
 *   directory; every later call starts from that dump (no initdb, no migration run).
 * PGlite's initdb costs more CPU than anything else in opening it: it runs once per process, and
 * every empty PGlite database or data directory after that starts from a copy of its result.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { inject, type ProvidedContext } from 'vitest';

import { dbDriver, dbFromPglite, migrateDb, openDb, seedCatalog, type Db, type DbKind } from '../../src/db/index.js';
import { BytesBlob, startPglite } from '../../src/db/pglite.js';

export const DEFAULT_TEST_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/test';
const PREFIX = 'uc_test_';

export type TestDb = Db & { databaseUrl?: string };

/** Template databases made by global-setup.ts (names), for the projects that run it. */
export interface TemplateDatabases {
  migrated: string;
  seeded: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    bffTemplateDatabases: TemplateDatabases | undefined;
    /** a WeChat Pay sandbox state dir holding the run's identity (global-setup.ts) */
    sandboxStateTemplate: string | undefined;
    /** the same identity with a platform certificate and its CA issued (global-setup.ts) */
    sandboxCertificateStateTemplate: string | undefined;
    /** where the run's PGlite dumps (initialised, migrated) are left for every worker (global-setup.ts) */
    pgliteDumpDir: string | undefined;
    /** the run's compiled BFF (scripts/build.mjs), for the tests that start it as a process (global-setup.ts) */
    bffMain: string | undefined;
  }
}

/** What the run's global setup provided under `key`; undefined outside a vitest worker. */
export function provided<K extends keyof ProvidedContext>(key: K): ProvidedContext[K] | undefined {
  try {
    return inject(key);
  } catch {
    // outside a vitest worker
    return undefined;
  }
}

/** A name of the run's own databases (uc_test_<unix seconds>_<random>). */
export function testDatabaseName(): string {
  return `${PREFIX}${Math.floor(Date.now() / 1000)}_${randomBytes(5).toString('hex')}`;
}

/**
 * pingDb's options for a test whose subject is whether the database answers, not how fast: a loaded
 * machine can take longer than the probe's default 2 s for a pool's first query.
 */
export const PATIENT_PING = { timeoutMs: 25_000 };

export function testAdminUrl(): string {
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

function databaseUrlFor(adminUrl: string, database: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdmin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testAdminUrl(), connectionTimeoutMillis: 10_000 });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (error) {
    throw new Error(
      `Cannot reach the test PostgreSQL at TEST_DATABASE_URL (${testAdminUrl()}): ${(error as Error).message}. ` +
        'Start PostgreSQL or point TEST_DATABASE_URL at one (the role needs CREATEDB).',
      { cause: error },
    );
  }
  try {
    return await use(client);
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Creates the run's database `name` (a copy of `template` if given) and returns its URL. Every
 * session on it commits without waiting for its WAL to reach the disk: a test database dies with
 * its run, so a crash losing its last commits costs nothing, while a flush per commit costs
 * PostgreSQL several times the CPU of the commit itself (and milliseconds of wall each). What other
 * sessions see is unchanged: a commit is visible when it returns either way. A setting of the
 * database, not of the server (no other database is touched), and not copied to the databases
 * made from it as a template: each gets it here.
 */
export async function createRunDatabase(name: string, template?: string): Promise<string> {
  await withAdmin(async (client) => {
    await client.query(template ? `CREATE DATABASE "${name}" TEMPLATE "${template}"` : `CREATE DATABASE "${name}"`);
    await client.query(`ALTER DATABASE "${name}" SET synchronous_commit = off`);
  });
  return databaseUrlFor(testAdminUrl(), name);
}

async function createPostgresTestDb(): Promise<TestDb> {
  const db = await createEmptyTestDb('postgres');
  try {
    await migrateDb(db);
  } catch (error) {
    await db.close().catch(() => {});
    throw error;
  }
  return db;
}

/** A promise made once, made again on the next call if it failed. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let made: Promise<T> | undefined;
  return () => {
    if (!made) {
      made = make();
      made.catch(() => {
        made = undefined;
      });
    }
    return made;
  };
}

/**
 * Something made once per test run rather than once per worker, at `path` in the run's dump
 * directory (global-setup.ts): the first worker to need it makes it at `${path}.tmp` and renames
 * it into place, the others wait for it. Outside such a run, or if the maker fails, each process
 * makes its own (undefined: the caller makes it where it likes).
 */
async function sharedPath(name: string, make: (tmp: string) => Promise<void>): Promise<string | undefined> {
  const dir = provided('pgliteDumpDir');
  if (!dir) return undefined;
  const path = join(dir, name);
  const lock = `${path}.lock`;
  for (const deadline = Date.now() + 300_000; Date.now() < deadline;) {
    if (existsSync(path)) return path;
    let mine = false;
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
      mine = true;
    } catch {
      // another worker is making it
    }
    if (mine) {
      try {
        rmSync(`${path}.tmp`, { recursive: true, force: true });
        await make(`${path}.tmp`);
        renameSync(`${path}.tmp`, path);
        return path;
      } finally {
        rmSync(lock, { force: true });
      }
    }
    await sleep(100);
  }
  return undefined;
}

/** The bytes of a dump, as a Blob that PGlite reads back cheaply on every start. */
async function bytesOf(dump: Blob): Promise<BytesBlob> {
  return new BytesBlob(new Uint8Array(await dump.arrayBuffer()));
}

/** A PGlite dump made once per test run (see sharedPath). */
async function sharedDump(name: string, make: () => Promise<Blob>): Promise<BytesBlob> {
  const file = await sharedPath(`${name}.tar`, async (tmp) =>
    writeFileSync(tmp, Buffer.from(await (await make()).arrayBuffer())),
  );
  return file ? new BytesBlob(readFileSync(file)) : bytesOf(await make());
}

/** The data directory of a PGlite database just initialised (initdb) and empty, as a dump. */
const emptyPgliteDump = once(() =>
  sharedDump('empty', async () => {
    const pglite = await startPglite('memory://');
    try {
      return await pglite.dumpDataDir('none');
    } finally {
      await pglite.close();
    }
  }),
);

/** An empty in-memory PGlite database, as `openDb({ pgliteDir: 'memory://' })` opens one. */
async function emptyPgliteDb(): Promise<Db> {
  return dbFromPglite(await startPglite('memory://', { loadDataDir: await emptyPgliteDump() }));
}

/** Opens and closes a PGlite database in `dir` started from the empty dump. */
async function initialiseDir(dir: string): Promise<void> {
  const pglite = await startPglite(dir, { loadDataDir: await emptyPgliteDump() });
  await pglite.close();
}

/** A data directory initialised once per test run (else per process), copied by pgliteDataDir(). */
const initialisedPgliteDir = once(async () => {
  const shared = await sharedPath('initialised', initialiseDir);
  if (shared) return shared;
  const parent = mkdtempSync(join(tmpdir(), 'uc-pglite-initdb-'));
  process.once('exit', () => rmSync(parent, { recursive: true, force: true }));
  const dir = join(parent, 'db');
  await initialiseDir(dir);
  return dir;
});

/**
 * Makes `dir` the data directory of an empty PGlite database, as the first open of a new
 * directory leaves it (for tests whose subject is what happens after that first open).
 */
export async function pgliteDataDir(dir: string): Promise<string> {
  cpSync(await initialisedPgliteDir(), dir, { recursive: true });
  return dir;
}

let pgliteTemplate: Promise<Blob> | undefined;

function migratedPgliteTemplate(): Promise<Blob> {
  pgliteTemplate ??= sharedDump('migrated', async () => {
    const db = await emptyPgliteDb();
    try {
      await migrateDb(db);
      const driver = dbDriver(db) as { kind: 'pglite'; pglite: PGlite };
      return await driver.pglite.dumpDataDir('none');
    } finally {
      await db.close();
    }
  });
  pgliteTemplate.catch(() => {
    pgliteTemplate = undefined;
  });
  return pgliteTemplate;
}

async function createPgliteTestDb(): Promise<TestDb> {
  const template = await migratedPgliteTemplate();
  return dbFromPglite(await startPglite('memory://', { loadDataDir: template }));
}

export async function createTestDb(kind: DbKind, opts: { seed?: boolean } = {}): Promise<TestDb> {
  const templates = kind === 'postgres' ? provided('bffTemplateDatabases') : undefined;
  if (templates) return createEmptyTestDb('postgres', templates[opts.seed ? 'seeded' : 'migrated']);
  const db = kind === 'postgres' ? await createPostgresTestDb() : await createPgliteTestDb();
  if (opts.seed) {
    try {
      await seedCatalog(db.prisma);
    } catch (error) {
      await db.close().catch(() => {});
      throw error;
    }
  }
  return db;
}

/** A database that exists but has no tables yet (for migration tests), or a copy of `template`. */
export async function createEmptyTestDb(kind: DbKind, template?: string): Promise<TestDb> {
  if (kind === 'pglite') return emptyPgliteDb();
  const name = testDatabaseName();
  const databaseUrl = await createRunDatabase(name, template);
  let db: Db;
  try {
    db = await openDb({ databaseUrl });
  } catch (error) {
    await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).catch(() => {});
    throw error;
  }
  const closeDb = db.close.bind(db);
  let closing: Promise<void> | undefined;
  db.close = () =>
    (closing ??= (async () => {
      try {
        await closeDb();
      } finally {
        await withAdmin((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      }
    })());
  return Object.assign(db, { databaseUrl });
}
